/**
 * A tier's runs as one iCalendar rule (RRULE), for report/ics.ts: when PVE's schedule says only times
 * of the day on some weekdays (CalendarEvent.timesOfDay) and the rule, read as a calendar app reads it,
 * gives exactly the schedule engine's runs.
 */
import { CalendarEvent, formatIsoTime, tryParseCalendarEvent, zonedTimeToDate } from "../tiers/calendar";

const RRULE_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/**
 * The RRULE of a tier's runs (from the first to `until`), when the schedule has an iCalendar
 * equivalent (times of the day on some weekdays, CalendarEvent.timesOfDay) and the rule, read in
 * `zone` as a calendar app reads it, gives exactly the engine's runs; else undefined, and the runs
 * are written one event each. The comparison catches what a rule cannot say: a run the engine makes
 * twice in a repeated hour, a VTIMEZONE that is not the engine's zone (events written in UTC).
 */
export function recurrenceRule(schedule: string, runs: readonly Date[], zone: string, until: Date): string | undefined {
  const parsed = tryParseCalendarEvent(schedule);
  const times = parsed.ok ? parsed.event.timesOfDay() : undefined;
  if (!times || runs.length === 0) return undefined;
  const instances = ruleInstances(times, runs[0], until, zone);
  if (instances.length !== runs.length || instances.some((t, i) => t.getTime() !== runs[i].getTime())) {
    return undefined;
  }
  return [
    times.weekdays ? "FREQ=WEEKLY" : "FREQ=DAILY",
    `UNTIL=${until
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d{3}/, "")}`,
    ...(times.weekdays ? [`BYDAY=${times.weekdays.map((d) => RRULE_WEEKDAYS[d]).join(",")}`] : []),
    `BYHOUR=${times.hours.join(",")}`,
    `BYMINUTE=${times.minutes.join(",")}`,
    `BYSECOND=${times.seconds.join(",")}`,
  ].join(";");
}

/**
 * The instants of such a rule from `first` to `until`: each time of each matching day in `zone`.
 * A time a DST change skips moves forward by the gap and a repeated one is its first occurrence,
 * as RFC 5545 3.3.5 reads a local time (and zonedTimeToDate does).
 */
function ruleInstances(
  times: NonNullable<ReturnType<CalendarEvent["timesOfDay"]>>,
  first: Date,
  until: Date,
  zone: string,
): Date[] {
  const [year, month, day] = formatIsoTime(first, zone).slice(0, 10).split("-").map(Number);
  const days = Math.ceil((until.getTime() - first.getTime()) / 86_400_000) + 1;
  const instances: Date[] = [];
  for (let i = 0; i <= days; i++) {
    const date = new Date(Date.UTC(year, month - 1, day + i));
    if (times.weekdays && !times.weekdays.includes((date.getUTCDay() + 6) % 7)) continue;
    const civil = { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
    for (const hour of times.hours)
      for (const minute of times.minutes)
        for (const second of times.seconds) {
          const instant = zonedTimeToDate({ ...civil, hour, minute, second }, zone);
          if (instant >= first && instant <= until) instances.push(instant);
        }
  }
  return instances.sort((a, b) => a.getTime() - b.getTime());
}
