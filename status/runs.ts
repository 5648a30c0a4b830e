/**
 * Which vzdump tasks are a tier's job's runs, and a tier's schedule as the status reads it: its last
 * due run, the runs of one event, whether a run has ended. Pure functions over what PVE said.
 */
import type { TaskEntry } from "../pve/entries";
import { CalendarEvent, tryParseCalendarEvent } from "../tiers/calendar";
import { Tier } from "../tiers/config";
import { tierJob } from "../tiers/tierJob";
import { JOB_DEFAULTS } from "../pve/job";
import { SCHEDULED_RUN_TASK, VzdumpJobStart, VzdumpRunLog, parseVzdumpJobStart, readVzdumpLog } from "../pve/vzdumpLog";
import { isPveTrue, parseList } from "../pve/values";
import type { JobRun, StatusJob } from "./input";

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
  return { ...statusJobOf(tierJob(tier)), declared: true };
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
export function lastDueRun(
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
export function runsOfEvent(
  event: CalendarEvent,
  e: Date,
  timeZone: string,
  runs: readonly JobRun[],
  at: Date,
): JobRun[] {
  const next = event.next(e, timeZone);
  const from = e.getTime() / 1000;
  const until = Math.min(next ? next.getTime() / 1000 : Infinity, at.getTime() / 1000 + 1);
  return runs.filter((r) => r.task.starttime >= from && r.task.starttime < until);
}

export function ended(task: Pick<TaskEntry, "endtime" | "status">, at: Date): boolean {
  return task.endtime !== undefined && task.status !== undefined && task.endtime <= at.getTime() / 1000;
}
