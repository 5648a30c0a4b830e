import { schedulesRecur } from "../../../policy/policies/schedules-recur";
import { TestStack, check, clusterJob, homeStack, messages, withCluster, withJob } from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const P1 = "backup-home-p1-daily";
const withSchedule = (schedule: string) => withJob(home, P1, (p) => (p.schedule = schedule));

describe("schedules-recur (issue 19: schedules that stop firing in the future)", () => {
  it("passes the home stack, and a year that repeats without end", () => {
    expect(check(home, schedulesRecur)).toEqual([]);
    expect(check(withSchedule("2026/1-*-* 03:15"), schedulesRecur)).toEqual([]);
  });

  it.each(["2199-*-* 03:00", "2026..2199-*-* 03:00", "2199-01-01 03:00"])(
    "stops %j: it runs now, and has a last run",
    (schedule) => {
      const violations = check(withSchedule(schedule), schedulesRecur);
      expect(violations).toEqual([
        expect.objectContaining({
          policy: "schedules-recur",
          level: "mandatory",
          urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p1-job",
        }),
      ]);
      expect(violations[0].message).toBe(
        `job backup-home-p1-daily (tier P1): schedule '${schedule}' has a last run: its year field ends, so after that day PVE never starts the job again and its guests get no more backups, with no error anywhere. Write a schedule without a year, e.g. '03:00' or 'sun 04:00'.`,
      );
    },
  );

  it("leaves a schedule whose last run is past to schedules-run, and hand-made cluster jobs alone", () => {
    expect(check(withSchedule("2020-01-01 03:00"), schedulesRecur)).toEqual([]);
    const stack = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "one-off", schedule: "2199-06-01 02:00" })));
    expect(messages(check(stack, schedulesRecur))).toEqual([]);
  });
});
