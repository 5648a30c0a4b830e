import type { StackValidationPolicy } from "@pulumi/policy";
import { describeJob, jobSelection, listVmids } from "../pveRules";
import { JobView, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * jobs-enabled (mandatory). Protects against jobs left disabled: PVE keeps a disabled job, lists
 * it, and never runs it, so its guests silently go without backups (all three jobs of the home site
 * were found disabled). No backup job may be disabled: not the stack's own (pause a tier by removing
 * it, so that every-guest-in-a-tier shows what that leaves unprotected), and not one made by hand on
 * the cluster (enable or delete it; a job the stack adopts is judged by the stack's config). The
 * message says which of the job's guests another enabled job backs up, so a tier guest is never said
 * to get no backups because a stale hand-made job that also names it is disabled.
 */
export const jobsEnabled: StackValidationPolicy = {
  name: "jobs-enabled",
  description: "No backup job, of the stack or on the cluster, is disabled.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    // vmid → the enabled jobs that back it up (to any storage).
    const backedUpBy = new Map<number, JobView[]>();
    for (const job of view.jobs) {
      if (job.enabled !== true) continue;
      for (const vmid of jobSelection(job, view).vmids) backedUpBy.set(vmid, [...(backedUpBy.get(vmid) ?? []), job]);
    }
    for (const job of view.jobs) {
      if (job.enabled !== false) continue; // true, or unknown during preview
      const storage = typeof job.storage === "string" ? ` on storage ${job.storage}` : "";
      let consequence: string;
      if (job.vmids === UNKNOWN) consequence = `its guests get no backups${storage}`;
      else if (job.all === true) consequence = `all guests get no backups${storage}`;
      else {
        const named = job.vmids.filter((v): v is number => v !== UNKNOWN);
        const elsewhere = named.filter((v) => backedUpBy.has(v));
        const bare = job.vmids.filter((v) => v === UNKNOWN || !backedUpBy.has(v));
        const others = [...new Set(elsewhere.flatMap((v) => backedUpBy.get(v)!))].map(describeJob).join(", ");
        const one = elsewhere.length === 1;
        const covered = `${one ? "guest" : "guests"} ${listVmids(elsewhere)} ${one ? "is" : "are"} backed up by ${others}`;
        consequence =
          elsewhere.length === 0
            ? `guests ${listVmids(job.vmids)} get no backups${storage}`
            : bare.length === 0
              ? `it writes nothing${storage}, though none of its guests goes without: ${covered}`
              : `guests ${listVmids(bare)} get no backups${storage} (${covered})`;
      }
      const remedy = job.managed
        ? "Enable it, or remove the tier."
        : "Enable it on the cluster, adopt it into a tier, or delete it.";
      reportViolation(
        `job ${job.label} is disabled (enabled: false): PVE keeps it but never runs it, so ${consequence}. ${remedy}`,
        job.urn,
      );
    }
  },
};
