/** PVE's backup job options: modes, compressors, mail notification, and the defaults PVE assumes. */
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
