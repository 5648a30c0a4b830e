import { schedulesRun } from "../../../policy/policies/schedules-run";
import {
  TestStack,
  UNKNOWN_VALUE,
  change,
  check,
  clusterJob,
  homeStack,
  messages,
  withCluster,
  withJob,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const P1 = "backup-home-p1-daily";
const withSchedule = (schedule: string, stack = home) => withJob(stack, P1, (p) => (p.schedule = schedule));
const frequentTier = (stack: TestStack) => change(stack, (s) => (s.outputs.tiers[1].frequent = true));

describe("schedules-run", () => {
  it("passes the home stack: 03:00, 03:15 and sun 04:00 run, once a day or a week", () => {
    expect(check(home, schedulesRun)).toEqual([]);
  });

  it("stops a schedule that matches no date, naming the job and its tier", () => {
    const violations = check(withSchedule("*-02-30"), schedulesRun);
    expect(violations).toEqual([
      expect.objectContaining({
        policy: "schedules-run",
        level: "mandatory",
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p1-job",
      }),
    ]);
    expect(violations[0].message).toMatch(
      /^job backup-home-p1-daily \(tier P1\): schedule '\*-02-30' never runs: no date matches all of its fields/,
    );
  });

  it("stops a schedule whose dates are all past", () => {
    expect(messages(check(withSchedule("2020-01-01 03:00"), schedulesRun))).toEqual([
      expect.stringMatching(/^job backup-home-p1-daily \(tier P1\): schedule '2020-01-01 03:00' never runs again/),
    ]);
  });

  it("stops a hand-made cluster job that never runs, naming the job", () => {
    const stack = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "stray", schedule: "*-04-31 02:00" })));
    expect(check(stack, schedulesRun)).toEqual([
      expect.objectContaining({
        level: "mandatory",
        message: expect.stringMatching(
          /^job stray \(on the cluster, not managed by this stack\): schedule '\*-04-31 02:00' never runs/,
        ),
      }),
    ]);
  });

  it.each([
    ["*:*:*", "1 second"],
    ["minutely", "1 minute"],
    ["hourly", "1 hour"],
    ["mon..fri 22", "1 hour"],
    ["*:0/30", "30 minutes"],
    ["23,0:30", "1 hour"],
  ])("stops %s on a tier not marked frequent: runs come %s apart", (schedule, gap) => {
    const violations = check(withSchedule(schedule), schedulesRun);
    expect(violations).toHaveLength(1);
    expect(violations[0].level).toBe("mandatory");
    expect(violations[0].message).toContain(
      `job backup-home-p1-daily (tier P1): schedule '${schedule}' runs hourly or more often: two of its runs come ${gap} apart`,
    );
    expect(violations[0].message).toContain("or set frequent: true on tier P1");
  });

  it("explains why with the engine's warning: mon..fri 22 is minute 22 of every hour", () => {
    expect(messages(check(withSchedule("mon..fri 22"), schedulesRun))[0]).toMatch(
      /runs at minute 22 of every hour, not at 22:00/,
    );
  });

  it("lets a tier marked frequent run hourly", () => {
    expect(check(frequentTier(withSchedule("hourly")), schedulesRun)).toEqual([]);
    expect(check(frequentTier(withSchedule("*:0/15")), schedulesRun)).toEqual([]);
  });

  it.each(["0/2:00", "0/6:00", "weekly", "*-*-1 02:00", "mon..fri 22:30", "sat,sun 23:30"])(
    "passes %s: runs more than an hour apart",
    (schedule) => {
      expect(check(withSchedule(schedule), schedulesRun)).toEqual([]);
    },
  );

  it("holds hand-made cluster jobs to 'never runs' only: what they are for is unknown", () => {
    const stack = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "snapshots", schedule: "hourly" })));
    expect(check(stack, schedulesRun)).toEqual([]);
  });

  it("leaves disabled jobs to jobs-enabled, and skips what is unknown during preview", () => {
    expect(
      check(
        withJob(withSchedule("*-02-30"), P1, (p) => (p.enabled = false)),
        schedulesRun,
      ),
    ).toEqual([]);
    expect(check(withSchedule(UNKNOWN_VALUE), schedulesRun)).toEqual([]);
    expect(
      check(
        withJob(withSchedule("*-02-30"), P1, (p) => (p.enabled = UNKNOWN_VALUE)),
        schedulesRun,
      ),
    ).toEqual([]);
    const flagUnknown = change(withSchedule("hourly"), (s) => ((s.outputs.tiers[1] as any).frequent = UNKNOWN_VALUE));
    expect(check(flagUnknown, schedulesRun)).toEqual([]);
  });
});
