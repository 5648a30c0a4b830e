/**
 * The entry glue (runMain in cli/main.ts) as a user meets it, in real processes: a reader that
 * goes away (`--json | head`) ends the command quietly with its own exit code, and a bug is exit 3
 * with its stack, secrets redacted.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FIXTURE_STACK_DIR } from "../support/stacks";
import { PROJECT_DIR } from "../../start/sources";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-e2e-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("npm run check -- --json | head -c 100: the check ends quietly with its own exit code", () => {
  // 3,000 guests in no tier: a report far larger than a pipe's buffer, so the check is still
  // writing when head has gone, and a mandatory violation (exit 1) to tell the code is the check's.
  const snapshot = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "examples/home-cluster.json"), "utf8"));
  for (let vmid = 1000; vmid < 4000; vmid++) {
    snapshot.resources.push({ type: "lxc", vmid, name: `ct-${vmid}`, node: "pve", status: "running", template: 0 });
  }
  const cluster = path.join(tmp, "big-cluster.json");
  fs.writeFileSync(cluster, JSON.stringify(snapshot));
  const stderr = path.join(tmp, "stderr.txt");
  const head = path.join(tmp, "head.txt");
  const command = `npm run --silent check -- --stack-dir '${FIXTURE_STACK_DIR}' --cluster '${cluster}' --json`;
  const r = spawnSync("bash", ["-c", `${command} 2>'${stderr}' | head -c 100 >'${head}'; echo "\${PIPESTATUS[0]}"`], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  expect(fs.readFileSync(head, "utf8")).toMatch(/^\{\n {2}"stack": "home",/);
  expect(fs.statSync(head).size).toBe(100);
  expect(fs.readFileSync(stderr, "utf8")).toBe(""); // no stack trace, no EPIPE message
  expect(r.stdout.trim()).toBe("1");
}, 120_000);

test("npm run check >/dev/full: one line, exit 2, no stack trace (issue 19)", () => {
  const r = spawnSync("bash", ["-c", `npm run --silent check -- --stack-dir '${FIXTURE_STACK_DIR}' >/dev/full`], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  expect(r.stderr).toBe("error: cannot write the output to stdout (ENOSPC)\n");
  expect(r.status).toBe(2);
}, 120_000);

test("a bug is exit 3 with the stack, secrets redacted", () => {
  const program =
    "require('./cli/main').runMain(() => { throw new TypeError('boom with pulumi@pve!ci=0b6c3a8e-4f1d'); })";
  const r = spawnSync("node", ["-r", "ts-node/register/transpile-only", "-e", program], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  expect(r.status).toBe(3);
  expect(r.stdout).toBe("");
  expect(r.stderr).toMatch(/^internal error: TypeError: boom with \[secret\]\n\s+at /);
  expect(r.stderr).not.toContain("0b6c3a8e");
}, 60_000);
