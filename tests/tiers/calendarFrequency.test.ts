/**
 * How often a schedule fires, from the engine (tiers/calendar.ts): whether it fires at all after a
 * time, its shortest interval, and whether it runs hourly or more often (what a tier must declare
 * with `frequent: true`).
 */
import { CalendarEvent, firesAfter, minimumInterval, runsHourlyOrMoreOften } from "../../tiers/calendar";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86400;

describe("minimumInterval and runsHourlyOrMoreOften", () => {
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
    expect(minimumInterval(event)).toBe(seconds);
    expect(runsHourlyOrMoreOften(event)).toBe(hourly);
  });

  test.each(["*-02-30", "*-04-31 03:00", "2026-01-01 03:00", "2020-02-29 03:00 UTC"])(
    "%s fires at most once: no interval, not frequent",
    (schedule) => {
      const event = CalendarEvent.parse(schedule);
      expect(minimumInterval(event)).toBeUndefined();
      expect(runsHourlyOrMoreOften(event)).toBe(false);
    },
  );
});

describe("firesAfter", () => {
  const jan2026 = new Date("2026-01-01T00:00:00Z");

  test.each([
    ["03:00", true],
    ["*-02-29 03:00", true], // 2028
    ["2026-06-01 03:00", true],
    ["2025-06-01 03:00", false], // a past date
    ["*-02-30", false], // never
    ["2026-01-01 00:00 UTC", false], // exactly at `after`: runs are strictly after it
  ])("%s after 2026-01-01T00:00Z: %s", (schedule, fires) => {
    expect(firesAfter(CalendarEvent.parse(schedule), jan2026, "America/New_York")).toBe(fires);
  });

  test("in the node's time zone: 2026-01-01 03:00 has not yet happened in New York at 07:00 UTC", () => {
    const event = CalendarEvent.parse("2026-01-01 03:00");
    const at = new Date("2026-01-01T07:00:00Z");
    expect(firesAfter(event, at, "UTC")).toBe(false);
    expect(firesAfter(event, at, "America/New_York")).toBe(true);
  });
});
