/**
 * start/promiseStacks.ts in a Node process set up as cmd/run sets it up (source-map-support
 * registered), against the SDK's real debuggablePromise: its traces keep every frame but skip the
 * mapping; every other trace is still mapped to the SDK's TypeScript; PULUMI_DEBUG_PROMISE_LEAKS
 * turns the whole thing off.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { PROJECT_DIR } from "../../start/sources";

let moduleFile: string;

beforeAll(() => {
  // The module under test, transpiled on its own (as the build would), into a folder of its own.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pve-stacks-"));
  const source = fs.readFileSync(path.join(PROJECT_DIR, "start", "promiseStacks.ts"), "utf8");
  moduleFile = path.join(dir, "promiseStacks.js");
  fs.writeFileSync(
    moduleFile,
    ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } })
      .outputText,
  );
});

afterAll(() => fs.rmSync(path.dirname(moduleFile), { recursive: true, force: true }));

interface Traces {
  installed: boolean;
  /** A trace the SDK's debuggablePromise recorded. */
  promise: string;
  /** An error made while an SDK function (utils.isInstance) is on the stack. */
  error: string;
}

function traces(env: NodeJS.ProcessEnv = {}): Traces {
  const script = `
    require("source-map-support/register"); // as cmd/run does first
    const installed = require(${JSON.stringify(moduleFile)}).skipMappingPromiseStacks();
    const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");
    const promise = Promise.resolve();
    debuggablePromise(promise, "a test");
    let error;
    require("@pulumi/pulumi/utils").isInstance({ get probe() { error = new Error("made inside the SDK"); return true; } }, "probe");
    process.stdout.write(JSON.stringify({ installed, promise: promise._debugStackTrace, error: error.stack }));
  `;
  const child = spawnSync(process.execPath, ["-e", script], {
    cwd: PROJECT_DIR,
    env: { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "", ...env },
    encoding: "utf8",
  });
  if (child.status !== 0) throw new Error(`the probe exited ${child.status}: ${child.stderr}`);
  return JSON.parse(child.stdout) as Traces;
}

test("the SDK's promise traces keep their frames, unmapped; other traces are still mapped", () => {
  const { installed, promise, error } = traces();
  expect(installed).toBe(true);
  expect(promise).toMatch(
    /\n {4}at debuggablePromise \(.*node_modules\/@pulumi\/pulumi\/runtime\/debuggable\.js:\d+:\d+\)/,
  );
  expect(promise).toContain("[eval]");
  expect(promise).not.toMatch(/debuggable\.ts/);
  expect(error).toMatch(/at Object\.isInstance \(.*utils\.ts:\d+:\d+\)/);
});

test("with PULUMI_DEBUG_PROMISE_LEAKS set, the promise traces are mapped as cmd/run maps them", () => {
  const { installed, promise } = traces({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
  expect(installed).toBe(false);
  expect(promise).toMatch(/at debuggablePromise \(.*debuggable\.ts:\d+:\d+\)/);
});
