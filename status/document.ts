/**
 * The status document (`npm run status -- --json`, read back by `npm run report -- --status`): its
 * type, its schema, the capacity thresholds, and how its ages and sizes read in the status's text and
 * on the report's page. The one owner of these facts; status/judge.ts writes the document.
 */
import * as z from "zod";
import { GUEST_KINDS } from "../pve/ids";

/**
 * A guest's state. UNKNOWN is the status saying it could not judge: the token may not see the
 * guest's backups or the task history that decides it (the reason names the privilege), or the
 * node holding them is offline.
 */
export const GUEST_STATES = ["OK", "FAILED", "LATE", "MISSING", "PENDING", "UNTIERED", "UNKNOWN"] as const;
export type GuestState = (typeof GUEST_STATES)[number];

/** Capacity levels, as fractions of a storage's total: over 80% a warning, over 100% a failure. */
export const CAPACITY_THRESHOLDS = { warning: 0.8, over: 1 } as const;
export type CapacityLevel = "ok" | "warning" | "over";

/** How full a storage is at the tiers' full retention: `needed` against its `total`. */
export function capacityLevel(storage: { total: number; needed: number }): CapacityLevel {
  const share = storage.total > 0 ? storage.needed / storage.total : storage.needed > 0 ? Infinity : 0;
  return share > CAPACITY_THRESHOLDS.over ? "over" : share > CAPACITY_THRESHOLDS.warning ? "warning" : "ok";
}

const isoTime = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), "is not an ISO-8601 time");
const bytes = z.number().nonnegative();

const statusGuestSchema = z.looseObject({
  vmid: z.number().int(),
  kind: z.enum(GUEST_KINDS),
  name: z.string(),
  tier: z.string().nullable(),
  job: z.string().nullable(),
  storage: z.string().nullable(),
  state: z.enum(GUEST_STATES),
  newest: z.looseObject({ volid: z.string(), time: isoTime, size: bytes }).nullable(),
  lastDue: isoTime.nullable(),
  nextRun: isoTime.nullable(),
  reason: z.string().optional(),
  /**
   * Seconds this guest's backup took in its job's last run, from the task log: vzdump's own
   * `Finished Backup of VM <vmid> (HH:MM:SS)`, or from `Backup started at` to `Failed at`.
   */
  duration: z.number().nonnegative().optional(),
  /** The drill's last word on this guest (`status --drill FILE`): when, how it ended, how long it took. */
  lastRestore: z
    .looseObject({
      at: isoTime,
      outcome: z.string(),
      volid: z.string().nullable(),
      restoreSeconds: z.number().nonnegative().nullable(),
      bootSeconds: z.number().nonnegative().nullable(),
      reason: z.string().optional(),
    })
    .nullable()
    .optional(),
  /** The tier asks for a drill every `drill` and the last OK one is older, or there is none. */
  restoreOverdue: z.boolean().optional(),
});

const statusStorageSchema = z.looseObject({ id: z.string(), total: bytes, used: bytes, avail: bytes, needed: bytes });

export const statusDocumentSchema = z.looseObject({
  stack: z.string(),
  at: isoTime,
  ok: z.boolean(),
  guests: z.array(statusGuestSchema),
  storages: z.array(statusStorageSchema),
});

export type StatusDocument = z.output<typeof statusDocumentSchema>;
export type GuestStatus = z.output<typeof statusGuestSchema>;
export type StorageStatusEntry = z.output<typeof statusStorageSchema>;

/** How old a backup is, in the words a person uses: 59 min, 5 h 20 min, 3 d 4 h. */
export function formatAge(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/** A size in IEC units, as PVE's GUI shows sizes: 1023 B, 4.5 GiB, 22.8 GiB, 3.6 TiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}
