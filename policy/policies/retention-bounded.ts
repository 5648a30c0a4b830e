import type { StackValidationPolicy } from "@pulumi/policy";
import { PruneBackups, formatPruneBackups, isBounded, parsePruneBackups } from "../../pve/retention";
import { jobOrigin } from "../pveRules";
import { JobView, StackView, stackView } from "../stackView";
import { UNKNOWN, hasUnknown } from "../unknown";

/**
 * retention-bounded (mandatory). Protects against a backup storage that fills up with every backup
 * ever taken (the home site's NAS did): PVE keeps all backups when a job sets no `prune-backups`
 * and its storage sets none either, when `keep-all` is set, and when every keep-* is 0. Every job
 * must end with bounded retention: its own `prune-backups`, or else its storage's. A storage the
 * stack does not declare has a retention the stack cannot see (the cluster inventory does not
 * report it), so a job on one must set its own.
 */
export const retentionBounded: StackValidationPolicy = {
  name: "retention-bounded",
  description:
    "Every backup job ends with bounded retention: its own prune-backups, or else its storage's; never keep-all.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    for (const job of view.jobs) {
      const problem = retentionProblem(job, view);
      if (problem) reportViolation(`job ${job.label}${jobOrigin(job)} ${problem}`, job.urn);
    }
  },
};

function retentionProblem(job: JobView, view: StackView): string | undefined {
  if (hasUnknown(job.pruneBackups)) return undefined;
  let own: PruneBackups | undefined;
  try {
    own = parsePruneBackups(job.pruneBackups);
  } catch (err) {
    return `has a prune-backups value PVE cannot read (${(err as Error).message}): set keep-last or another keep-*`;
  }
  if (own && Object.keys(own).length > 0) {
    if (isBounded(own)) return undefined;
    return `keeps every backup forever: its prune-backups ${formatPruneBackups(own)} is keep-all${own["keep-all"] ? "" : " (every keep-* is 0)"}; set keep-last or another keep-*`;
  }
  if (job.maxfiles === UNKNOWN) return undefined;
  if (typeof job.maxfiles === "number" && job.maxfiles > 0) return undefined; // PVE reads maxfiles as keep-last

  // No retention of its own: the storage's applies.
  const id = job.storage;
  if (id === UNKNOWN || id === undefined || id === "") return undefined;
  const storage = view.storages.get(id);
  if (!storage) return undefined; // a missing storage is job-storage-exists' to report
  if (!storage.retentionReported) {
    return `sets no prune-backups of its own, and storage ${id} is not declared in the stack, so its retention is unknown here (PVE keeps every backup when neither sets one); set prune-backups on the job`;
  }
  if (storage.retention === UNKNOWN) return undefined;
  if (storage.retention === undefined) {
    return `sets no prune-backups of its own and storage ${id} sets none either, so PVE keeps every backup forever (keep-all, its default); set keep-last or another keep-* on the job or the storage`;
  }
  if (!isBounded(storage.retention)) {
    return `sets no prune-backups of its own and storage ${id} keeps every backup forever (${formatPruneBackups(storage.retention)}); set keep-last or another keep-* on the job or the storage`;
  }
  return undefined;
}
