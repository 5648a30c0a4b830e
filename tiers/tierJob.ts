/**
 * A tier's backup job, written once: the provider's inputs the program declares for it
 * (`tierJobInputs`, backupTier.ts), what the provider writes to PVE for a Job's inputs
 * (`jobOfInputs`), and so the job PVE holds after `pulumi up` (`tierJob`). The program, the plan,
 * the status and the end-to-end checks all take the tier's job from here; and the notes-template the
 * job writes on each backup, and how the status reads the job back from a backup's notes.
 */
import type { JobArgs } from "@muhlba91/pulumi-proxmoxve/backup/job";
import type { Tier } from "./config";
import type { BackupJobEntry } from "../pve/job";
import { parsePruneBackups, toPruneBackupsMap } from "../pve/retention";

/**
 * The notes-template of a tier's job: PVE fills in the variables per backup, so every archive says
 * which guest, tier and job it belongs to. Built here once, for the job and for the
 * validation that PVE will take it (siteRules.ts).
 */
export function jobNotesTemplate(tier: Pick<Tier, "id" | "description" | "job">): string {
  return `{{guestname}} ({{vmid}}) - tier ${tier.id}: ${tier.description} - job ${tier.job}`;
}

/**
 * The job a backup's notes name, as `jobNotesTemplate` writes them (`... - job <id>` at the end),
 * or undefined when the notes name none (a backup made by hand, or by a job with other notes). Read
 * by the job id alone, so backups written before a tier's description changed still count as its job's.
 */
export function jobOfNotes(notes: string | undefined): string | undefined {
  const m = / - job ([A-Za-z][A-Za-z0-9_-]*)$/.exec(notes?.trim() ?? "");
  return m?.[1];
}

/** The provider Job inputs a tier sets, but the storage: an Output when the stack manages it (program.ts). */
export function tierJobInputs(tier: Tier) {
  return {
    resourceId: tier.job,
    schedule: tier.schedule,
    vmids: tier.guests.map((g) => String(g.vmid)),
    node: tier.node,
    mode: tier.mode,
    compress: tier.compress,
    pruneBackups: toPruneBackupsMap(tier.retention),
    enabled: true,
    mailtos: tier.notification?.mailto,
    mailnotification: tier.notification?.when,
    notesTemplate: jobNotesTemplate(tier),
  } satisfies Omit<JobArgs, "storage">;
}

/** A Job's inputs, known values: by the provider's names (`vmids`, `mailtos`, `pruneBackups`, ...). */
export type JobInputs = { [K in keyof JobArgs]?: unknown };

/**
 * The job PVE holds for a provider Job's inputs, as `GET /cluster/backup` returns it: PVE's names,
 * lists joined by commas, flags 1/0, `prune-backups` PVE's object (counts as strings), an input
 * that is not set (or empty) absent. The inputs the plan compares are the ones read here.
 */
export function jobOfInputs(inputs: JobInputs): BackupJobEntry {
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.map(String).join(",") : undefined);
  const prune = parsePruneBackups(inputs.pruneBackups);
  const entry: BackupJobEntry = {
    id: String(inputs.resourceId),
    type: "vzdump",
    schedule: text(inputs.schedule),
    storage: text(inputs.storage),
    node: text(inputs.node),
    vmid: list(inputs.vmids),
    all: inputs.all === true ? 1 : undefined,
    exclude: list(inputs.excludes),
    pool: text(inputs.pool),
    enabled: inputs.enabled === false ? 0 : 1,
    mode: text(inputs.mode),
    compress: text(inputs.compress),
    "prune-backups":
      prune && Object.keys(prune).length > 0
        ? Object.fromEntries(Object.entries(prune).map(([k, n]) => [k, String(n)]))
        : undefined,
    mailto: list(inputs.mailtos),
    mailnotification: text(inputs.mailnotification),
    "notes-template": text(inputs.notesTemplate),
  };
  return Object.fromEntries(Object.entries(entry).filter(([, v]) => v !== undefined)) as BackupJobEntry;
}

/** A tier's job as PVE holds it after `pulumi up` (`GET /cluster/backup`'s entry). */
export function tierJob(tier: Tier): BackupJobEntry {
  return jobOfInputs({ ...tierJobInputs(tier), storage: tier.storage });
}
