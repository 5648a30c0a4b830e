/**
 * The PVE API double's backup jobs (pve-manager PVE/API2/Backup.pm): jobs.cfg and its rules (job id,
 * `all`/`vmid` conflicts, notes-template, prune-backups, "No such job", `next-run` from now, the
 * permissions each option needs), and the guests no job backs up.
 */
import { randomUUID } from "crypto";
import { ROOT_USER } from "../pve/privileges";
import { Params, parsePropertyString } from "../pve/params";
import { methodInfo } from "../pve/schema";
import { CalendarEvent } from "../tiers/calendar";
import { JOB_ID_MAX_LENGTH } from "../pve/ids";
import { isPveTrue, parseList } from "../pve/values";
import { notesTemplateProblem } from "../pve/notes";
import type { ClusterSnapshot } from "../pve/snapshot";
import type { BackupJobEntry } from "../pve/job";
import { ClusterBase, ClusterOptions } from "./clusterBase";
import { PveError, cfsLocked, paramError, permissionError } from "./errors";

/** A job as jobs.cfg keeps it and `/cluster/backup` returns it. */
type Job = BackupJobEntry;

/**
 * What `PUT /cluster/backup/{id}` may `delete` (Backup.pm update_job): a vzdump option
 * (`PVE::VZDump::option_exists`, the schema's properties but for those update_job adds itself),
 * `comment` or `repeat-missed`.
 */
function deletableJobOptions(): Set<string> {
  const properties = methodInfo("PUT", "/cluster/backup/{id}").parameters.properties ?? {};
  const notVzdumpOptions = ["id", "schedule", "starttime", "dow", "delete", "enabled"];
  return new Set(Object.keys(properties).filter((k) => !notVzdumpOptions.includes(k)));
}

export class ClusterJobs extends ClusterBase {
  readonly jobs = new Map<string, Job>();

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    super(snapshot, options);
    for (const j of snapshot.backup) this.jobs.set(j.id, normalizeJob(j));
  }

  /** `GET /cluster/backup`: every job, with `next-run` from now in the nodes' time zone. */
  listJobs(): Job[] {
    return [...this.jobs.values()].map((job) => this.jobView(job));
  }

  /** `GET /cluster/backup/{id}`. */
  readJob(id: string): Job {
    const job = this.jobs.get(id);
    if (!job) throw paramError({ id: `No such job '${id}'` });
    const { "next-run": _nextRun, ...rest } = this.jobView(job);
    return rest as Job;
  }

  private jobView(job: Job): Job {
    const view: Job = { ...job, type: "vzdump" };
    const schedule = typeof job.schedule === "string" ? job.schedule : undefined;
    if (schedule) {
      try {
        const next = CalendarEvent.parse(schedule).next(this.now(), this.timezone);
        if (next) view["next-run"] = Math.floor(next.getTime() / 1000);
      } catch {
        // a schedule PVE could not parse has no next run
      }
    }
    return view;
  }

  /** `POST /cluster/backup` (Backup.pm `create_job`). */
  createJob(authid: string, params: Params): void {
    const p = { ...params };
    this.assertJobParamPermissions(authid, p);
    const storage = storageParam(p);
    if (storage && authid !== ROOT_USER) this.check(authid, `/storage/${storage}`, ["Datastore.Allocate"]);
    if (typeof p.pool === "string" && p.pool) this.checkPoolBackup(authid, p.pool);
    scheduleParamCheck(p, true);
    if (p.enabled === undefined) p.enabled = "1";
    const id = typeof p.id === "string" ? p.id : randomUUID();
    delete p.id;
    if (id.length > JOB_ID_MAX_LENGTH)
      throw paramError({ id: `value may only be ${JOB_ID_MAX_LENGTH} characters long` });
    cfsLocked(() => {
      // jobs.cfg's ids are hash keys: looked up as written
      if (this.jobs.has(id)) throw new PveError(500, `Job '${id}' already exists`);
      const job = verifyVzdumpParameters({ id, ...p } as Job, true);
      this.jobs.set(id, normalizeJob(job));
    });
  }

  /** Backup.pm create_job/update_job: a pool job needs the pool (`check_pool_exist`) and VM.Backup on it. */
  private checkPoolBackup(authid: string, pool: string): void {
    if (!this.pools.has(pool)) throw permissionError(`pool '${pool}' does not exist`);
    this.check(authid, `/pool/${pool}`, ["VM.Backup"]);
  }

  /** `PUT /cluster/backup/{id}` (Backup.pm `update_job`). */
  updateJob(authid: string, id: string, params: Params): void {
    const p = { ...params };
    delete p.id;
    const deleteList = typeof p.delete === "string" ? parseList(p.delete) : [];
    delete p.delete;
    this.assertJobParamPermissions(authid, p);
    if (typeof p.storage === "string" && authid !== ROOT_USER) {
      this.check(authid, `/storage/${p.storage}`, ["Datastore.Allocate"]);
    }
    if (typeof p.pool === "string" && p.pool) this.checkPoolBackup(authid, p.pool);
    scheduleParamCheck(p, false);
    cfsLocked(() => this.updateJobLocked(authid, id, p, deleteList));
  }

  /** update_job's `$update_job`, which runs inside `cfs_lock_file('jobs.cfg')`. */
  private updateJobLocked(authid: string, id: string, p: Params, deleteList: string[]): void {
    if (Object.keys(p).length === 0 && deleteList.length === 0) throw new PveError(500, "no options specified");
    verifyVzdumpParameters({ id, ...p } as Job, false);
    const current = this.jobs.get(id);
    if (!current) throw new PveError(500, "no such vzdump job");
    const currentStorage = storageParam(current);
    if (currentStorage && authid !== ROOT_USER)
      this.check(authid, `/storage/${currentStorage}`, ["Datastore.Allocate"]);
    const job: Job = { ...current };
    const deletable = deletableJobOptions();
    for (const key of deleteList) {
      if (!deletable.has(key)) throw paramError({ delete: `unknown option '${key}'` });
      delete job[key];
    }
    Object.assign(job, p);
    if (job.exclude !== undefined && job.pool === undefined) job.all = "1";
    if (p.vmid !== undefined) {
      delete job.all;
      delete job.exclude;
      delete job.pool;
    } else if (isPveTrue(p.all)) {
      delete job.vmid;
      delete job.pool;
    } else if (job.pool !== undefined) {
      delete job.vmid;
      delete job.all;
      delete job.exclude;
    }
    this.jobs.set(id, normalizeJob(verifyVzdumpParameters(job, true)));
  }

  /** `DELETE /cluster/backup/{id}` (Backup.pm `delete_job`: its "No such job" is raised inside the lock). */
  deleteJob(id: string): void {
    cfsLocked(() => {
      if (!this.jobs.delete(id)) throw paramError({ id: `No such job '${id}'` });
    });
  }

  private assertJobParamPermissions(authid: string, p: Params): void {
    if (authid === ROOT_USER) return;
    for (const key of ["tmpdir", "dumpdir", "script", "job-id"]) {
      if (p[key] !== undefined) throw paramError({ [key]: "Only root may set this option." });
    }
    if (["bwlimit", "ionice", "performance"].some((k) => p[k] !== undefined)) this.check(authid, "/", ["Sys.Modify"]);
  }

  /** `GET /cluster/backup-info/not-backed-up`: guests no job includes (disabled jobs count), as the caller may audit them. */
  notBackedUp(authid: string): { vmid: number; type: string; name?: string }[] {
    const included = new Set<number>();
    for (const job of this.jobs.values()) for (const vmid of this.includedGuests(job)) included.add(vmid);
    return this.guests
      .filter((g) => this.can(authid, `/vms/${g.vmid}`, ["VM.Audit"]) && !included.has(Number(g.vmid)))
      .map((g) => ({
        vmid: Number(g.vmid),
        type: String(g.type),
        ...(g.name !== undefined ? { name: String(g.name) } : {}),
      }))
      .sort((a, b) => a.vmid - b.vmid);
  }

  /** VZDump.pm `get_included_guests`: by pool, vmid list, or all but the excluded, limited to the job's node. */
  private includedGuests(job: Record<string, unknown>): number[] {
    let vmids: number[];
    if (job.pool !== undefined) {
      vmids = this.guests.filter((g) => g.pool === job.pool).map((g) => Number(g.vmid));
    } else if (job.vmid !== undefined) {
      vmids = parseList(String(job.vmid)).map(Number);
    } else if (isPveTrue(job.all)) {
      const excluded = new Set(parseList(String(job.exclude ?? "")).map(Number));
      vmids = this.guests.map((g) => Number(g.vmid)).filter((v) => !excluded.has(v));
    } else {
      return [];
    }
    return vmids.filter((vmid) => {
      const node = this.guestNode(vmid);
      return node === undefined || job.node === undefined || job.node === node;
    });
  }
}

/** The storage a job writes to, for permission checks (VZDump.pm `get_storage_param`). */
function storageParam(p: Record<string, unknown>): string | undefined {
  if (p.dumpdir !== undefined) return undefined;
  return typeof p.storage === "string" && p.storage ? p.storage : "local";
}

/** API2/Backup.pm `$schedule_param_check`: a job needs a schedule (or the old starttime/dow). */
function scheduleParamCheck(p: Params, required: boolean): void {
  if (p.schedule !== undefined) {
    if (p.starttime !== undefined) throw paramError({ starttime: "'starttime' and 'schedule' cannot both be set" });
  } else if (p.starttime === undefined) {
    if (required) throw paramError({ schedule: "neither 'starttime' nor 'schedule' were set" });
  } else {
    const dow = typeof p.dow === "string" ? parseList(p.dow).join(",") : undefined;
    p.schedule = !dow || dow === "mon,tue,wed,thu,fri,sat,sun" ? String(p.starttime) : `${dow} ${p.starttime}`;
  }
  delete p.starttime;
  delete p.dow;
}

/** VZDump.pm `verify_vzdump_parameters`. */
function verifyVzdumpParameters(job: Job, checkMissing: boolean): Job {
  const present = (k: string) => job[k] !== undefined && job[k] !== "" && job[k] !== "0" && job[k] !== 0;
  if (present("all") && present("vmid")) throw paramError({ all: "option conflicts with option 'vmid'" });
  if (present("exclude") && present("vmid")) throw paramError({ exclude: "option conflicts with option 'vmid'" });
  if (present("pool") && present("vmid")) throw paramError({ pool: "option conflicts with option 'vmid'" });
  const template = job["notes-template"];
  if (typeof template === "string" && template) {
    const problem = notesTemplateProblem(template);
    // raise_param_exc({ 'notes-template' => $@ }): the error keeps $@'s line break
    if (problem) throw paramError({ "notes-template": `${problem}\n` });
  }
  if (job.exclude !== undefined && job.pool === undefined) job.all = "1";
  if (checkMissing && !(present("all") || present("stop") || present("pool")) && !present("vmid")) {
    throw paramError({ vmid: "property is missing" });
  }
  return job;
}

/** A job as jobs.cfg keeps it: property strings parsed, booleans 1/0, `exclude-path` a list. */
function normalizeJob(job: Job): Job {
  const out: Job = { ...job };
  const formats = methodInfo("GET", "/cluster/backup").returns.items?.properties ?? {};
  for (const key of ["prune-backups", "fleecing", "performance"]) {
    const value = out[key];
    if (typeof value === "string") {
      out[key] = value ? parsePropertyString(formats[key].properties ?? {}, value) : undefined;
    } else if (value && typeof value === "object") {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
    if (out[key] === undefined) delete out[key];
  }
  for (const key of ["enabled", "all", "protected", "repeat-missed", "remove", "stdexcludes", "quiet", "stop"]) {
    if (out[key] !== undefined) out[key] = isPveTrue(out[key]) ? 1 : 0;
  }
  const excludePath = out["exclude-path"];
  if (typeof excludePath === "string") out["exclude-path"] = parseList(excludePath);
  for (const key of ["bwlimit", "ionice", "lockwait", "stopwait", "pigz", "zstd", "maxfiles"]) {
    if (typeof out[key] === "string" && /^\d+$/.test(out[key] as string)) out[key] = Number(out[key]);
  }
  return out;
}
