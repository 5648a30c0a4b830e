/**
 * The schedule engine over a whole cycle (tiers/calendar/cycle.ts through CalendarEvent): the
 * shortest interval between runs computed from the fields, held equal to the runs the engine's own
 * search lists; "hourly or more often"; whether a schedule matches any date; the reference cycle.
 */
import { CalendarEvent, HOUR_SECONDS, referenceCycle } from "../../../tiers/calendar";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

const parse = (expr: string) => CalendarEvent.parse(expr);

/** The shortest gap between consecutive runs the search lists in [from, until), in UTC. */
function listedMinGap(expr: string, from: string, until: string): number {
  const runs = parse(expr).runsBetween(new Date(from), new Date(until), "UTC", 1_000_000);
  let best = Infinity;
  for (let i = 1; i < runs.length; i++) best = Math.min(best, (runs[i].getTime() - runs[i - 1].getTime()) / 1000);
  return best;
}

describe("minInterval: the shortest time between two consecutive runs, from the fields", () => {
  test.each([
    ["*:*:*", 1],
    ["minutely", MINUTE],
    ["hourly", HOUR],
    ["mon..fri 22", HOUR], // minute 22 of every hour
    ["*:0/15", 15 * MINUTE],
    ["03:*", MINUTE],
    ["0/6:00", 6 * HOUR],
    ["0/2:00", 2 * HOUR],
    ["03:00", DAY],
    ["daily", DAY],
    ["sun 04:00", 7 * DAY],
    ["weekly", 7 * DAY],
    ["sat,mon 23:30", 2 * DAY],
    ["23,0:30", HOUR], // 23:30 and 00:30 of the next day
    ["*-*-1 02:00", 28 * DAY], // February 1st to March 1st
    ["fri *-*-13 03:00", 28 * DAY], // Friday 13 February and Friday 13 March, in common years
    ["*-02-29 00:00", 1461 * DAY], // leap years
    ["quarterly", 90 * DAY], // January 1st to April 1st in a common year
  ])("%s: %i seconds", (expr, seconds) => {
    expect(parse(expr).minInterval()).toBe(seconds);
  });

  test.each(["*-02-30", "*-04-31", "2020-01-01 03:00", "2030-06-15 12:00"])(
    "%s runs at most once: no interval",
    (expr) => {
      expect(parse(expr).minInterval()).toBeUndefined();
    },
  );

  test.each([
    ["03:00", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["0/6:00", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["mon,wed 23:30", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["sat,mon 23:30", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["23,0:30", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["0/2:15", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["mon..fri 22", "2026-01-05T00:00:00Z", "2026-01-26T00:00:00Z"],
    ["*:0,50:0,30", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"],
    ["*-*-1 02:00", "2024-01-01T00:00:00Z", "2054-01-01T00:00:00Z"],
    ["fri *-*-13 03:00", "2024-01-01T00:00:00Z", "2054-01-01T00:00:00Z"],
    ["*-*-1,15 0/12:00", "2024-01-01T00:00:00Z", "2054-01-01T00:00:00Z"],
    ["*-*-28..31 03:00", "2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z"],
    ["*-1,12-1,31 22:00", "2024-01-01T00:00:00Z", "2030-01-01T00:00:00Z"],
  ])("%s: equal to the closest two runs the search lists over a cycle", (expr, from, until) => {
    expect(parse(expr).minInterval()).toBe(listedMinGap(expr, from, until));
  });
});

describe("runsHourlyOrMoreOften: two runs an hour or less apart somewhere in the cycle", () => {
  test.each(["*:*:*", "minutely", "hourly", "mon..fri 22", "*:00", "03:*", "*:0/30", "23,0:30", "0/1:00"])(
    "%s does",
    (expr) => {
      expect(parse(expr).runsHourlyOrMoreOften()).toBe(true);
      expect(parse(expr).minInterval()).toBeLessThanOrEqual(HOUR_SECONDS);
    },
  );

  test.each(["03:00", "0/2:00", "0/6:00", "sun 04:00", "weekly", "*-*-1 02:00", "*-02-30", "2020-01-01 03:00"])(
    "%s does not",
    (expr) => {
      expect(parse(expr).runsHourlyOrMoreOften()).toBe(false);
    },
  );
});

describe("matchesAnyDate", () => {
  test.each([
    ["*-02-30", false],
    ["*-04-31", false],
    ["mon *-02-30", false],
    ["2020-01-01 03:00", true], // in the past, but a date
    ["fri *-02-29", true], // e.g. 2036
    ["03:00", true],
  ])("%s: %s", (expr, expected) => {
    expect(parse(expr).matchesAnyDate()).toBe(expected);
  });
});

describe("the reference cycle: the same runs whatever day it is", () => {
  test("a week from Monday 2024-01-01, a year of 2024, on the zone's wall clock", () => {
    const week = referenceCycle("week", "America/New_York");
    expect([week.from.toISOString(), week.until.toISOString()]).toEqual([
      "2024-01-01T05:00:00.000Z",
      "2024-01-08T05:00:00.000Z",
    ]);
    const year = referenceCycle("year", "UTC");
    expect([year.from.toISOString(), year.until.toISOString()]).toEqual([
      "2024-01-01T00:00:00.000Z",
      "2025-01-01T00:00:00.000Z",
    ]);
  });

  test("weekday schedules cycle over a week, schedules with dates over a year", () => {
    expect(["03:00", "sun 04:00", "weekly", "mon..fri 22", "*-*-* 03:00"].map((e) => parse(e).cycle)).toEqual([
      "week",
      "week",
      "week",
      "week",
      "week",
    ]);
    expect(["*-*-1 02:00", "monthly", "fri *-*-13", "2027-01-01 03:00"].map((e) => parse(e).cycle)).toEqual([
      "year",
      "year",
      "year",
      "year",
    ]);
  });

  test("runs within the cycle, DST included, years set aside", () => {
    const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
    expect(iso(parse("sun 04:00").runsInReferenceCycle("week", "America/New_York"))).toEqual([
      "2024-01-07T09:00:00.000Z",
    ]);
    const daily = parse("03:00").runsInReferenceCycle("year", "America/New_York");
    expect(daily).toHaveLength(366);
    expect(iso([daily[0], daily[182], daily[365]])).toEqual([
      "2024-01-01T08:00:00.000Z",
      "2024-07-01T07:00:00.000Z", // EDT
      "2024-12-31T08:00:00.000Z",
    ]);
    // A schedule ending in UTC runs on UTC's clock within the zone's window.
    expect(iso(parse("03:00 UTC").runsInReferenceCycle("week", "America/New_York"))).toEqual(
      ["02", "03", "04", "05", "06", "07", "08"].map((d) => `2024-01-${d}T03:00:00.000Z`),
    );
    expect(iso(parse("2030-06-01 03:00").runsInReferenceCycle("year"))).toEqual(["2024-06-01T03:00:00.000Z"]);
    // With an overlap, the first moments of the next cycle as well.
    expect(iso(parse("mon 00:02").runsInReferenceCycle("week", "UTC", { overlapMs: 10 * 60_000 }))).toEqual([
      "2024-01-01T00:02:00.000Z",
      "2024-01-08T00:02:00.000Z",
    ]);
  });

  test("does not depend on the clock", () => {
    jest.useFakeTimers({ now: new Date("2031-05-17T12:00:00Z") });
    try {
      expect(
        parse("sun 04:00")
          .runsInReferenceCycle("week", "UTC")
          .map((d) => d.toISOString()),
      ).toEqual(["2024-01-07T04:00:00.000Z"]);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe("minInterval and runsHourlyOrMoreOften on schedules written by hand", () => {
  test.each([
    // [schedule, shortest interval in seconds, hourly or more often]
    ["*:*:*", 1, true],
    ["*-*-* *:*:0/20", 20, true],
    ["12:00:00,30", 30, true],
    ["minutely", MINUTE, true],
    ["*:0/15", 15 * MINUTE, true],
    ["hourly", HOUR, true],
    ["mon..fri 22", HOUR, true], // minute 22 of every hour
    ["mon..fri 08..18:00", HOUR, true],
    ["0,23:00", HOUR, true], // 23:00, then 00:00 the next day
    ["sun *:00", HOUR, true], // hourly on Sundays only
    ["0/2:00", 2 * HOUR, false],
    ["0/6:00", 6 * HOUR, false],
    ["mon 0,23:00", 23 * HOUR, false], // Monday 00:00 to 23:00; then six days and an hour
    ["daily", DAY, false],
    ["03:00", DAY, false],
    ["sat,sun 23:30", DAY, false],
    ["sun 04:00", 7 * DAY, false],
    ["weekly", 7 * DAY, false],
    ["*-*-1 02:00", 28 * DAY, false], // February 1 to March 1 in a common year
    ["fri *-*-13 01:00", 28 * DAY, false], // February and March 13 are both Fridays in common years starting on Thursday
    ["*-02-29 00:00", 1461 * DAY, false], // leap years
    ["2026/2-01-01", 730 * DAY, false],
  ])("%s: %d s apart at the least; hourly or more often: %s", (schedule, seconds, hourly) => {
    const event = CalendarEvent.parse(schedule);
    expect(event.minInterval()).toBe(seconds);
    expect(event.runsHourlyOrMoreOften()).toBe(hourly);
  });

  test.each(["*-02-30", "*-04-31 03:00", "2026-01-01 03:00", "2020-02-29 03:00 UTC"])(
    "%s fires at most once: no interval, not frequent",
    (schedule) => {
      const event = CalendarEvent.parse(schedule);
      expect(event.minInterval()).toBeUndefined();
      expect(event.runsHourlyOrMoreOften()).toBe(false);
    },
  );
});
