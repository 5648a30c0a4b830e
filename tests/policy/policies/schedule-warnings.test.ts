import { scheduleWarnings } from "../../../policy/policies/schedule-warnings";
import {
  TestStack,
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

describe("schedule-warnings", () => {
  it("passes the home stack: its schedules read as they run", () => {
    expect(check(home, scheduleWarnings)).toEqual([]);
  });

  it("advises on weekly, naming the job, its tier and what the engine says", () => {
    const stack = withJob(home, "backup-home-p2-weekly", (p) => (p.schedule = "weekly"));
    expect(check(stack, scheduleWarnings)).toEqual([
      {
        policy: "schedule-warnings",
        level: "advisory",
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p2-job",
        message:
          "job backup-home-p2-weekly (tier P2): schedule 'weekly': 'weekly' runs on Mondays at 00:00, not on the weekday the job was created.",
      },
    ]);
  });

  it("advises on a cluster job whose day does not exist in every month", () => {
    const stack = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "monthly-31", schedule: "*-*-31 01:00" })));
    expect(messages(check(stack, scheduleWarnings))).toEqual([
      expect.stringMatching(
        /^job monthly-31 \(on the cluster, not managed by this stack\): schedule '\*-\*-31 01:00': day 31 does not exist in every month/,
      ),
    ]);
  });

  it("shows the warning of a frequent tier's schedule; leaves what schedules-run stops to its message", () => {
    const minute22 = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "mon..fri 22"));
    expect(check(minute22, scheduleWarnings)).toEqual([]);
    const meant = change(minute22, (s) => (s.outputs.tiers[1].frequent = true));
    expect(messages(check(meant, scheduleWarnings))).toEqual([
      expect.stringMatching(/^job backup-home-p1-daily \(tier P1\): schedule 'mon..fri 22': .*minute 22 of every hour/),
    ]);
  });
});
