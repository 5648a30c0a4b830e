/**
 * The policy pack's benchmark (`npm run bench -- policy`): prints figures, asserts nothing.
 *
 * 1. In-process evaluation (offline/evaluate.ts, every policy) over synthetic stacks of 100, 1,000
 *    and 10,000 guests: the first run, the median of the next runs, the heap the evaluation
 *    allocates and the process's peak RSS. Each size runs in its own process (a worker of this
 *    file) on a stack built beforehand by the real program, so the figures are the evaluation's.
 * 2. The pack through the protocol as the Pulumi CLI runs it (run-policy-pack in policy/, its `main`
 *    the compiled pack in dist/): cold start (spawn → GetAnalyzerInfo answered), then one
 *    AnalyzeStack of the 1,000-guest stack. Start-up against an anchor: startup.bench.ts.
 */
import { fork } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { build } from "../start/build";
import { PROJECT_DIR } from "../start/sources";

const SIZES = [100, 1_000, 10_000];
const RUNS = 7;

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
  const { evaluatePolicies } = require("../offline/evaluate") as typeof import("../offline/evaluate");
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
      `Policy evaluation in process (offline/evaluate.ts, all ${policies.length} policies), ${RUNS} runs per size, node ${process.version}, ${os.cpus().length} CPUs\n`,
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

    await coldStart(files.get(1_000)!);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The pack through the Analyzer protocol, as the CLI runs it. */
async function coldStart(stackFile: string): Promise<void> {
  const harness = await import("../tests/support/policyHarness");
  console.log(
    "\nThe pack through the Analyzer protocol (spawn run-policy-pack in policy/ → GetAnalyzerInfo answered)\n",
  );
  const stale = harness.staleCompiledFiles();
  if (stale.length > 0)
    throw new Error(
      `compiled JavaScript beside the pack's sources would hide them from the tests: ${stale.join(", ")}`,
    );
  build({ log: (line) => console.log(`  build: ${line}`) });

  const start = process.hrtime.bigint();
  const pack = await harness.startPack({ cwd: harness.POLICY_DIR });
  try {
    await harness.getAnalyzerInfo(pack.client);
    const coldMs = ms(start);
    const stack = JSON.parse(fs.readFileSync(stackFile, "utf8"));
    const t = process.hrtime.bigint();
    const diagnostics = await harness.analyzeStack(pack.client, stack);
    console.log(
      table([
        ["pack", "cold start ms", "AnalyzeStack 1,000 guests ms", "diagnostics"],
        ["compiled (dist/), as the CLI runs policy/", coldMs.toFixed(0), ms(t).toFixed(0), String(diagnostics.length)],
      ]),
    );
  } finally {
    await pack.close();
  }
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
