import * as fs from "fs";
import * as path from "path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { validatePackConfig } from "../../policy/config";
import { PolicyConfigError, evaluatePolicies, mandatoryViolations } from "../../offline/evaluate";
import { policies } from "../../policy/policies";
import { JOB_TYPE } from "../../tiers/names";
import { staleCompiledFiles } from "../support/policyHarness";
import { PROJECT_DIR } from "../../start/sources";
import { TestStack, UNKNOWN_VALUE, homeStack, withCluster, withJob, withSeedCases } from "../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const exampleConfig = JSON.parse(
  fs.readFileSync(path.join(PROJECT_DIR, "policy", "policy-config.example.json"), "utf8"),
);

/** Every seed case at once, plus two advisories (a stray job; P0 daily at 03:55 meets P2's Sunday 04:00). */
function broken(): TestStack {
  return withJob(withSeedCases(home), "backup-home-p0-daily", (p) => (p.schedule = "03:55"));
}

describe("evaluatePolicies", () => {
  it("passes the home stack under every policy, with the example config", () => {
    expect(evaluatePolicies(home)).toEqual([]);
    expect(evaluatePolicies({ ...home, config: exampleConfig })).toEqual([]);
  });

  it("stops each seed case with a mandatory policy naming the guest or storage, mandatory first", () => {
    const violations = evaluatePolicies(broken());
    const levels = violations.map((v) => v.level);
    expect(levels.lastIndexOf("mandatory")).toBeLessThan(levels.indexOf("advisory"));
    const mandatory = mandatoryViolations(violations).map((v) => `${v.policy}: ${v.message}`);
    expect(mandatory).toEqual([
      expect.stringMatching(/^every-guest-in-a-tier: LXC 103 \(download\) is in no tier/),
      expect.stringMatching(/^every-guest-in-a-tier: LXC 104 \(nextcloud\) is in no tier/),
      expect.stringMatching(
        /^job-storage-exists: job backup-c1ff91b4-5175 \(on the cluster, not managed by this stack\) writes to storage synology-nas-storage, which is neither declared/,
      ),
      expect.stringMatching(/^jobs-enabled: job backup-home-p1-daily is disabled/),
      expect.stringMatching(/^retention-bounded: job backup-home-p0-daily keeps every backup forever/),
    ]);
    expect(violations.filter((v) => v.level === "advisory").map((v) => v.policy)).toEqual([
      "staggered-starts",
      "unmanaged-jobs",
    ]);
  });

  it("hands stack policies the root stack resource with the outputs as its properties", () => {
    const seen: { type: string; urn: string; timezone?: unknown }[] = [];
    const spy: StackValidationPolicy = {
      name: "spy",
      description: "records what it is given",
      validateStack: (args) => {
        for (const r of args.resources)
          seen.push({
            type: r.type,
            urn: r.urn,
            ...(r.type === "pulumi:pulumi:Stack" ? { timezone: r.props.timezone } : {}),
          });
      },
    };
    evaluatePolicies({ ...home, policies: [spy] });
    expect(seen[0]).toEqual({
      type: "pulumi:pulumi:Stack",
      // The engine's URN of a stack's root resource: <stack>::<project>::<type>::<project>-<stack>.
      urn: "urn:pulumi:home::pve-backup-tiers::pulumi:pulumi:Stack::pve-backup-tiers-home",
      timezone: "America/New_York",
    });
    // Then every resource the program registered, each with the URN the runtime gave it.
    expect(seen.slice(1).map((r) => r.urn)).toEqual(home.resources.slice(1).map((r) => r.urn));
    expect(seen.map((r) => r.urn)).toContain(
      "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p1-job",
    );
  });

  it("gives resource policies isType/asType by Pulumi type, getConfig without the enforcement level", () => {
    class Job {
      static readonly __pulumiType = JOB_TYPE;
    }
    const calls: unknown[] = [];
    const spy: ResourceValidationPolicy = {
      name: "spy",
      configSchema: { properties: { answer: { type: "integer" } } },
      description: "records what it is given",
      validateResource: (args) => {
        if (!args.isType(Job as never)) return;
        calls.push({ storage: (args.asType(Job as never) as { storage: string }).storage, config: args.getConfig() });
      },
    };
    evaluatePolicies({
      ...home,
      policies: [spy],
      config: { spy: { enforcementLevel: "mandatory", answer: 42 } } as never,
    });
    expect(calls).toEqual(Array(3).fill({ storage: "synology-backups", config: { answer: 42 } }));
  });

  it("applies enforcement levels from the config: per policy, then `all`, then the policy's own", () => {
    const stack = broken();
    const by = (config: object) => evaluatePolicies({ ...stack, config: config as never });
    expect(by({ "staggered-starts": "disabled" }).some((v) => v.policy === "staggered-starts")).toBe(false);
    expect(by({ all: "advisory" }).every((v) => v.level === "advisory")).toBe(true);
    expect(
      by({ all: "advisory", "jobs-enabled": { enforcementLevel: "mandatory" } })
        .filter((v) => v.level === "mandatory")
        .map((v) => v.policy),
    ).toEqual(["jobs-enabled"]);
    expect(
      by({ "staggered-starts": { enforcementLevel: "remediate" } }).find((v) => v.policy === "staggered-starts")?.level,
    ).toBe("mandatory");
  });

  it("validates the config against the policies' schemas first, like the CLI", () => {
    expect(validatePackConfig(exampleConfig, policies)).toEqual([]);
    const bad = {
      "staggered-starts": { minutes: -1 },
      "every-guest-in-a-tier": { ignoreVmids: [1], extra: true },
      nope: "mandatory",
      all: "loud",
    };
    expect(() => evaluatePolicies({ ...home, config: bad as never })).toThrow(PolicyConfigError);
    try {
      evaluatePolicies({ ...home, config: bad as never });
    } catch (err) {
      expect((err as PolicyConfigError).problems).toEqual([
        "staggered-starts.minutes: must be at least 0, not -1",
        "every-guest-in-a-tier.ignoreVmids[0]: must be at least 100, not 1",
        "every-guest-in-a-tier.extra: unknown setting",
        "nope: no policy of this name in pack pve-backup-tiers",
        'all: "loud" is not an enforcement level (advisory, mandatory, remediate, disabled)',
      ]);
    }
  });

  describe("unknown values", () => {
    it("treats the SDK's `unknown` (what mocks record during preview) as the engine's unknown", () => {
      const stack = withJob(home, "backup-home-p1-daily", (p) => (p.storage = "x"));
      const job = stack.resources.find((r) => r.props.resourceId === "backup-home-p1-daily")!;
      job.props.storage = pulumi.unknown;
      job.props.enabled = pulumi.unknown;
      expect(evaluatePolicies(stack)).toEqual([]);
    });

    it("skips unknown values in the policies, and reports a policy that reads one unguarded as the server does", () => {
      const stack = withCluster(
        withJob(home, "backup-home-p0-daily", (p) => (p.storage = UNKNOWN_VALUE)),
        (c) => (c.nodes = UNKNOWN_VALUE as never),
      );
      expect(evaluatePolicies(stack)).toEqual([]);
      const careless: StackValidationPolicy = {
        name: "careless",
        description: "reads without looking",
        enforcementLevel: "mandatory",
        validateStack: (args) => {
          for (const r of args.resources) if (r.type === JOB_TYPE) void r.props.storage.length;
        },
      };
      expect(evaluatePolicies({ ...stack, policies: [careless] })).toEqual([
        {
          policy: "careless",
          level: "advisory",
          message:
            "can't run policy 'careless' from policy pack 'pve-backup-tiers' during preview: string value at .storage can't be known during preview",
        },
      ]);
    });
  });

  it("propagates a policy's own errors, names the policy, and refuses async policies", () => {
    const throwing: StackValidationPolicy = {
      name: "throwing",
      description: "d",
      validateStack: () => {
        throw new Error("boom");
      },
    };
    expect(() => evaluatePolicies({ ...home, policies: [throwing] })).toThrow(
      "Error validating stack with policy 'throwing': boom",
    );
    const asynchronous: StackValidationPolicy = {
      name: "async",
      description: "d",
      validateStack: async () => undefined,
    };
    expect(() => evaluatePolicies({ ...home, policies: [asynchronous] })).toThrow(/returned a promise/);
    const notApplicable: StackValidationPolicy = {
      name: "na",
      description: "d",
      validateStack: (args) => args.notApplicable("not here"),
    };
    expect(evaluatePolicies({ ...home, policies: [notApplicable] })).toEqual([]);
  });
});

describe("the pack's sources", () => {
  it("has no compiled JavaScript beside them (Node would load it instead of the .ts)", () => {
    expect(staleCompiledFiles()).toEqual([]);
  });

  it("staleCompiledFiles finds a stale index.js", () => {
    const dir = fs.mkdtempSync(path.join(require("os").tmpdir(), "stale-"));
    try {
      fs.writeFileSync(path.join(dir, "index.ts"), "");
      fs.writeFileSync(path.join(dir, "index.js"), "");
      fs.mkdirSync(path.join(dir, "node_modules"));
      fs.writeFileSync(path.join(dir, "node_modules", "dep.js"), "");
      expect(staleCompiledFiles([dir])).toEqual([path.join(dir, "index.js")]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
