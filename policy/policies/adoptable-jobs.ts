import type { StackValidationPolicy } from "@pulumi/policy";
import { describeJob, listVmids } from "../pveRules";
import { stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * adoptable-jobs (mandatory). Protects against an adoption that cannot converge: a job on the
 * cluster under a stack job's id that backs up all guests, all but some (`exclude`) or a pool's
 * cannot be turned into a job of selected guests by the provider. PVE keeps `vmid` apart from
 * `all`, `exclude` and `pool` ("option conflicts with option 'vmid'"; an update naming `vmid` drops
 * the others), while the provider plans `all`, an optional and computed input, unchanged from its
 * state, and refuses `all: false` beside `vmid` in its own validation. So `pulumi up` fails, or
 * leaves the hand-made job with its own selection. The job must be switched to selected guests by
 * hand first.
 */
export const adoptableJobs: StackValidationPolicy = {
  name: "adoptable-jobs",
  description:
    "A job on the cluster under a stack job's id selects guests by vmid (not all, exclude or pool), so the provider can converge it.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const job of stackView(args.resources).jobs) {
      const existing = job.onCluster;
      if (!job.managed || !existing) continue;
      const excludes = existing.excludes === UNKNOWN ? [] : existing.excludes;
      const selection =
        typeof existing.pool === "string"
          ? `the guests of pool ${existing.pool}`
          : existing.all === true || excludes.length > 0
            ? `all guests${excludes.length > 0 ? ` but ${listVmids(excludes)}` : ""}`
            : undefined;
      if (!selection) continue;
      const wanted = job.vmids === UNKNOWN ? "the tier's guests" : `guests ${listVmids(job.vmids)}`;
      reportViolation(
        `job ${describeJob(job)} exists on the cluster and backs up ${selection}: the provider cannot change its selection to ${wanted} (PVE keeps 'vmid' apart from 'all', 'exclude' and 'pool'), so pulumi up would fail or leave the job as it is. ` +
          `Switch the job to selected guests by hand first (Datacenter → Backup → Edit → Selection mode "Include selected VMs": ${wanted}), then adopt it.`,
        job.urn,
      );
    }
  },
};
