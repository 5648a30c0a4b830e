/**
 * vzdump's task log: what a backup run writes, a line each, as `GET /nodes/{node}/tasks/{upid}/log`
 * returns it (pve-manager PVE/VZDump.pm `exec_backup` and `exec_backup_task`, pve-guest-common
 * PVE/VZDump/Common.pm `command_line` and Plugin.pm `debugmsg`: `INFO: ` or `ERROR: ` before each).
 */

import { VMID_PATTERN } from "./ids";
import { parseList } from "./values";

/**
 * A scheduled run in a node's task list: pvescheduler starts each job's run as root@pam, a task of
 * type `vzdump` on each node the job has guests on (pve-manager PVE/API2/VZDump.pm `fork_worker`).
 */
export const SCHEDULED_RUN_TASK = { type: "vzdump", user: "root@pam" } as const;

/** A vzdump task's id: the vmid when the run backs up exactly one guest of its node, else empty (API2/VZDump.pm). */
export function vzdumpTaskId(localVmids: readonly number[]): string {
  return localVmids.length === 1 ? String(localVmids[0]) : "";
}

/** The first line of every run: `INFO: starting new backup job: vzdump 100 102 --storage nas ...`. */
export const VZDUMP_JOB_START = "INFO: starting new backup job: ";

/** The options `command_line` leaves out of that line (a job's id among them: the log never names its job). */
const COMMAND_LINE_SKIPPED = new Set(["id", "vmid", "starttime", "dow", "stdout", "enabled", "job-id"]);

/** String::ShellQuote's `shell_quote`, which PVE applies to each option value of the line (and to each word of a command it reports failed). */
export function shellQuote(value: string): string {
  if (value === "") return "''";
  if (!/[^\w!%+,\-./:@^]/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`.replace(/^''/, "").replace(/''$/, "");
}

/**
 * The command line a run logs for its parameters (`command_line`): `vzdump`, the vmids, then
 * ` --key value` per parameter in the order given (Perl's hash order on PVE: any order), mailto
 * joined by commas, `exclude-path` repeated. A scheduled run's parameters are its job's plus
 * `quiet 1` (PVE/Jobs/VZDump.pm), and `job-id`, which the line leaves out.
 */
export function vzdumpCommandLine(params: Record<string, string | number | string[] | undefined>): string {
  let line = "vzdump";
  if (params.vmid !== undefined) line += ` ${parseList(String(params.vmid)).join(" ")}`;
  for (const [key, value] of Object.entries(params)) {
    if (COMMAND_LINE_SKIPPED.has(key) || value === undefined) continue;
    if (key === "exclude-path") {
      for (const p of Array.isArray(value) ? value : [String(value)]) line += ` --${key} ${shellQuote(p)}`;
      continue;
    }
    const text = key === "mailto" ? parseList(value as string | string[]).join(",") : String(value);
    if (text !== "") line += ` --${key} ${shellQuote(text)}`;
  }
  return line;
}

/** POSIX shell words: single quotes, double quotes and backslashes, as Text::ParseWords reads them. */
function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let part = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        part += text[j];
      }
      if (j >= text.length) return undefined;
      word = (word ?? "") + part;
      i = j;
    } else if (c === "\\" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A run's first line read back: the vmids it names and each `--key`'s values, in order. */
export interface VzdumpJobStart {
  vmids: number[];
  options: Map<string, string[]>;
}

/** Reads a run's first line (`VZDUMP_JOB_START`...); undefined when the line is not one. */
export function parseVzdumpJobStart(line: string): VzdumpJobStart | undefined {
  if (!line.startsWith(VZDUMP_JOB_START)) return undefined;
  const words = shellWords(line.slice(VZDUMP_JOB_START.length));
  if (!words || words[0] !== "vzdump") return undefined;
  const vmids: number[] = [];
  const options = new Map<string, string[]>();
  let i = 1;
  for (; i < words.length && !words[i].startsWith("--"); i++) {
    if (!VMID_PATTERN.test(words[i])) return undefined;
    vmids.push(Number(words[i]));
  }
  for (; i < words.length; i += 2) {
    if (!words[i].startsWith("--") || i + 1 >= words.length) return undefined;
    const key = words[i].slice(2);
    options.set(key, [...(options.get(key) ?? []), words[i + 1]]);
  }
  return { vmids, options };
}

/** A wall-clock time as vzdump logs it (`%F %H:%M:%S`, the node's local time). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What one run's log says of one guest. */
export interface VzdumpGuestLog {
  vmid: number;
  /** `running`: started, and neither finished nor failed (yet). */
  result: "ok" | "failed" | "running";
  /** For `failed`: vzdump's reason, after `failed - `. */
  reason?: string;
  /** For `ok`: the time vzdump reports in `Finished Backup of VM <vmid> (HH:MM:SS)`. */
  seconds?: number;
  /** `Backup started at ...` and `Failed at ...` / `Backup finished at ...`, when logged. */
  started?: WallTime;
  ended?: WallTime;
}

const LOG_STARTING = /^INFO: Starting Backup of VM (\d+) \((?:qemu|lxc|openvz)\)$/;
const LOG_FINISHED = /^INFO: Finished Backup of VM (\d+) \((\d+):(\d{2}):(\d{2})\)$/;
const LOG_FAILED = /^ERROR: Backup of VM (\d+) failed - (.*)$/;
const LOG_STARTED_AT = /^INFO: Backup started at (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const LOG_ENDED_AT = /^INFO: (?:Failed|Backup finished) at (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
/** How a run ends when some of its guests failed (`die "job errors\n"`): not an error of the run as a whole. */
export const VZDUMP_GUEST_ERRORS = "job errors";
/** A run that failed as a whole (e.g. its storage could not be activated), before or between guests. */
const LOG_JOB_FAILED = /^(?:ERROR: Backup job failed - |TASK ERROR: )(.*)$/;
/**
 * Before its job line a run logs only what `PVE::VZDump->new` and `getlock` say (pve-manager
 * PVE/VZDump.pm, `debugmsg`): the hook's output, the lock wait, and the error that ends it when the
 * lock times out (`LOG_LOCK_FAILED`'s, with no `TASK` line after it), or its `TASK ERROR`.
 */
const LOG_EARLY_ERROR = /^ERROR: (.*)$/;
/** A storage an early error names: `could not activate storage 'X': ...` (PVE/VZDump.pm `new`). */
const STORAGE_NAMED = /storage '([^']+)'/;

/**
 * What a run writes when the node's global vzdump lock is taken (another backup runs there):
 * pve-manager PVE/VZDump.pm `getlock` logs the wait, then either the lock or why it got none. A
 * run that gets no lock ends at once (`exit(-1)` in PVE/API2/VZDump.pm `vzdump`'s worker), so no
 * `TASK ...` line follows and PVE reports the task's status as `TASK_UNEXPECTED_STATUS`.
 */
export const VZDUMP_LOCK_FILE = "/var/run/vzdump.lock";
export const VZDUMP_LOCK_WAITING = "INFO: trying to get global lock - waiting...";
export const VZDUMP_LOCK_ACQUIRED = "INFO: got global lock";
// The failure is `ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout` (or `(wait = 0)` for
// `lockwait 0`): an error before the job line, which `readVzdumpLog` takes as the run's.
/** How long a run waits for that lock unless its job sets `lockwait` (minutes; pve-guest-common PVE/VZDump/Common.pm). */
export const VZDUMP_LOCKWAIT_DEFAULT_MINUTES = 180;

/**
 * A task's status when its log's last line is no `TASK OK`, `TASK ERROR: ...` or `TASK WARNINGS: n`
 * (pve-common PVE/UPID.pm `read_status`).
 */
export const TASK_UNEXPECTED_STATUS = "unexpected status";
/** A task still running, as `GET /nodes/{node}/tasks` lists it (pve-manager PVE/API2/Tasks.pm `node_tasks`). */
export const TASK_RUNNING_STATUS = "RUNNING";

function wallOf(m: RegExpExecArray): WallTime {
  return { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: +m[6] };
}

/** What one run's log says: each guest it names, and of the run as a whole. */
export interface VzdumpRunLog {
  guests: Map<number, VzdumpGuestLog>;
  /** The run's own error, when it failed as a whole (before its job line, or between guests). */
  jobError?: string;
  /** It logged its job line (`VZDUMP_JOB_START`): it got past `new` and the lock. */
  jobStarted: boolean;
  /** It waits, or waited, for the global lock (`VZDUMP_LOCK_WAITING`) and has not logged getting it. */
  waitingForLock: boolean;
  /** The storage its error before the job line names, e.g. the one it could not activate. */
  storageNamed?: string;
}

/** Each guest a run's log names, with what it says of it, and what it says of the run as a whole. */
export function readVzdumpLog(log: readonly string[]): VzdumpRunLog {
  const guests = new Map<number, VzdumpGuestLog>();
  let current: VzdumpGuestLog | undefined;
  let jobError: string | undefined;
  let jobStarted = false;
  let waitingForLock = false;
  let storageNamed: string | undefined;
  for (const line of log) {
    let m: RegExpExecArray | null;
    if (!jobStarted) {
      if (line.startsWith(VZDUMP_JOB_START)) jobStarted = true;
      else if (line === VZDUMP_LOCK_WAITING) waitingForLock = true;
      else if (line === VZDUMP_LOCK_ACQUIRED) waitingForLock = false;
      else if ((m = LOG_EARLY_ERROR.exec(line) ?? LOG_JOB_FAILED.exec(line))) {
        jobError ??= m[1].trim();
        storageNamed ??= STORAGE_NAMED.exec(m[1])?.[1];
      }
      continue;
    }
    if ((m = LOG_STARTING.exec(line))) {
      current = { vmid: Number(m[1]), result: "running" };
      guests.set(current.vmid, current);
    } else if ((m = LOG_STARTED_AT.exec(line)) && current) {
      current.started = wallOf(m);
    } else if ((m = LOG_FINISHED.exec(line))) {
      const entry = guests.get(Number(m[1])) ?? { vmid: Number(m[1]), result: "running" };
      entry.result = "ok";
      entry.seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
      guests.set(entry.vmid, entry);
      current = entry;
    } else if ((m = LOG_FAILED.exec(line))) {
      // "unable to find VM" fails a guest before its Starting line
      const entry = guests.get(Number(m[1])) ?? { vmid: Number(m[1]), result: "running" };
      entry.result = "failed";
      entry.reason = m[2].trim();
      guests.set(entry.vmid, entry);
      current = entry;
    } else if ((m = LOG_ENDED_AT.exec(line)) && current) {
      current.ended = wallOf(m);
    } else if ((m = LOG_JOB_FAILED.exec(line)) && m[1].trim() !== VZDUMP_GUEST_ERRORS) {
      jobError ??= m[1].trim();
    }
  }
  return { guests, jobError, jobStarted, waitingForLock, storageNamed };
}
