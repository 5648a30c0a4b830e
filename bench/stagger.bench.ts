/**
 * `npm run bench -- stagger`: staggered-starts on many schedules sharing one storage. The case of
 * issue 8: 100 tiers marked frequent (`minutely`) and 50 daily tiers, all on one NFS storage, built
 * by the real program. Frequent schedules are left to schedules-run, so the policy compares only the
 * daily starts, over the reference week; a second case adds one monthly schedule (`*-*-1`), which
 * makes the storage's cycle a year (366 starts per daily tier). The anchor is the home stack (three
 * tiers), measured in the same run. Prints the median of several runs; asserts nothing.
 */
import { runProgramOffline } from "../offline/preview";
import { EvaluatedResource, evaluatePolicies } from "../offline/evaluate";
import { staggeredStarts } from "../policy/policies/staggered-starts";
import type { StackOutputs } from "../tiers/inventory";
import { clusterSnapshotSchema } from "../pve/snapshot";
import * as fs from "fs";
import * as path from "path";
import { parseClusterSnapshot } from "../pve/snapshot";
import { PROJECT_DIR } from "../start/sources";

const RUNS = 15;

interface Stack {
  stack: string;
  resources: EvaluatedResource[];
  outputs: StackOutputs;
}

/** 100 frequent tiers, 50 daily ones 12 minutes apart (every tenth shares its neighbour's minute). */
function staggerSite(options: { monthly: boolean }) {
  const tiers = [];
  for (let i = 0; i < 150; i++) {
    const frequent = i < 100;
    const d = i - 100;
    const minutes = (d - (d % 10 === 9 ? 1 : 0)) * 12;
    const time = `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
    tiers.push({
      id: `T${i}`,
      description: frequent ? "frequent" : "daily",
      priority: i,
      job: `backup-stagger-t${i}`,
      schedule: frequent ? "minutely" : options.monthly && d === 0 ? `*-*-1 ${time}` : time,
      ...(frequent ? { frequent: true } : {}),
      storage: "nas",
      guests: [{ vmid: 1000 + i, kind: "qemu", name: `guest-${1000 + i}` }],
    });
  }
  const site = {
    timezone: "Europe/Berlin",
    storages: [{ id: "nas", type: "nfs", server: "10.1.0.10", export: "/volume1/nas", retention: { "keep-last": 3 } }],
    tiers,
  };
  const snapshot = clusterSnapshotSchema.parse({
    resources: tiers.map((t) => ({ type: "qemu", vmid: t.guests[0].vmid, name: t.guests[0].name, node: "pve" })),
    storage: [{ storage: "nas", type: "nfs", content: "backup", "prune-backups": "keep-last=3" }],
    backup: [],
  });
  return { site, snapshot };
}

async function build(options: { monthly: boolean }): Promise<Stack> {
  const { site, snapshot } = staggerSite(options);
  const run = await runProgramOffline({
    stack: "home",
    snapshot,
    config: { "pve-backup-tiers:site": JSON.stringify(site) },
  });
  return { stack: run.stack, resources: run.resources, outputs: run.outputs };
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

function time(stack: Stack, policies?: Parameters<typeof evaluatePolicies>[0]["policies"]) {
  const times: number[] = [];
  let violations = 0;
  for (let i = 0; i < RUNS; i++) {
    gc(); // the machine is shared: keep a collection left over from the last run out of this one
    const start = performance.now();
    violations = evaluatePolicies({ ...stack, policies }).length;
    times.push(performance.now() - start);
  }
  return { firstMs: times[0], medianMs: median(times.slice(1)), minMs: Math.min(...times.slice(1)), violations };
}

async function main(): Promise<void> {
  const homeFile = path.join(PROJECT_DIR, "examples/home-cluster.json");
  const homeRun = await runProgramOffline({
    stack: "home",
    snapshot: parseClusterSnapshot(fs.readFileSync(homeFile, "utf8"), homeFile),
  });
  const home: Stack = { stack: homeRun.stack, resources: homeRun.resources, outputs: homeRun.outputs };
  const cases: [string, Stack][] = [
    ["home stack (anchor): 3 tiers", home],
    ["100 frequent + 50 daily tiers, one storage (week)", await build({ monthly: false })],
    ["the same, one daily tier monthly instead (year)", await build({ monthly: true })],
  ];

  const rows = [["case", "staggered-starts median ms", "min ms", "first ms", "advisories", "whole pack median ms"]];
  for (const [name, stack] of cases) {
    const pack = time(stack);
    const stagger = time(stack, [staggeredStarts]);
    rows.push([
      name,
      stagger.medianMs.toFixed(1),
      stagger.minMs.toFixed(1),
      stagger.firstMs.toFixed(1),
      String(stagger.violations),
      pack.medianMs.toFixed(1),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`staggered-starts, in process (offline/evaluate.ts), median of ${RUNS - 1} runs after the first\n`);
  for (const r of rows)
    console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
