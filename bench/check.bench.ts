/**
 * `npm run bench -- check`: the offline check (`npm run check`) on the home snapshot and on synthetic
 * clusters of 1,000 and 5,000 guests. Each size runs in its own process, as a user runs the command,
 * and reports its start-up (loading the program, the provider SDK and the pack's policies), the
 * check itself (program under mocks + policy judgement + rendering) and its peak RSS. The cost beyond
 * start-up should grow no more than linearly with the guests. Prints figures; never fails on one.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { syntheticSite } from "./policyStack";
import { PROJECT_DIR } from "../start/sources";

interface WorkerResult {
  startupMs: number;
  checkMs: number;
  exitCode: number;
  maxRssMb: number;
}

/** In the child: time the module loading, then one check, and report as JSON on stdout. */
async function worker(stack: string, cluster: string): Promise<void> {
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runCheckCommand } = require("../cli/commands/check") as typeof import("../cli/commands/check");
  const t1 = performance.now();
  const result = await runCheckCommand(["--stack", stack, "--cluster", cluster, "--json"]);
  const t2 = performance.now();
  if (result.exitCode === 2) throw new Error(result.stderr);
  const out: WorkerResult = {
    startupMs: t1 - t0,
    checkMs: t2 - t1,
    exitCode: result.exitCode,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(out));
}

function runWorker(stack: string, cluster: string): WorkerResult & { wallMs: number } {
  const t0 = performance.now();
  const child = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", __filename, "--worker", stack, cluster],
    { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 },
  );
  const wallMs = performance.now() - t0;
  if (child.status !== 0) throw new Error(`check of ${cluster} failed: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as WorkerResult), wallMs };
}

function main(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-check-"));
  const stackFiles: string[] = [];
  const rows: string[][] = [["guests", "process ms", "start-up ms", "check ms", "µs/guest", "peak RSS MB", "exit"]];
  const checkMs = new Map<number, number>();
  try {
    const cases: { guests: number; stack: string; cluster: string }[] = [
      { guests: 5, stack: "home", cluster: path.join(PROJECT_DIR, "examples/home-cluster.json") },
    ];
    for (const guests of [1_000, 5_000]) {
      // The check reads Pulumi.<stack>.yaml from the project: a synthetic stack file for the run.
      const stack = `bench-${guests}`;
      const { site, snapshot } = syntheticSite(guests);
      const stackFile = path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`);
      fs.writeFileSync(stackFile, toYaml({ config: { "pve-backup-tiers:site": site } }));
      stackFiles.push(stackFile);
      const cluster = path.join(tmp, `${stack}.json`);
      fs.writeFileSync(cluster, JSON.stringify(snapshot));
      cases.push({ guests, stack, cluster });
    }
    runWorker("home", cases[0].cluster); // warm the file system cache and ts-node's
    for (const c of cases) {
      const r = runWorker(c.stack, c.cluster);
      checkMs.set(c.guests, r.checkMs);
      rows.push([
        String(c.guests),
        r.wallMs.toFixed(0),
        r.startupMs.toFixed(0),
        r.checkMs.toFixed(0),
        ((r.checkMs * 1000) / c.guests).toFixed(0),
        r.maxRssMb.toFixed(0),
        String(r.exitCode),
      ]);
    }
  } finally {
    for (const f of stackFiles) fs.rmSync(f, { force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(
    "npm run check, one process per size (start-up = loading the modules; check = program + policies + output)\n",
  );
  for (const r of rows) console.log(r.map((cell, i) => cell.padStart(widths[i])).join("  "));
  const ratio = (checkMs.get(5_000) ?? 0) / (checkMs.get(1_000) ?? 1);
  console.log(`\ncheck time 5,000 / 1,000 guests: ${ratio.toFixed(2)}x (linear would be 5x)`);
}

if (process.argv[2] === "--worker") {
  worker(process.argv[3], process.argv[4]).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
} else {
  main();
}
