/**
 * `npm run bench -- status`: `npm run status` against the PVE API double, each in its own process,
 * on synthetic sites of 1,000 and 5,000 guests (tiers of 100 guests, 500 guests a node) with three
 * scheduled runs of every tier behind them, so 3 backups a guest and each run's task with vzdump's
 * log; and as the anchor, the home site on its own day (5 guests) in the same run. Reports the
 * status process's start-up (loading the modules), the status itself (every API read, the
 * judgement and the JSON), its peak RSS and how many requests it made. Prints figures; never fails on one.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { parseSite } from "../tiers/siteRules";
import { ClusterSnapshot } from "../pve/snapshot";
import { SiteHistory } from "../tests/support/statusHistory";
import { syntheticSite } from "./policyStack";
import { PROJECT_DIR } from "../start/sources";

const AT = "2026-02-12T12:00:00Z";
const RUN_DAYS = ["2026-02-10", "2026-02-11", "2026-02-12"];

interface WorkerResult {
  startupMs: number;
  statusMs: number;
  exitCode: number;
  maxRssMb: number;
  guests: number;
  backups: number;
  states: Record<string, number>;
}

/** In the child: time loading the command, then one status, and report as JSON on stdout. */
async function worker(stackDir: string, stack: string, endpoint: string, ca: string): Promise<void> {
  const t0 = performance.now();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runStatusCommand } = require("../cli/commands/status") as typeof import("../cli/commands/status");
  const t1 = performance.now();
  const result = await runStatusCommand([
    "--stack-dir",
    stackDir,
    "--stack",
    stack,
    "--endpoint",
    endpoint,
    "--ca",
    ca,
    "--at",
    AT,
    "--json",
  ]);
  const t2 = performance.now();
  if (result.exitCode === 2 && result.stderr) throw new Error(result.stderr);
  const doc = JSON.parse(result.stdout) as { guests: { state: string; newest: unknown }[] };
  const states: Record<string, number> = {};
  for (const g of doc.guests) states[g.state] = (states[g.state] ?? 0) + 1;
  const out: WorkerResult = {
    startupMs: t1 - t0,
    statusMs: t2 - t1,
    exitCode: result.exitCode,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    guests: doc.guests.length,
    backups: doc.guests.filter((g) => g.newest).length,
    states,
  };
  process.stdout.write(JSON.stringify(out));
}

/** `npm run pve-double` on a snapshot file, in its own process; resolves with its URL, token and CA once it listens. */
function startDouble(
  clusterFile: string,
  caFile: string,
): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(
    process.execPath,
    [
      "-r",
      "ts-node/register/transpile-only",
      "cli/commands/pve-double.ts",
      "--cluster",
      clusterFile,
      "--port",
      "0",
      "--ca-out",
      caFile,
    ],
    { cwd: PROJECT_DIR, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ctrl-C stops it.")) {
        resolve({
          child,
          url: /^PVE API double on (\S+)/m.exec(out)![1],
          token: /^ {2}token {8}(\S+)$/m.exec(out)![1],
        });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => reject(new Error(`pve-double exited ${code}: ${out}`)));
  });
}

function runWorker(stackDir: string, stack: string, double: { url: string; token: string }, ca: string) {
  const t0 = performance.now();
  const child = spawnSync(
    process.execPath,
    ["-r", "ts-node/register/transpile-only", __filename, "--worker", stackDir, stack, double.url, ca],
    {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, PROXMOX_VE_API_TOKEN: double.token },
    },
  );
  const wallMs = performance.now() - t0;
  if (child.status !== 0) throw new Error(`status of ${stack} failed: ${child.stderr}`);
  return { ...(JSON.parse(child.stdout) as WorkerResult), wallMs };
}

/** A synthetic site's stack file and its cluster: the tiers' jobs, three nights of their runs, space on each storage. */
function syntheticCase(guests: number, dir: string): { stack: string; cluster: string } {
  const { site: raw, snapshot } = syntheticSite(guests);
  const stack = `bench-${guests}`;
  fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), toYaml({ config: { "pve-backup-tiers:site": raw } }));
  const site = parseSite(raw, `Pulumi.${stack}.yaml`);
  const history = new SiteHistory(site);
  for (const r of snapshot.resources) if (r.vmid !== undefined && r.node) history.nodeOf.set(r.vmid, r.node);
  for (const tier of site.tiers) {
    for (const day of RUN_DAYS) history.run(tier.id, `${day}T${tier.schedule}`);
  }
  const cluster: ClusterSnapshot = {
    ...history.snapshot(snapshot),
    timezone: site.timezone,
    storageStatus: [...new Set(site.tiers.map((t) => t.storage))].map((storage) => ({
      storage,
      total: 100e12,
      used: 40e12,
      avail: 60e12,
    })),
  };
  const file = path.join(dir, `${stack}-cluster.json`);
  fs.writeFileSync(file, JSON.stringify(cluster));
  return { stack, cluster: file };
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-status-"));
  const doubles: ChildProcess[] = [];
  try {
    const cases = [
      {
        guests: 5,
        label: "home, its own day (anchor)",
        stackDir: path.join(PROJECT_DIR, "tests/fixtures/stacks"),
        stack: "home",
        cluster: path.join(PROJECT_DIR, "tests/fixtures/clusters/home-day.json"),
      },
      ...[1_000, 5_000].map((guests) => ({
        guests,
        label: `synthetic, ${guests / 100} tiers`,
        stackDir: tmp,
        ...syntheticCase(guests, tmp),
      })),
    ];
    const started = await Promise.all(cases.map((c, i) => startDouble(c.cluster, path.join(tmp, `ca-${i}.pem`))));
    doubles.push(...started.map((s) => s.child));
    const ca = (i: number) => path.join(tmp, `ca-${i}.pem`);
    runWorker(cases[0].stackDir, cases[0].stack, started[0], ca(0)); // warm the file system cache and ts-node's
    const rows: string[][] = [
      [
        "site",
        "guests",
        "process ms",
        "start-up ms",
        "status ms",
        "× anchor",
        "µs/guest",
        "peak RSS MB",
        "exit",
        "states",
      ],
    ];
    let anchorMs = 0;
    for (const [i, c] of cases.entries()) {
      const r = runWorker(c.stackDir, c.stack, started[i], ca(i));
      if (i === 0) anchorMs = r.statusMs;
      rows.push([
        c.label,
        String(r.guests),
        r.wallMs.toFixed(0),
        r.startupMs.toFixed(0),
        r.statusMs.toFixed(0),
        `${(r.statusMs / anchorMs).toFixed(1)}x`,
        ((r.statusMs * 1000) / r.guests).toFixed(0),
        r.maxRssMb.toFixed(0),
        String(r.exitCode),
        Object.entries(r.states)
          .map(([s, n]) => `${n} ${s}`)
          .join(", "),
      ]);
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    console.log(
      `npm run status -- --json at ${AT} against the PVE API double (its own process), one status process per site;\n` +
        "synthetic sites: 3 scheduled runs of every tier, so 3 backups a guest; × anchor: status ms against the home site's\n",
    );
    for (const r of rows)
      console.log(
        r.map((cell, i) => (i === 0 || i === 9 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  "),
      );
  } finally {
    for (const d of doubles) d.kill("SIGTERM");
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--worker") {
  worker(process.argv[3], process.argv[4], process.argv[5], process.argv[6]).catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: Error) => {
    console.error(err);
    process.exit(1);
  });
}
