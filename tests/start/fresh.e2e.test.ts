/**
 * Starting from dist/, end to end, in a temporary copy of the project (node_modules linked): the
 * program through cmd/run and the pack through run-policy-pack, as the Pulumi CLI starts them, and a
 * command as `npm run` starts it. What runs is what the sources say: a source edited without a build
 * is rebuilt by the start and runs as edited; a planted type error stops the program, the pack and
 * the command with the compiler's message, before anything is declared or served.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { providerAnswers } from "../../offline/preview";
import { PackProcess, getAnalyzerInfo, startPack } from "../support/policyHarness";
import { build } from "../../start/build";
import { MANIFEST_FILE, Manifest, PROJECT_DIR, changedSources } from "../../start/sources";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { runProgram } from "../support/engine";

const JOB_TYPE = "proxmoxve:backup/job:Job";
const answers = providerAnswers(
  parseClusterSnapshot(
    fs.readFileSync(path.join(PROJECT_DIR, "examples", "home-cluster.json"), "utf8"),
    "examples/home-cluster.json",
  ),
);

let copy: string;
const manifest = () => JSON.parse(fs.readFileSync(path.join(copy, "dist", MANIFEST_FILE), "utf8")) as Manifest;

beforeAll(() => {
  // The copy starts from an up-to-date dist/ (and its incremental state), as after `npm ci`.
  build({ ifStale: true });
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "pve-start-"));
  fs.cpSync(PROJECT_DIR, copy, {
    recursive: true,
    filter: (src) => !["node_modules", ".git", "coverage"].includes(path.basename(src)),
  });
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(copy, "node_modules"), "dir");
}, 120_000);

afterAll(() => fs.rmSync(copy, { recursive: true, force: true }));

/** The pack started as `pulumi preview --policy-pack policy` starts it, and its first answer. */
async function startCopyPack(): Promise<{ pack?: PackProcess; info?: string[]; error?: Error }> {
  try {
    const pack = await startPack({ cwd: path.join(copy, "policy") });
    const info = await getAnalyzerInfo(pack.client);
    return { pack, info: info.getPoliciesList().map((p) => p.getName()) };
  } catch (err) {
    return { error: err as Error };
  }
}

/** `npm run schedule -- ...`: the script's node command, in the copy. */
function runSchedule(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const scripts = JSON.parse(fs.readFileSync(path.join(copy, "package.json"), "utf8")).scripts;
  const [node, ...scriptArgs] = String(scripts.schedule).split(/\s+/);
  expect(node).toBe("node");
  const child = spawn(process.execPath, [...scriptArgs, ...args], { cwd: copy, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stdout, stderr })));
}

test("a source edited without a build: the program, the pack and a command, started together, rebuild once and run the edit", async () => {
  // tiers/calendar/zone.ts is loaded by all three; the edit announces itself when its module loads.
  const edited = "edited tiers/calendar/zone.ts loaded";
  fs.appendFileSync(path.join(copy, "tiers", "calendar", "zone.ts"), `\nprocess.stderr.write("${edited}\\n");\n`);
  const [run, served, schedule] = await Promise.all([
    runProgram({ projectDir: copy, stack: "home", answers }),
    startCopyPack(),
    runSchedule("sun 04:00", "--from", "2026-01-01T00:00:00Z", "--count", "1", "--tz", "UTC", "--json"),
  ]);
  try {
    expect(served.error).toBeUndefined();
    expect(served.info).toContain("jobs-enabled");
    expect(served.pack!.stderr()).toContain(edited);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain(edited);
    expect(run.resources.filter((r) => r.type === JOB_TYPE).map((r) => r.urn)).toContain(
      "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
    );
    // The command ran again from the new build: the edit loaded once, the answer printed once.
    expect(schedule.code).toBe(0);
    expect(schedule.stderr.split(edited)).toHaveLength(2);
    expect(JSON.parse(schedule.stdout).next).toEqual(["2026-01-04T04:00:00Z"]);
    // One of them compiled, saying why; the others waited for it (or started after it).
    const compiled = [run.stderr, served.pack!.stderr(), schedule.stderr].filter((s) => /rebuilt in/.test(s));
    expect(compiled).toHaveLength(1);
    expect(compiled[0]).toMatch(/dist\/ is out of date with the sources \(tiers\/calendar\/zone\.ts\); rebuilding/);
  } finally {
    await served.pack?.close();
  }
  expect(fs.readFileSync(path.join(copy, "dist", "tiers", "calendar", "zone.js"), "utf8")).toContain(edited);
  // The manifest now describes the edited sources: the next start runs without compiling.
  expect(changedSources(copy, manifest())).toEqual([]);
}, 120_000);

test("a planted type error stops the program, the pack and a command with the compiler's message", async () => {
  const before = manifest();
  // Not exported: tsc then re-checks this file only, and the test stays quick.
  fs.appendFileSync(
    path.join(copy, "tiers", "calendar", "zone.ts"),
    '\nconst notANumber: number = "seven";\nprocess.stderr.write(String(notANumber));\n',
  );
  const [run, served, schedule] = await Promise.all([
    runProgram({ projectDir: copy, stack: "home", answers }),
    startCopyPack(),
    runSchedule("sun 04:00"),
  ]);
  await served.pack?.close();
  const compilerSays =
    /tiers\/calendar\/zone\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/;

  // The program: the engine is told the compiler's message, and nothing is declared.
  expect(run.exitCode).not.toBe(0);
  const errors = run.logs.filter((l) => l.severity === "error").map((l) => l.message);
  expect(errors.join("\n")).toMatch(compilerSays);
  expect(run.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);

  // The pack: never serves.
  expect(served.pack).toBeUndefined();
  expect(served.error?.message).toMatch(/exited \(code [1-9]\d*, signal null\) before serving/);
  expect(served.error?.message).toMatch(compilerSays);

  // The command: exit 3, the message, no output.
  expect(schedule.code).toBe(3);
  expect(schedule.stdout).toBe("");
  expect(schedule.stderr).toMatch(compilerSays);

  // dist/ is left as it was (still stale): the next start compiles again.
  expect(manifest()).toEqual(before);
  expect(fs.readFileSync(path.join(copy, "dist", "tiers", "calendar", "zone.js"), "utf8")).not.toContain("notANumber");
}, 120_000);
