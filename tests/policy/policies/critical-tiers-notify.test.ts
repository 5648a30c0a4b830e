import { criticalTiersNotify } from "../../../policy/policies/critical-tiers-notify";
import { TestStack, UNKNOWN_VALUE, change, check, homeStack, withJob } from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("critical-tiers-notify", () => {
  it("passes the home stack: P0 is critical and mails admin@home.arpa", () => {
    expect(check(home, criticalTiersNotify)).toEqual([]);
  });

  it("advises when the critical tier's job sends no mail", () => {
    const stack = withJob(home, "backup-home-p0-daily", (p) => delete p.mailtos);
    expect(check(stack, criticalTiersNotify)).toEqual([
      {
        policy: "critical-tiers-notify",
        level: "advisory",
        message: expect.stringMatching(/^tier P0 is critical but its job backup-home-p0-daily sends no mail/),
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
      },
    ]);
  });

  it("ignores tiers that are not critical", () => {
    const stack = change(home, (s) => (s.outputs.tiers.find((t) => t.id === "P0")!.critical = false));
    expect(
      check(
        withJob(stack, "backup-home-p0-daily", (p) => (p.mailtos = [])),
        criticalTiersNotify,
      ),
    ).toEqual([]);
  });

  it("uses the tier's exported notification when the stack has no such job resource", () => {
    const stack = change(home, (s) => {
      s.resources = s.resources.filter((r) => r.props.resourceId !== "backup-home-p0-daily");
      s.outputs.tiers.find((t) => t.id === "P0")!.mailto = [];
    });
    expect(check(stack, criticalTiersNotify).map((v) => v.message)).toEqual([
      expect.stringMatching(/^tier P0 is critical but its job backup-home-p0-daily sends no mail/),
    ]);
  });

  it("skips mail recipients or tiers unknown during preview", () => {
    expect(
      check(
        withJob(home, "backup-home-p0-daily", (p) => (p.mailtos = UNKNOWN_VALUE)),
        criticalTiersNotify,
      ),
    ).toEqual([]);
    expect(
      check(
        withJob(home, "backup-home-p0-daily", (p) => (p.mailtos = [UNKNOWN_VALUE])),
        criticalTiersNotify,
      ),
    ).toEqual([]);
    const unknownTiers = change(home, (s) => ((s.outputs as unknown as Record<string, unknown>).tiers = UNKNOWN_VALUE));
    expect(check(unknownTiers, criticalTiersNotify)).toEqual([]);
  });
});
