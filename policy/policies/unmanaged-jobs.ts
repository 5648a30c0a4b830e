import type { StackValidationPolicy } from "@pulumi/policy";
import { listVmids } from "../pveRules";
import { stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * unmanaged-jobs (advisory). Protects against stray jobs nobody reviews: a backup job made by hand
 * on the cluster (the home site's job on `synology-nas-storage` was one) is outside this repository
 * and its review. Lists every backup job on the cluster that the stack does not manage, so it is
 * adopted into a tier (`pve-backup-tiers:adopt`) or deleted. The other policies still judge these
 * jobs' storage and retention.
 */
export const unmanagedJobs: StackValidationPolicy = {
  name: "unmanaged-jobs",
  description: "Lists the backup jobs on the cluster that the stack does not manage.",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    for (const job of view.jobs) {
      if (job.managed) continue;
      const facts = [
        `storage ${typeof job.storage === "string" ? job.storage : "(none)"}`,
        typeof job.schedule === "string" ? `schedule "${job.schedule}"` : undefined,
        job.all === true ? "all guests" : job.vmids === UNKNOWN ? undefined : `guests ${listVmids(job.vmids)}`,
        job.enabled === false ? "disabled" : undefined,
      ].filter((f): f is string => f !== undefined);
      reportViolation(
        `job ${job.label} exists on the cluster but is not managed by this stack (${facts.join(", ")}): adopt it into a tier or delete it.`,
      );
    }
  },
};
