/**
 * The backup windows of a site: each tier's job runs over a span of time, as the schedule engine
 * (tiers/calendar/index.ts) computes them on the nodes' wall clock. Shared by `npm run calendar` (one
 * event per run) and `npm run report` (the week's timeline), so both show the same runs.
 */
import { DEFAULT_STAGGER_MINUTES } from "../policy/config";
import { CalendarEvent, tryParseCalendarEvent } from "../tiers/calendar";

/**
 * How long a run is drawn when nothing measured says how long it takes: PVE gives a run no end in
 * advance. It is the start gap the staggered-starts policy asks of two jobs on one storage, so two
 * nominal runs overlap exactly when that policy would flag their starts.
 */
export const NOMINAL_RUN_MINUTES = DEFAULT_STAGGER_MINUTES;

/** The most runs of one job listed in a span: a job cannot start more than once a minute. */
function maxRunsBetween(from: Date, until: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - from.getTime()) / 60_000) + 1);
}

/** A tier as far as its runs are concerned (a site's Tier and the check's TierSummary both fit). */
export interface ScheduledTier {
  id: string;
  job: string;
  schedule: string;
}

export interface TierRuns<T extends ScheduledTier> {
  tier: T;
  /** The zone the schedule is evaluated in: the site's, or UTC for a schedule ending in `UTC`. */
  timeZone: string;
  /** Every run with from < run <= until, in time order. */
  runs: Date[];
}

/**
 * Each tier's runs with from < run <= until, the schedule read in `timeZone` (the site's) unless it
 * ends in `UTC`. A schedule PVE would reject has no runs; the site's validation already refused it.
 */
export function tierRunsBetween<T extends ScheduledTier>(
  tiers: readonly T[],
  from: Date,
  until: Date,
  timeZone: string,
): TierRuns<T>[] {
  return tiers.map((tier) => {
    const parsed = tryParseCalendarEvent(tier.schedule);
    if (!parsed.ok) return { tier, timeZone, runs: [] };
    const event: CalendarEvent = parsed.event;
    const zone = event.utc ? "UTC" : timeZone;
    return { tier, timeZone: zone, runs: event.runsBetween(from, until, timeZone, maxRunsBetween(from, until)) };
  });
}
