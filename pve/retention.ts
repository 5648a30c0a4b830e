/**
 * `prune-backups`, PVE's retention: its keep-* options, how PVE reads and prints a value, and the
 * provider's shapes of it (a storage's `backups` block, a job's `pruneBackups` map).
 */
import * as z from "zod";

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

/**
 * The largest keep-* count written. PVE takes any integer from 0 (pve-storage PVE/Storage/Plugin.pm
 * `%prune_option`: `type => 'integer', minimum => '0'`), as decimal digits (pve-common
 * PVE/JSONSchema.pm `is_integer`: `^[+-]?\d+$`); past 2^53 - 1 JavaScript writes a number as
 * `1e+21`, which PVE refuses, or rounds it.
 */
const KEEP_MAX = Number.MAX_SAFE_INTEGER;

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

/** How many backups a retention keeps at most: PVE's pruning keeps each backup for one keep-* option at most. */
export function maxBackupsKept(retention: Retention): number {
  return KEEP_OPTIONS.reduce((n, k) => n + (retention[k] ?? 0), 0);
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
    // PVE reads a count as decimal digits (PVE/JSONSchema.pm `is_integer`), from 0 (`%prune_option`):
    // `1e21`, `0x10` and ` 3` are not counts to it, and JavaScript cannot hold one past KEEP_MAX exactly.
    const digits = typeof raw === "string" ? /^\+?\d+$/.test(raw) : typeof raw === "number" || typeof raw === "boolean";
    const n = Number(raw);
    if (!digits || !Number.isInteger(n) || n < 0 || n > KEEP_MAX) {
      throw new Error(
        `prune-backups ${key} must be a whole number from 0 to ${KEEP_MAX}, as PVE reads one, not ${JSON.stringify(raw)}`,
      );
    }
    prune[key as keyof PruneBackups] = n;
  }
  return prune;
}

/** A `prune-backups` value in a schema: PVE's property string (`keep-last=3`) or its object. */
export const pruneBackupsValue = z.union([
  z.string(),
  z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
]);
