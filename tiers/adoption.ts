/**
 * Which hand-made jobs an adoption converges: the one rule that `npm run doctor`'s `adopt` check and
 * the pack's `adoptable-jobs` policy both apply, read from the provider's and PVE's source.
 *
 * After the import, the first `pulumi up` with `adopt: false` updates the job to the tier's guests
 * (`vmid`). What the provider (bpg/terraform-provider-proxmox, fwprovider/cluster/backup) sends then
 * decides:
 * - `all` is optional and computed, planned from state (`UseStateForUnknown`): an adopted job with
 *   `all=1`, or with `exclude` (PVE stores that as `all=1` too, PVE/VZDump.pm
 *   `verify_vzdump_parameters`), is updated with `all=1` beside `vmid`, which PVE refuses under its
 *   config lock (pve-manager PVE/API2/Backup.pm `update_job`: "option conflicts with option 'vmid'").
 *   `pulumi up` fails on that job until its selection is changed by hand.
 * - `pool` is optional and not computed: the update deletes it (`delete=pool`) and sends `vmid`,
 *   and PVE's `update_job` drops `pool`, `all` and `exclude` when `vmid` is given. A pool job
 *   converges; its selection becomes the tier's guests.
 */

/** A job's selection as PVE stores it: all guests (but `exclude`), a pool's, or by vmid. */
export interface JobSelection {
  all: boolean;
  exclude: readonly number[];
  pool?: string;
}

/** Why adopting a job with this selection cannot converge; undefined when it can. */
export interface AdoptionBlocker {
  /** What the job backs up today: `all guests`, `all guests but 104`. */
  selection: string;
  /** Why `pulumi up` fails on it. */
  reason: string;
  /** The command that switches the job to the tier's guests by hand, so that the adoption converges. */
  fix: string;
}

/** What PVE answers the provider's update of an adopted all/exclude job (PVE/VZDump.pm `verify_vzdump_parameters`). */
const ALL_BESIDE_VMID_ERROR = "all: option conflicts with option 'vmid'";

export function adoptionBlocker(
  jobId: string,
  job: JobSelection,
  tierVmids: readonly number[],
): AdoptionBlocker | undefined {
  // PVE never keeps `pool` beside `all` (update_job drops one for the other)
  if (job.pool !== undefined || (!job.all && job.exclude.length === 0)) return undefined;
  return {
    selection: job.exclude.length > 0 ? `all guests but ${job.exclude.join(", ")}` : "all guests",
    reason: `the provider keeps 'all' from the job's state and sends it beside 'vmid', which PVE refuses ("${ALL_BESIDE_VMID_ERROR}"), so pulumi up fails on this job`,
    fix: `pvesh set /cluster/backup/${jobId} --vmid ${tierVmids.join(",")}`,
  };
}
