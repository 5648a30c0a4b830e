import type { StackValidationPolicy } from "@pulumi/policy";
import { listVmids } from "../pveRules";
import { stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * jobs-enabled (mandatory). Protects against jobs left disabled: PVE keeps a disabled job, lists
 * it, and never runs it, so its guests silently go without backups (all three jobs of the home site
 * were found disabled). No backup job may be disabled: not the stack's own (pause a tier by removing
 * it, so that every-guest-in-a-tier shows what that leaves unprotected), and not one made by hand on
 * the cluster (enable or delete it; a job the stack adopts is judged by the stack's config).
 */
export const jobsEnabled: StackValidationPolicy = {
  name: "jobs-enabled",
  description: "No backup job, of the stack or on the cluster, is disabled.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const job of stackView(args.resources).jobs) {
      if (job.enabled !== false) continue; // true, or unknown during preview
      const guests =
        job.vmids === UNKNOWN ? "its guests" : job.all === true ? "all guests" : `guests ${listVmids(job.vmids)}`;
      const storage = typeof job.storage === "string" ? ` on storage ${job.storage}` : "";
      const remedy = job.managed
        ? "Enable it, or remove the tier."
        : "Enable it on the cluster, adopt it into a tier, or delete it.";
      reportViolation(
        `job ${job.label} is disabled (enabled: false): PVE keeps it but never runs it, so ${guests} get no backups${storage}. ${remedy}`,
        job.urn,
      );
    }
  },
};
