import type { StackValidationPolicy } from "@pulumi/policy";
import { describeJob, enabledSchedules, scheduleProblem } from "../pveRules";
import { stackView } from "../stackView";

/**
 * schedules-recur (mandatory). Protects against a tier whose schedule stops firing on a day still to
 * come: a year in the schedule (`2026-*-* 03:00`, `2026..2027-*-* 03:00`, `2027-01-01 03:00`) runs
 * today and passes every check, and after its last run PVE keeps the job, lists it, and never starts
 * it again; nothing says so on that day. A tier backs up for as long as it exists, so its job's
 * schedule must have no last run (no year, or a year that repeats without end, `2026/1`). Decided by
 * the schedule engine (tiers/calendar/index.ts `hasLastRun`). A schedule that has already run its last
 * time, or never runs, is schedules-run's; hand-made cluster jobs may mean to end.
 */
export const schedulesRecur: StackValidationPolicy = {
  name: "schedules-recur",
  description: "A tier's schedule has no last run: no year field that ends, so its backups never stop on a set day.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    const now = new Date();
    for (const { job, event } of enabledSchedules(view)) {
      if (!job.managed || !event.hasLastRun()) continue;
      const problem = scheduleProblem(job, event, view, now);
      if (problem === "never" || problem === "no-longer") continue;
      reportViolation(
        `job ${describeJob(job)}: schedule '${event.expression}' has a last run: its year field ends, so after that day PVE never starts the job again and its guests get no more backups, with no error anywhere. ` +
          `Write a schedule without a year, e.g. '03:00' or 'sun 04:00'.`,
        job.urn,
      );
    }
  },
};
