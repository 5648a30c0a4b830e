import type { StackValidationPolicy } from "@pulumi/policy";
import { CalendarEvent, tryParseCalendarEvent } from "../../tiers/calendar";
import { readStaggerConfig, staggerConfigSchema } from "../config";
import { JobView, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/** The horizon over which starts are compared. */
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** A job cannot start more often than once a minute: a week holds at most this many runs. */
const MAX_RUNS_PER_WEEK = 7 * 24 * 60 + 1;

/**
 * staggered-starts (advisory). Protects against jobs that start together on one storage: two
 * vzdump jobs writing to the same NAS at the same minute compete for its disks and network, run
 * long, and overlap the next window (or time out). Two jobs on one storage must not start within
 * N minutes of each other (config `minutes`, default 10), computed with the project's schedule
 * engine (tiers/calendar.ts, PVE's own calendar-event rules) over the next week of runs, on the
 * nodes' wall clock (outputs.timezone). Each job's week of runs is computed once.
 */
export const staggeredStarts: StackValidationPolicy = {
  name: "staggered-starts",
  description: "Two backup jobs on one storage do not start within N minutes of each other.",
  enforcementLevel: "advisory",
  configSchema: staggerConfigSchema,
  validateStack: (args, reportViolation) => {
    const { minutes } = readStaggerConfig(args.getConfig());
    if (minutes <= 0) return;
    const view = stackView(args.resources);
    if (view.timezone === UNKNOWN) return;
    const timeZone = view.timezone ?? "UTC";
    const from = new Date();
    const until = new Date(from.getTime() + WEEK_MS);
    const windowMs = minutes * 60_000;

    // storage → every run of every enabled job writing to it, in time order.
    const byStorage = new Map<string, { t: number; job: number }[]>();
    const jobs: JobView[] = [];
    for (const job of view.jobs) {
      if (job.enabled !== true || typeof job.storage !== "string" || typeof job.schedule !== "string") continue;
      const parsed = tryParseCalendarEvent(job.schedule);
      if (!parsed.ok) continue; // PVE rejects it; the site config's validation says so
      let runs: Date[];
      try {
        runs = weekOfRuns(parsed.event, from, until, timeZone);
      } catch {
        return; // an unknown time zone: nothing here can be judged
      }
      const index = jobs.push(job) - 1;
      const events = byStorage.get(job.storage) ?? [];
      for (const run of runs) events.push({ t: run.getTime(), job: index });
      byStorage.set(job.storage, events);
    }

    const format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    for (const [storage, events] of byStorage) {
      events.sort((a, b) => a.t - b.t);
      const reported = new Set<string>();
      for (let i = 0; i < events.length; i++) {
        const a = events[i];
        for (let j = i + 1; j < events.length && events[j].t - a.t < windowMs; j++) {
          const b = events[j];
          if (b.job === a.job) continue;
          const pair = a.job < b.job ? `${a.job}:${b.job}` : `${b.job}:${a.job}`;
          if (reported.has(pair)) continue;
          reported.add(pair);
          const first = jobs[a.job];
          const second = jobs[b.job];
          const gap = Math.round((b.t - a.t) / 60_000);
          reportViolation(
            `jobs ${first.label} and ${second.label} both write to storage ${storage} and start ${gap === 0 ? "at the same minute" : `${gap} minute${gap === 1 ? "" : "s"} apart`} ` +
              `(${first.label} at ${format.format(a.t)}, ${second.label} at ${format.format(b.t)}, ${timeZone}); stagger them by at least ${minutes} minutes.`,
            first.urn ?? second.urn,
          );
        }
      }
    }
  },
};

/** The runs of an event with from < run <= until, capped at one a minute (the engine's own range query). */
export function weekOfRuns(event: CalendarEvent, from: Date, until: Date, timeZone: string): Date[] {
  return event.runsBetween(from, until, timeZone, MAX_RUNS_PER_WEEK);
}
