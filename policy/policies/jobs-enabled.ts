import type { ResourceValidationPolicy } from "@pulumi/policy";
import { JOB_TYPE, UNKNOWN, jobFromResource, listVmids } from "../stack";

/**
 * jobs-enabled (mandatory). Protects against jobs left disabled: PVE keeps a disabled job, lists
 * it, and never runs it, so its guests silently go without backups (the home site had jobs
 * switched off "for a moment" that stayed off). No backup job of the stack may be disabled; pause a
 * tier by removing it, so that every-guest-in-a-tier shows what that leaves unprotected. Runs on
 * each job resource before it is created or updated. Disabled jobs on the cluster that the stack
 * does not manage are listed by unmanaged-jobs.
 */
export const jobsEnabled: ResourceValidationPolicy = {
  name: "jobs-enabled",
  description: "No backup job of the stack is disabled.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== JOB_TYPE) return;
    const job = jobFromResource(args);
    if (job.enabled !== false) return; // true, or unknown during preview
    const guests =
      job.vmids === UNKNOWN ? "its guests" : job.all === true ? "all guests" : `guests ${listVmids(job.vmids)}`;
    const storage = typeof job.storage === "string" ? ` on storage ${job.storage}` : "";
    reportViolation(
      `job ${job.label} is disabled (enabled: false): PVE keeps it but never runs it, so ${guests} get no backups${storage}. Enable it, or remove the tier.`,
    );
  },
};
