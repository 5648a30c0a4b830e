/**
 * `npm run bench -- startup`: how fast the program, the policy pack and the commands start, through
 * Pulumi's own entry points, against minimal precompiled anchors built here on the same node_modules.
 * Prints figures; never fails on one.
 *
 * - The program: `@pulumi/pulumi/cmd/run` as the nodejs language host starts it for `pulumi preview`
 *   (from Pulumi.yaml), against a fake engine (tests/support/engine.ts) answering the data sources
 *   from the home snapshot; spawn to exit. Anchor: a precompiled program declaring one component.
 *   Beside it, what the start-up's pieces gain: the program without start/promiseStacks.ts (the
 *   bundle run directly), then without the bundle either (dist/index.js as tsc compiled it, see
 *   start/build.ts), and from the TypeScript sources through ts-node, transpile-only, without any
 *   build. For scale, a precompiled program declaring from constants what the home program declares
 *   (3 components, 3 jobs, 1 NFS storage): Pulumi's own cost for those resources.
 * - The pack: `cmd/run-policy-pack` in policy/, as the CLI starts it for `--policy-pack policy`;
 *   spawn to its first answer (GetAnalyzerInfo). Anchor: a precompiled pack with one policy.
 * - The commands: the node command of `npm run check` / `npm run schedule` (npm's own start-up left
 *   out); `check --help` loads every module the check uses.
 *
 * Each figure is the median of interleaved cold starts (a new process each; the file cache warm); a
 * ratio or a difference is the median of each round's, which load changing from round to round
 * shifts less. dist/ is brought up to date first, so no start includes a rebuild.
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { providerAnswers } from "../offline/preview";
import { startPack, getAnalyzerInfo } from "../tests/support/policyHarness";
import { build } from "../start/build";
import { PROJECT_DIR } from "../start/sources";
import { parseClusterSnapshot } from "../pve/snapshot";
import { ProjectRuntime, runProgram } from "../tests/support/engine";

const ROUNDS = 15;
const GOAL = 1.25;
const JOB = "proxmoxve:backup/job:Job";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const homeAnswers = providerAnswers(
  parseClusterSnapshot(
    fs.readFileSync(path.join(PROJECT_DIR, "examples", "home-cluster.json"), "utf8"),
    "examples/home-cluster.json",
  ),
);

const ANCHOR_PROGRAM = `import * as pulumi from "@pulumi/pulumi";
class Minimal extends pulumi.ComponentResource {
  constructor(name: string) {
    super("anchor:index:Minimal", name, {});
    this.registerOutputs({});
  }
}
export const urn = new Minimal("one").urn;
`;
const SAME_RESOURCES = `import * as backup from "@muhlba91/pulumi-proxmoxve/backup";
import * as storage from "@muhlba91/pulumi-proxmoxve/storage";
import * as pulumi from "@pulumi/pulumi";
class Tier extends pulumi.ComponentResource {
  constructor(name: string, storage: pulumi.Input<string>) {
    super("anchor:index:Tier", name, {});
    new backup.Job(\`\${name}-job\`, {
      resourceId: \`backup-\${name}\`, schedule: "03:00", storage, vmids: ["100", "102"], node: "pve", mode: "snapshot",
      compress: "zstd", pruneBackups: { "keep-last": "3" }, enabled: true, mailtos: ["root@example.com"],
      mailnotification: "always", notesTemplate: "{{guestname}}",
    }, { parent: this });
    this.registerOutputs({});
  }
}
const nfs = new storage.Nfs("storage-nas", {
  resourceId: "nas", server: "10.0.0.150", export: "/volume1/backups", contents: ["backup"], nodes: ["pve"],
  backups: { keepLast: 3 },
}, { protect: true });
export const tiers = ["p0", "p1", "p2"].map((t) => new Tier(\`tier-\${t}\`, nfs.resourceId).urn);
`;
const ANCHOR_PACK = `import { PolicyPack } from "@pulumi/policy";
new PolicyPack("anchor", {
  policies: [{ name: "one", description: "one policy", enforcementLevel: "advisory", validateResource: () => undefined }],
});
`;

/** The anchors in a temporary folder (node_modules linked above them), each index.ts compiled beside it by tsc. */
function buildAnchors(tmp: string) {
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(tmp, "node_modules"), "dir");
  const write = (name: string, files: Record<string, string>) => {
    fs.mkdirSync(path.join(tmp, name));
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name, file), text);
    return path.join(tmp, name);
  };
  const program = (name: string, source: string) =>
    write(name, {
      "index.ts": source,
      "package.json": JSON.stringify({ name, main: "index.js" }),
      "Pulumi.yaml": `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
    });
  const anchors = {
    program: program("anchor", ANCHOR_PROGRAM),
    sameResources: program("same-resources", SAME_RESOURCES),
    pack: write("anchor-pack", {
      "index.ts": ANCHOR_PACK,
      "package.json": JSON.stringify({ name: "anchor-pack", version: "0.0.1", main: "index.js" }),
      "PulumiPolicy.yaml": "runtime: nodejs\n",
    }),
  };
  execFileSync(
    process.execPath,
    [
      require.resolve("typescript/bin/tsc"),
      ...["--target", "ES2022", "--module", "commonjs", "--esModuleInterop", "--skipLibCheck", "--strict"],
      ...["--types", "node", ...Object.values(anchors).map((dir) => path.join(dir, "index.ts"))],
    ],
    { cwd: tmp, stdio: "inherit" },
  );
  return anchors;
}

/** CPU time of each started program, for programs started with it preloaded (see timeProgram). */
const cpuTimes = new Map<string, number[]>();
let cpuProbe = "";

/**
 * A program's start, spawn to exit; its own CPU time goes to cpuTimes under `name`: wall time on a
 * shared machine swings with other processes' load, the CPU time the start takes much less.
 */
async function timeProgram(
  name: string,
  projectDir: string,
  stack: string,
  expectType: string,
  options: { runtime?: Partial<ProjectRuntime>; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const env = { ...options.env, NODE_OPTIONS: `--require ${cpuProbe}` };
  const run = await runProgram({ projectDir, stack, answers: homeAnswers, ...options, env });
  if (run.exitCode !== 0 || !run.resources.some((r) => r.type === expectType)) {
    throw new Error(`the program in ${projectDir} did not run (exit ${run.exitCode}):\n${run.stderr}`);
  }
  if (/rebuilding/.test(run.stderr)) throw new Error(`the program rebuilt dist/ during the measurement`);
  const cpu = Number(/cpu-ms (\S+)/.exec(run.stderr)?.[1]);
  cpuTimes.set(name, [...(cpuTimes.get(name) ?? []), cpu]);
  return run.ms;
}

async function timePack(cwd: string, expectName: string): Promise<number> {
  const start = process.hrtime.bigint();
  const pack = await startPack({ cwd });
  try {
    const info = await getAnalyzerInfo(pack.client);
    const elapsed = ms(start);
    if (info.getName() !== expectName) throw new Error(`the pack in ${cwd} is ${info.getName()}`);
    if (/rebuilding/.test(pack.stderr())) throw new Error(`the pack rebuilt dist/ during the measurement`);
    return elapsed;
  } finally {
    await pack.close();
  }
}

/** The node command behind `npm run <script>`, with arguments; spawn to exit. */
async function timeScript(script: string, args: string[]): Promise<number> {
  const scripts = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts;
  const [command, ...scriptArgs] = String(scripts[script]).split(/\s+/);
  if (command !== "node") throw new Error(`npm run ${script} is not a node command: ${scripts[script]}`);
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [...scriptArgs, ...args], {
    cwd: PROJECT_DIR,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const elapsed = ms(start);
  if (code !== 0) throw new Error(`npm run ${script} -- ${args.join(" ")} exited ${code}:\n${stderr}`);
  if (/rebuilding/.test(stderr)) throw new Error(`npm run ${script} rebuilt dist/ during the measurement`);
  return elapsed;
}

async function main(): Promise<void> {
  const compiled = build({ ifStale: true, log: (line) => console.log(`  build: ${line}`) });
  console.log(`dist/ ${compiled ? "rebuilt" : "up to date"}; node ${process.version}, ${os.cpus().length} CPUs\n`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-startup-"));
  try {
    const anchors = buildAnchors(tmp);
    cpuProbe = path.join(tmp, "cpu-probe.js");
    fs.writeFileSync(
      cpuProbe,
      'process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write(`cpu-ms ${(u.user + u.system) / 1000}\\n`); });\n',
    );
    const runs: Record<string, [label: string, base: string, run: () => Promise<number>]> = {
      anchor: [
        "anchor program: one component, precompiled",
        "anchor",
        () => timeProgram("anchor", anchors.program, "dev", "anchor:index:Minimal"),
      ],
      program: [
        "program (home, preview) through cmd/run",
        "anchor",
        () => timeProgram("program", PROJECT_DIR, "home", JOB),
      ],
      bundleAlone: [
        "  the same, without the promise-trace wrapper",
        "anchor",
        () =>
          timeProgram("bundleAlone", PROJECT_DIR, "home", JOB, { runtime: { entryPoint: "dist/program.bundle.js" } }),
      ],
      neither: [
        "  the same, without the wrapper or the bundle",
        "anchor",
        () => timeProgram("neither", PROJECT_DIR, "home", JOB, { runtime: { entryPoint: "dist/index.js" } }),
      ],
      sources: [
        "  the same, from the .ts sources (transpile-only)",
        "anchor",
        () =>
          timeProgram("sources", PROJECT_DIR, "home", JOB, {
            runtime: { entryPoint: "index.ts", typescript: true },
            env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
          }),
      ],
      same: [
        "Pulumi alone declaring the same resources",
        "anchor",
        () => timeProgram("same", anchors.sameResources, "dev", JOB),
      ],
      anchorPack: ["anchor pack: one policy, precompiled", "anchorPack", () => timePack(anchors.pack, "anchor")],
      pack: [
        "pack to first answer through run-policy-pack",
        "anchorPack",
        () => timePack(path.join(PROJECT_DIR, "policy"), "pve-backup-tiers"),
      ],
      checkHelp: ["npm run check -- --help (every module loaded)", "program", () => timeScript("check", ["--help"])],
      check: [
        "npm run check (home snapshot, whole run)",
        "program",
        () => timeScript("check", ["--from", "2026-01-01T00:00:00Z"]),
      ],
      schedule: [
        "npm run schedule -- 'sun 04:00' (whole run)",
        "program",
        () => timeScript("schedule", ["sun 04:00", "--count", "3"]),
      ],
    };
    const names = Object.keys(runs);
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    await runs.anchor[2](); // warm the file cache once for everyone
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + round) % names.length];
        times.get(name)!.push(await runs[name][2]());
      }
    }

    const t = (name: string) => times.get(name)!;
    const ratio = (name: string, base: string, of = times) => median(of.get(name)!.map((x, i) => x / of.get(base)![i]));
    const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
    const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(50) : c.padStart(10))).join("");
    console.log(`${ROUNDS} interleaved rounds; ratio: to the row's anchor (the commands: to the program)`);
    console.log(row(["", "median ms", "min ms", "ratio", "CPU ms", "CPU ratio"]));
    for (const [name, [label, base]] of Object.entries(runs)) {
      const cpu = cpuTimes.get(name);
      const cpuCells = cpu ? [fmt(median(cpu)), `${ratio(name, base, cpuTimes).toFixed(2)}×`] : [];
      console.log(
        row([label, fmt(median(t(name))), fmt(Math.min(...t(name))), `${ratio(name, base).toFixed(2)}×`, ...cpuCells]),
      );
    }
    const verdict = (name: string, base: string, goal: number) =>
      `${ratio(name, base).toFixed(2)}× ${ratio(name, base) <= goal ? "within" : "OVER"} the goal (≤ ${goal}×)`;
    const saved = (name: string, than: string) => fmt(median(t(name).map((x, i) => x - t(than)[i])));
    console.log();
    console.log(`  program: ${verdict("program", "anchor", GOAL)}`);
    console.log(
      `           the wrapper saves it ${saved("bundleAlone", "program")} ms a start, the bundle ${saved("neither", "bundleAlone")} ms more`,
    );
    const cpu = ratio("program", "anchor", cpuTimes);
    console.log(`           by CPU time ${cpu.toFixed(2)}× ${cpu <= GOAL ? "within" : "OVER"} the goal`);
    console.log(`  pack:    ${verdict("pack", "anchorPack", GOAL)}`);
    console.log(`  check start-up against the program's: ${verdict("checkHelp", "program", 1)}`);
    console.log(`  schedule against the program's:       ${verdict("schedule", "program", 1)}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
