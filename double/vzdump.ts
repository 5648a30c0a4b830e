/**
 * What a scheduled backup run leaves behind on a PVE node, for the double's clusters: the task
 * pvescheduler starts (type `vzdump`, user root@pam, id the vmid when the run backs up exactly one
 * guest of the node, else empty), its log line by line as vzdump writes it (pve-manager
 * PVE/VZDump.pm, PVE/Jobs/VZDump.pm), and the archives with their notes, in the cluster snapshot's
 * format (pve/snapshot.ts). Tests and benchmarks build a site's history of runs with it instead
 * of writing each task and volume by hand.
 *
 * A run goes in PVE's order (pve-manager PVE/API2/VZDump.pm `vzdump`, its worker): inside the task,
 * `PVE::VZDump->new` runs the `job-init` hook and activates the storage, then `getlock` takes the
 * node's global lock (waiting up to `lockwait` minutes), then `exec_backup` writes the job line and
 * backs up each guest. Each of those can fail, and each failure leaves the log and status PVE's does.
 */
import { formatIsoTime } from "../tiers/calendar";
import type { ClusterSnapshot } from "../pve/snapshot";
import { BackupJobEntry, JOB_DEFAULTS } from "../pve/job";
import { NOTES_TEMPLATE_VARIABLES, NotesTemplateVariable } from "../pve/notes";
import {
  SCHEDULED_RUN_TASK,
  TASK_UNEXPECTED_STATUS,
  VZDUMP_GUEST_ERRORS,
  VZDUMP_JOB_START,
  VZDUMP_LOCKWAIT_DEFAULT_MINUTES,
  VZDUMP_LOCK_ACQUIRED,
  VZDUMP_LOCK_FILE,
  VZDUMP_LOCK_WAITING,
  shellQuote,
  vzdumpCommandLine,
  vzdumpTaskId,
} from "../pve/vzdumpLog";
import { parseList } from "../pve/values";

type SnapshotTask = NonNullable<ClusterSnapshot["tasks"]>[number];
type SnapshotBackup = NonNullable<ClusterSnapshot["backups"]>[number];

/** A guest of the run's node. */
interface RunGuest {
  vmid: number;
  kind: "qemu" | "lxc";
  name: string;
}

/** How a guest's backup goes: written (that long, that big) or failed with vzdump's reason. */
type GuestOutcome =
  { ok: true; seconds: number; size: number; protected?: boolean } | { ok: false; seconds: number; reason: string };

export interface ScheduledRun {
  /** The job as `/cluster/backup` (or a snapshot's `backup`) has it. */
  job: BackupJobEntry;
  node: string;
  /** The job's guests on this node; the job's others are skipped here ("skip external VMs"). */
  guests: RunGuest[];
  /** When pvescheduler started the task. */
  start: Date;
  /** The node's time zone: vzdump's log times and archive names are its wall clock. */
  timeZone: string;
  /** Per vmid; default: written in 60 s, 1 GiB. */
  outcomes?: Record<number, GuestOutcome>;
  /**
   * The run has not ended: no end time, no status, the log stops after the last guest begun (with
   * `lockHeld: "timeout"`: it still waits for the lock, its log that one line).
   */
  running?: boolean;
  /** `{{cluster}}` in notes. */
  cluster?: string;
  /**
   * The hook script (the job's or vzdump.conf's `script`) exits non-zero in its `job-init` phase:
   * `PVE::VZDump->new` fails, before the storage, the lock and the job line. `output`: what the
   * script prints, each line logged as `INFO: <line>`.
   */
  jobInitHookFails?: { script: string; exitCode: number; output?: string[] };
  /**
   * The run's storage is not online from the node (its NFS server does not answer, pve-storage
   * PVE/Storage/NFSPlugin.pm `check_connection`): `PVE::VZDump->new` fails activating it.
   */
  storageOffline?: boolean;
  /**
   * Another backup holds the node's global vzdump lock when the run starts (a long run of another
   * job): the run waits `seconds` and then goes on, or waits its `lockwait` out (`"timeout"`).
   */
  lockHeld?: { seconds: number } | "timeout";
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
function runParameters(job: BackupJobEntry): Record<string, string | number | string[] | undefined> {
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

/**
 * How long NFSPlugin's `check_connection` waits for `showmount` before it calls the server
 * offline (pve-storage PVE/Storage/NFSPlugin.pm, `run_command(..., timeout => 10)`).
 */
const NFS_CHECK_SECONDS = 10;

/**
 * The part of a run before its job line (pve-manager PVE/API2/VZDump.pm `vzdump`'s worker):
 * `PVE::VZDump->new`, then `getlock`. Returns the lines logged, the time reached, and how the task
 * ended if it ended there (its status), or `waiting` for a run still waiting.
 */
function beforeJobLine(
  run: ScheduledRun,
  storage: string,
  start: number,
): { log: string[]; t: number; ended?: { status: string }; waiting?: boolean } {
  const log: string[] = [];
  let t = start;
  // PVE/VZDump.pm `new`: errors are collected (`$add_error`), the job-init hook's first, then the
  // storage's, and the task dies with them joined by line breaks; fork_worker (pve-common
  // PVE/RESTEnvironment.pm) writes `TASK ERROR: ` with each line break a space, and that text is
  // the task's status (pve-common PVE/UPID.pm `read_status`).
  const errors: string[] = [];
  const hook = run.jobInitHookFails;
  if (hook) {
    // `run_hook_script` runs `[$script, 'job-init']` with vzdump's `run_command`: each line the
    // script prints is logged as INFO (PVE/VZDump/Plugin.pm `debugmsg`); a non-zero exit dies with
    // pve-common PVE/Cmd.pm `run`'s "command '<words shell-quoted>' failed: exit code N".
    for (const line of hook.output ?? []) log.push(`INFO: ${line}`);
    errors.push(`command '${[hook.script, "job-init"].map(shellQuote).join(" ")}' failed: exit code ${hook.exitCode}`);
    t += 1;
  }
  if (run.storageOffline) {
    // pve-storage PVE/Storage.pm `activate_storage`: "storage '<id>' is not online" when the
    // plugin's check_connection fails; new() prefixes it.
    errors.push(`could not activate storage '${storage}': storage '${storage}' is not online`);
    t += NFS_CHECK_SECONDS;
  }
  if (errors.length > 0) {
    const status = errors.join(" ");
    return { log: [...log, `TASK ERROR: ${status}`], t, ended: { status } };
  }
  // PVE/VZDump.pm `getlock`: with the lock taken, log the wait, then wait up to `lockwait` minutes
  // (the job's, else 180; `lockwait 0` waits not at all). No lock: log why and exit(-1) from the
  // worker, so no TASK line is written and the status is "unexpected status".
  if (run.lockHeld) {
    const lockwait = run.job.lockwait === undefined ? VZDUMP_LOCKWAIT_DEFAULT_MINUTES : Number(run.job.lockwait);
    if (run.lockHeld === "timeout" && lockwait === 0) {
      log.push(`ERROR: can't acquire lock '${VZDUMP_LOCK_FILE}' (wait = 0)`);
      return { log, t, ended: { status: TASK_UNEXPECTED_STATUS } };
    }
    log.push(VZDUMP_LOCK_WAITING);
    if (run.lockHeld === "timeout") {
      if (run.running) return { log, t, waiting: true };
      log.push(`ERROR: can't acquire lock '${VZDUMP_LOCK_FILE}' - got timeout`);
      return { log, t: t + lockwait * 60, ended: { status: TASK_UNEXPECTED_STATUS } };
    }
    log.push(VZDUMP_LOCK_ACQUIRED);
    t += run.lockHeld.seconds;
  }
  return { log, t };
}

/** One scheduled run of a job on one node: its task (with its log) and the archives it wrote. */
export function scheduledRun(run: ScheduledRun): { task: SnapshotTask; backups: SnapshotBackup[] } {
  const { job, node, timeZone } = run;
  const storage = String(job.storage ?? "local");
  const compress = String(job.compress ?? JOB_DEFAULTS.compress);
  const guests = [...run.guests].sort((a, b) => a.vmid - b.vmid);
  // fork_worker gets the task id before the worker runs: it does not depend on how the run goes.
  const id = vzdumpTaskId(guests.map((g) => g.vmid));
  const start = Math.floor(run.start.getTime() / 1000);
  const before = beforeJobLine(run, storage, start);
  const log = before.log;
  if (before.waiting) return { task: { node, ...SCHEDULED_RUN_TASK, id, starttime: start, log }, backups: [] };
  if (before.ended) {
    const task = { node, ...SCHEDULED_RUN_TASK, id, starttime: start, endtime: before.t, status: before.ended.status };
    return { task: { ...task, log }, backups: [] };
  }
  const local = new Set(guests.map((g) => g.vmid));
  const external = parseList(String(job.vmid ?? ""))
    .map(Number)
    .filter((v) => !local.has(v))
    .sort((a, b) => a - b);
  log.push(`${VZDUMP_JOB_START}${vzdumpCommandLine(runParameters(job))}`);
  if (external.length > 0) log.push(`INFO: skip external VMs: ${external.join(", ")}`);
  const backups: SnapshotBackup[] = [];
  let t = before.t + 1;
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
