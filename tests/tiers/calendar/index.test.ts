import * as fs from "fs";
import * as path from "path";
import {
  CalendarEvent,
  CalendarEventError,
  formatIsoTime,
  isValidTimeZone,
  tryParseCalendarEvent,
  zonedTimeToDate,
} from "../../../tiers/calendar";

interface Vector {
  schedule: string;
  from: number;
  valid: boolean;
  next?: number[];
  error?: string;
}

const vectors: Vector[] = fs
  .readFileSync(path.join(__dirname, "../../fixtures/pve-calendar-vectors.jsonl"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => JSON.parse(line) as Vector);

const iso = (d: Date | undefined): string | undefined => (d ? formatIsoTime(d) : undefined);
const runs = (expr: string, from: string, n: number, tz?: string): string[] =>
  CalendarEvent.parse(expr)
    .nextRuns(new Date(from), n, tz)
    .map((d) => formatIsoTime(d, tz));

describe("PVE vectors (tests/fixtures/pve-calendar-vectors.jsonl)", () => {
  test("the fixture holds PVE's verdicts on the home site's schedules: sun 04:00 runs on Sundays, daily 03:00 is refused", () => {
    const from = Date.parse("2026-01-01T00:00:00Z") / 1000;
    expect(vectors).toContainEqual({
      schedule: "sun 04:00",
      from,
      valid: true,
      next: ["2026-01-04", "2026-01-11", "2026-01-18", "2026-01-25", "2026-02-01"].map(
        (day) => Date.parse(`${day}T04:00:00Z`) / 1000,
      ),
    });
    expect(vectors).toContainEqual(expect.objectContaining({ schedule: "daily 03:00", from, valid: false }));
  });

  test.each(vectors.map((v, i) => [i + 1, v.schedule, v.from, v] as const))(
    "line %i: %j from %i",
    (_line, _schedule, _from, v) => {
      const parsed = tryParseCalendarEvent(v.schedule);
      expect(parsed.ok).toBe(v.valid);
      if (!parsed.ok) {
        expect(parsed.error).toMatch(/unable to parse calendar event/);
        return;
      }
      const next = parsed.event.nextRuns(new Date(v.from * 1000), 5).map((d) => d.getTime() / 1000);
      expect(next).toEqual(v.next);
    },
  );
});

describe("proxmox-time's own unit tests (evaluated with a UTC suffix)", () => {
  const MIN = 60;
  const HOUR = 3600;
  const DAY = 86400;
  const THU = 0; // 1970-01-01 00:00 was a Thursday
  const JUL_31_2020 = 1596153600;
  const DEC_31_2020 = 1609372800;
  const cases: Array<[string, number, number]> = [
    ["0", THU, THU + HOUR],
    ["*", THU, THU + MIN],
    ["*:*:*", THU, THU + 1],
    ["*:3:5", THU, THU + 3 * MIN + 5],
    ["mon 2:50", THU, THU + 4 * DAY + 2 * HOUR + 50 * MIN],
    ["4..10/2:0", THU + 5 * HOUR, THU + 6 * HOUR],
    ["4..10/2:0", THU + 11 * HOUR, THU + DAY + 4 * HOUR],
    ["10,5:8,4", THU, THU + 5 * HOUR + 4 * MIN],
    ["4..10,6:5/5,23", THU, THU + 4 * HOUR + 5 * MIN],
    ["sun", JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ["thu", DEC_31_2020, DEC_31_2020 + 7 * DAY],
    ["2020-07-31", 0, JUL_31_2020],
    ["02-29", 0, 2 * 365 * DAY + (31 + 28) * DAY],
    ["1965/5-01-01", -1, THU],
    ["2020-7..9-2/2", JUL_31_2020, JUL_31_2020 + 2 * DAY],
    ["2020,2021-12-31", JUL_31_2020, DEC_31_2020],
    ["weekly", THU, THU + 4 * DAY],
    ["quarterly", 0, (31 + 28 + 31) * DAY],
    ["semi-annually", 0, (31 + 28 + 31 + 30 + 31 + 30) * DAY],
    ["annually", 0, 365 * DAY],
  ];
  test.each(cases)("%j after %i", (expr, last, expected) => {
    const next = CalendarEvent.parse(`${expr} UTC`).next(new Date(last * 1000));
    expect(next?.getTime()).toBe(expected * 1000);
  });

  test.each(["2021-02-29", "02-30"])("%j never fires", (expr) => {
    expect(CalendarEvent.parse(`${expr} UTC`).next(new Date(0))).toBeUndefined();
  });
});

describe("parsing", () => {
  test("invalid schedules throw CalendarEventError saying what and where", () => {
    expect(() => CalendarEvent.parse("daily 03:00")).toThrow(CalendarEventError);
    try {
      CalendarEvent.parse("mon..fri 02:30 PST");
      throw new Error("expected a CalendarEventError");
    } catch (err) {
      expect(err).toBeInstanceOf(CalendarEventError);
      const e = err as CalendarEventError;
      expect(e.position).toBe(14);
      expect(e.message).toContain("' PST'");
      expect(e.expression).toBe("mon..fri 02:30 PST");
    }
    expect(tryParseCalendarEvent("daily 03:00")).toEqual({
      ok: false,
      error: expect.stringMatching(/'daily' is a keyword/),
    });
    expect(tryParseCalendarEvent("mon-fri 02:30")).toEqual({ ok: false, error: expect.stringMatching(/mon\.\.fri/) });
  });

  test("keywords are whole-string and lower case; weekdays are case-insensitive", () => {
    expect(tryParseCalendarEvent("daily").ok).toBe(true);
    expect(tryParseCalendarEvent("Daily").ok).toBe(false);
    expect(tryParseCalendarEvent("MONDAY..Fri 01:00").ok).toBe(true);
    // object-literal lookups would have accepted these
    expect(tryParseCalendarEvent("constructor 1").ok).toBe(false);
    expect(tryParseCalendarEvent("toString").ok).toBe(false);
  });

  test("trailing UTC sets utc and is case-sensitive", () => {
    expect(CalendarEvent.parse("sun 04:00 UTC").utc).toBe(true);
    expect(CalendarEvent.parse("04:00UTC").utc).toBe(true);
    expect(CalendarEvent.parse("daily UTC").utc).toBe(true);
    expect(CalendarEvent.parse("sun 04:00").utc).toBe(false);
    expect(tryParseCalendarEvent("sun 04:00 utc").ok).toBe(false);
    expect(tryParseCalendarEvent("UTC").ok).toBe(false);
    expect(CalendarEvent.parse("sun 04:00 UTC").expression).toBe("sun 04:00 UTC");
  });
});

describe("warnings", () => {
  test("a lone number is a minute", () => {
    const w = CalendarEvent.parse("mon..fri 22").warnings;
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("runs at minute 22 of every hour, not at 22:00");
  });

  test("25:00 is minute 25", () => {
    const w = CalendarEvent.parse("25:00").warnings;
    expect(w).toHaveLength(1);
    expect(w[0]).toContain("minute 25 of every hour");
  });

  test("weekly is Monday 00:00", () => {
    expect(CalendarEvent.parse("weekly").warnings.join(" ")).toMatch(/Monday.*00:00/);
  });

  test("other surprising cases", () => {
    expect(CalendarEvent.parse("*-*-31 01:00").warnings.join(" ")).toMatch(/day 31 does not exist in every month/);
    expect(CalendarEvent.parse("*-02-29 00:00").warnings.join(" ")).toMatch(/leap years/);
    expect(CalendarEvent.parse("02-30").warnings.join(" ")).toMatch(/never runs/);
    expect(CalendarEvent.parse("fri *-*-13").warnings.join(" ")).toMatch(/both match/);
    expect(CalendarEvent.parse("03:*").warnings.join(" ")).toMatch(/every minute/);
  });

  test.each([
    "sun 04:00",
    "03:00",
    "*/15",
    "*:0/30",
    "0/6:00",
    "mon..fri 02:30",
    "daily",
    "12,14,16:00",
    "2026-06-15 12:00",
  ])("no warning for plain %j", (expr) => {
    expect(CalendarEvent.parse(expr).warnings).toEqual([]);
  });
});

describe("time zones", () => {
  test("sun 04:00 follows the node's wall clock across DST", () => {
    expect(iso(CalendarEvent.parse("sun 04:00").next(new Date("2026-01-01T00:00:00Z"), "America/New_York"))).toBe(
      "2026-01-04T09:00:00Z",
    );
    expect(iso(CalendarEvent.parse("sun 04:00").next(new Date("2026-07-01T00:00:00Z"), "America/New_York"))).toBe(
      "2026-07-05T08:00:00Z",
    );
    expect(runs("sun 04:00", "2026-01-01T00:00:00Z", 1, "America/New_York")).toEqual(["2026-01-04T04:00:00-05:00"]);
  });

  test("a UTC suffix ignores the node's zone", () => {
    expect(iso(CalendarEvent.parse("sun 04:00 UTC").next(new Date("2026-07-01T00:00:00Z"), "America/New_York"))).toBe(
      "2026-07-05T04:00:00Z",
    );
  });

  test("default zone is UTC", () => {
    expect(iso(CalendarEvent.parse("sun 04:00").next(new Date("2026-01-01T00:00:00Z")))).toBe("2026-01-04T04:00:00Z");
  });

  test("spring forward: a time in the gap is skipped that day (as mktime-based proxmox-time does), no crash", () => {
    expect(runs("02:30", "2026-03-07T00:00:00-05:00", 3, "America/New_York")).toEqual([
      "2026-03-07T02:30:00-05:00",
      "2026-03-09T02:30:00-04:00",
      "2026-03-10T02:30:00-04:00",
    ]);
    expect(runs("*/15", "2026-03-08T01:30:00-05:00", 3, "America/New_York")).toEqual([
      "2026-03-08T01:45:00-05:00",
      "2026-03-08T03:00:00-04:00",
      "2026-03-08T03:15:00-04:00",
    ]);
  });

  test("fall back: a repeated wall time runs once, at its first occurrence", () => {
    expect(runs("01:30", "2026-10-31T12:00:00-04:00", 2, "America/New_York")).toEqual([
      "2026-11-01T01:30:00-04:00",
      "2026-11-02T01:30:00-05:00",
    ]);
  });

  test.each([
    ["America/New_York", "2026-03-01T00:00:00Z"],
    ["America/New_York", "2026-10-25T00:00:00Z"],
    ["Europe/Berlin", "2026-03-25T00:00:00Z"],
    ["Europe/Berlin", "2026-10-21T00:00:00Z"],
    ["Australia/Lord_Howe", "2026-04-01T00:00:00Z"], // 30-minute DST shift
    ["Australia/Lord_Howe", "2026-10-01T00:00:00Z"],
    ["Asia/Kolkata", "2026-01-01T00:00:00Z"],
  ])("runs stay strictly increasing across DST in %s from %s", (zone, from) => {
    for (const expr of [
      "*/15",
      "*:*:0/20",
      "01:30",
      "02:00",
      "02:30",
      "0/1:30",
      "daily",
      "mon..fri 02:30",
      "sun 01..03:*",
    ]) {
      const list = CalendarEvent.parse(expr).runsBetween(
        new Date(from),
        new Date(Date.parse(from) + 14 * 86400_000),
        zone,
      );
      expect(list.length).toBeGreaterThan(0);
      expect(list[0].getTime()).toBeGreaterThan(Date.parse(from));
      const backwards = list
        .filter((d, i) => i > 0 && d.getTime() <= list[i - 1].getTime())
        .map((d) => `${expr}: ${d.toISOString()}`);
      expect(backwards).toEqual([]);
    }
  });

  test("unknown zones are rejected clearly", () => {
    expect(() => CalendarEvent.parse("03:00").next(new Date(), "Mars/Olympus_Mons")).toThrow(
      /unknown time zone 'Mars\/Olympus_Mons'/,
    );
    expect(() => CalendarEvent.parse("03:00 UTC").next(new Date(), "Nope")).toThrow(RangeError);
    expect(isValidTimeZone("Europe/Vienna")).toBe(true);
    expect(isValidTimeZone("")).toBe(false);
    expect(isValidTimeZone("Mars/Olympus_Mons")).toBe(false);
  });

  test("formatIsoTime and zonedTimeToDate", () => {
    const d = new Date("2026-01-04T09:00:00.123Z");
    expect(formatIsoTime(d)).toBe("2026-01-04T09:00:00Z");
    expect(formatIsoTime(d, "America/New_York")).toBe("2026-01-04T04:00:00-05:00");
    expect(formatIsoTime(d, "Asia/Kolkata")).toBe("2026-01-04T14:30:00+05:30");
    expect(zonedTimeToDate({ year: 2026, month: 7, day: 1 }, "America/New_York").toISOString()).toBe(
      "2026-07-01T04:00:00.000Z",
    );
    // gap: 02:30 does not exist on 2026-03-08 in New York -> moved forward to 03:30 EDT
    expect(
      zonedTimeToDate({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, "America/New_York").toISOString(),
    ).toBe("2026-03-08T07:30:00.000Z");
    // overlap: 01:30 on 2026-11-01 happens twice -> first occurrence (EDT)
    expect(
      zonedTimeToDate({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, "America/New_York").toISOString(),
    ).toBe("2026-11-01T05:30:00.000Z");
  });
});

// How fast these are is npm run bench's to say (bench/calendar.bench.ts), not a test's.
describe("never-firing events", () => {
  test("a past year never runs again; a date this year runs once", () => {
    expect(CalendarEvent.parse("2020-01-01 00:00").next(new Date("2026-01-01T00:00:00Z"))).toBeUndefined();
    expect(runs("2026-06-15 12:00", "2026-01-01T00:00:00Z", 5)).toEqual(["2026-06-15T12:00:00Z"]);
  });

  test("an impossible date gives up (within proxmox-time's step limit) instead of looping", () => {
    expect(CalendarEvent.parse("*-04-31").next(new Date("2026-01-01T00:00:00Z"), "Europe/Vienna")).toBeUndefined();
    expect(CalendarEvent.parse("02-30").nextRuns(new Date("2026-01-01T00:00:00Z"), 5)).toEqual([]);
  });

  test("a week of runs across the spring DST change, in Vienna", () => {
    const week = (expr: string) =>
      CalendarEvent.parse(expr)
        .runsBetween(new Date("2026-03-23T00:00:00Z"), new Date("2026-03-30T00:00:00Z"), "Europe/Vienna")
        .map((d) => formatIsoTime(d, "Europe/Vienna"));
    expect(week("sun 04:00")).toEqual(["2026-03-29T04:00:00+02:00"]);
    // 02:30 does not exist on 2026-03-29 in Vienna: that day's run is skipped, as on a PVE node.
    expect(week("02:30")).toEqual(["23", "24", "25", "26", "27", "28"].map((d) => `2026-03-${d}T02:30:00+01:00`));
    const quarterHours = week("*/15");
    expect(quarterHours.slice(0, 2)).toEqual(["2026-03-23T01:15:00+01:00", "2026-03-23T01:30:00+01:00"]);
    expect(quarterHours.slice(-1)).toEqual(["2026-03-30T02:00:00+02:00"]);
    // The clock jumps from 02:00 to 03:00: the quarter hours in between do not exist.
    const jump = quarterHours.indexOf("2026-03-29T01:45:00+01:00");
    expect(quarterHours.slice(jump, jump + 2)).toEqual(["2026-03-29T01:45:00+01:00", "2026-03-29T03:00:00+02:00"]);
  });

  test("nextRuns returns consecutive runs strictly after the start", () => {
    expect(runs("sun 04:00", "2026-01-04T04:00:00Z", 2)).toEqual(["2026-01-11T04:00:00Z", "2026-01-18T04:00:00Z"]);
    expect(runs("sun 04:00", "2026-01-04T03:59:59.999Z", 1)).toEqual(["2026-01-04T04:00:00Z"]);
  });
});

describe("previous: the last run strictly before a time, the forward search's own answer", () => {
  const prev = (expr: string, before: string, tz = "UTC") =>
    iso(CalendarEvent.parse(expr).previous(new Date(before), tz));

  test("daily, weekly, the same second excluded", () => {
    expect(prev("03:00", "2026-02-12T09:00:00Z", "America/New_York")).toBe("2026-02-12T08:00:00Z");
    expect(prev("03:00", "2026-02-12T08:00:00Z", "America/New_York")).toBe("2026-02-11T08:00:00Z");
    expect(prev("sun 04:00", "2026-02-12T09:00:00Z", "America/New_York")).toBe("2026-02-08T09:00:00Z");
    expect(prev("*:*:*", "2026-02-12T09:00:00Z")).toBe("2026-02-12T08:59:59Z");
    expect(prev("*-12-25 00:00", "2026-02-12T09:00:00Z")).toBe("2025-12-25T00:00:00Z");
  });

  test("across DST, on the node's wall clock: 03:00 New York is 07:00Z on the day clocks spring forward", () => {
    expect(prev("03:00", "2026-03-08T12:00:00Z", "America/New_York")).toBe("2026-03-08T07:00:00Z");
    expect(prev("03:00", "2026-03-08T07:00:00Z", "America/New_York")).toBe("2026-03-07T08:00:00Z");
  });

  test("agrees with next over a year of a busy schedule", () => {
    const event = CalendarEvent.parse("mon..fri 02,14:30");
    const from = new Date("2026-01-01T00:00:00Z");
    const forward = event.runsBetween(from, new Date("2027-01-01T00:00:00Z"), "Europe/Berlin");
    for (let i = 1; i < forward.length; i += 37) {
      expect(event.previous(forward[i], "Europe/Berlin")).toEqual(forward[i - 1]);
    }
  });

  test("none before a schedule's only date", () => {
    expect(CalendarEvent.parse("2030-01-01 00:00").previous(new Date("2026-02-12T09:00:00Z"))).toBeUndefined();
  });
});
