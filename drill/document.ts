/**
 * The drill's result (`drill --json`, read back by `status --drill` and `report --drill`): per guest,
 * the backup restored, into which scratch vmid, how long the restore and the boot took, and the
 * outcome. The one owner of its schema.
 */
import * as z from "zod";
import { GUEST_KINDS } from "../pve/ids";

/**
 * A guest's outcome: OK (restored and booted), FAILED (PVE's reason), REFUSED (not tried: no
 * backup, or the target storage lacks the space), PLANNED (`--dry-run`), INTERRUPTED (Ctrl-C).
 */
const DRILL_OUTCOMES = ["OK", "FAILED", "REFUSED", "PLANNED", "INTERRUPTED"] as const;

const isoTime = z
  .string()
  .refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) && !Number.isNaN(Date.parse(v)), "is not an ISO-8601 time");

const drillGuestSchema = z.looseObject({
  vmid: z.number().int(),
  kind: z.enum(GUEST_KINDS),
  name: z.string(),
  tier: z.string(),
  outcome: z.enum(DRILL_OUTCOMES),
  /** The backup restored (the newest, by the status's rules). */
  volid: z.string().nullable(),
  backupTime: isoTime.nullable(),
  /** The new vmid it was restored into. */
  scratchVmid: z.number().int().nullable(),
  /** When the drill of this guest ended. */
  at: isoTime,
  restoreSeconds: z.number().nonnegative().nullable(),
  bootSeconds: z.number().nonnegative().nullable(),
  /** How the boot was seen: the QEMU guest agent's ping, or the guest's `running` status. */
  bootCheck: z.enum(["agent", "running"]).nullable(),
  reason: z.string().optional(),
  /** Whether the scratch guest is gone again (false only with --keep-on-failure, or a failed clean-up). */
  cleanedUp: z.boolean(),
});

export const drillDocumentSchema = z.looseObject({
  stack: z.string(),
  at: isoTime,
  ok: z.boolean(),
  node: z.string().nullable(),
  guests: z.array(drillGuestSchema),
});

export type DrillDocument = z.output<typeof drillDocumentSchema>;
export type DrillGuest = z.output<typeof drillGuestSchema>;
