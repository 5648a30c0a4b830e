/**
 * (Over 300 lines: storage.cfg, each node's space and the backup volumes are one state, which
 * pve-storage's config, status and content calls all read.)
 *
 * The PVE API double's storage (pve-storage PVE/API2/Storage/Config.pm, Status.pm, Content.pm):
 * storage.cfg, NFS storage whose fixed options stay as created (pve/storage.ts `NFS_OPTIONS`), an
 * NFS server a node may not reach, each node's space, and backup volumes with PVE's visibility rules.
 */
import { STORAGE_LISTING_PRIVILEGES, privilegesAt, seesBackup } from "../pve/privileges";
import type { Params } from "../pve/params";
import { zonedTimeToDate } from "../tiers/calendar";
import { NFS_OPTIONS, SHARED_STORAGE_TYPES } from "../pve/storage";
import { backupFileName, parseVzdumpFileName } from "../pve/archives";
import { isPveTrue, parseList } from "../pve/values";
import type { ClusterSnapshot } from "../pve/snapshot";
import type { ClusterOptions } from "./clusterBase";
import { PveError, paramError } from "./errors";
import { ClusterJobs } from "./jobs";

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

export type StorageConfig = Record<string, string | number> & { storage: string; type: string };

/** Without `storageStatus`, a storage reports this total, and as used the size of its backups. */
const DEFAULT_STORAGE_TOTAL = 1024 ** 4;

export class ClusterStorages extends ClusterJobs {
  readonly storages = new Map<string, StorageConfig>();
  readonly backups: StoredBackup[] = [];
  private readonly storageStatus: NonNullable<ClusterSnapshot["storageStatus"]>;
  private readonly nfsServers: NonNullable<ClusterSnapshot["nfsServers"]>;

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    super(snapshot, options);
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
    for (const b of snapshot.backups ?? []) this.backups.push(this.toVolume(b));
    this.storageStatus = snapshot.storageStatus ?? [];
    this.nfsServers = snapshot.nfsServers ?? [];
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
}

/** pve-storage PVE/Storage.pm `activate_storage`, when the plugin's check_connection fails. */
function notOnline(storage: string): string {
  return `storage '${storage}' is not online`;
}

function booleanOption(key: string, value: string): string | number {
  return ["disable", "shared", "create-base-path", "create-subdirs", "mkdir"].includes(key)
    ? value === "1"
      ? 1
      : 0
    : value;
}
