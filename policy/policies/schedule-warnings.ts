import type { StackValidationPolicy } from "@pulumi/policy";
import { describeJob, enabledSchedules, jobOrigin, scheduleProblem } from "../pveRules";
import { stackView } from "../stackView";

/**
 * schedule-warnings (advisory). Protects against schedules that run, but not when their author
 * thinks: the schedule engine's warnings (tiers/calendar/warnings.ts) for schedules PVE accepts that
 * read otherwise than they run. `weekly` is Monday 00:00, not the weekday the job was made; `*-*-31`
 * skips every shorter month; `fri *-*-13` needs both to match; `mon..fri 22` is minute 22 of every
 * hour. Listed for every enabled job whose schedule schedules-run lets pass (what it stops, it
 * explains itself), e.g. the warnings of a tier marked `frequent: true`.
 */
export const scheduleWarnings: StackValidationPolicy = {
  name: "schedule-warnings",
  description: "Lists the backup schedules that PVE accepts but that run otherwise than they read.",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    const now = new Date();
    for (const { job, event } of enabledSchedules(view)) {
      if (event.warnings.length === 0 || scheduleProblem(job, event, view, now)) continue;
      reportViolation(
        `job ${describeJob(job)}${jobOrigin(job)}: schedule '${event.expression}': ${event.warnings.join("; ")}.`,
        job.urn,
      );
    }
  },
};
