import { staggeredStarts } from "../../../policy/policies/staggered-starts";
import {
  TestStack,
  UNKNOWN_VALUE,
  change,
  check,
  clusterJob,
  homeStack,
  jobProps,
  messages,
  withCluster,
  withJob,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("staggered-starts", () => {
  it("passes the home stack: 03:00, 03:15 and Sunday 04:00 are at least 10 minutes apart", () => {
    expect(check(home, staggeredStarts)).toEqual([]);
  });

  it("advises when two jobs on one storage start within 10 minutes, naming both and the storage", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "03:05"));
    const violations = check(stack, staggeredStarts);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ policy: "staggered-starts", level: "advisory" });
    expect(violations[0].message).toMatch(
      /^jobs backup-home-p0-daily and backup-home-p1-daily both write to storage synology-backups and start 5 minutes apart \(backup-home-p0-daily at \w{3} 03:00, backup-home-p1-daily at \w{3} 03:05, America\/New_York\)/,
    );
  });

  it("evaluates schedules on the nodes' wall clock (outputs.timezone), with PVE's calendar rules", () => {
    // "sun 04:00" against a daily 03:55 job: 5 minutes apart on Sundays only.
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "03:55"));
    expect(messages(check(stack, staggeredStarts))).toEqual([
      expect.stringMatching(/backup-home-p1-daily at Sun 03:55, backup-home-p2-weekly at Sun 04:00, America\/New_York/),
    ]);
  });

  it("takes the minimum gap from the policy config", () => {
    expect(messages(check(home, staggeredStarts, { "staggered-starts": { minutes: 20 } }))).toEqual([
      expect.stringMatching(/^jobs backup-home-p0-daily and backup-home-p1-daily .* start 15 minutes apart/),
    ]);
    const same = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "03:00"));
    expect(check(same, staggeredStarts, { "staggered-starts": { minutes: 0 } })).toEqual([]);
  });

  it("compares only jobs on the same storage, including jobs the stack does not manage", () => {
    const other = withJob(home, "backup-home-p1-daily", (p) => {
      p.schedule = "03:00";
      p.storage = "local";
    });
    expect(check(other, staggeredStarts)).toEqual([]);
    const stray = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "stray", schedule: "*-*-* 03:02" })));
    expect(messages(check(stray, staggeredStarts))).toEqual([
      expect.stringMatching(/^jobs backup-home-p0-daily and stray .* start 2 minutes apart/),
    ]);
  });

  it("ignores disabled jobs", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => {
      p.schedule = "03:00";
      p.enabled = false;
    });
    expect(check(stack, staggeredStarts)).toEqual([]);
  });

  it("skips schedules, storages or a time zone unknown during preview", () => {
    expect(
      check(
        withJob(home, "backup-home-p1-daily", (p) => (p.schedule = UNKNOWN_VALUE)),
        staggeredStarts,
      ),
    ).toEqual([]);
    expect(
      check(
        withJob(home, "backup-home-p1-daily", (p) => ((p.schedule = "03:00"), (p.storage = UNKNOWN_VALUE))),
        staggeredStarts,
      ),
    ).toEqual([]);
    const zone = change(
      withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "03:00")),
      (s) => ((s.outputs as unknown as Record<string, unknown>).timezone = UNKNOWN_VALUE),
    );
    expect(check(zone, staggeredStarts)).toEqual([]);
  });

  it("gives the same verdict whatever day it runs: one whole cycle, not the next week from now", () => {
    // The 1st of the month at 03:05 next to a daily 03:00: within 5 minutes once a month.
    const monthly = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "*-*-1 03:05"));
    const verdicts = [
      "2026-01-01T12:00:00Z",
      "2026-01-10T12:00:00Z",
      "2026-03-08T07:00:00Z",
      "2031-06-30T23:59:00Z",
    ].map((now) => {
      jest.useFakeTimers({ now: new Date(now) });
      try {
        return messages(check(monthly, staggeredStarts));
      } finally {
        jest.useRealTimers();
      }
    });
    expect(verdicts[0]).toEqual([
      expect.stringMatching(
        /^jobs backup-home-p0-daily and backup-home-p1-daily .* start 5 minutes apart \(backup-home-p0-daily at Mon, Jan 1, 03:00, backup-home-p1-daily at Mon, Jan 1, 03:05, America\/New_York\)/,
      ),
    ]);
    for (const v of verdicts) expect(v).toEqual(verdicts[0]);
  });

  it("compares starts on either side of the cycle's end: Sunday 23:55 and Monday 00:02", () => {
    const stack = change(
      withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "mon 00:02")),
      (s) => (jobProps(s, "backup-home-p2-weekly").schedule = "sun 23:55"),
    );
    expect(messages(check(stack, staggeredStarts))).toEqual([
      expect.stringContaining(
        "start 7 minutes apart (backup-home-p2-weekly at Sun 23:55, backup-home-p1-daily at Mon 00:02, America/New_York)",
      ),
    ]);
  });

  it("leaves schedules that run hourly or more often to schedules-run instead of expanding them", () => {
    const minutely = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "minutely"));
    expect(check(minutely, staggeredStarts)).toEqual([]);
    const never = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "*-02-30"));
    expect(check(never, staggeredStarts)).toEqual([]);
  });

  it("reports starts that follow one another closely as one group of jobs", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(clusterJob({ id: "stray-a", schedule: "03:06" }), clusterJob({ id: "stray-b", schedule: "03:12" })),
    );
    expect(messages(check(stack, staggeredStarts))).toEqual([
      "jobs backup-home-p0-daily, stray-a, stray-b and backup-home-p1-daily all write to storage synology-backups and start less than 10 minutes after one another " +
        "(backup-home-p0-daily at Mon 03:00, stray-a at Mon 03:06, stray-b at Mon 03:12, backup-home-p1-daily at Mon 03:15, America/New_York); stagger them by at least 10 minutes.",
    ]);
  });

  it("compares a schedule in UTC with the nodes' wall clock over a year, DST included", () => {
    // 08:00 UTC is 03:00 in New York in winter (with P0), 04:00 in summer (with P2 on Sundays).
    const winter = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "08:00 UTC"));
    expect(messages(check(winter, staggeredStarts))).toEqual([
      expect.stringContaining(
        "start at the same minute (backup-home-p0-daily at Mon, Jan 1, 03:00, backup-home-p1-daily at Mon, Jan 1, 03:00",
      ),
      expect.stringContaining(
        "start at the same minute (backup-home-p1-daily at Sun, Mar 10, 04:00, backup-home-p2-weekly at Sun, Mar 10, 04:00",
      ),
    ]);
    // 07:00 UTC is 02:00 in winter, 03:00 from the day DST starts.
    const summer = withJob(home, "backup-home-p1-daily", (p) => (p.schedule = "07:00 UTC"));
    expect(messages(check(summer, staggeredStarts))).toEqual([
      expect.stringContaining(
        "start at the same minute (backup-home-p0-daily at Sun, Mar 10, 03:00, backup-home-p1-daily at Sun, Mar 10, 03:00",
      ),
    ]);
  });
});
