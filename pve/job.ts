/**
 * PVE's backup job, as `GET /cluster/backup` returns it: one schema (`backupJobSchema`) for the API
 * client, the cluster snapshot reader and the PVE API double, the job as PVE means it (`PveJob`), and
 * its options: modes, compressors, mail notification, and the defaults PVE assumes.
 */
import * as z from "zod";
import { PruneBackups, parsePruneBackups, pruneBackupsValue } from "./retention";
import { isPveTrue, parseList, pveBoolean } from "./values";

/** Backup modes and compressors a vzdump job accepts. */
export const BACKUP_MODES = ["snapshot", "suspend", "stop"] as const;
export const COMPRESSORS = ["0", "1", "gzip", "lzo", "zstd"] as const;
export const MAIL_NOTIFICATION = ["always", "failure"] as const;

/** What PVE assumes for a backup job option the job does not set (`/cluster/backup` defaults). */
export const JOB_DEFAULTS = {
  enabled: true,
  mode: "snapshot",
  compress: "0",
  mailnotification: "always",
} as const;

/**
 * The `notification-mode`s (of a job, or a node's default) under which PVE honours a job's `mailto`;
 * under the third, `notification-system`, its notification matchers and targets decide instead.
 */
export const MAIL_HONOURING_MODES: readonly string[] = ["auto", "legacy-sendmail"];

/**
 * A backup job as `GET /cluster/backup` returns it (pve-manager PVE/API2/Backup.pm `index`), and as a
 * cluster snapshot's `backup` holds it. Loose: PVE returns more options than these, which pass as they
 * are; the types are those of pve/endpoints.json's return schema (tests/pve/job.test.ts checks them),
 * and besides them:
 * - `type`: jobs.cfg's section type (`vzdump`), which PVE returns though its schema does not name it;
 * - `dow` and `starttime`: a job's schedule before PVE 7 (jobs.cfg still reads them);
 * - `prune-backups` and `exclude-path` as property strings (PVE 7), a `vmid` or `exclude` as a number
 *   (a snapshot written by hand).
 */
export const backupJobSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  schedule: z.string().optional(),
  starttime: z.string().optional(),
  dow: z.string().optional(),
  storage: z.string().optional(),
  enabled: pveBoolean.optional(),
  vmid: z.union([z.string(), z.number()]).optional(),
  all: pveBoolean.optional(),
  exclude: z.union([z.string(), z.number()]).optional(),
  node: z.string().optional(),
  pool: z.string().optional(),
  "exclude-path": z.union([z.array(z.string()), z.string()]).optional(),
  "prune-backups": pruneBackupsValue.optional(),
  "notification-mode": z.string().optional(),
  mailto: z.string().optional(),
  mailnotification: z.string().optional(),
  mode: z.string().optional(),
  compress: z.string().optional(),
  "notes-template": z.string().optional(),
  "next-run": z.number().optional(),
});

/** A job as PVE sends it (the client's answer, the double's jobs.cfg): booleans still 0/1. */
export type BackupJobEntry = z.input<typeof backupJobSchema>;

/**
 * A backup job as PVE means the record: the schedule of a job from before PVE 7 (`dow` and
 * `starttime`) a calendar event, lists split, flags booleans with PVE's defaults (enabled unless
 * `enabled: 0`), options PVE reports as "" absent, an empty `prune-backups` absent.
 */
export interface PveJob {
  id: string;
  schedule: string;
  storage?: string;
  enabled: boolean;
  node?: string;
  all: boolean;
  vmids: number[];
  excludes: number[];
  pool?: string;
  pruneBackups?: PruneBackups;
  mailto: string[];
  mailnotification?: string;
  mode?: string;
  compress?: string;
  notesTemplate?: string;
}

/** A `/cluster/backup` entry read as PVE means it; throws on a `prune-backups` PVE could not read. */
export function readBackupJob(entry: BackupJobEntry): PveJob {
  const vmidList = (v: string | number | undefined) => parseList(v).map(Number).filter(Number.isInteger);
  return {
    id: entry.id,
    schedule: entry.schedule ?? [entry.dow, entry.starttime].filter(Boolean).join(" "),
    storage: entry.storage || undefined,
    enabled: entry.enabled === undefined ? JOB_DEFAULTS.enabled : isPveTrue(entry.enabled),
    node: entry.node || undefined,
    all: isPveTrue(entry.all),
    vmids: vmidList(entry.vmid),
    excludes: vmidList(entry.exclude),
    pool: entry.pool || undefined,
    pruneBackups: nonEmpty(parsePruneBackups(entry["prune-backups"])),
    mailto: parseList(entry.mailto),
    mailnotification: entry.mailnotification || undefined,
    mode: entry.mode || undefined,
    compress: entry.compress || undefined,
    notesTemplate: entry["notes-template"] || undefined,
  };
}

/** An empty `prune-backups` sets nothing: the storage's retention applies. */
export function nonEmpty(prune: PruneBackups | undefined): PruneBackups | undefined {
  return prune && Object.keys(prune).length > 0 ? prune : undefined;
}
