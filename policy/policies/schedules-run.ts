import type { StackValidationPolicy } from "@pulumi/policy";
import { describeDuration, describeJob, enabledSchedules, jobOrigin, scheduleProblem } from "../pveRules";
import { stackView } from "../stackView";

/**
 * schedules-run (mandatory). Protects against schedules PVE accepts that do not back up as a tier
 * means, decided by the project's schedule engine (tiers/calendar/index.ts), not by reading the text:
 *
 * - a schedule that never runs: no date matches all of its fields (`*-02-30`), or every date it
 *   names is past (`2020-01-01 03:00`). PVE saves the job, lists it, and never starts it.
 * - a tier's schedule whose runs come an hour or less apart somewhere in its cycle (`hourly`,
 *   `minutely`, `*:*:*`, `mon..fri 22`, which is minute 22 of every hour): each run is a full
 *   backup that prunes the older ones by the job's keep-* counts, so a keep-last=3 tier meant as
 *   "three nights" keeps three hours. Allowed when the tier says `frequent: true`.
 *
 * Every enabled job is judged, the stack's (named by their tier) and the cluster's hand-made ones
 * (held to "never runs" only: what they are meant for is unknown). Disabled jobs are jobs-enabled's.
 */
export const schedulesRun: StackValidationPolicy = {
  name: "schedules-run",
  description:
    "Every enabled backup job's schedule runs, and a tier's runs less often than hourly unless the tier is marked frequent.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    const now = new Date();
    for (const { job, event } of enabledSchedules(view)) {
      const problem = scheduleProblem(job, event, view, now);
      if (!problem) continue;
      const who = `job ${describeJob(job)}${jobOrigin(job)}`;
      const schedule = `schedule '${event.expression}'`;
      if (problem === "never") {
        reportViolation(
          `${who}: ${schedule} never runs: no date matches all of its fields. PVE keeps the job and never starts it, so its guests get no backups. Write a schedule that runs, e.g. '03:00' or 'sun 04:00'.`,
          job.urn,
        );
      } else if (problem === "no-longer") {
        reportViolation(
          `${who}: ${schedule} never runs again: every date it names is in the past, so its guests get no more backups. Write a recurring schedule, e.g. '03:00' or 'sun 04:00'.`,
          job.urn,
        );
      } else {
        const why = event.warnings.length > 0 ? ` (${event.warnings.join("; ")})` : "";
        reportViolation(
          `${who}: ${schedule} runs hourly or more often: two of its runs come ${describeDuration(event.minInterval() ?? 0)} apart${why}. ` +
            `Each run prunes the older backups by the job's keep-* counts, so the tier keeps hours, not days. ` +
            `Write a daily or weekly time such as '03:00', or set frequent: true on tier ${job.tier?.id ?? "(none)"} if backups this often are meant.`,
          job.urn,
        );
      }
    }
  },
};
