/**
 * End to end, the way the Pulumi CLI runs the pack: run-policy-pack in policy/ (its `main`, the
 * compiled pack in dist/, checked against the sources at start), the Analyzer gRPC protocol, the home
 * stack clean and broken. One pack process serves every call. That a pack with a type error never
 * serves is tested with the program's start (tests/start/fresh.e2e.test.ts).
 */
import * as fs from "fs";
import * as path from "path";
import {
  Diagnostic,
  PackProcess,
  analyze,
  analyzeStack,
  configure,
  getAnalyzerInfo,
  staleCompiledFiles,
  startPack,
} from "../support/policyHarness";
import { evaluatePolicies } from "../../offline/evaluate";
import { policies } from "../../policy/policies";
import { JOB_TYPE } from "../../tiers/names";
import { PROJECT_DIR } from "../../start/sources";
import { TestStack, UNKNOWN_VALUE, change, homeStack, withJob, withSeedCases } from "../support/policyStacks";

const POLICY_DIR = path.join(PROJECT_DIR, "policy");
const exampleConfig = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "policy-config.example.json"), "utf8"));

let home: TestStack;
let pack: PackProcess | undefined;

beforeAll(async () => {
  const stale = staleCompiledFiles();
  if (stale.length > 0) {
    throw new Error(
      `compiled JavaScript beside the pack's TypeScript: ${stale.join(", ")}. Node and jest resolve x.js before ` +
        "x.ts, so the tests would run it instead of the sources and hide every edit (they would pass on code " +
        "nobody can see). Delete it; the build writes to dist/.",
    );
  }
  home = await homeStack();
  pack = await startPack({ cwd: POLICY_DIR, stack: home.stack });
}, 180_000);

afterAll(async () => {
  await pack?.close();
});

/** The broken home stack: the seed cases at once. */
function brokenStack(): TestStack {
  return withSeedCases(home);
}

/** The server prefixes each message with the policy's description and a newline. */
function stripDescription(d: Diagnostic): Diagnostic {
  const description = policies.find((p) => p.name === d.policy)!.description;
  expect(d.message.startsWith(`${description}\n`)).toBe(true);
  return { ...d, message: d.message.slice(description.length + 1) };
}

describe("the policy pack through the Analyzer protocol", () => {
  it("describes itself: name, version, the policies in order with their levels and config schemas", async () => {
    const info = await getAnalyzerInfo(pack!.client);
    expect(info.getName()).toBe("pve-backup-tiers");
    expect(info.getVersion()).toBe(JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "package.json"), "utf8")).version);
    expect(info.getSupportsconfig()).toBe(true);
    const served = info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]);
    expect(served).toEqual([
      ["every-guest-in-a-tier", 1],
      ["tier-guests-exist", 1],
      ["job-storage-exists", 1],
      ["jobs-enabled", 1],
      ["schedules-run", 1],
      ["schedules-recur", 1],
      ["retention-bounded", 1],
      ["one-job-per-guest-and-storage", 1],
      ["adoptable-jobs", 1],
      ["critical-tiers-notify", 0],
      ["staggered-starts", 0],
      ["schedule-warnings", 0],
      ["unmanaged-jobs", 0],
      ["nodes-online", 0],
    ]);
    expect(served.map(([name]) => name)).toEqual(policies.map((p) => p.name));
    const schemas = Object.fromEntries(
      info.getPoliciesList().map((p) => [p.getName(), p.getConfigschema()?.getProperties()?.toJavaScript()]),
    );
    expect(schemas["every-guest-in-a-tier"]).toMatchObject({ ignoreVmids: { type: "array", default: [] } });
    expect(schemas["staggered-starts"]).toMatchObject({ minutes: { type: "integer", default: 10 } });
    await configure(pack!.client, exampleConfig);
  });

  it("Analyze: every resource of the home stack passes", async () => {
    for (const resource of home.resources) expect(await analyze(pack!.client, resource)).toEqual([]);
  });

  it("AnalyzeStack: a disabled job is stopped, at its URN, naming the job and its guests", async () => {
    const served = (await analyzeStack(pack!.client, brokenStack())).map(stripDescription);
    const disabled = served.filter((d) => d.policy === "jobs-enabled");
    expect(disabled).toHaveLength(1);
    expect(disabled[0]).toMatchObject({ level: "mandatory", urn: expect.stringContaining("tier-p1-job") });
    expect(disabled[0].message).toMatch(
      /^job backup-home-p1-daily is disabled .* guests 103 get no backups on storage synology-backups/,
    );
  });

  it("AnalyzeStack: the home stack (root stack resource with its outputs, and every resource) passes", async () => {
    expect(await analyzeStack(pack!.client, home)).toEqual([]);
  });

  it("AnalyzeStack: the seed cases are stopped by mandatory policies naming the guest or storage, as in process", async () => {
    const broken = brokenStack();
    const served = (await analyzeStack(pack!.client, broken)).map(stripDescription);
    const mandatory = served.filter((d) => d.level === "mandatory");
    expect(mandatory).toContainEqual(
      expect.objectContaining({
        policy: "every-guest-in-a-tier",
        message: expect.stringMatching(/^LXC 104 \(nextcloud\) is in no tier/),
      }),
    );
    expect(mandatory).toContainEqual(
      expect.objectContaining({
        policy: "job-storage-exists",
        message: expect.stringMatching(
          /^job backup-c1ff91b4-5175 .* writes to storage synology-nas-storage, which is neither declared/,
        ),
      }),
    );
    expect(mandatory).toContainEqual(
      expect.objectContaining({
        policy: "retention-bounded",
        message: expect.stringMatching(/^job backup-home-p0-daily keeps every backup forever/),
        urn: expect.stringContaining("tier-p0-job"),
      }),
    );
    expect(served).toContainEqual(expect.objectContaining({ policy: "unmanaged-jobs", level: "advisory" }));

    // The in-process evaluator judges exactly as the served pack.
    const inProcess = evaluatePolicies({ ...broken, config: exampleConfig });
    const key = (d: { policy: string; level: string; message: string }) => `${d.policy}|${d.level}|${d.message}`;
    expect(served.map(key).sort()).toEqual(inProcess.map(key).sort());
  });

  it("Configure: the policy config reaches the policies (ignoreVmids)", async () => {
    await configure(pack!.client, { ...exampleConfig, "every-guest-in-a-tier": { ignoreVmids: [104] } });
    const served = (await analyzeStack(pack!.client, brokenStack())).filter(
      (d) => d.policy === "every-guest-in-a-tier",
    );
    // 103 remains (its only job is disabled), 104 is ignored; the level stays the policy's own.
    expect(served.map((d) => [d.level, d.message.split("\n")[1].slice(0, 33)])).toEqual([
      ["mandatory", "LXC 103 (download) is in no tier:"],
    ]);
    await configure(pack!.client, exampleConfig);
  });

  it("unknown values during preview: skipped, never a crash nor a false violation", async () => {
    const previewing = withJob(home, "backup-home-p1-daily", (p) => {
      p.storage = UNKNOWN_VALUE;
      p.enabled = UNKNOWN_VALUE;
      p.vmids = UNKNOWN_VALUE;
      p.pruneBackups = UNKNOWN_VALUE;
      p.schedule = UNKNOWN_VALUE;
    });
    const job = previewing.resources.find((r) => r.type === JOB_TYPE && r.props.resourceId === "backup-home-p1-daily")!;
    expect(await analyze(pack!.client, job)).toEqual([]);
    expect(await analyzeStack(pack!.client, previewing)).toEqual([]);
    const unknownOutputs = change(
      home,
      (s) => ((s.outputs as unknown as Record<string, unknown>).cluster = UNKNOWN_VALUE),
    );
    expect(await analyzeStack(pack!.client, unknownOutputs)).toEqual([]);
  });
});
