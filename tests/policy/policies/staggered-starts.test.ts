import { staggeredStarts, weekOfRuns } from "../../../policy/policies/staggered-starts";
import { CalendarEvent } from "../../../tiers/calendar";
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
} from "../helpers";

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

  it("computes a week of runs with the schedule engine, in batches", () => {
    const from = new Date("2026-01-01T00:00:00Z");
    const until = new Date(from.getTime() + 7 * 24 * 3600 * 1000);
    const iso = (runs: Date[]) => runs.map((d) => d.toISOString().slice(0, 16));
    expect(iso(weekOfRuns(CalendarEvent.parse("03:00"), from, until, "UTC"))).toEqual(
      ["01", "02", "03", "04", "05", "06", "07"].map((d) => `2026-01-${d}T03:00`),
    );
    const quarterHours = iso(weekOfRuns(CalendarEvent.parse("*:0/15"), from, until, "UTC"));
    expect(quarterHours.slice(0, 2)).toEqual(["2026-01-01T00:15", "2026-01-01T00:30"]);
    expect(quarterHours.slice(-1)).toEqual(["2026-01-08T00:00"]);
    expect(
      weekOfRuns(CalendarEvent.parse("sun 04:00"), from, until, "America/New_York").map((d) => d.toISOString()),
    ).toEqual(["2026-01-04T09:00:00.000Z"]);
  });
});
