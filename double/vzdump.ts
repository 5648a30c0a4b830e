/**
 * What a scheduled backup run leaves behind on a PVE node, for the double's clusters: the task
 * pvescheduler starts (type `vzdump`, user root@pam, id the vmid when the run backs up exactly one
 * guest of the node, else empty), its log line by line as vzdump writes it (pve-manager
 * PVE/VZDump.pm, PVE/Jobs/VZDump.pm), and the archives with their notes, in the cluster snapshot's
 * format (tiers/snapshot.ts). Tests and benchmarks build a site's history of runs with it instead
 * of writing each task and volume by hand.
 */
import { formatIsoTime } from "../tiers/calendar";
import type { ClusterSnapshot } from "../tiers/snapshot";
import {
  JOB_DEFAULTS,
  NOTES_TEMPLATE_VARIABLES,
  NotesTemplateVariable,
  SCHEDULED_RUN_TASK,
  VZDUMP_GUEST_ERRORS,
  VZDUMP_JOB_START,
  parseList,
  vzdumpCommandLine,
  vzdumpTaskId,
} from "../tiers/pve";

type SnapshotTask = NonNullable<ClusterSnapshot["tasks"]>[number];
type SnapshotBackup = NonNullable<ClusterSnapshot["backups"]>[number];

/** A guest of the run's node. */
interface RunGuest {
  vmid: number;
  kind: "qemu" | "lxc";
  name: string;
}

/** How a guest's backup goes: written (that long, that big) or failed with vzdump's reason. */
export type GuestOutcome =
  { ok: true; seconds: number; size: number; protected?: boolean } | { ok: false; seconds: number; reason: string };

export interface ScheduledRun {
  /** The job as `/cluster/backup` (or a snapshot's `backup`) has it. */
  job: Record<string, unknown>;
  node: string;
  /** The job's guests on this node; the job's others are skipped here ("skip external VMs"). */
  guests: RunGuest[];
  /** When pvescheduler started the task. */
  start: Date;
  /** The node's time zone: vzdump's log times and archive names are its wall clock. */
  timeZone: string;
  /** Per vmid; default: written in 60 s, 1 GiB. */
  outcomes?: Record<number, GuestOutcome>;
  /** The run has not ended: no end time, no status, the log stops after the last guest begun. */
  running?: boolean;
  /** `{{cluster}}` in notes. */
  cluster?: string;
}

/** Keys of a job that are not vzdump options (PVE/Jobs/VZDump.pm drops them before the run). */
const NOT_VZDUMP_OPTIONS = new Set(["id", "type", "schedule", "enabled", "comment", "repeat-missed", "next-run"]);

const ARCHIVE_EXTENSION: Record<string, string> = { zstd: ".zst", gzip: ".gz", "1": ".lzo", lzo: ".lzo", "0": "" };

/** `2026_02_12-03_00_04`, and `2026-02-12 03:00:04` as vzdump logs it: the node's wall clock. */
function wall(date: Date, timeZone: string): { file: string; log: string } {
  const iso = formatIsoTime(date, timeZone); // 2026-02-12T03:00:04-05:00
  const [d, t] = [iso.slice(0, 10), iso.slice(11, 19)];
  return { file: `${d.replace(/-/g, "_")}-${t.replace(/:/g, "_")}`, log: `${d} ${t}` };
}

function hhmmss(seconds: number): string {
  const p2 = (n: number) => String(n).padStart(2, "0");
  return `${p2(Math.floor(seconds / 3600))}:${p2(Math.floor((seconds % 3600) / 60))}:${p2(seconds % 60)}`;
}

/** A job's parameters for its run: prune-backups as PVE prints the property string, plus `quiet 1`. */
function runParameters(job: Record<string, unknown>): Record<string, string | number | string[] | undefined> {
  const params: Record<string, string | number | string[] | undefined> = {};
  for (const [key, value] of Object.entries(job)) {
    if (NOT_VZDUMP_OPTIONS.has(key) || value === undefined) continue;
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      params[key] = Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
    } else params[key] = value as string | number | string[];
  }
  params.quiet = 1;
  return params;
}

/** The notes vzdump writes from the job's notes-template (its variables filled in, `\n` a line break). */
function notesOf(template: string, guest: RunGuest, node: string, cluster: string): string {
  const values: Record<NotesTemplateVariable, string> = {
    cluster,
    guestname: guest.name,
    node,
    vmid: String(guest.vmid),
  };
  return template
    .replace(
      new RegExp(`\\{\\{(${NOTES_TEMPLATE_VARIABLES.join("|")})\\}\\}`, "g"),
      (_, v: NotesTemplateVariable) => values[v],
    )
    .replace(/\\(n|\\)/g, (_, c: string) => (c === "n" ? "\n" : "\\"));
}

/** One scheduled run of a job on one node: its task (with its log) and the archives it wrote. */
export function scheduledRun(run: ScheduledRun): { task: SnapshotTask; backups: SnapshotBackup[] } {
  const { job, node, timeZone } = run;
  const storage = String(job.storage ?? "local");
  const compress = String(job.compress ?? JOB_DEFAULTS.compress);
  const guests = [...run.guests].sort((a, b) => a.vmid - b.vmid);
  const local = new Set(guests.map((g) => g.vmid));
  const external = parseList(String(job.vmid ?? ""))
    .map(Number)
    .filter((v) => !local.has(v))
    .sort((a, b) => a - b);
  const log = [`${VZDUMP_JOB_START}${vzdumpCommandLine(runParameters(job))}`];
  if (external.length > 0) log.push(`INFO: skip external VMs: ${external.join(", ")}`);
  const backups: SnapshotBackup[] = [];
  const start = Math.floor(run.start.getTime() / 1000);
  let t = start + 1;
  let errors = 0;
  for (const [i, guest] of guests.entries()) {
    const outcome = run.outcomes?.[guest.vmid] ?? { ok: true, seconds: 60, size: 1024 ** 3 };
    if (run.running && i === guests.length - 1) {
      log.push(`INFO: Starting Backup of VM ${guest.vmid} (${guest.kind})`);
      log.push(`INFO: Backup started at ${wall(new Date(t * 1000), timeZone).log}`);
      break;
    }
    const began = wall(new Date(t * 1000), timeZone);
    const ended = wall(new Date((t + outcome.seconds) * 1000), timeZone);
    const archive = `vzdump-${guest.kind}-${guest.vmid}-${began.file}.${guest.kind === "qemu" ? "vma" : "tar"}${ARCHIVE_EXTENSION[compress] ?? ""}`;
    log.push(`INFO: Starting Backup of VM ${guest.vmid} (${guest.kind})`);
    log.push(`INFO: Backup started at ${began.log}`);
    log.push(`INFO: backup mode: ${String(job.mode ?? JOB_DEFAULTS.mode)}`);
    if (outcome.ok) {
      log.push(`INFO: creating vzdump archive '/mnt/pve/${storage}/dump/${archive}'`);
      if (typeof job["notes-template"] === "string") log.push("INFO: adding notes to backup");
      if (outcome.protected) log.push("INFO: marking backup as protected");
      log.push(`INFO: Finished Backup of VM ${guest.vmid} (${hhmmss(outcome.seconds)})`);
      log.push(`INFO: Backup finished at ${ended.log}`);
      const template = job["notes-template"];
      backups.push({
        storage,
        volid: `${storage}:backup/${archive}`,
        size: outcome.size,
        ...(typeof template === "string" ? { notes: notesOf(template, guest, node, run.cluster ?? "") } : {}),
        ...(outcome.protected ? { protected: true } : {}),
      });
    } else {
      errors += 1;
      log.push(`ERROR: Backup of VM ${guest.vmid} failed - ${outcome.reason}`);
      log.push(`INFO: Failed at ${ended.log}`);
    }
    t += outcome.seconds + 1;
  }
  const id = vzdumpTaskId(guests.map((g) => g.vmid));
  if (run.running) return { task: { node, ...SCHEDULED_RUN_TASK, id, starttime: start, log }, backups };
  log.push(`INFO: Backup job finished ${errors > 0 ? "with errors" : "successfully"}`);
  log.push(errors > 0 ? `TASK ERROR: ${VZDUMP_GUEST_ERRORS}` : "TASK OK");
  return {
    task: {
      node,
      ...SCHEDULED_RUN_TASK,
      id,
      starttime: start,
      endtime: t,
      status: errors > 0 ? VZDUMP_GUEST_ERRORS : "OK",
      log,
    },
    backups,
  };
}
