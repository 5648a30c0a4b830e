/**
 * PVE's ids and the patterns its API schema checks them with: guest kinds and vmids, job and
 * storage ids, node names, mail recipients. Sources: pve/endpoints.json, and pve-common's
 * JSONSchema.pm where the schema names a format without spelling it out.
 */

/** Guest kinds as PVE names them in `/cluster/resources` (`type`) and in backup file names. */
export const GUEST_KINDS = ["qemu", "lxc"] as const;
export type GuestKind = (typeof GUEST_KINDS)[number];

/** vmids match `^[1-9][0-9]{2,8}$`: 100 up to 999999999. */
export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;

/** A backup job id: `^[a-z][a-z0-9_-]+$` in either case (pve-common `pve-configid`), at most 50 characters. */
export const JOB_ID_PATTERN = /^[a-z][a-z0-9_-]+$/i;
export const JOB_ID_MAX_LENGTH = 50;

/**
 * Whether two job ids name the same job: as written, case and all. PVE looks a job up by its id as
 * a hash key (pve-manager PVE/API2/Backup.pm, read_job/update_job/delete_job:
 * `$jobs_data->{ids}->{$id}`), so `Nightly` and `nightly` are two jobs.
 */
export function sameJobId(a: string, b: string): boolean {
  return a === b;
}

/** A backup job's schedule (`pve-calendar-event`) is at most 128 characters. */
export const SCHEDULE_MAX_LENGTH = 128;

/** A storage id (`pve-storage-id`). */
export const STORAGE_ID_PATTERN = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;

/** A vmid as PVE's `pve-vmid` format takes it (no leading zero, 3 to 9 digits). */
export const VMID_PATTERN = /^[1-9][0-9]{2,8}$/;

/** A node name (`pve-node`): a host name label. */
export const NODE_NAME_PATTERN = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/**
 * One mail recipient of a job (`mailto`, format `email-or-username-list`): an email address or a
 * user name, exactly as pve-common checks them (`PVE::JSONSchema::pve_verify_email_or_username`
 * with `$PVE::ParseUtils::EMAIL_RE` / `EMAIL_USER_RE`), one recipient an entry (PVE splits the list
 * at commas, semicolons and spaces). Perl's `\w` is read as ASCII here.
 */
export const EMAIL_OR_USERNAME_PATTERN = /^[\w+~-]+(?:\.[\w+~-]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)?$/;
