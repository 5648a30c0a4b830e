/**
 * The PVE API double's cluster: the state a cluster snapshot (pve/snapshot.ts, with its optional
 * extensions) describes, and PVE's own semantics for reading and changing it: backup jobs and their
 * rules (job id, `all`/`vmid` conflicts, notes-template, prune-backups, "No such job", `next-run`
 * from now), NFS storage whose server and export are fixed after creation, backup volumes with PVE's
 * visibility rules, task history, nodes online or offline, and per-node vzdump defaults.
 *
 * Errors are thrown as PveError with PVE's status, message and per-parameter errors, taken from
 * PVE's source (pve-manager API2/Backup.pm, pve-storage API2/Storage/*.pm, JSONSchema.pm).
 */
import { randomUUID } from "crypto";
import {
  AccessModel,
  PROGRAM_ROLE,
  PROGRAM_ROLE_PRIVILEGES,
  ROOT_USER,
  STORAGE_LISTING_PRIVILEGES,
  hasPrivileges,
  privilegesAt,
  seesBackup,
  splitTokenId,
} from "../pve/privileges";
import { Params, methodInfo, parsePropertyString } from "../pve/schema";
import { CalendarEvent, formatIsoTime, zonedTimeToDate } from "../tiers/calendar";
import { JOB_ID_MAX_LENGTH } from "../pve/ids";
import { NFS_OPTIONS, SHARED_STORAGE_TYPES } from "../pve/storage";
import { TASK_RUNNING_STATUS } from "../pve/vzdumpLog";
import { backupFileName, parseVzdumpFileName } from "../pve/archives";
import { isPveTrue, parseList } from "../pve/values";
import { notesTemplateProblem } from "../pve/notes";
import { ClusterSnapshot, snapshotNodes } from "../pve/snapshot";
import type { BackupJobEntry } from "../pve/job";

/** An error as PVE answers it: the status, its one-line message, and for 400s the parameter errors. */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
    this.name = "PveError";
  }
}

/** PVE's `raise_param_exc`: 400 "Parameter verification failed." with the errors by parameter. */
export function paramError(errors: Record<string, string>): PveError {
  return new PveError(400, "Parameter verification failed.", errors);
}

/** PVE's `raise_perm_exc`. */
export function permissionError(what?: string): PveError {
  return new PveError(403, `Permission check failed${what ? ` (${what})` : ""}`);
}

/** journalctl's short month names. */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export interface DoubleNode {
  node: string;
  status: "online" | "offline" | "unknown";
  /** pvescheduler's systemd SubState. */
  scheduler: string;
  journal: { time: number; service: string; text: string }[];
}

/** A backup volume the double holds on a storage (listed per node by `storageContent`). */
export interface StoredBackup {
  storage: string;
  /** Set for a volume of a storage that is not shared: the node whose disk holds it. */
  node?: string;
  volid: string;
  size: number;
  ctime?: number;
  vmid?: number;
  format: string;
  subtype: string;
  notes?: string;
  protected: boolean;
}

export interface DoubleTask {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
  endtime?: number;
  status?: string;
  log: string[];
}

/** A job as jobs.cfg keeps it and `/cluster/backup` returns it. */
type Job = BackupJobEntry;
type StorageConfig = Record<string, string | number> & { storage: string; type: string };

/** Without `storageStatus`, a storage reports this total, and as used the size of its backups. */
const DEFAULT_STORAGE_TOTAL = 1024 ** 4;

const DEFAULT_VERSION = { version: "8.4.1", release: "8.4", repoid: "2a5fa54a8503f96d" };

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

/**
 * Code run inside pve-cluster PVE/Cluster.pm `cfs_lock_file`, as Backup.pm runs it: whatever the
 * code dies with comes back in `$@`, and Backup.pm's `die "$@"` turns an exception into its text
 * (pve-common PVE/Exception.pm `stringify`: "<code> <message>", then "<param>: <error>" a line),
 * which the API server answers with 500 (pve-manager PVE/HTTPServer.pm `rest_handler`).
 */
function cfsLocked(code: () => void): void {
  try {
    code();
  } catch (err) {
    if (!(err instanceof PveError) || err.status === 500) throw err;
    const lines = [`${err.status} ${err.message}`, ...Object.entries(err.errors ?? {}).map(([k, v]) => `${k}: ${v}`)];
    // stringify ends each line with \n, and send adds the last one
    throw new PveError(500, lines.join("\n").replace(/\n$/, ""));
  }
}

export interface ClusterOptions {
  /** The time the double answers for (`next-run`); default: the real clock. */
  now?: () => Date;
}

export class DoubleCluster {
  readonly timezone: string;
  readonly version: { version: string; release: string; repoid: string };
  readonly nodes = new Map<string, DoubleNode>();
  /** `/cluster/resources` guest entries, as the snapshot gave them. */
  readonly guests: Record<string, unknown>[] = [];
  readonly storages = new Map<string, StorageConfig>();
  readonly jobs = new Map<string, Job>();
  readonly backups: StoredBackup[] = [];
  readonly tasks: DoubleTask[] = [];
  readonly access: AccessModel;
  /** Resource pools (user.cfg's): the snapshot's `access.pools` and every pool a guest names. */
  readonly pools = new Set<string>();
  /** API token secrets by full token id. */
  readonly tokenSecrets = new Map<string, string>();
  private readonly storageStatus: NonNullable<ClusterSnapshot["storageStatus"]>;
  private readonly nfsServers: NonNullable<ClusterSnapshot["nfsServers"]>;
  private readonly vzdumpConf: Record<string, Record<string, unknown>>;
  readonly now: () => Date;

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.timezone = snapshot.timezone ?? "UTC";
    this.version = { ...DEFAULT_VERSION, ...(snapshot.version ?? {}) } as typeof DEFAULT_VERSION;
    const nodeOf = new Map((snapshot.nodes ?? []).map((n) => [n.node, n]));
    for (const node of snapshotNodes(snapshot)) {
      const n = nodeOf.get(node);
      this.nodes.set(node, {
        node,
        status: n?.status ?? "online",
        scheduler: n?.scheduler ?? "running",
        journal: [...(n?.journal ?? [])].sort((a, b) => a.time - b.time),
      });
    }
    for (const r of snapshot.resources) {
      if (r.type !== "qemu" && r.type !== "lxc") continue;
      this.guests.push({ ...r, id: (r as { id?: string }).id ?? `${r.type}/${r.vmid}` });
    }
    for (const s of snapshot.storage) {
      const config: StorageConfig = { ...(s as unknown as StorageConfig) };
      for (const key of ["disable", "shared"]) if (key in config) config[key] = isPveTrue(config[key]) ? 1 : 0;
      if (typeof config["prune-backups"] === "object") {
        config["prune-backups"] = Object.entries(config["prune-backups"] as Record<string, unknown>)
          .map(([k, v]) => `${k}=${v}`)
          .join(",");
      }
      if (SHARED_STORAGE_TYPES.includes(config.type)) config.shared = 1;
      this.storages.set(s.storage, config);
    }
    for (const j of snapshot.backup) this.jobs.set(j.id, normalizeJob(j));
    for (const b of snapshot.backups ?? []) this.backups.push(this.toVolume(b));
    for (const t of snapshot.tasks ?? []) this.tasks.push(toTask(t));
    this.storageStatus = snapshot.storageStatus ?? [];
    this.nfsServers = snapshot.nfsServers ?? [];
    this.vzdumpConf = snapshot.vzdumpDefaults ?? {};
    this.access = {
      users: (snapshot.access?.users ?? defaultAccess().users).map((u) => ({
        userid: u.userid,
        enable: u.enable,
        expire: u.expire,
        groups: u.groups,
        tokens: u.tokens.map((t) => ({ tokenid: t.tokenid, privsep: t.privsep, expire: t.expire })),
      })),
      roles: Object.fromEntries(
        (snapshot.access?.roles ?? defaultAccess().roles).map((r) => [r.roleid, parseList(r.privs)]),
      ),
      acl: snapshot.access?.acl ?? defaultAccess().acl,
    };
    for (const pool of snapshot.access?.pools ?? []) this.pools.add(pool.poolid);
    for (const g of this.guests) if (typeof g.pool === "string") this.pools.add(g.pool);
    for (const u of snapshot.access?.users ?? defaultAccess().users) {
      for (const t of u.tokens) this.tokenSecrets.set(`${u.userid}!${t.tokenid}`, t.secret ?? randomUUID());
    }
  }

  private toVolume(b: NonNullable<ClusterSnapshot["backups"]>[number]): StoredBackup {
    const name = parseVzdumpFileName(backupFileName(b.volid));
    // PVE reads ctime from the vzdump file name (Storage.pm archive_info); a name it cannot read has none.
    const ctime = b.ctime ?? (name ? zonedTimeToDate(name.wall, this.timezone).getTime() / 1000 : undefined);
    return {
      storage: b.storage,
      node: b.node,
      volid: b.volid,
      size: b.size,
      ctime,
      vmid: b.vmid ?? name?.vmid,
      format: b.format ?? name?.format ?? "unknown",
      subtype: name?.kind ?? "unknown",
      notes: b.notes,
      protected: b.protected === true,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Authentication and privileges.

  /** The authid a `PVEAPIToken=user@realm!tokenid=secret` value stands for; throws 401 like PVE otherwise. */
  authenticate(apiToken: string | undefined): string {
    const fail = () => new PveError(401, "Authentication failed!");
    const m = /^(.*)=(.*)$/.exec(apiToken ?? "");
    if (!m) throw fail();
    const [tokenId, secret] = [m[1], m[2]];
    const split = splitTokenId(tokenId);
    if (!split) throw fail();
    const user = this.access.users.find((u) => u.userid === split[0]);
    const token = user?.tokens.find((t) => t.tokenid === split[1]);
    const now = this.now().getTime() / 1000;
    if (!user || !user.enable || (user.expire && user.expire < now)) throw fail();
    if (!token || (token.expire && token.expire < now)) throw fail();
    if (this.tokenSecrets.get(tokenId) !== secret) throw fail();
    return tokenId;
  }

  /** The full `user@realm!tokenid=secret` of a token, for tests and the standalone double's banner. */
  apiToken(tokenId?: string): string {
    const id = tokenId ?? [...this.tokenSecrets.keys()][0];
    const secret = this.tokenSecrets.get(id);
    if (secret === undefined) throw new Error(`the double has no token ${id}`);
    return `${id}=${secret}`;
  }

  can(authid: string, path: string, privs: readonly string[], any = false): boolean {
    return authid === ROOT_USER || hasPrivileges(this.access, authid, path, privs, any);
  }

  /** RPCEnvironment.pm `check`: each privilege in turn, the error naming the first one missing. */
  check(authid: string, path: string, privs: readonly string[]): void {
    const missing = privs.find((p) => !this.can(authid, path, [p]));
    if (missing !== undefined) throw permissionError(`${path}, ${missing}`);
  }

  private checkAny(authid: string, path: string, privs: readonly string[]): void {
    if (!this.can(authid, path, privs, true)) throw permissionError(`${path}, ${privs.join("|")}`);
  }

  // -------------------------------------------------------------------------------------------
  // Nodes and guests.

  requireNode(node: string): DoubleNode {
    const found = this.nodes.get(node);
    // PVE cannot resolve a node it does not know: the proxy step fails.
    if (!found) {
      throw new PveError(
        500,
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      );
    }
    return found;
  }

  private guestNode(vmid: number): string | undefined {
    return this.guests.find((g) => Number(g.vmid) === vmid)?.node as string | undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Backup jobs (pve-manager PVE/API2/Backup.pm).

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

  // -------------------------------------------------------------------------------------------
  // Storage configuration (pve-storage PVE/API2/Storage/Config.pm).

  /** `GET /storage`: the storages the caller may audit (or allocate space on). */
  listStorages(authid: string, type?: string): StorageConfig[] {
    return [...this.storages.values()]
      .filter((s) => this.can(authid, `/storage/${s.storage}`, STORAGE_LISTING_PRIVILEGES, true))
      .filter((s) => type === undefined || s.type === type)
      .map((s) => ({ ...s, digest: this.storageDigest() }));
  }

  /** `GET /storage/{storage}`. */
  readStorage(id: string): StorageConfig {
    const s = this.storages.get(id);
    if (!s) throw new PveError(500, `storage '${id}' does not exist`);
    return { ...s, digest: this.storageDigest() };
  }

  private storageDigest(): string {
    const text = JSON.stringify([...this.storages.values()]);
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    return h.toString(16).padStart(8, "0").repeat(5);
  }

  /** `POST /storage`. */
  createStorage(params: Params): { storage: string; type: string } {
    const p = { ...params } as Record<string, string>;
    const type = p.type;
    const id = p.storage;
    delete p.type;
    delete p.storage;
    if (!p.nodes) delete p.nodes;
    const major = Number(this.version.version.split(".")[0]);
    for (const key of ["create-base-path", "create-subdirs"]) {
      // Both arrived with PVE 8.0; an older node's schema does not know them.
      if (major < 8 && p[key] !== undefined) {
        throw paramError({
          [key]: "property is not defined in schema and the schema does not allow additional properties",
        });
      }
    }
    const config: StorageConfig = { storage: id, type };
    if (type === "nfs") {
      for (const key of Object.keys(p))
        if (!(key in NFS_OPTIONS)) throw new PveError(500, `unexpected property '${key}'`);
      for (const key of ["server", "export"])
        if (p[key] === undefined) throw paramError({ [key]: "property is missing and it is not optional" });
      config.path = p.path ?? `/mnt/pve/${id}`;
      config.content = p.content ?? "images";
      config.shared = 1;
    } else {
      config.content = p.content ?? "images";
    }
    for (const [k, v] of Object.entries(p)) if (k !== "path" && k !== "content") config[k] = booleanOption(k, v);
    // Config.pm create: inside lock_storage_config(..., "create storage failed"), a storage enabled on
    // the node that answers is activated "to detect errors/problems sooner"; if that dies, nothing is written.
    const fail = (message: string) => new PveError(500, `create storage failed: ${message}`);
    if (this.storages.has(id)) throw fail(`storage ID '${id}' already defined`);
    if (this.storageEnabledOn(config, this.localNode) && !this.reachable(config, this.localNode))
      throw fail(notOnline(id));
    this.storages.set(id, config);
    return { storage: id, type };
  }

  /** The node that answers the API (`local: 1` in `/cluster/status`): the first. */
  get localNode(): string {
    return [...this.nodes.keys()][0] ?? "";
  }

  /**
   * Whether a node reaches a storage: an NFS storage's server may not answer it
   * (pve-storage PVE/Storage/NFSPlugin.pm `check_connection`, the snapshot's `nfsServers`).
   */
  reachable(s: StorageConfig, node: string): boolean {
    if (s.type !== "nfs") return true;
    const entry =
      this.nfsServers.find((e) => e.server === s.server && e.node === node) ??
      this.nfsServers.find((e) => e.server === s.server && e.node === undefined);
    return entry?.online !== false;
  }

  /** `PUT /storage/{storage}`. */
  updateStorage(id: string, params: Params): { storage: string; type: string } {
    const p = { ...params } as Record<string, string>;
    delete p.storage;
    delete p.digest;
    const deleteList = p.delete ? parseList(p.delete) : [];
    delete p.delete;
    const fail = (message: string) => new PveError(500, `update storage failed: ${message}`);
    const current = this.storages.get(id);
    if (!current) throw fail(`storage '${id}' does not exist`);
    if (current.type === "nfs") {
      for (const key of Object.keys(p)) {
        if (!(key in NFS_OPTIONS)) throw fail(`unexpected property '${key}'`);
        if (NFS_OPTIONS[key].fixed) throw fail(`can't change value of fixed parameter '${key}'`);
      }
      for (const key of deleteList) {
        const option = NFS_OPTIONS[key];
        if (!option) throw fail(`no such option '${key}'`);
        if (!option.optional) throw fail(`unable to delete required option '${key}'`);
        if (option.fixed) throw fail(`unable to delete fixed option '${key}'`);
        if (p[key] !== undefined) throw fail(`cannot set and delete property '${key}' at the same time!`);
      }
    }
    const updated: StorageConfig = { ...current };
    for (const key of deleteList) delete updated[key];
    for (const [k, v] of Object.entries(p)) updated[k] = booleanOption(k, v);
    this.storages.set(id, updated);
    return { storage: id, type: current.type };
  }

  /** `DELETE /storage/{storage}`. */
  deleteStorage(id: string): void {
    if (!this.storages.delete(id)) throw new PveError(500, `delete storage failed: storage '${id}' does not exist`);
  }

  /** Whether a storage may be used on a node: it exists, is not disabled and lists the node (or no nodes). */
  storageEnabledOn(s: StorageConfig, node: string): boolean {
    if (isPveTrue(s.disable)) return false;
    return s.nodes === undefined || parseList(String(s.nodes)).includes(node);
  }

  private spaceOf(s: StorageConfig, node: string): { total: number; used: number; avail: number; active: boolean } {
    // Storage.pm storage_info: a storage that cannot be activated stays at active 0 and no space.
    if (!this.reachable(s, node)) return { total: 0, used: 0, avail: 0, active: false };
    const entry =
      this.storageStatus.find((e) => e.storage === s.storage && e.node === node) ??
      this.storageStatus.find((e) => e.storage === s.storage && e.node === undefined);
    if (entry) return { total: entry.total, used: entry.used, avail: entry.avail, active: entry.active !== false };
    const used = this.volumesOn(s, node).reduce((sum, v) => sum + v.size, 0);
    return { total: DEFAULT_STORAGE_TOTAL, used, avail: Math.max(0, DEFAULT_STORAGE_TOTAL - used), active: true };
  }

  /** Storage.pm `storage_info` for one node: every storage, enabled or not, with its space when active. */
  private storageInfo(node: string): Record<string, unknown>[] {
    return [...this.storages.values()].map((s) => {
      const enabled = this.storageEnabledOn(s, node);
      const info: Record<string, unknown> = {
        storage: s.storage,
        type: s.type,
        content: s.content ?? "",
        shared: isPveTrue(s.shared) ? 1 : 0,
        enabled: enabled ? 1 : 0,
        active: 0,
        total: 0,
        used: 0,
        avail: 0,
      };
      if (enabled) {
        const space = this.spaceOf(s, node);
        if (space.active) Object.assign(info, { active: 1, total: space.total, used: space.used, avail: space.avail });
      }
      return info;
    });
  }

  /** `GET /nodes/{node}/storage`. */
  nodeStorages(authid: string, node: string, filter: Params): Record<string, unknown>[] {
    const wanted = typeof filter.content === "string" ? parseList(filter.content) : undefined;
    let info = this.storageInfo(node);
    if (wanted) {
      info = info.filter((i) => i.enabled === 1 && parseList(String(i.content)).some((c) => wanted.includes(c)));
    }
    if (typeof filter.storage === "string" && !info.some((i) => i.storage === filter.storage)) {
      throw paramError({ storage: "No such storage." });
    }
    return info
      .filter((i) => this.can(authid, `/storage/${i.storage}`, STORAGE_LISTING_PRIVILEGES, true))
      .filter((i) => filter.storage === undefined || i.storage === filter.storage)
      .filter((i) => filter.enabled !== "1" || i.enabled === 1)
      .map((i) => (Number(i.total) > 0 ? { ...i, used_fraction: Number(i.used) / Number(i.total) } : i));
  }

  /** `GET /nodes/{node}/storage/{storage}/status`. */
  storageStatusOf(node: string, id: string): Record<string, unknown> {
    const info = this.storageInfo(node).find((i) => i.storage === id);
    if (!info) throw paramError({ storage: "No such storage." });
    const { storage: _storage, ...status } = info;
    return status;
  }

  /** The backup volumes of a storage as a node sees them. */
  private volumesOn(s: StorageConfig, node: string): StoredBackup[] {
    return this.backups.filter((b) => {
      if (b.storage !== s.storage) return false;
      if (b.node !== undefined) return b.node === node;
      if (isPveTrue(s.shared)) return true;
      const guestNode = b.vmid === undefined ? undefined : this.guestNode(b.vmid);
      return guestNode === undefined || guestNode === node;
    });
  }

  /**
   * `GET /nodes/{node}/storage/{storage}/content`: the volumes, each silently skipped unless the
   * caller may access it (Storage.pm `check_volume_access`): Datastore.Allocate on the storage, or
   * for a backup Datastore.AllocateSpace there plus VM.Backup on its guest.
   */
  storageContent(authid: string, node: string, id: string, filter: Params): Record<string, unknown>[] {
    const s = this.storages.get(id);
    if (!s) throw new PveError(500, `storage '${id}' does not exist`);
    if (isPveTrue(s.disable)) throw new PveError(500, `storage '${id}' is disabled`);
    if (!this.storageEnabledOn(s, node)) throw new PveError(500, `storage '${id}' is not available on node '${node}'`);
    // Storage.pm volume_list activates the storage whatever content is asked for.
    if (!this.reachable(s, node)) throw new PveError(500, notOnline(id));
    const contents = parseList(String(s.content ?? ""));
    if (filter.content !== undefined && filter.content !== "backup") return [];
    if (!contents.includes("backup")) return [];
    const vmid = filter.vmid === undefined ? undefined : Number(filter.vmid);
    return this.volumesOn(s, node)
      .filter((v) => vmid === undefined || v.vmid === vmid)
      .filter((v) => this.mayAccessBackup(authid, v))
      .sort((a, b) => a.volid.toLowerCase().localeCompare(b.volid.toLowerCase()))
      .map((v) => ({
        volid: v.volid,
        content: "backup",
        format: v.format,
        size: v.size,
        ...(v.ctime !== undefined ? { ctime: v.ctime } : {}),
        subtype: v.subtype,
        ...(v.vmid !== undefined ? { vmid: v.vmid } : {}),
        ...(v.notes !== undefined ? { notes: v.notes.split("\n")[0] } : {}),
        ...(v.protected ? { protected: 1 } : {}),
      }));
  }

  private mayAccessBackup(authid: string, v: StoredBackup): boolean {
    const onStorage = privilegesAt(this.access, authid, `/storage/${v.storage}`);
    if (v.vmid === undefined) return seesBackup(onStorage);
    return seesBackup(onStorage, privilegesAt(this.access, authid, `/vms/${v.vmid}`));
  }

  // -------------------------------------------------------------------------------------------
  // Tasks (pve-manager PVE/API2/Tasks.pm).

  /** `GET /nodes/{node}/tasks`: finished tasks by default, newest first, own ones or all with Sys.Audit on the node. */
  nodeTasks(authid: string, node: string, filter: Params): { data: Record<string, unknown>[]; total: number } {
    const auditor = this.can(authid, `/nodes/${node}`, ["Sys.Audit"]);
    const source = (filter.source as string) ?? "archive";
    const start = Number(filter.start ?? 0);
    let limit = Number(filter.limit ?? 50);
    const errorsOnly = filter.errors === "1";
    let count = 0;
    const data: Record<string, unknown>[] = [];
    const tasks = this.tasks
      .filter((t) => t.node === node)
      .filter((t) =>
        source === "active" ? t.status === undefined : source === "archive" ? t.status !== undefined : true,
      )
      .sort((a, b) => b.starttime - a.starttime);
    for (const t of tasks) {
      if (typeof filter.userfilter === "string" && !t.user.toLowerCase().includes(filter.userfilter.toLowerCase()))
        continue;
      if (!auditor && t.user !== authid) continue;
      if (typeof filter.typefilter === "string" && t.type !== filter.typefilter) continue;
      if (filter.vmid !== undefined && t.id !== filter.vmid) continue;
      if (filter.since !== undefined && t.starttime < Number(filter.since)) continue;
      if (filter.until !== undefined && t.starttime > Number(filter.until)) continue;
      if (errorsOnly && t.status === "OK") continue;
      if (count++ < start) continue;
      if (limit <= 0) continue;
      limit--;
      // Tasks.pm node_tasks: an active task is listed with status RUNNING
      data.push(t.status === undefined ? { ...taskView(t), status: TASK_RUNNING_STATUS } : taskView(t));
    }
    return { data, total: count };
  }

  /**
   * A task's log file on a node, as pve-common PVE/UPID.pm `decode` finds it: under
   * /var/log/pve/tasks/ in the folder named by the last hex digit of the UPID's start time.
   * Throws PVE's 400 for a UPID it cannot parse.
   */
  private taskFile(node: string, upid: string): { task?: DoubleTask; user: string } {
    const m = UPID_PATTERN.exec(upid);
    if (!m) throw paramError({ upid: "unable to parse worker upid" });
    const path = taskLogPath(upid, m[5]);
    return { task: this.tasks.find((t) => t.node === node && taskLogPath(t.upid) === path), user: m[8] };
  }

  /** Tasks.pm `$check_task_user`: a task's own user (or the user of its token) reads it; others need Sys.Audit on the node. */
  private checkTaskUser(authid: string, node: string, user: string): void {
    if (user !== authid && !authid.startsWith(`${user}!`)) this.check(authid, `/nodes/${node}`, ["Sys.Audit"]);
  }

  /**
   * `GET /nodes/{node}/tasks/{upid}/log` (Tasks.pm `read_task_log`): numbered lines from 1; an empty
   * log is one line "no content", and a log that is not there one line saying so (pve-common
   * PVE/Tools.pm `dump_logfile`), answered 200.
   */
  taskLog(
    authid: string,
    node: string,
    upid: string,
    page: Params,
  ): { data: { n: number; t: string }[]; total: number } {
    const { task, user } = this.taskFile(node, upid);
    this.checkTaskUser(authid, node, user);
    if (!task) return { data: [{ n: 1, t: "unable to open file - No such file or directory" }], total: 1 };
    const start = Number(page.start ?? 0);
    const limit = Number(page.limit ?? 50);
    const lines = task.log.map((t, i) => ({ n: i + 1, t })).slice(start, start + limit);
    if (task.log.length === 0) return { data: [{ n: 1, t: "no content" }], total: 1 };
    return { data: lines, total: task.log.length };
  }

  /** `GET /nodes/{node}/tasks/{upid}/status` (Tasks.pm `read_task_status`: "no such task" before the permission check). */
  taskStatus(authid: string, node: string, upid: string): Record<string, unknown> {
    const { task, user } = this.taskFile(node, upid);
    if (!task) throw paramError({ upid: "no such task" });
    this.checkTaskUser(authid, node, user);
    const view = taskView(task);
    delete view.endtime;
    return {
      ...view,
      status: task.status === undefined ? "running" : "stopped",
      ...(task.status ? { exitstatus: task.status } : {}),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The node's services and journal (pve-manager PVE/API2/Services.pm `service_state`,
  // PVE/API2/Nodes.pm `syslog`; the privileges are the schema's checks).

  /** `GET /nodes/{node}/services/{service}/state`: pvescheduler's as the snapshot says, the others running. */
  serviceState(node: string, service: string): Record<string, unknown> {
    const state = service === "pvescheduler" ? this.requireNode(node).scheduler : "running";
    return {
      service,
      name: service,
      desc: service,
      state,
      "active-state": state === "running" ? "active" : state === "failed" ? "failed" : "inactive",
      "unit-state": "enabled",
    };
  }

  /**
   * `GET /nodes/{node}/syslog`: `journalctl -o short` lines (`Feb 12 03:00:01 pve pvescheduler[1204]: ...`)
   * of one service (`--unit`), `since`/`until` in the node's local time, paged by `start`/`limit`
   * (default 50); none is the one line `no content` (pve-common PVE/Tools.pm `dump_journal`).
   */
  syslog(node: string, filter: Params): { data: { n: number; t: string }[]; total: number } {
    const entries = this.requireNode(node).journal;
    const local = (text: unknown): number | undefined => {
      if (typeof text !== "string") return undefined;
      const [d, t = "00:00:00"] = text.split(" ");
      const [year, month, day] = d.split("-").map(Number);
      const [hour, minute, second = 0] = t.split(":").map(Number);
      return zonedTimeToDate({ year, month, day, hour, minute, second }, this.timezone).getTime() / 1000;
    };
    const since = local(filter.since);
    const until = local(filter.until);
    const service = typeof filter.service === "string" ? filter.service : undefined;
    const lines = entries
      .filter((e) => (service === undefined || e.service === service) && (since === undefined || e.time >= since))
      .filter((e) => until === undefined || e.time <= until)
      .map((e) => {
        const iso = formatIsoTime(new Date(e.time * 1000), this.timezone);
        const month = MONTHS[Number(iso.slice(5, 7)) - 1];
        return `${month} ${iso.slice(8, 10)} ${iso.slice(11, 19)} ${node} ${e.service}[${1000 + (e.time % 9000)}]: ${e.text}`;
      });
    const start = Number(filter.start ?? 0);
    const limit = Number(filter.limit ?? 0) || 50;
    if (lines.length === 0) return { data: [{ n: 1, t: "no content" }], total: 1 };
    return { data: lines.slice(start, start + limit).map((t, i) => ({ n: start + i + 1, t })), total: lines.length };
  }

  /**
   * `GET /cluster/tasks` (pve-manager PVE/API2/Cluster.pm `tasks`): the most recent tasks of every
   * node as the cluster's task list has them (a running one without a status), all of them with
   * Sys.Audit on `/`, else the caller's own.
   */
  clusterTasks(authid: string): Record<string, unknown>[] {
    const all = this.can(authid, "/", ["Sys.Audit"]);
    return [...this.nodes.keys()].flatMap((node) =>
      this.tasks
        .filter((t) => t.node === node)
        .sort((a, b) => b.starttime - a.starttime)
        .slice(0, 50)
        .filter((t) => all || t.user === authid)
        .map(taskView),
    );
  }

  // -------------------------------------------------------------------------------------------
  // vzdump defaults (pve-manager PVE/API2/VZDump.pm `defaults`).

  vzdumpDefaults(authid: string, node: string, storageParamValue?: string): Record<string, unknown> {
    const returns = methodInfo("GET", "/nodes/{node}/vzdump/defaults").returns.properties ?? {};
    const result: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(returns)) {
      if (schema.default !== undefined && key !== "prune-backups") result[key] = schema.default;
    }
    Object.assign(result, this.vzdumpConf[node] ?? {});
    if (storageParamValue !== undefined) result.storage = storageParamValue;
    if (result.dumpdir === undefined && result.storage === undefined) result.storage = "local";
    if (typeof result.storage === "string") {
      this.checkAny(authid, `/storage/${result.storage}`, STORAGE_LISTING_PRIVILEGES);
      const s = this.storages.get(result.storage);
      if (!s) throw new PveError(500, `storage '${result.storage}' does not exist`);
      if (!parseList(String(s.content ?? "")).includes("backup")) {
        throw new PveError(500, `can't use storage '${result.storage}' for backups - wrong content type`);
      }
      if (s.path !== undefined) result.dumpdir = `${s.path}/dump`;
      if (s["prune-backups"] !== undefined) result["prune-backups"] = String(s["prune-backups"]);
    }
    if (Array.isArray(result["exclude-path"])) result["exclude-path"] = (result["exclude-path"] as string[]).join(",");
    if (!this.can(authid, `/nodes/${node}`, ["Sys.Audit"])) {
      for (const key of ["mailto", "tmpdir", "dumpdir", "script", "ionice"]) delete result[key];
    }
    return result;
  }
}

/** pve-storage PVE/Storage.pm `activate_storage`, when the plugin's check_connection fails. */
function notOnline(storage: string): string {
  return `storage '${storage}' is not online`;
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

function booleanOption(key: string, value: string): string | number {
  return ["disable", "shared", "create-base-path", "create-subdirs", "mkdir"].includes(key)
    ? value === "1"
      ? 1
      : 0
    : value;
}

/** pve-common PVE/UPID.pm `decode`'s pattern: node, pid, pstart, start time, type, id, user. */
const UPID_PATTERN =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** PVE/UPID.pm `decode`: `/var/log/pve/tasks/<last hex digit of the start time>/<upid>`. */
function taskLogPath(upid: string, starttimeHex = upid.split(":")[4] ?? ""): string {
  return `/var/log/pve/tasks/${starttimeHex.slice(7, 8)}/${upid}`;
}

/** `UPID:node:pid:pstart:starttime:type:id:user:`, hex fields upper case as PVE writes them. */
export function makeUpid(t: {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, "0");
  return `UPID:${t.node}:${hex(t.pid)}:${hex(t.pstart)}:${hex(t.starttime)}:${t.type}:${t.id}:${t.user}:`;
}

function toTask(t: NonNullable<ClusterSnapshot["tasks"]>[number]): DoubleTask {
  // pid and pstart are made up but stable, so a task's UPID is the same on every start.
  const pid = 1000 + (t.starttime % 50000);
  const pstart = (t.starttime % 100000000) + 7;
  const fields = { node: t.node, pid, pstart, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
  return { ...fields, upid: t.upid ?? makeUpid(fields), endtime: t.endtime, status: t.status, log: t.log };
}

function taskView(t: DoubleTask): Record<string, unknown> {
  return {
    upid: t.upid,
    node: t.node,
    pid: t.pid,
    pstart: t.pstart,
    starttime: t.starttime,
    type: t.type,
    id: t.id,
    user: t.user,
    ...(t.endtime !== undefined ? { endtime: t.endtime } : {}),
    ...(t.status !== undefined ? { status: t.status } : {}),
  };
}

/**
 * Access when the snapshot names none: the README's token set-up that works. User `pulumi@pve` and
 * its token `backup-tiers` (privilege separation on), each granted the program's role on `/`.
 */
function defaultAccess(): NonNullable<ClusterSnapshot["access"]> {
  return {
    users: [{ userid: "pulumi@pve", enable: true, groups: [], tokens: [{ tokenid: "backup-tiers", privsep: true }] }],
    groups: [],
    pools: [],
    roles: [{ roleid: PROGRAM_ROLE, privs: PROGRAM_ROLE_PRIVILEGES.join(",") }],
    acl: [
      { path: "/", type: "user", ugid: "pulumi@pve", roleid: PROGRAM_ROLE, propagate: true },
      { path: "/", type: "token", ugid: "pulumi@pve!backup-tiers", roleid: PROGRAM_ROLE, propagate: true },
    ],
  };
}
