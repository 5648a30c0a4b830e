/**
 * The schedule engine over a whole cycle of a schedule, without listing its runs one by one: the
 * shortest interval between two consecutive runs (is a schedule hourly or more often?), whether it
 * matches any date at all, and the fixed reference week or year over which schedules are compared
 * independently of "now".
 *
 * These read a schedule on its own clock: the fields as written, without the node's DST shifts (a
 * `01:00,03:00` schedule is two hours apart also on the night the clocks jump). A cycle is what makes
 * a schedule repeat: a week for weekday and time fields (`sun 04:00`, `mon..fri 22`), the Gregorian
 * calendar's 400 years for date fields (`*-*-1`, `fri *-*-13`, `*-02-29`).
 */
import type { Fields, Spec } from "./parser";
import { ALL_DAYS } from "./parser";
import { contains } from "./search";
import { daysFromCivil, mod } from "./zone";

const DAY = 86400;

/** The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks). */
const GREGORIAN_CYCLE_YEARS = 400;

/** The cycle over which a schedule repeats: a week, or a year for schedules with date fields. */
export type Cycle = "week" | "year";

/**
 * The reference cycle: 2024 is a leap year (February 29 exists) that starts on a Monday, so its
 * first seven days are one whole week, Monday to Sunday.
 */
export const REFERENCE_YEAR = 2024;

export function cycleOf(f: Fields): Cycle {
  return f.year.length > 0 || f.month.length > 0 || f.day.length > 0 ? "year" : "week";
}

/** Values in [min, max] the list allows; an empty list (`*`) allows all. */
function expand(list: Spec[], min: number, max: number): number[] {
  const out: number[] = [];
  for (let v = min; v <= max; v++) if (list.length === 0 || contains(list, v)) out.push(v);
  return out;
}

/** The smallest difference between neighbours of an ascending list (Infinity for fewer than two). */
function smallestStep(values: readonly number[]): number {
  let best = Infinity;
  for (let i = 1; i < values.length; i++) best = Math.min(best, values[i] - values[i - 1]);
  return best;
}

/** The fewest days between two allowed weekdays, over the week's wrap (Sunday → Monday). */
function weekdayGap(mask: number): number | undefined {
  const days = [0, 1, 2, 3, 4, 5, 6].filter((d) => mask & (1 << d));
  if (days.length === 0) return undefined;
  let best = 7 - days[days.length - 1] + days[0];
  for (let i = 1; i < days.length; i++) best = Math.min(best, days[i] - days[i - 1]);
  return best;
}

/**
 * Whether the date fields (year, month, day, weekday) match any day at all, and the fewest days
 * between two consecutive matching days over the cycle (undefined when fewer than two match).
 * Without date fields the weekdays alone decide; with them, every allowed day of the 400-year cycle
 * (or of the listed years) is visited once, stopping as soon as the weekdays' own minimum is reached.
 */
export function matchingDays(f: Fields): { any: boolean; minGap?: number } {
  const mask = f.days === 0 ? ALL_DAYS : f.days;
  const fewest = weekdayGap(mask);
  if (fewest === undefined) return { any: false };
  if (cycleOf(f) === "week") return { any: true, minGap: fewest };

  // One cycle and a day: 2000 to 2400 inclusive, so that the pair across the cycle's end is seen.
  // Listed years: the first cycle's worth of them (a year list starts at 1970 at the earliest).
  const years =
    f.year.length === 0
      ? expand([], 2000, 2000 + GREGORIAN_CYCLE_YEARS)
      : expand(f.year, 1970, 2000 + 2 * GREGORIAN_CYCLE_YEARS).slice(0, GREGORIAN_CYCLE_YEARS + 1);
  const months = expand(f.month, 1, 12);
  const days = expand(f.day, 1, 31);
  let previous: number | undefined;
  let minGap: number | undefined;
  let any = false;
  for (const y of years) {
    for (const m of months) {
      const first = daysFromCivil(y, m, 1);
      const length = (m === 12 ? daysFromCivil(y + 1, 1, 1) : daysFromCivil(y, m + 1, 1)) - first;
      for (const d of days) {
        if (d > length) break;
        const ordinal = first + d - 1;
        if (!(mask & (1 << mod(ordinal + 3, 7)))) continue; // 1970-01-01 was a Thursday (Monday = 0)
        any = true;
        if (previous !== undefined) {
          const gap = ordinal - previous;
          if (minGap === undefined || gap < minGap) minGap = gap;
          if (minGap <= fewest) return { any, minGap };
        }
        previous = ordinal;
      }
    }
  }
  return minGap === undefined ? { any } : { any, minGap };
}

/**
 * The shortest time, in seconds, between two consecutive runs of the schedule over its whole cycle,
 * on its own clock; undefined when it runs at most once (or never). Computed from the fields, not by
 * listing runs: within a minute (two seconds), within an hour (the last second of one minute to the
 * first of the next allowed minute), within a day (likewise across hours), and from the last run of
 * one matching day to the first run of the next.
 */
export function minInterval(f: Fields): number | undefined {
  const seconds = expand(f.second, 0, 59);
  const minutes = expand(f.minute, 0, 59);
  const hours = expand(f.hour, 0, 23);
  if (seconds.length === 0 || minutes.length === 0 || hours.length === 0) return undefined;
  const days = matchingDays(f);
  if (!days.any) return undefined;

  const last = (values: readonly number[]) => values[values.length - 1];
  const secondSpan = last(seconds) - seconds[0];
  const minuteSpan = last(minutes) * 60 + last(seconds) - (minutes[0] * 60 + seconds[0]);
  const daySpan =
    last(hours) * 3600 + last(minutes) * 60 + last(seconds) - (hours[0] * 3600 + minutes[0] * 60 + seconds[0]);
  const candidates = [
    smallestStep(seconds),
    smallestStep(minutes) * 60 - secondSpan,
    smallestStep(hours) * 3600 - minuteSpan,
    days.minGap === undefined ? Infinity : days.minGap * DAY - daySpan,
  ];
  const best = Math.min(...candidates);
  return best === Infinity ? undefined : best;
}
