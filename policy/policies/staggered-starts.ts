import type { StackValidationPolicy } from "@pulumi/policy";
import { CalendarEvent, Cycle, isValidTimeZone } from "../../tiers/calendar";
import { readStaggerConfig, staggerConfigSchema } from "../config";
import { enabledSchedules } from "../pveRules";
import { JobView, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * staggered-starts (advisory). Protects against jobs that start together on one storage: two
 * vzdump jobs writing to the same NAS at the same minute compete for its disks and network, run
 * long, and overlap the next window (or time out). Two jobs on one storage must not start within
 * N minutes of each other (config `minutes`, default 10).
 *
 * Judged with the project's schedule engine (tiers/calendar/index.ts, PVE's own calendar-event rules) over
 * one whole cycle of the schedules, on the nodes' wall clock (outputs.timezone): the reference week
 * for weekday and time schedules, the reference year when one of a storage's schedules has date
 * fields (or ends in UTC while the nodes keep DST), with the first N minutes of the next cycle so
 * that starts either side of its end are compared. The cycle is fixed, not "the next week from
 * now", so a verdict never depends on the day it is taken. Schedules that never run or run hourly
 * or more often are left to schedules-run; what remains has at most a few starts a day, each
 * schedule's starts are computed once, and the starts are compared in one sweep of the sorted list:
 * the cost grows with the number of starts. Starts that follow one another less than N minutes
 * apart form one group, reported once per set of jobs.
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
    if (!isValidTimeZone(timeZone)) return; // nothing here can be judged
    const windowMs = minutes * 60_000;

    const byStorage = new Map<string, { job: JobView; event: CalendarEvent }[]>();
    for (const { job, event } of enabledSchedules(view)) {
      if (typeof job.storage !== "string" || !event.matchesAnyDate() || event.runsHourlyOrMoreOften()) continue;
      const list = byStorage.get(job.storage) ?? [];
      list.push({ job, event });
      byStorage.set(job.storage, list);
    }

    const runs = new Map<string, number[]>(); // one computation per schedule and cycle
    const startsOf = (event: CalendarEvent, cycle: Cycle): number[] => {
      const key = `${cycle}\n${event.expression}`;
      let list = runs.get(key);
      if (!list) {
        list = event.runsInReferenceCycle(cycle, timeZone, { overlapMs: windowMs }).map((d) => d.getTime());
        runs.set(key, list);
      }
      return list;
    };

    for (const [storage, jobs] of byStorage) {
      if (jobs.length < 2) continue;
      const cycle: Cycle =
        jobs.some((j) => j.event.cycle === "year") ||
        (timeZone !== "UTC" && jobs.some((j) => j.event.utc) && jobs.some((j) => !j.event.utc))
          ? "year"
          : "week";
      const starts: { t: number; job: number }[] = [];
      jobs.forEach(({ event }, job) => {
        for (const t of startsOf(event, cycle)) starts.push({ t, job });
      });
      starts.sort((a, b) => a.t - b.t || a.job - b.job);

      const format = new Intl.DateTimeFormat("en-US", {
        timeZone,
        weekday: "short",
        ...(cycle === "year" ? { month: "short", day: "numeric" } : {}),
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      });
      const reported = new Set<string>();
      // A group: starts that each follow the previous one by less than the window.
      let first = 0;
      for (let i = 1; i <= starts.length; i++) {
        if (i < starts.length && starts[i].t - starts[i - 1].t < windowMs) continue;
        const begin = first;
        first = i;
        if (i - begin < 2) continue;
        const group = starts.slice(begin, i);
        const firstStart = new Map<number, number>(); // job → its first start in the group
        for (const s of group) if (!firstStart.has(s.job)) firstStart.set(s.job, s.t);
        if (firstStart.size < 2) continue;
        const key = [...firstStart.keys()].sort((a, b) => a - b).join(",");
        if (reported.has(key)) continue;
        reported.add(key);

        const at = (job: number, t: number) => `${jobs[job].job.label} at ${format.format(t)}`;
        const urn = [...firstStart.keys()].map((j) => jobs[j].job.urn).find((u) => u !== undefined);
        if (firstStart.size === 2) {
          // The closest two starts of different jobs in the group.
          let a = group[0];
          let b = group[1];
          for (let k = 1; k < group.length; k++) {
            const [x, y] = [group[k - 1], group[k]];
            if (x.job !== y.job && (a.job === b.job || y.t - x.t < b.t - a.t)) [a, b] = [x, y];
          }
          const gap = Math.round((b.t - a.t) / 60_000);
          reportViolation(
            `jobs ${jobs[a.job].job.label} and ${jobs[b.job].job.label} both write to storage ${storage} and start ${gap === 0 ? "at the same minute" : `${gap} minute${gap === 1 ? "" : "s"} apart`} ` +
              `(${at(a.job, a.t)}, ${at(b.job, b.t)}, ${timeZone}); stagger them by at least ${minutes} minutes.`,
            urn,
          );
        } else {
          const names = [...firstStart.keys()].map((j) => jobs[j].job.label);
          reportViolation(
            `jobs ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} all write to storage ${storage} and start less than ${minutes} minutes after one another ` +
              `(${[...firstStart].map(([j, t]) => at(j, t)).join(", ")}, ${timeZone}); stagger them by at least ${minutes} minutes.`,
            urn,
          );
        }
      }
    }
  },
};
