/**
 * Proxmox VE's own formats and limits, in one place: the program, the policy pack and the commands
 * all take them from here. Sources: the PVE API schema (api/endpoints.json) and
 * PVE's source where the schema is silent.
 */

/** Guest kinds as PVE names them in `/cluster/resources` (`type`) and in backup file names. */
export const GUEST_KINDS = ["qemu", "lxc"] as const;
export type GuestKind = (typeof GUEST_KINDS)[number];

/** vmids match `^[1-9][0-9]{2,8}$`: 100 up to 999999999. */
export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;

/** A backup job id: `^[a-z][a-z0-9_-]+$`, case-insensitive, at most 50 characters. */
export const JOB_ID_PATTERN = /^[a-z][a-z0-9_-]+$/i;
export const JOB_ID_MAX_LENGTH = 50;

/** A storage id (`pve-storage-id`). */
export const STORAGE_ID_PATTERN = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;

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

/** Storage content types (`pve-storage-content-list`); vzdump writes `backup`. */
export const CONTENT_TYPES = ["backup", "images", "import", "iso", "rootdir", "snippets", "vztmpl"] as const;
export const BACKUP_CONTENT = "backup";

/**
 * The keep-* options of `prune-backups`, in PVE's order. `keep-all` is deliberately absent from what
 * this project writes: it keeps every backup forever, which is the failure this project exists to stop.
 */
export const KEEP_OPTIONS = [
  "keep-last",
  "keep-hourly",
  "keep-daily",
  "keep-weekly",
  "keep-monthly",
  "keep-yearly",
] as const;
export type KeepOption = (typeof KEEP_OPTIONS)[number];

/** A bounded retention: how many backups each keep-* option keeps. */
export type Retention = Partial<Record<KeepOption, number>>;

/** What a `prune-backups` value says, as PVE reads it. */
export type PruneBackups = Partial<Record<KeepOption | "keep-all" | "max-protected-backups", number>>;

/**
 * Whether retention is bounded. PVE keeps everything when keep-all is set, and also when every
 * keep-* option is 0 or absent (it then falls back to keep-all=1).
 */
export function isBounded(prune: PruneBackups): boolean {
  if (prune["keep-all"]) return false;
  return KEEP_OPTIONS.some((k) => (prune[k] ?? 0) > 0);
}

/** The provider's name for each keep-* option in a storage's `backups` block (`keep-last` → `keepLast`). */
export const BACKUPS_BLOCK_KEY: Record<KeepOption, string> = {
  "keep-last": "keepLast",
  "keep-hourly": "keepHourly",
  "keep-daily": "keepDaily",
  "keep-weekly": "keepWeekly",
  "keep-monthly": "keepMonthly",
  "keep-yearly": "keepYearly",
};

/** `{"keep-last": 3}` → `{keepLast: 3}`, a storage's `backups` block for the provider. */
export function toBackupsBlock(retention: Retention): Record<string, number> {
  const block: Record<string, number> = {};
  for (const k of KEEP_OPTIONS) {
    const n = retention[k];
    if (n !== undefined) block[BACKUPS_BLOCK_KEY[k]] = n;
  }
  return block;
}

/** `{"keep-last": 3}` → `{"keep-last": "3"}`, the provider's `pruneBackups` map (values are strings). */
export function toPruneBackupsMap(retention: Retention): Record<string, string> {
  const map: Record<string, string> = {};
  for (const k of KEEP_OPTIONS) {
    const n = retention[k];
    if (n !== undefined && n > 0) map[k] = String(n);
  }
  return map;
}

/** `{"keep-last": 3, "keep-weekly": 2}` → `keep-last=3,keep-weekly=2`, as PVE prints it. */
export function formatPruneBackups(prune: PruneBackups): string {
  const keys = [...KEEP_OPTIONS, "keep-all", "max-protected-backups"] as const;
  return keys
    .filter((k) => prune[k] !== undefined)
    .map((k) => `${k}=${prune[k]}`)
    .join(",");
}

/**
 * Reads a `prune-backups` value in any of the shapes PVE and the provider use: the property string
 * `keep-last=3,keep-weekly=2`, PVE's JSON object (numbers or strings), or the provider's map of strings.
 * Returns undefined for an absent value and throws on one that is not a prune-backups value.
 */
export function parsePruneBackups(value: unknown): PruneBackups | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const entries: [string, unknown][] =
    typeof value === "string"
      ? value.split(",").map((part) => {
          const [k, v] = part.split("=");
          return [k.trim(), v?.trim()];
        })
      : typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value as Record<string, unknown>)
        : [["", value]];
  const prune: PruneBackups = {};
  for (const [key, raw] of entries) {
    const known = [...KEEP_OPTIONS, "keep-all", "max-protected-backups"] as string[];
    if (!known.includes(key)) throw new Error(`unknown prune-backups option ${JSON.stringify(key)}`);
    const n = typeof raw === "boolean" ? Number(raw) : Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`prune-backups ${key} must be a non-negative integer, not ${JSON.stringify(raw)}`);
    }
    prune[key as keyof PruneBackups] = n;
  }
  return prune;
}

/** `backup,iso` → `["backup", "iso"]` (PVE's content lists are comma-separated strings). */
export function parseList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = Array.isArray(value) ? value : value.split(/[,;\s]+/);
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * A PVE API token as the provider and `PROXMOX_VE_API_TOKEN` take it: `user@realm!tokenid=secret`
 * (the secret is a UUID). Anything of this shape in a message is a credential.
 */
const API_TOKEN_PATTERN = /[^\s@'"`=!,;]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*=[^\s'"`,;]+/g;

/** Text with every token-shaped value replaced by `[secret]`: what any output, error or log may show. */
export function redactSecrets(text: string): string {
  return text.replace(API_TOKEN_PATTERN, "[secret]");
}
