/**
 * `npm run bench -- startup`: how fast the program, the policy pack and the commands start, measured
 * through Pulumi's own entry points, against minimal precompiled anchors built here on the same
 * node_modules. Prints figures; never fails on one.
 *
 * - The program: `@pulumi/pulumi/cmd/run` as the nodejs language host starts it for
 *   `pulumi preview` (arguments and environment from Pulumi.yaml), against a fake engine
 *   (tests/support/engine.ts) that answers the data sources from the home snapshot; spawn to exit.
 *   Anchor: a precompiled JavaScript program declaring one component. Beside it, what each piece of
 *   the start-up gains: the program as tsc compiled it, without the bundle (start/build.ts), and
 *   from the TypeScript sources through ts-node, transpile-only, without any build. For scale, a
 *   precompiled program declaring from constants what the home program declares (3 components,
 *   3 jobs, 1 NFS storage): Pulumi's own cost for those resources.
 * - The pack: `@pulumi/pulumi/cmd/run-policy-pack` in policy/, as the CLI starts it for
 *   `--policy-pack policy`; spawn to its first answer (GetAnalyzerInfo). Anchor: a precompiled
 *   pack with one policy.
 * - The commands: the node command of `npm run check` / `npm run schedule` (npm's own start-up,
 *   the same for any script, left out); `check --help` loads every module the check uses.
 *
 * Each figure is the median of interleaved cold starts (a new process each; the file cache warm);
 * a ratio is the median of each round's ratio, which a machine whose load changes from round to
 * round shifts less than a ratio of medians. Before measuring, dist/ is brought up to date, so no
 * start includes a rebuild.
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

const homeAnswers = providerAnswers(
  parseClusterSnapshot(
    fs.readFileSync(path.join(PROJECT_DIR, "examples", "home-cluster.json"), "utf8"),
    "examples/home-cluster.json",
  ),
);

/** A precompiled JavaScript program in its own folder: index.ts compiled beside it, Pulumi.yaml, package.json. */
function writeProgram(dir: string, name: string, source: string[]): void {
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "index.ts"), `${source.join("\n")}\n`);
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, main: "index.js" }));
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n`,
  );
}

interface Anchors {
  /** The program anchor: one component. */
  program: string;
  /** For scale: Pulumi alone declaring what the home program declares, from constants. */
  sameResources: string;
  /** The pack anchor: one policy. */
  pack: string;
}

/** The anchors, compiled by the project's tsc into a temporary folder (node_modules linked above them). */
function buildAnchors(tmp: string): Anchors {
  const anchors: Anchors = {
    program: path.join(tmp, "anchor-program"),
    sameResources: path.join(tmp, "same-resources"),
    pack: path.join(tmp, "anchor-pack"),
  };
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(tmp, "node_modules"), "dir");
  writeProgram(anchors.program, "anchor", [
    'import * as pulumi from "@pulumi/pulumi";',
    "class Minimal extends pulumi.ComponentResource {",
    "  constructor(name: string) {",
    '    super("anchor:index:Minimal", name, {});',
    "    this.registerOutputs({});",
    "  }",
    "}",
    'export const urn = new Minimal("one").urn;',
  ]);
  writeProgram(anchors.sameResources, "same-resources", [
    'import * as backup from "@muhlba91/pulumi-proxmoxve/backup";',
    'import * as storage from "@muhlba91/pulumi-proxmoxve/storage";',
    'import * as pulumi from "@pulumi/pulumi";',
    "class Tier extends pulumi.ComponentResource {",
    "  constructor(name: string, storageId: pulumi.Input<string>) {",
    '    super("anchor:index:Tier", name, {});',
    "    new backup.Job(",
    "      `${name}-job`,",
    "      {",
    '        resourceId: `backup-${name}`, schedule: "03:00", storage: storageId, vmids: ["100", "102"],',
    '        node: "pve", mode: "snapshot", compress: "zstd", pruneBackups: { "keep-last": "3" }, enabled: true,',
    '        mailtos: ["root@example.com"], mailnotification: "always", notesTemplate: "{{guestname}}",',
    "      },",
    "      { parent: this },",
    "    );",
    "    this.registerOutputs({});",
    "  }",
    "}",
    "const nfs = new storage.Nfs(",
    '  "storage-nas",',
    '  { resourceId: "nas", server: "10.0.0.150", export: "/volume1/backups", contents: ["backup"], nodes: ["pve"],',
    "    backups: { keepLast: 3 } },",
    "  { protect: true },",
    ");",
    'export const tiers = ["p0", "p1", "p2"].map((t) => new Tier(`tier-${t}`, nfs.resourceId).urn);',
  ]);
  fs.mkdirSync(anchors.pack);
  fs.writeFileSync(
    path.join(anchors.pack, "index.ts"),
    [
      'import { PolicyPack } from "@pulumi/policy";',
      'new PolicyPack("anchor", {',
      "  policies: [",
      '    { name: "one", description: "one policy", enforcementLevel: "advisory", validateResource: () => undefined },',
      "  ],",
      "});",
      "",
    ].join("\n"),
  );
  fs.writeFileSync(
    path.join(anchors.pack, "package.json"),
    JSON.stringify({ name: "anchor-pack", version: "0.0.1", main: "index.js" }),
  );
  fs.writeFileSync(path.join(anchors.pack, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  execFileSync(
    process.execPath,
    [
      require.resolve("typescript/bin/tsc"),
      ...["--target", "ES2022", "--module", "commonjs", "--esModuleInterop", "--skipLibCheck", "--strict"],
      ...["--types", "node"],
      ...Object.values(anchors).map((dir) => path.join(dir, "index.ts")),
    ],
    { cwd: tmp, stdio: "inherit" },
  );
  return anchors;
}

async function timeProgram(
  projectDir: string,
  stack: string,
  expectType: string,
  options: { runtime?: Partial<ProjectRuntime>; env?: NodeJS.ProcessEnv } = {},
): Promise<number> {
  const run = await runProgram({ projectDir, stack, answers: homeAnswers, ...options });
  if (run.exitCode !== 0 || !run.resources.some((r) => r.type === expectType)) {
    throw new Error(`the program in ${projectDir} did not run (exit ${run.exitCode}):\n${run.stderr}`);
  }
  if (/rebuilding/.test(run.stderr)) throw new Error(`the program rebuilt dist/ during the measurement`);
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
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  const elapsed = ms(start);
  if (code !== 0) throw new Error(`npm run ${script} -- ${args.join(" ")} exited ${code}:\n${stderr}`);
  if (/rebuilding/.test(stderr)) throw new Error(`npm run ${script} rebuilt dist/ during the measurement`);
  return elapsed;
}

function row(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
}

async function main(): Promise<void> {
  const compiled = build({ ifStale: true, log: (line) => console.log(`  build: ${line}`) });
  console.log(
    `dist/ ${compiled ? "compiled" : "up to date"}; node ${process.version}, ${os.cpus().length} CPUs, ${ROUNDS} interleaved rounds\n`,
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-startup-"));
  try {
    const anchors = buildAnchors(tmp);
    const JOB = "proxmoxve:backup/job:Job";
    const runs: Record<string, () => Promise<number>> = {
      "anchor program": () => timeProgram(anchors.program, "dev", "anchor:index:Minimal"),
      program: () => timeProgram(PROJECT_DIR, "home", JOB),
      "not bundled": () => timeProgram(PROJECT_DIR, "home", JOB, { runtime: { entryPoint: "dist/index.js" } }),
      "from sources": () =>
        timeProgram(PROJECT_DIR, "home", JOB, {
          runtime: { entryPoint: "index.ts", typescript: true },
          env: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        }),
      "same resources": () => timeProgram(anchors.sameResources, "dev", JOB),
      "anchor pack": () => timePack(anchors.pack, "anchor"),
      pack: () => timePack(path.join(PROJECT_DIR, "policy"), "pve-backup-tiers"),
      "check --help": () => timeScript("check", ["--help"]),
      "check (home)": () => timeScript("check", ["--from", "2026-01-01T00:00:00Z"]),
      "schedule 'sun 04:00'": () => timeScript("schedule", ["sun 04:00", "--count", "3"]),
    };
    const names = Object.keys(runs);
    const times = new Map<string, number[]>(names.map((n) => [n, []]));
    await runs["anchor program"](); // warm the file cache once for everyone
    for (let round = 0; round < ROUNDS; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]);
      for (const name of order) times.get(name)!.push(await runs[name]());
    }

    const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
    /** The median of each round's ratio of `name` to `base`. */
    const ratio = (name: string, base: string) => median(times.get(name)!.map((t, i) => t / times.get(base)![i]));
    const widths = [52, 9, 8, 9];
    console.log(row(["", "median ms", "min ms", "ratio"], widths));
    const line = (label: string, name: string, base: string) =>
      console.log(
        row(
          [
            label,
            fmt(median(times.get(name)!)),
            fmt(Math.min(...times.get(name)!)),
            `${ratio(name, base).toFixed(2)}×`,
          ],
          widths,
        ),
      );
    line("anchor program: one component, precompiled", "anchor program", "anchor program");
    line("program (home, preview) through cmd/run", "program", "anchor program");
    line("  the same, not bundled (dist/index.js)", "not bundled", "anchor program");
    line("  the same, from the .ts sources (transpile-only)", "from sources", "anchor program");
    line("Pulumi alone declaring the same resources", "same resources", "anchor program");
    line("anchor pack: one policy, precompiled", "anchor pack", "anchor pack");
    line("pack to first answer through run-policy-pack", "pack", "anchor pack");
    line("npm run check -- --help (every module loaded)", "check --help", "program");
    line("npm run check (home snapshot, whole run)", "check (home)", "program");
    line("npm run schedule -- 'sun 04:00' (whole run)", "schedule 'sun 04:00'", "program");

    const verdict = (name: string, base: string, goal: number) => {
      const r = ratio(name, base);
      return `${r.toFixed(2)}× (${fmt(median(times.get(name)!))} ms vs ${fmt(median(times.get(base)!))} ms): ${r <= goal ? "within" : "OVER"} the goal (≤ ${goal}×)`;
    };
    console.log();
    console.log(`  program: ${verdict("program", "anchor program", GOAL)} of its anchor`);
    console.log(
      `           the bundle saves it ${fmt(median(times.get("not bundled")!) - median(times.get("program")!))} ms; ` +
        `Pulumi alone declaring its 7 resources from constants takes ${ratio("same resources", "anchor program").toFixed(2)}×`,
    );
    console.log(`  pack:    ${verdict("pack", "anchor pack", GOAL)} of its anchor`);
    console.log(`  check start-up: ${verdict("check --help", "program", 1)} of the program's`);
    console.log(`  schedule:       ${verdict("schedule 'sun 04:00'", "program", 1)} of the program's`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
