import type { StackValidationPolicy } from "@pulumi/policy";
import { JobView, stackView } from "../stackView";
import { UNKNOWN, fullyKnown } from "../unknown";

/**
 * critical-tiers-notify (advisory). Protects against failures nobody hears of: a backup job fails
 * quietly unless it mails someone, and for a tier marked critical a silent week of failed backups
 * is the outage. Every job of a critical tier must send mail (at least one `mailto`); the tier's
 * job resource is judged when the stack declares it, else the tier's exported notification.
 */
export const criticalTiersNotify: StackValidationPolicy = {
  name: "critical-tiers-notify",
  description: "The jobs of tiers marked critical send mail.",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    if (view.tiers === UNKNOWN) return;
    const stackJobs = new Map<string, JobView>();
    for (const job of view.jobs) if (job.managed && typeof job.id === "string") stackJobs.set(job.id, job);

    for (const tier of view.tiers) {
      if (tier.critical !== true) continue;
      if (tier.job === UNKNOWN) continue;
      const job = tier.job === undefined ? undefined : stackJobs.get(tier.job);
      const recipients = fullyKnown(job ? job.mailto : tier.mailto);
      if (recipients === UNKNOWN) continue;
      if (recipients !== undefined && recipients.some((r) => r.trim() !== "")) continue;
      const name = job?.label ?? tier.job ?? "(none)";
      reportViolation(
        `tier ${tier.id} is critical but its job ${name} sends no mail: a failed backup goes unnoticed. Set the tier's notification.mailto.`,
        job?.urn,
      );
    }
  },
};
