/**
 * The judgement of `npm run status`, as pure functions over what the PVE API said (gathered by
 * cli/commands/status.ts): which vzdump tasks are runs of a tier's job, each tier guest's last due run,
 * next run and state (OK, FAILED, LATE, MISSING, PENDING, UNTIERED, or UNKNOWN when the token may not
 * see what decides it), the checks of its newest archive, and each storage's space at full retention.
 *
 * Also the one owner of the status document (`npm run status -- --json`, read back by
 * `npm run report -- --status`): its type, its schema, the capacity thresholds, and how its ages
 * and sizes read in the status's text and on the report's page.
 */
import * as z from "zod";
import type { TaskEntry, VolumeEntry } from "../pve/entries";
import { backupVisibilityGap, PathPrivileges } from "../pve/privileges";
import { CalendarEvent, formatIsoTime, tryParseCalendarEvent, zonedTimeToDate } from "../tiers/calendar";
import { Site, Tier, formatPath, graceSeconds, otherStackGuests } from "../tiers/config";
import { jobOfNotes, jobNotesTemplate } from "../tiers/tierJob";
import type { ClusterGuest } from "../tiers/inventory";
import { GUEST_KINDS, GuestKind, sameJobId } from "../pve/ids";
import { JOB_DEFAULTS } from "../pve/job";
import {
  SCHEDULED_RUN_TASK,
  VzdumpGuestLog,
  VzdumpJobStart,
  VzdumpRunLog,
  WallTime,
  parseVzdumpJobStart,
  readVzdumpLog,
} from "../pve/vzdumpLog";
import { backupFileName, parseVzdumpFileName } from "../pve/archives";
import { isPveTrue, parseList } from "../pve/values";
import { maxBackupsKept } from "../pve/retention";
import { InputError, readInputFile } from "../cli/cli";

// ---------------------------------------------------------------------------------------------
// The status document

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
});

const statusStorageSchema = z.looseObject({ id: z.string(), total: bytes, used: bytes, avail: bytes, needed: bytes });

const statusDocumentSchema = z.looseObject({
  stack: z.string(),
  at: isoTime,
  ok: z.boolean(),
  guests: z.array(statusGuestSchema),
  storages: z.array(statusStorageSchema),
});

export type StatusDocument = z.output<typeof statusDocumentSchema>;
type GuestStatus = z.output<typeof statusGuestSchema>;
type StorageStatusEntry = z.output<typeof statusStorageSchema>;

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

/** Reads and validates a status document; a mistake is one line naming the file, the place and the value. */
export function readStatusDocument(file: string): StatusDocument {
  const text = readInputFile(file);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const parsed = statusDocumentSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  let value: unknown = raw;
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  const got = value === undefined ? "missing" : JSON.stringify(value).slice(0, 80);
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : "";
  throw new InputError(`${file}: ${formatPath("$", issue.path)}: ${issue.message} (got ${got})${more}`);
}

// ---------------------------------------------------------------------------------------------
// What the status reads of the cluster (cli/commands/status.ts gathers it)

/** A backup job as the status needs it: what PVE runs, from `/cluster/backup` (or the stack's tier). */
export interface StatusJob {
  id: string;
  schedule?: string;
  storage?: string;
  /** The vmid list, when the job backs up by vmid. */
  vmids?: number[];
  all: boolean;
  exclude: number[];
  pool?: string;
  node?: string;
  enabled: boolean;
  notesTemplate?: string;
  /** Taken from the stack, not read from the cluster: its runs are told by guests and storage alone. */
  declared?: true;
}

/** A backup volume of the content listing (`content=backup`): what the judgement reads of it. */
export type BackupVolume = Pick<VolumeEntry, "volid" | "size" | "ctime" | "vmid" | "subtype" | "notes" | "protected">;

/** A storage as far as the token could read it. */
export interface StorageView {
  id: string;
  /** Every backup volume the token sees; undefined when the listing could not be read (`error`). */
  backups?: BackupVolume[];
  /** The token's privileges on `/storage/<id>` (`GET /access/permissions`). */
  privileges: PathPrivileges;
  /** The token's privileges on `/vms/<vmid>`, read where the storage's privileges do not decide alone. */
  guestPrivileges: Map<number, PathPrivileges>;
  /** `.../status`: undefined when it could not be read (`error`). */
  space?: { total: number; used: number; avail: number };
  /** Why the listing or the status could not be read. */
  error?: string;
}

/** A node's task history as far as the token could read it. */
export interface NodeView {
  node: string;
  online: boolean;
  /** Why the history of root@pam's tasks (the scheduler's runs) cannot be read; undefined when it can. */
  historyGap?: string;
  /**
   * pvescheduler's systemd state on the node (`running`, `dead`, `failed`, ...), read where a due run
   * left no task; undefined when not read or the token may not (`Sys.Audit` on /nodes/{node}).
   */
  scheduler?: string;
  /** The node's time zone (`GET /nodes/{node}/time`), when read. */
  timezone?: string;
}

/** A vzdump task (of `/nodes/{node}/tasks?typefilter=vzdump`) that is a run of a job, with its log when it was read. */
export interface JobRun {
  task: TaskEntry;
  log?: string[];
}

export interface StatusInput {
  stack: string;
  site: Site;
  at: Date;
  /** `user@realm!tokenid`, for the reasons that name what it lacks. */
  tokenId: string;
  /** The guests of `/cluster/resources?type=vm`. */
  guests: ClusterGuest[];
  /** The cluster's jobs; undefined when the token may not read them (the tiers' jobs are then taken from the stack). */
  jobs?: StatusJob[];
  /** `/cluster/backup-info/not-backed-up`; undefined when it could not be read. */
  notBackedUp?: Set<number>;
  nodes: NodeView[];
  storages: Map<string, StorageView>;
  /** Per job id: its runs (starttime up to `at`) in the part of the history that was searched. */
  runs: Map<string, JobRun[]>;
  /**
   * Per job id: whether the task history holds a run of it older than the runs in `runs` (those
   * start at the earliest event that can be a guest's last due run, `earliestCandidate`).
   */
  ranBefore: Map<string, boolean>;
  /**
   * What pvescheduler's journal says around a due run that left no task (`schedulerLogKey`): its lines
   * from the event to `SCHEDULER_START_SLACK_SECONDS` after it. Absent where not read, or where the
   * token may not (`Sys.Syslog` on /nodes/{node}).
   */
  schedulerLog: Map<string, string[]>;
}

/** Where `StatusInput.schedulerLog` keeps the journal of one node around one due event. */
export function schedulerLogKey(node: string, due: Date): string {
  return `${node}@${due.getTime() / 1000}`;
}

/**
 * Why a due run left no task on a node, from what PVE records of its scheduler: pvescheduler not
 * running (nothing starts any job: pve-manager PVE/Service/pvescheduler.pm), or its journal at the
 * event (`PVE::Jobs::run_jobs` warns when a job cannot start, e.g. `PVE::API2::VZDump->vzdump` dies
 * before it forks its task). Undefined when neither says anything.
 */
function missedRunReason(input: StatusInput, node: string, due: Date): string | undefined {
  const scheduler = input.nodes.find((n) => n.node === node)?.scheduler;
  if (scheduler !== undefined && scheduler !== "running") {
    return `pvescheduler is ${scheduler} on node ${node}, so PVE started no job (systemctl start pvescheduler)`;
  }
  const said = input.schedulerLog.get(schedulerLogKey(node, due));
  if (said && said.length > 0) return `pvescheduler logged: ${said.join(" / ")}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Which tasks are a job's runs

/** `/cluster/backup`'s entry in the terms the status uses. */
export function statusJobOf(entry: Record<string, unknown> & { id: string }): StatusJob {
  const list = (v: unknown) => (v === undefined || v === null ? [] : parseList(String(v)).map(Number));
  return {
    id: entry.id,
    schedule: typeof entry.schedule === "string" ? entry.schedule : undefined,
    storage: typeof entry.storage === "string" ? entry.storage : undefined,
    vmids: entry.vmid !== undefined && entry.vmid !== "" ? list(entry.vmid) : undefined,
    all: isPveTrue(entry.all),
    exclude: list(entry.exclude),
    pool: typeof entry.pool === "string" ? entry.pool : undefined,
    node: typeof entry.node === "string" ? entry.node : undefined,
    enabled: entry.enabled === undefined ? JOB_DEFAULTS.enabled : isPveTrue(entry.enabled),
    notesTemplate: typeof entry["notes-template"] === "string" ? entry["notes-template"] : undefined,
  };
}

/** The job a tier's `pulumi up` makes, for when the token may not read the cluster's jobs. */
export function stackJobOf(tier: Tier): StatusJob {
  return {
    id: tier.job,
    schedule: tier.schedule,
    storage: tier.storage,
    vmids: tier.guests.map((g) => g.vmid),
    all: false,
    exclude: [],
    node: tier.node,
    enabled: true,
    notesTemplate: jobNotesTemplate(tier),
    declared: true,
  };
}

const sameSet = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && [...a].sort((x, y) => x - y).every((v, i) => v === [...b].sort((x, y) => x - y)[i]);

/**
 * Whether a vzdump task could be a scheduled run of `job`, before its log is read: pvescheduler
 * starts runs as root@pam (`SCHEDULED_RUN_TASK`), and a run's task id is the vmid when it backs up
 * exactly one guest of its node, else empty (`vzdumpTaskId`).
 */
export function mayBeRunOf(task: Omit<TaskEntry, "pid" | "pstart">, job: StatusJob): boolean {
  if (task.type !== SCHEDULED_RUN_TASK.type || task.user !== SCHEDULED_RUN_TASK.user) return false;
  if (job.node !== undefined && task.node !== job.node) return false;
  if (task.id === "") return true;
  if (job.vmids) return job.vmids.includes(Number(task.id));
  return !job.exclude.includes(Number(task.id));
}

/**
 * Whether a run's first log line is `job`'s scheduled run. The log never names the job (vzdump
 * leaves `job-id` out of the line), but a scheduled run logs exactly its job's parameters plus
 * `--quiet 1` (PVE/Jobs/VZDump.pm): the same guests (vmids, or all/exclude/pool), storage, node and
 * notes-template. A `vzdump` run by hand, or another job, differs in one of them.
 */
export function isRunOf(start: VzdumpJobStart, job: StatusJob): boolean {
  const one = (key: string) => start.options.get(key)?.[0];
  if (one("quiet") !== "1") return false;
  if (job.vmids) {
    if (!sameSet(start.vmids, job.vmids) || one("all") === "1" || one("pool") !== undefined) return false;
  } else if (job.pool !== undefined) {
    if (one("pool") !== job.pool || start.vmids.length > 0) return false;
  } else if (job.all) {
    const excluded = parseList(one("exclude")).map(Number);
    if (one("all") !== "1" || !sameSet(excluded, job.exclude)) return false;
  } else return false;
  if (one("storage") !== job.storage) return false;
  // A job known only from the stack may differ on the cluster in what the stack does not decide alone.
  return job.declared || (one("node") === job.node && one("notes-template") === job.notesTemplate);
}

/**
 * How long after one of its job's events pvescheduler may start a run: its loop wakes at the start of
 * each minute and starts every due job in turn (pve-manager PVE/Service/pvescheduler.pm `run`,
 * PVE/Jobs.pm `run_jobs`), and while the previous minute's iteration still runs it starts none
 * (`$fork` returns), so a run can begin a minute late.
 */
export const SCHEDULER_START_SLACK_SECONDS = 120;

/**
 * Whether a vzdump task whose log never reached its job line is `job`'s scheduled run: one that
 * died in `PVE::VZDump->new` (the `job-init` hook, the storage's activation) or in `getlock`, or that
 * still waits for the lock (pve-manager PVE/VZDump.pm, PVE/API2/VZDump.pm's worker). Such a log never
 * names the job's parameters, so the run is told by what pvescheduler gives every run: root@pam, the
 * task id (`mayBeRunOf`), a start within `SCHEDULER_START_SLACK_SECONDS` of one of the job's events,
 * and, when the error names a storage, the job's storage.
 */
function isEarlyRunOf(
  task: Omit<TaskEntry, "pid" | "pstart">,
  log: VzdumpRunLog,
  job: StatusJob,
  event: CalendarEvent | undefined,
  timeZone: string,
): boolean {
  if (log.jobStarted || !event || !mayBeRunOf(task, job)) return false;
  // An ended run that never logged its job line failed before it; a run that ended OK logged it.
  if (task.status === "OK") return false;
  const due = event.previous(new Date((task.starttime + 1) * 1000), timeZone);
  if (!due || task.starttime - due.getTime() / 1000 > SCHEDULER_START_SLACK_SECONDS) return false;
  return log.storageNamed === undefined || log.storageNamed === job.storage;
}

/** Whether a vzdump task is `job`'s scheduled run, from the head of its log: its job line, else `isEarlyRunOf`. */
export function isRunOfLog(
  task: Omit<TaskEntry, "pid" | "pstart">,
  head: readonly string[],
  job: StatusJob,
  event: CalendarEvent | undefined,
  timeZone: string,
): boolean {
  for (const line of head) {
    const start = parseVzdumpJobStart(line);
    if (start) return isRunOf(start, job);
  }
  return isEarlyRunOf(task, readVzdumpLog(head), job, event, timeZone);
}

// ---------------------------------------------------------------------------------------------
// A tier's schedule: last due run, next run

/** A tier's schedule as the status reads it: its job's on the cluster (what PVE runs), else the tier's own. */
export function scheduleOf(tier: Tier, job: StatusJob | undefined): CalendarEvent | undefined {
  const parsed = tryParseCalendarEvent(job?.schedule ?? tier.schedule);
  return parsed.ok ? parsed.event : undefined;
}

/** The latest event at least `grace` seconds before `at`: due by grace alone, and the earliest the status may judge. */
export function earliestCandidate(event: CalendarEvent, at: Date, timeZone: string, grace: number): Date | undefined {
  return event.previous(new Date(at.getTime() - grace * 1000 + 1000), timeZone);
}

/**
 * The last due run: the latest event at or before `at` whose run should be over by then, because
 * its task (on every node that ran it) has ended, or because `grace` seconds have passed since it.
 * `runs` are the job's runs on the guest's node; null when the schedule never fired before `at`.
 */
function lastDueRun(
  event: CalendarEvent,
  at: Date,
  timeZone: string,
  grace: number,
  runs: readonly JobRun[],
): Date | null {
  // Events within the grace, newest first: due only once their runs ended.
  const from = new Date(at.getTime() - grace * 1000);
  // pvescheduler starts a job at most once a minute
  const withinGrace = event.runsBetween(from, at, timeZone, Math.ceil(grace / 60) + 1).reverse();
  for (const e of withinGrace) {
    const of = runsOfEvent(event, e, timeZone, runs, at);
    if (of.length > 0 && of.every((r) => ended(r.task, at))) return e;
  }
  return earliestCandidate(event, at, timeZone, grace) ?? null;
}

/** The runs started for event `e`: at or after it, before the next event (and not after `at`). */
function runsOfEvent(event: CalendarEvent, e: Date, timeZone: string, runs: readonly JobRun[], at: Date): JobRun[] {
  const next = event.next(e, timeZone);
  const from = e.getTime() / 1000;
  const until = Math.min(next ? next.getTime() / 1000 : Infinity, at.getTime() / 1000 + 1);
  return runs.filter((r) => r.task.starttime >= from && r.task.starttime < until);
}

function ended(task: Pick<TaskEntry, "endtime" | "status">, at: Date): boolean {
  return task.endtime !== undefined && task.status !== undefined && task.endtime <= at.getTime() / 1000;
}

// ---------------------------------------------------------------------------------------------
// Judging

/** A guest's judgement: its document entry, the warnings about its archives, and whether it could be checked. */
export interface GuestJudgement {
  status: GuestStatus;
  /** What the artifact checks found; also in `status.reason`. */
  warnings: string[];
  /** The state is UNKNOWN: what decides it could not be read. */
  unchecked: boolean;
}

export interface StatusReport {
  document: StatusDocument;
  guests: GuestJudgement[];
  /** Per storage id: its capacity level at full retention. */
  capacity: Map<string, CapacityLevel>;
  /** What could not be read at all (a storage's space, the jobs); each makes the exit code 2. */
  unchecked: string[];
  /** Said once above the tables: e.g. the jobs were taken from the stack. */
  notes: string[];
  /** Per tier id: its job's schedule on the cluster, where it differs from the stack's (what PVE runs). */
  clusterSchedules: Map<string, string>;
  exitCode: 0 | 1 | 2;
}

/** One backup of a guest, read: its time, and why it does not count as a backup of the guest. */
interface ReadBackup {
  volume: BackupVolume;
  file: string;
  time?: Date;
  /** Why it is no backup of this guest (empty, another kind, a name vzdump does not write). */
  unusable?: string;
}

function readBackup(volume: BackupVolume, kind: GuestKind, timeZone: string): ReadBackup {
  const file = backupFileName(volume.volid);
  const name = parseVzdumpFileName(file);
  const time =
    volume.ctime !== undefined
      ? new Date(volume.ctime * 1000)
      : name
        ? zonedTimeToDate(name.wall, timeZone)
        : undefined;
  let unusable: string | undefined;
  if (!name)
    unusable = `its name is not vzdump's (vzdump-{qemu|lxc}-<vmid>-YYYY_MM_DD-HH_MM_SS...), so its time is unknown`;
  else if (name.kind !== kind)
    unusable = `it is a ${name.kind} archive, the guest is ${kind === "qemu" ? "a VM (qemu)" : "a container (lxc)"}`;
  else if (volume.size === 0) unusable = "it is empty (0 bytes)";
  return { volume, file, time, unusable };
}

const iso = (date: Date) => formatIsoTime(date, "UTC");

function wallToDate(wall: WallTime | undefined, timeZone: string): Date | undefined {
  return wall ? zonedTimeToDate(wall, timeZone) : undefined;
}

/** Seconds a guest took in a run, from its log lines. */
function durationOf(entry: VzdumpGuestLog, timeZone: string): number | undefined {
  if (entry.result === "ok" && entry.seconds !== undefined) return entry.seconds;
  const started = wallToDate(entry.started, timeZone);
  const endedAt = wallToDate(entry.ended, timeZone);
  if (entry.result === "failed" && started && endedAt)
    return Math.max(0, (endedAt.getTime() - started.getTime()) / 1000);
  return undefined;
}

/** What the status says of each guest, each storage and the whole; pure. */
export function judgeStatus(input: StatusInput): StatusReport {
  const { site, at } = input;
  const timeZone = site.timezone;
  const notes: string[] = [];
  const unchecked: string[] = [];
  const clusterGuest = new Map(input.guests.map((g) => [g.vmid, g]));
  const nodes = new Map(input.nodes.map((n) => [n.node, n]));
  const logs = new Map<string, VzdumpRunLog>();
  const logOf = (run: JobRun) => {
    if (!run.log) return undefined;
    if (!logs.has(run.task.upid)) logs.set(run.task.upid, readVzdumpLog(run.log));
    return logs.get(run.task.upid)!;
  };

  const byGuest = new Map<StorageView, Map<number, BackupVolume[]>>();
  const backupsByGuest = (view: StorageView) => {
    let index = byGuest.get(view);
    if (!index) {
      index = new Map();
      for (const b of view.backups ?? []) {
        const vmid = b.vmid ?? parseVzdumpFileName(backupFileName(b.volid))?.vmid;
        if (vmid !== undefined)
          index
            .set(vmid, index.get(vmid) ?? [])
            .get(vmid)!
            .push(b);
      }
      byGuest.set(view, index);
    }
    return index;
  };

  const guests: GuestJudgement[] = [];
  const tierVmids = new Set<number>();
  const newestSize = new Map<number, number>();

  const clusterSchedules = new Map<string, string>();
  for (const tier of site.tiers) {
    const clusterJob = input.jobs?.find((j) => sameJobId(j.id, tier.job));
    if (clusterJob?.schedule !== undefined && clusterJob.schedule !== tier.schedule) {
      clusterSchedules.set(tier.id, clusterJob.schedule);
    }
    const job = input.jobs ? clusterJob : stackJobOf(tier);
    const event = scheduleOf(tier, job);
    const grace = graceSeconds(tier);
    const runs = job ? (input.runs.get(job.id) ?? []) : [];
    const storage = input.storages.get(tier.storage);
    const keep = maxBackupsKept(tier.retention);

    for (const g of tier.guests) {
      tierVmids.add(g.vmid);
      const onCluster = clusterGuest.get(g.vmid);
      const warnings: string[] = [];
      let unknown: string | undefined;
      const entry: GuestStatus = {
        vmid: g.vmid,
        kind: g.kind,
        name: g.name,
        tier: tier.id,
        job: tier.job,
        storage: tier.storage,
        state: "PENDING",
        newest: null,
        lastDue: null,
        nextRun: null,
      };
      const done = (state: GuestState, reason?: string) => {
        entry.state = state;
        const text = [reason, ...warnings].filter(Boolean).join("; ");
        if (text) entry.reason = text;
        guests.push({ status: entry, warnings, unchecked: state === "UNKNOWN" });
      };

      if (!onCluster) {
        warnings.push(
          `not among the cluster's guests (it does not exist, or ${input.tokenId} lacks VM.Audit on /vms/${g.vmid})`,
        );
      } else if (onCluster.kind !== g.kind) {
        warnings.push(`the cluster has ${g.vmid} as ${onCluster.kind}, the stack says ${g.kind}`);
      }

      // The guest's node's runs; all of the job's when its node is not known.
      const nodeRuns = onCluster ? runs.filter((r) => r.task.node === onCluster.node) : runs;
      const historyNodes = onCluster ? [onCluster.node] : input.nodes.map((n) => n.node);
      const historyGap = historyNodes
        .map((n) => nodes.get(n))
        .map((n) => (n && !n.online ? `node ${n.node} is offline` : n?.historyGap))
        .find(Boolean);

      const next = event && job?.enabled !== false ? event.next(at, timeZone) : undefined;
      entry.nextRun = next ? iso(next) : null;

      const lastDue = event ? lastDueRun(event, at, timeZone, grace, nodeRuns) : null;
      entry.lastDue = lastDue ? iso(lastDue) : null;

      // Is it backed up by its tier's job on the cluster at all?
      if (input.jobs && !clusterJob) {
        done("UNTIERED", `tier ${tier.id}'s job ${tier.job} is not on the cluster (pulumi up creates it)`);
        continue;
      }
      if (job && job.vmids && !job.vmids.includes(g.vmid)) {
        done("UNTIERED", `job ${job.id} on the cluster does not back up ${g.vmid} (pulumi up adds it)`);
        continue;
      }
      if (input.notBackedUp?.has(g.vmid)) {
        done("UNTIERED", `PVE lists ${g.vmid} as backed up by no job`);
        continue;
      }

      // Its backups on the tier's storage, as far as the token sees them.
      let newest: ReadBackup | undefined;
      let kept = 0;
      if (!storage || storage.backups === undefined) {
        unknown = `the backups on ${tier.storage} could not be read: ${storage?.error ?? "not read"}`;
      } else {
        const gap = backupVisibilityGap(tier.storage, g.vmid, storage.privileges, storage.guestPrivileges.get(g.vmid));
        if (gap) unknown = `${input.tokenId} ${gap}`;
        const own = (backupsByGuest(storage).get(g.vmid) ?? [])
          .map((b) => readBackup(b, g.kind, timeZone))
          .filter((b) => b.time === undefined || b.time.getTime() <= at.getTime())
          .sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
        const usable = own.filter((b) => !b.unusable);
        newest = usable[0];
        for (const b of own) {
          if (!b.unusable) continue;
          if (!newest || !b.time || b.time.getTime() > (newest.time?.getTime() ?? 0)) {
            warnings.push(`${b.file} does not count: ${b.unusable}`);
          }
        }
        kept = usable.filter((b) => !b.volume.protected).length;
      }

      if (newest) {
        entry.newest = { volid: newest.volume.volid, time: iso(newest.time!), size: newest.volume.size };
        newestSize.set(g.vmid, newest.volume.size);
        const writer = jobOfNotes(newest.volume.notes);
        if (writer === undefined) {
          warnings.push(
            `${newest.file} was not written by job ${tier.job}: its notes name no job (a backup by hand, or by other notes)`,
          );
        } else if (!sameJobId(writer, tier.job)) {
          warnings.push(`${newest.file} was written by job ${writer}, not by tier ${tier.id}'s job ${tier.job}`);
        }
        if (keep > 0 && kept > keep) {
          warnings.push(
            `${kept} backups of ${g.vmid} on ${tier.storage}, tier ${tier.id} keeps ${keep}: is pruning running?`,
          );
        }
      }

      // The runs: the latest ended run that names the guest gives its duration; the run of the last
      // due event says whether it failed.
      const mentioning = nodeRuns
        .filter((r) => ended(r.task, at))
        .map((r) => ({ run: r, log: logOf(r) }))
        .filter((r) => r.log?.guests.has(g.vmid))
        .sort((a, b) => b.run.task.starttime - a.run.task.starttime);
      const last = mentioning[0]?.log?.guests.get(g.vmid);
      const duration = last ? durationOf(last, timeZone) : undefined;
      if (duration !== undefined) entry.duration = duration;

      if (unknown) {
        done("UNKNOWN", unknown);
        continue;
      }
      // A job that can never run again is no health, whatever backups there are.
      if (job?.enabled !== false && !next) {
        const schedule = `job ${job?.id ?? tier.job}'s schedule '${job?.schedule ?? tier.schedule}'`;
        done(
          "FAILED",
          event
            ? `${schedule} never fires${lastDue ? " again" : ""}, so no run will back it up`
            : `${schedule} is not a calendar event PVE runs, so no run will back it up`,
        );
        continue;
      }
      if (newest && (lastDue === null || newest.time!.getTime() >= lastDue.getTime())) {
        done("OK");
        continue;
      }
      const dueRuns =
        lastDue && event
          ? runsOfEvent(event, lastDue, timeZone, runs, at)
              .filter((r) => ended(r.task, at))
              .sort((a, b) => b.task.starttime - a.task.starttime)
          : [];
      const dueText = lastDue ? `the run of ${formatIsoTime(lastDue, timeZone)}` : "the last run";
      let failure: string | undefined;
      let finished = false;
      for (const run of dueRuns) {
        const log = logOf(run);
        const said = log?.guests.get(g.vmid);
        if (said?.result === "failed") failure = said.reason;
        else if (said?.result === "ok") finished = true;
        else if (log?.jobError && (!onCluster || run.task.node === onCluster.node)) failure = log.jobError;
        else if (!log && run.task.status !== "OK" && !run.task.status?.startsWith("WARNINGS")) {
          failure = run.task.status;
        }
        if (failure || finished) break;
      }
      if (failure) {
        done("FAILED", `${dueText} failed: ${failure}`);
        continue;
      }
      // Runs of the job have happened: one for the last due event or an earlier one. A first run
      // still within its grace is no run yet.
      const dueUntil = lastDue && event ? (event.next(lastDue, timeZone)?.getTime() ?? Infinity) / 1000 : -Infinity;
      const everRan =
        (job ? (input.ranBefore.get(job.id) ?? false) : false) || runs.some((r) => r.task.starttime < dueUntil);
      const going = nodeRuns.find((r) => r.task.starttime >= dueUntil && !ended(r.task, at));
      const jobName = job?.id ?? tier.job;
      const notYet = going
        ? `job ${jobName}'s first run, started ${formatIsoTime(new Date(going.task.starttime * 1000), timeZone)}, has not ended yet${logOf(going)?.waitingForLock ? " (it waits for the node's global vzdump lock)" : ""}`
        : `job ${jobName} has not run yet (PVE's task history shows no run): the first is ${next ? formatIsoTime(next, timeZone) : "not scheduled"}`;
      const disabled = job?.enabled === false ? `job ${job.id} is disabled, so no run will make one` : undefined;
      // The due run started no task on the guest's node: what PVE records of why.
      const missed =
        lastDue && event && onCluster && !disabled && runsOfEvent(event, lastDue, timeZone, nodeRuns, at).length === 0
          ? missedRunReason(input, onCluster.node, lastDue)
          : undefined;
      const missedText = missed ? `${dueText} never started: ${missed}` : "";
      const ranButGone = finished ? `${dueText} finished its backup, but the archive is not on ${tier.storage}` : "";
      // Its grace has passed and the due run still goes (a long run, or one queued behind another's lock).
      const stillGoing =
        lastDue && event
          ? runsOfEvent(event, lastDue, timeZone, nodeRuns, at).find((r) => !ended(r.task, at))
          : undefined;
      const goingText = stillGoing
        ? `${dueText} has not ended${logOf(stillGoing)?.waitingForLock ? ": it waits for the node's global vzdump lock, held by another backup" : ""}`
        : "";
      if (newest) {
        if (!everRan && !historyGap && !disabled && !missed) {
          done(
            "PENDING",
            `${notYet}; the newest backup, from ${formatIsoTime(newest.time!, timeZone)}, is not the job's`,
          );
        } else {
          const age = `the newest backup is from ${formatIsoTime(newest.time!, timeZone)}, before ${dueText}`;
          done(
            "LATE",
            [
              age,
              goingText,
              missedText,
              ranButGone,
              disabled,
              historyGap && `its task history cannot be read: ${historyGap}`,
            ]
              .filter(Boolean)
              .join("; "),
          );
        }
        continue;
      }
      if (historyGap) {
        done(
          "UNKNOWN",
          `no backup on ${tier.storage}, and whether job ${job?.id ?? tier.job} has run cannot be told: ${historyGap}`,
        );
        continue;
      }
      if (everRan || disabled || missed) {
        done(
          "MISSING",
          [
            `no backup on ${tier.storage}`,
            goingText,
            missedText,
            ranButGone,
            everRan ? `though job ${job?.id} has run` : "",
            disabled,
          ]
            .filter(Boolean)
            .join("; "),
        );
        continue;
      }
      done("PENDING", notYet);
    }
  }

  // Guests in no tier (templates are left out, as the policy pack leaves them out, and so are the
  // guests the site says another stack backs up: that stack's status judges them).
  const otherStacks = otherStackGuests(site);
  for (const g of [...input.guests].sort((a, b) => a.vmid - b.vmid)) {
    if (tierVmids.has(g.vmid) || g.template || otherStacks.has(g.vmid)) continue;
    const unbacked = input.notBackedUp?.has(g.vmid);
    guests.push({
      status: {
        vmid: g.vmid,
        kind: g.kind,
        name: g.name,
        tier: null,
        job: null,
        storage: null,
        state: "UNTIERED",
        newest: null,
        lastDue: null,
        nextRun: null,
        reason: unbacked
          ? "in no tier, and PVE lists it as backed up by no job"
          : `in no tier of Pulumi.${input.stack}.yaml`,
      },
      warnings: [],
      unchecked: false,
    });
  }

  // Space at full retention per tier storage.
  const storages: StorageStatusEntry[] = [];
  const capacity = new Map<string, CapacityLevel>();
  for (const id of [...new Set(site.tiers.map((t) => t.storage))]) {
    const view = input.storages.get(id);
    if (!view?.space) {
      unchecked.push(`the space of ${id} could not be read: ${view?.error ?? "not read"}`);
      continue;
    }
    const needed = site.tiers
      .filter((t) => t.storage === id)
      .reduce(
        (sum, t) =>
          sum + t.guests.reduce((s, g) => s + (newestSize.get(g.vmid) ?? 0) * (maxBackupsKept(t.retention) + 1), 0),
        0,
      );
    const entry = { id, total: view.space.total, used: view.space.used, avail: view.space.avail, needed };
    storages.push(entry);
    capacity.set(id, capacityLevel(entry));
  }

  if (!input.jobs) {
    notes.push(
      `the cluster's jobs could not be read (${input.tokenId} lacks Sys.Audit on /): the tiers' jobs are judged as the stack declares them`,
    );
  }
  for (const n of input.nodes) {
    if (n.timezone !== undefined && n.timezone !== timeZone) {
      notes.push(
        `node ${n.node} runs on ${n.timezone}, the site on ${timeZone}: PVE runs the schedules on the node's clock, so its runs are at another hour than judged here (npm run doctor)`,
      );
    }
  }
  const okStates: readonly GuestState[] = ["OK", "PENDING"];
  const ok =
    guests.every((g) => okStates.includes(g.status.state)) &&
    [...capacity.values()].every((l) => l !== "over") &&
    unchecked.length === 0;
  const couldNotCheck = unchecked.length > 0 || guests.some((g) => g.unchecked);
  return {
    document: { stack: input.stack, at: iso(at), ok, guests: guests.map((g) => g.status), storages },
    guests,
    capacity,
    unchecked,
    notes,
    clusterSchedules,
    exitCode: couldNotCheck ? 2 : ok ? 0 : 1,
  };
}
