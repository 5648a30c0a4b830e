/**
 * The policy pack's benchmark (`npm run bench -- policy`): prints figures, asserts nothing.
 *
 * 1. In-process evaluation (commands/evaluate.ts, every policy) over synthetic stacks of 100, 1,000
 *    and 10,000 guests: the first run, the median of the next runs, the heap the evaluation
 *    allocates and the process's peak RSS. Each size runs in its own process (a worker of this
 *    file) on a stack built beforehand by the real program, so the figures are the evaluation's.
 * 2. The pack through the protocol: cold start (spawn run-policy-pack → GetAnalyzerInfo answered),
 *    from the TypeScript sources as the Pulumi CLI runs it (ts-node type-checks on load) and
 *    precompiled into a temporary folder outside policy/ (so a compile can never sit beside the
 *    sources and hide an edit); then one AnalyzeStack of the 1,000-guest stack.
 */
import { execFileSync, fork } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SIZES = [100, 1_000, 10_000];
const RUNS = 7;
const PROJECT_DIR = path.resolve(__dirname, "..");

interface WorkerResult {
  guests: number;
  resources: number;
  firstMs: number;
  medianMs: number;
  minMs: number;
  heapDeltaMB: number;
  peakRssMB: number;
  baselineRssMB: number;
  mandatory: number;
  advisory: number;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Worker: evaluate one stack (JSON file) RUNS times. */
function worker(file: string): void {
  const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
  const stack = JSON.parse(fs.readFileSync(file, "utf8"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { evaluatePolicies } = require("../commands/evaluate") as typeof import("../commands/evaluate");
  gc();
  const baselineRss = process.memoryUsage().rss;
  const times: number[] = [];
  let heapDelta = 0;
  let violations: { level: string }[] = [];
  for (let i = 0; i < RUNS; i++) {
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    violations = evaluatePolicies(stack);
    times.push(ms(start));
    heapDelta = Math.max(heapDelta, process.memoryUsage().heapUsed - heapBefore);
  }
  const result: WorkerResult = {
    guests: stack.guests,
    resources: stack.resources.length,
    firstMs: times[0],
    medianMs: median(times.slice(1)),
    minMs: Math.min(...times.slice(1)),
    heapDeltaMB: mb(heapDelta),
    peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
    baselineRssMB: mb(baselineRss),
    mandatory: violations.filter((v) => v.level === "mandatory").length,
    advisory: violations.filter((v) => v.level === "advisory").length,
  };
  process.send!(result);
}

function runWorker(file: string): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ["--worker", file], {
      execArgv: ["--expose-gc", "-r", "ts-node/register/transpile-only"],
      cwd: PROJECT_DIR,
    });
    let result: WorkerResult | undefined;
    child.on("message", (m) => (result = m as WorkerResult));
    child.on("exit", (code) => (result ? resolve(result) : reject(new Error(`worker exited with ${code}`))));
  });
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  "))
    .join("\n");
}

async function main(): Promise<void> {
  const { buildSyntheticStack } = await import("./policyStack");
  const { policies } = await import("../policy/policies");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pve-policy-bench-"));
  try {
    console.log(
      `Policy evaluation in process (commands/evaluate.ts, all ${policies.length} policies), ${RUNS} runs per size, node ${process.version}, ${os.cpus().length} CPUs\n`,
    );
    const results: WorkerResult[] = [];
    const files = new Map<number, string>();
    for (const guests of SIZES) {
      const start = process.hrtime.bigint();
      const stack = await buildSyntheticStack(guests);
      const file = path.join(tmp, `stack-${guests}.json`);
      fs.writeFileSync(file, JSON.stringify(stack));
      files.set(guests, file);
      console.log(
        `  built the ${guests}-guest stack with the real program in ${Math.round(ms(start))} ms (${stack.resources.length} resources)`,
      );
    }
    for (const guests of SIZES) results.push(await runWorker(files.get(guests)!));

    console.log();
    console.log(
      table([
        [
          "guests",
          "resources",
          "first ms",
          "median ms",
          "min ms",
          "heap alloc MB",
          "RSS before MB",
          "peak RSS MB",
          "violations (mand/adv)",
        ],
        ...results.map((r) => [
          r.guests.toLocaleString("en-US"),
          String(r.resources),
          r.firstMs.toFixed(1),
          r.medianMs.toFixed(1),
          r.minMs.toFixed(1),
          r.heapDeltaMB.toFixed(1),
          r.baselineRssMB.toFixed(1),
          r.peakRssMB.toFixed(1),
          `${r.mandatory}/${r.advisory}`,
        ]),
      ]),
    );
    const [, k1, k10] = results;
    console.log(
      `\n  10,000 / 1,000 guests: ${(k10.medianMs / k1.medianMs).toFixed(1)}x the median time (linear would be 10x), 10,000 guests in ${k10.medianMs.toFixed(0)} ms`,
    );

    await coldStart(tmp, files.get(1_000)!);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The pack through the Analyzer protocol, from the sources and precompiled. */
async function coldStart(tmp: string, stackFile: string): Promise<void> {
  const harness = await import("../tests/policy/harness");
  console.log("\nThe pack through the Analyzer protocol (spawn run-policy-pack → GetAnalyzerInfo answered)\n");
  const stale = harness.staleCompiledFiles();
  if (stale.length > 0)
    throw new Error(
      `compiled JavaScript beside the pack's sources would be served instead of them: ${stale.join(", ")}`,
    );

  const time = async (cwd: string) => {
    const start = process.hrtime.bigint();
    const pack = await harness.startPack({ cwd });
    try {
      await harness.getAnalyzerInfo(pack.client);
      const coldMs = ms(start);
      const stack = JSON.parse(fs.readFileSync(stackFile, "utf8"));
      const t = process.hrtime.bigint();
      const diagnostics = await harness.analyzeStack(pack.client, stack);
      return { coldMs, analyzeStackMs: ms(t), diagnostics: diagnostics.length };
    } finally {
      await pack.close();
    }
  };

  const fromSources = await time(harness.POLICY_DIR);

  // Precompiled: tsc into a temporary folder (never beside the sources), the pack's package.json and
  // PulumiPolicy.yaml beside the output, the project's node_modules linked above it.
  const out = path.join(tmp, "compiled");
  const start = process.hrtime.bigint();
  execFileSync(
    process.execPath,
    [require.resolve("typescript/bin/tsc"), "-p", "policy", "--noEmit", "false", "--outDir", out, "--rootDir", "."],
    {
      cwd: PROJECT_DIR,
      stdio: "inherit",
    },
  );
  const compileMs = ms(start);
  for (const f of ["package.json", "PulumiPolicy.yaml"])
    fs.copyFileSync(path.join(harness.POLICY_DIR, f), path.join(out, "policy", f));
  fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(tmp, "node_modules"), "dir");
  const precompiled = await time(path.join(out, "policy"));

  console.log(
    table([
      ["pack", "cold start ms", "AnalyzeStack 1,000 guests ms", "diagnostics"],
      [
        "TypeScript sources (ts-node, type-checked; as the CLI runs policy/)",
        fromSources.coldMs.toFixed(0),
        fromSources.analyzeStackMs.toFixed(0),
        String(fromSources.diagnostics),
      ],
      [
        `precompiled to a temp dir (tsc took ${compileMs.toFixed(0)} ms more)`,
        precompiled.coldMs.toFixed(0),
        precompiled.analyzeStackMs.toFixed(0),
        String(precompiled.diagnostics),
      ],
    ]),
  );
  console.log(
    "\n  AnalyzeStack includes building the protobuf request here and the server decoding it once per stack policy.",
  );
}

if (process.argv[2] === "--worker") worker(process.argv[3]);
else
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
