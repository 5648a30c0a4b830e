/**
 * Proxmox VE calendar events: the one schedule engine of this project, and its public face. The
 * engine's parts: parser.ts (the grammar), search.ts (the next-run search),
 * zone.ts (wall clocks and time zones), warnings.ts (valid but surprising schedules),
 * cycle.ts (a whole cycle at once: the shortest interval between runs, the reference week/year).
 *
 * PVE validates and runs backup-job schedules with the Rust crate proxmox-time
 * (`CalendarEvent`, a systemd.time look-alike). This module re-implements that
 * grammar and its next-run search so that the Pulumi program, the policy pack
 * and the commands all agree with what a PVE node will accept and do. The
 * ground truth is tests/fixtures/pve-calendar-vectors.jsonl (output of PVE's
 * own parser); the parser below deliberately mirrors proxmox-time's nom parser
 * step by step (including its backtracking), because PVE's quirks - `22` is a
 * minute, `25:00` is minute 25 - come from exactly that structure.
 *
 * Grammar (after an optional trailing `UTC`):
 *   keyword                      daily weekly monthly yearly annually quarterly
 *                                semiannually semi-annually hourly minutely
 *                                (whole string, lower case)
 *   [weekdays] [date] [time]     at least one of the three parts
 *   weekdays  = range{,range}    range = day[..day], day = mon|monday|... (any case)
 *   date      = [Y-]M-D          each component a list (below); Y < 2200
 *   time      = [H:]M[:S]        each component a list; a lone number is a MINUTE
 *   list      = * | * /N | item{,item}
 *   item      = v | v/N | a..b | a..b/N
 *
 * Time zones and DST. A node evaluates a schedule on its local wall clock
 * (unless it ends in `UTC`); proxmox-time does that with libc's localtime()
 * and mktime(tm_isdst = -1), editing broken-down fields and re-normalizing
 * after every edit. We reproduce that with Intl-derived offsets, which gives:
 *  - spring forward: a wall time inside the gap is normalized past it (02:30
 *    becomes 03:30), the field no longer matches, and the search moves on:
 *    a once-a-day `02:30` job is skipped that day; `*\/15` jumps 01:45 -> 03:00.
 *  - fall back: a time in the repeated hour runs once, at its first
 *    occurrence (`01:30` runs at 01:30 DST); minute-repeating schedules step
 *    from 01:45 DST to 02:00 standard time, i.e. the repeated hour is not run twice.
 * Nothing loops: every step moves the wall clock forward and the search
 * stops after proxmox-time's own limit of 1000 steps.
 */
import { Cycle, REFERENCE_YEAR, cycleOf, matchingDays, minInterval } from "./cycle";
import { ALL_DAYS, CalendarEventError, Fields, Spec, parseExpression } from "./parser";
import { computeNext, contains } from "./search";
import { computeWarnings } from "./warnings";
import { Zone, civilFromDays, mod, wallSeconds } from "./zone";

export { CalendarEventError };
export type { Cycle };

/**
 * The years the engine works in, and the commands accept a time in: from the Unix epoch (PVE's times
 * are seconds since 1970; the engine's backward search stops there) to the last year a schedule can
 * name. proxmox-time reads a schedule's year below 2200 only, "the upper limit for systemd, stay
 * compatible" (proxmox-rs proxmox-time/src/calendar_event.rs, `parse_date_spec`:
 * `parse_date_time_comp_list(0, 2200)`).
 */
export const SUPPORTED_YEARS = { first: 1970, last: 2199 } as const;

/** An hour in seconds: a schedule whose runs come this close together runs "hourly or more often". */
export const HOUR_SECONDS = 3600;

const floor = Math.floor;

const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/** A parsed PVE calendar event (a backup job's `schedule`). */
export class CalendarEvent {
  /** The expression as given. */
  readonly expression: string;
  /** True when the expression ends in `UTC`: evaluated in UTC whatever the node's zone. */
  readonly utc: boolean;
  /** Valid-but-surprising readings, in plain words (e.g. `mon..fri 22` is minute 22 of every hour). */
  readonly warnings: string[];
  private readonly fields: Fields;
  private interval?: { seconds: number | undefined };
  private anyDate?: boolean;

  private constructor(expression: string, utc: boolean, fields: Fields, warnings: string[]) {
    this.expression = expression;
    this.utc = utc;
    this.fields = fields;
    this.warnings = warnings;
  }

  /** Parses like PVE; throws CalendarEventError when PVE would reject the expression. */
  static parse(expression: string): CalendarEvent {
    const { utc, fields, notes } = parseExpression(expression);
    return new CalendarEvent(expression, utc, fields, computeWarnings(fields, notes));
  }

  /**
   * The first run strictly after `after`, or undefined when the event never
   * fires again (found within proxmox-time's step limit, as on PVE).
   * `timeZone` (IANA, default "UTC") is the node's zone, used for the wall
   * clock unless the expression ends in `UTC`; an unknown zone throws RangeError.
   */
  next(after: Date, timeZone = "UTC"): Date | undefined {
    const zone = this.zoneFor(timeZone);
    const t = computeNext(this.fields, toSeconds(after) + 1, zone);
    return t === undefined ? undefined : new Date(t * 1000);
  }

  /**
   * The event as times of the day on some weekdays, when that is all it says (no year, month or day
   * of the month): what iCalendar writes `FREQ=DAILY;BYDAY=..;BYHOUR=..;BYMINUTE=..;BYSECOND=..`
   * (report/ics.ts). Weekdays Monday = 0 ... Sunday = 6, undefined for every day; undefined when
   * the event says more than times of the day.
   */
  timesOfDay(): { weekdays?: number[]; hours: number[]; minutes: number[]; seconds: number[] } | undefined {
    const f = this.fields;
    if (f.year.length > 0 || f.month.length > 0 || f.day.length > 0) return undefined;
    const values = (list: Spec[], count: number) =>
      Array.from({ length: count }, (_, v) => v).filter((v) => list.length === 0 || contains(list, v));
    const weekdays = f.days === 0 || f.days === ALL_DAYS ? undefined : values([], 7).filter((d) => f.days & (1 << d));
    return { weekdays, hours: values(f.hour, 24), minutes: values(f.minute, 60), seconds: values(f.second, 60) };
  }

  /**
   * The last run strictly before `before`, or undefined when it never fired before then (searched
   * back to 1970). PVE only ever searches forwards; this searches forwards over windows reaching
   * back from `before`, each twice as long as the last, so it is the forward search's own answer.
   */
  previous(before: Date, timeZone = "UTC"): Date | undefined {
    const until = new Date((toSeconds(before) - 1) * 1000);
    for (let window = 60; ; window *= 2) {
      const after = new Date(Math.max(0, until.getTime() - window * 1000));
      const runs = this.collect(after, Number.POSITIVE_INFINITY, toSeconds(until), timeZone);
      if (runs.length > 0) return runs[runs.length - 1];
      if (after.getTime() === 0) return undefined;
    }
  }

  /** Up to `count` consecutive runs strictly after `after` (fewer when the event stops firing). */
  nextRuns(after: Date, count: number, timeZone = "UTC"): Date[] {
    return this.collect(after, count, undefined, timeZone);
  }

  /** All runs with after < run <= until, at most `limit` (e.g. a week of runs for a policy check). */
  runsBetween(after: Date, until: Date, timeZone = "UTC", limit = 100_000): Date[] {
    return this.collect(after, limit, toSeconds(until), timeZone);
  }

  /** The cycle over which the schedule repeats: a week, or a year when it has date fields. */
  get cycle(): Cycle {
    return cycleOf(this.fields);
  }

  /** Whether any date matches all of the schedule's fields (`*-02-30` matches none), whatever "now" is. */
  matchesAnyDate(): boolean {
    this.anyDate ??= matchingDays(this.fields).any;
    return this.anyDate;
  }

  /**
   * Whether the schedule has a last run: its year field ends (`2026-*-* 03:00`, `2026..2027-*-* 03:00`,
   * `2027-01-01 03:00`), so on some day it stops firing for good, whatever runs it has before then. No
   * year field, or a year that repeats without end (`2026/1-*-* 03:00`), runs on for ever.
   */
  hasLastRun(): boolean {
    const years = this.fields.year;
    return years.length > 0 && !years.some((y) => y.step > 0 && y.end === undefined);
  }

  /**
   * The shortest time in seconds between two consecutive runs over the schedule's whole cycle, on its
   * own clock (no DST shifts); undefined when it runs at most once, or never. From the fields, without
   * listing runs, so `*:*:*` costs what `03:00` costs.
   */
  minInterval(): number | undefined {
    this.interval ??= { seconds: minInterval(this.fields) };
    return this.interval.seconds;
  }

  /**
   * True when two consecutive runs come an hour or less apart somewhere in the cycle: `hourly`,
   * `minutely`, `*:*:*`, `mon..fri 22` (minute 22 of every hour), `03:00,03:30`, `23:30,00:10`.
   */
  runsHourlyOrMoreOften(): boolean {
    const seconds = this.minInterval();
    return seconds !== undefined && seconds <= HOUR_SECONDS;
  }

  /**
   * The runs within the reference week or year (`referenceCycle`) on the node's wall clock in
   * `timeZone`, with any year field set aside: a verdict over these is the same whatever day it is
   * computed. `overlapMs` adds the first moments of the next cycle, so that runs on either side of
   * the cycle's end (Sunday 23:55 and Monday 00:02) can be compared too. At most `limit` runs
   * (callers leave hourly-or-more-often schedules out).
   */
  runsInReferenceCycle(cycle: Cycle, timeZone = "UTC", options: { overlapMs?: number; limit?: number } = {}): Date[] {
    const { from, until } = referenceCycle(cycle, timeZone);
    const end = toSeconds(new Date(until.getTime() + (options.overlapMs ?? 0))) - 1;
    const everyYear = new CalendarEvent(this.expression, this.utc, { ...this.fields, year: [] }, this.warnings);
    return everyYear.collect(new Date(from.getTime() - 1000), options.limit ?? 100_000, end, timeZone);
  }

  private collect(after: Date, count: number, until: number | undefined, timeZone: string): Date[] {
    const zone = this.zoneFor(timeZone);
    const runs: Date[] = [];
    let last = toSeconds(after);
    while (runs.length < count) {
      const t = computeNext(this.fields, last + 1, zone);
      if (t === undefined || (until !== undefined && t > until)) break;
      runs.push(new Date(t * 1000));
      last = t;
    }
    return runs;
  }

  private zoneFor(timeZone: string): Zone {
    const zone = Zone.get(timeZone); // validate even when unused, so typos surface
    return this.utc ? Zone.utc : zone;
  }
}

function toSeconds(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid Date");
  return floor(ms / 1000); // PVE works in whole seconds
}

/**
 * The reference week or year on the wall clock of `timeZone`: from Monday 2024-01-01 00:00 to seven
 * days later, or to 2025-01-01 00:00 (2024 is a leap year that starts on a Monday). `until` is
 * exclusive.
 */
export function referenceCycle(cycle: Cycle, timeZone = "UTC"): { from: Date; until: Date } {
  const from = zonedTimeToDate({ year: REFERENCE_YEAR, month: 1, day: 1 }, timeZone);
  const until =
    cycle === "week"
      ? zonedTimeToDate({ year: REFERENCE_YEAR, month: 1, day: 8 }, timeZone)
      : zonedTimeToDate({ year: REFERENCE_YEAR + 1, month: 1, day: 1 }, timeZone);
  return { from, until };
}

/** Parse without throwing, for validation paths (policy pack, CLI). */
export function tryParseCalendarEvent(
  expression: string,
): { ok: true; event: CalendarEvent } | { ok: false; error: string } {
  try {
    return { ok: true, event: CalendarEvent.parse(expression) };
  } catch (err) {
    if (err instanceof CalendarEventError) return { ok: false, error: err.message };
    throw err;
  }
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  // The runtime's list of canonical zones answers at once; only a name not on it (an alias such as
  // US/Eastern) is tried by building the zone, whose first Intl formatter costs the program's start
  // some 15 ms of ICU loading.
  if (canonicalTimeZones().has(timeZone)) return true;
  try {
    Zone.get(timeZone);
    return true;
  } catch {
    return false;
  }
}

let canonicalZones: ReadonlySet<string> | undefined;
function canonicalTimeZones(): ReadonlySet<string> {
  canonicalZones ??= new Set(Intl.supportedValuesOf("timeZone"));
  return canonicalZones;
}

/**
 * ISO-8601 without milliseconds: `2026-01-04T04:00:00Z` in UTC, else the wall
 * clock of `timeZone` with its offset, e.g. `2026-01-04T04:00:00-05:00`.
 */
export function formatIsoTime(date: Date, timeZone = "UTC"): string {
  const zone = Zone.get(timeZone);
  const t = toSeconds(date);
  const offset = zone.offsetAt(t);
  const local = t + offset;
  const days = floor(local / 86400);
  const [y, mo, d] = civilFromDays(days);
  const sod = local - days * 86400;
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const wall = `${String(y).padStart(4, "0")}-${p2(mo)}-${p2(d)}T${p2(floor(sod / 3600))}:${p2(floor((sod % 3600) / 60))}:${p2(sod % 60)}`;
  if (zone.isUtc) return `${wall}Z`;
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? "-" : "+"}${p2(floor(abs / 3600))}:${p2(floor((abs % 3600) / 60))}`;
}

/**
 * A wall-clock time in `timeZone` as an instant (seconds may overflow and
 * roll over). Same DST rules as the schedule search: a repeated time is its
 * first occurrence, a skipped one moves forward by the gap.
 */
export function zonedTimeToDate(
  wall: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number },
  timeZone = "UTC",
): Date {
  const zone = Zone.get(timeZone);
  const local = wallSeconds(wall.year, wall.month, wall.day, wall.hour ?? 0, wall.minute ?? 0, wall.second ?? 0);
  return new Date(zone.wallToEpoch(local, Number.NaN) * 1000);
}

/** English weekday name (Monday first), handy when printing runs. */
export function weekdayName(date: Date, timeZone = "UTC"): string {
  const zone = Zone.get(timeZone);
  const t = toSeconds(date);
  return WEEKDAY_NAMES[mod(floor((t + zone.offsetAt(t)) / 86400) + 3, 7)];
}
