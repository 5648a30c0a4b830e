import type { StackValidationPolicy } from "@pulumi/policy";
import { adoptionBlocker } from "../../tiers/adoption";
import { describeJob, listVmids } from "../pveRules";
import { stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * adoptable-jobs (mandatory). Protects against an adoption that cannot converge: a job on the
 * cluster under a stack job's id that backs up all guests, or all but some (`exclude`), makes the
 * first `pulumi up` after the import fail, because the provider sends the job's `all` beside the
 * tier's `vmid` and PVE refuses the pair (the rule and its sources: tiers/adoption.ts). A pool job
 * converges (the update drops `pool`), so it passes. The job must be switched to the tier's guests
 * by hand first.
 */
export const adoptableJobs: StackValidationPolicy = {
  name: "adoptable-jobs",
  description:
    "A job on the cluster under a stack job's id does not back up all guests (or all but some), so the provider can converge it.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const job of stackView(args.resources).jobs) {
      const existing = job.onCluster;
      if (!job.managed || !existing) continue;
      const tierVmids = job.vmids === UNKNOWN ? [] : job.vmids.filter((v): v is number => v !== UNKNOWN);
      const blocker = adoptionBlocker(
        existing.id === UNKNOWN ? job.label : existing.id,
        {
          all: existing.all === true,
          exclude: existing.excludes === UNKNOWN ? [] : existing.excludes.filter((v): v is number => v !== UNKNOWN),
          pool: typeof existing.pool === "string" ? existing.pool : undefined,
        },
        tierVmids,
      );
      if (!blocker) continue;
      const wanted = job.vmids === UNKNOWN ? "the tier's guests" : `guests ${listVmids(job.vmids)}`;
      reportViolation(
        `job ${describeJob(job)} exists on the cluster and backs up ${blocker.selection}: ${blocker.reason}. ` +
          `Switch it to ${wanted} by hand first (\`${blocker.fix}\`, or Datacenter → Backup → Edit → Selection mode "Include selected VMs"), then adopt it.`,
        job.urn,
      );
    }
  },
};
