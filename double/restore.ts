/**
 * The PVE API double's restores: the next free vmid (pve-manager PVE/API2/Cluster.pm `nextid`), the
 * config in a backup archive (pve-manager PVE/API2/VZDump.pm `extractconfig`, pve-storage
 * PVE/Storage.pm `extract_vzdump_config`), and a backup restored into a new guest (qemu-server
 * PVE/API2/Qemu.pm `create_vm` with `archive`, its `qmrestore` task running QemuServer.pm
 * `restore_vma_archive`; pve-container PVE/API2/LXC.pm `create_vm` with `restore=1`, `vzrestore`):
 * their permission checks, a vmid in use, a truncated archive and a storage without space failing
 * as PVE fails them. The guests they make: guests.ts.
 */
import { GuestKind } from "../pve/ids";
import { backupFileName, parseVzdumpFileName } from "../pve/archives";
import { configDisks, netBridge, parseGuestConfig } from "../pve/guestConfig";
import type { Params } from "../pve/params";
import { PveError, paramError, permissionError } from "./errors";
import { ClusterGuests, DiskVolume, WorkerEnd, defaultConfig, guestType } from "./guests";

/** Where vzdump archives lie on a storage: `<path>/dump/` (pve-storage PVE/Storage/Plugin.pm `get_subdir`). */
const DUMP_DIR = "dump";

/** The signal vma dies of when it cannot go on: `g_error` aborts it (SIGTRAP), and bash reports 128 + 5. */
const VMA_ABORT_EXIT = 133;

/** The keys a restore may set besides the disks, and the privilege each needs (Qemu.pm `check_vm_modify_config_perm`). */
function configPrivilege(key: string): string | undefined {
  if (/^net\d+$/.test(key)) return "VM.Config.Network";
  if (["onboot", "name", "description", "tags", "startup", "protection"].includes(key)) return "VM.Config.Options";
  return undefined;
}

export class ClusterRestores extends ClusterGuests {
  /**
   * `GET /cluster/nextid` (Cluster.pm `nextid`): with `vmid`, that vmid if free (else 400 "VM <vmid>
   * already exists"); without, the lowest free one from 100 (datacenter.cfg's `next-id` unset).
   */
  nextId(vmid?: number): number {
    this.settle();
    if (vmid !== undefined) {
      if (this.guestStates.has(vmid)) throw paramError({ vmid: `VM ${vmid} already exists` });
      return vmid;
    }
    for (let id = 100; ; id++) if (!this.guestStates.has(id)) return id;
  }

  /** The stored backup `volid` names, or PVE's error for a storage or volume that is not there. */
  private backupVolume(volid: string): { storage: string; file: string; owner: number; kind: GuestKind } {
    const storage = volid.includes(":") ? volid.slice(0, volid.indexOf(":")) : "";
    if (!this.storages.has(storage)) throw new PveError(500, `storage '${storage}' does not exist`);
    const file = backupFileName(volid);
    const name = parseVzdumpFileName(file);
    // Storage.pm parse_volname: a backup volume's name tells its guest and type.
    if (!name) throw new PveError(500, `unable to parse directory volume name '${volid.slice(storage.length + 1)}'`);
    if (!this.backups.some((b) => b.volid === volid)) {
      throw new PveError(500, `volume '${volid}' does not exist`);
    }
    return { storage, file, owner: name.vmid, kind: name.kind as GuestKind };
  }

  /**
   * Storage.pm `check_volume_access` for a backup: Datastore.Allocate on its storage, or
   * Datastore.AllocateSpace there and VM.Backup on the guest it was made of.
   */
  private checkBackupAccess(authid: string, storage: string, owner: number): void {
    if (this.can(authid, `/storage/${storage}`, ["Datastore.Allocate"])) return;
    this.check(authid, `/storage/${storage}`, ["Datastore.AllocateSpace"]);
    this.check(authid, `/vms/${owner}`, ["VM.Backup"]);
  }

  /** The config an archive holds: the scenario's, else the double's config of the guest it was made of. */
  private archiveConfig(volid: string, owner: number, kind: GuestKind): string {
    const given = this.scenario.archiveConfigs.get(volid);
    if (given !== undefined) return given;
    const guest = this.guests.find((g) => Number(g.vmid) === owner);
    return defaultConfig(kind, owner, String(guest?.name ?? `guest${owner}`));
  }

  /** `GET /nodes/{node}/vzdump/extractconfig` (VZDump.pm `extractconfig`): the archive's config text. */
  extractConfig(authid: string, volume: string): string {
    const { storage, owner, kind } = this.backupVolume(volume);
    this.checkBackupAccess(authid, storage, owner);
    this.check(authid, `/vms/${owner}`, ["VM.Backup"]);
    return this.archiveConfig(volume, owner, kind);
  }

  /**
   * `POST /nodes/{node}/qemu` with `archive`, or `POST /nodes/{node}/lxc` with `ostemplate` and
   * `restore=1`: the checks before the task, the new guest's config locked `create`, then the
   * restore task (`qmrestore`, `vzrestore`) taking the scenario's `restoreMs`.
   */
  restore(authid: string, node: string, kind: GuestKind, params: Params): string {
    this.settle();
    const vmid = Number(params.vmid);
    const archive = String(kind === "qemu" ? params.archive : params.ostemplate);
    const storage = typeof params.storage === "string" ? params.storage : undefined;
    if (kind === "lxc" && params.restore !== "1")
      throw new PveError(501, "the double creates containers only by restore");
    // Qemu.pm create_vm: Datastore.AllocateSpace on the storage asked for, then VM.Allocate on the vmid.
    if (storage !== undefined) this.check(authid, `/storage/${storage}`, ["Datastore.AllocateSpace"]);
    if (!this.can(authid, `/vms/${vmid}`, ["VM.Allocate"])) throw permissionError();
    const overrides = Object.entries(params).filter(
      ([k]) => !["node", "vmid", "archive", "ostemplate", "restore", "storage", "unique", "force", "start"].includes(k),
    );
    for (const [key] of overrides) {
      if (kind === "qemu" && configDisks({ [key]: "x:y,size=1" }, "qemu").length > 0) {
        throw paramError({ [key]: "option conflicts with option 'archive'" });
      }
    }
    const backup = this.backupVolume(archive);
    if (backup.kind !== kind) {
      throw new PveError(500, `unable to use volume ${archive} - content type needs to be 'backup'`);
    }
    this.checkBackupAccess(authid, backup.storage, backup.owner);
    for (const [key, value] of overrides) {
      const privilege = configPrivilege(key);
      if (!privilege) throw new PveError(500, `only root can set '${key}' config`);
      this.check(authid, `/vms/${vmid}`, [privilege]);
      // QemuServer.pm check_bridge_access, pve-guest-common PVE/GuestHelpers.pm check_vnet_access.
      const bridge = /^net\d+$/.test(key) ? netBridge(String(value)) : undefined;
      if (bridge) this.check(authid, `/sdn/zones/localnetwork/${bridge}`, ["SDN.Use"]);
    }
    // AbstractConfig.pm create_and_lock_config, pve-cluster PVE/Cluster.pm check_vmid_unused.
    const existing = this.guestStates.get(vmid);
    if (existing) {
      const inUse = `${guestType(existing.kind)} ${vmid} already exists on node '${this.guestNode(vmid) ?? node}'`;
      throw new PveError(500, kind === "qemu" ? `unable to restore VM ${vmid} - ${inUse}` : inUse);
    }
    const state = { kind, config: { lock: "create" } as Record<string, string>, running: false, origin: backup.owner };
    this.guestStates.set(vmid, state);
    this.guests.push({ id: `${kind}/${vmid}`, type: kind, vmid, node, status: "stopped", template: 0 });

    const path = `${String(this.storages.get(backup.storage)?.path ?? `/mnt/pve/${backup.storage}`)}/${DUMP_DIR}/${backup.file}`;
    const backedUp = parseGuestConfig(this.archiveConfig(archive, backup.owner, kind));
    const disks = configDisks(backedUp, kind).map((d, i): DiskVolume & { key: string } => {
      const target = storage ?? d.storage ?? "local-lvm";
      return { key: d.key, storage: target, volid: `${target}:vm-${vmid}-disk-${i}`, vmid, size: d.size };
    });
    const tmp = `/var/tmp/vzdumptmp${40000 + vmid}`;
    const pipeline =
      kind === "qemu"
        ? `set -o pipefail && zstd -q -d -c ${path} | vma extract -v -r ${tmp}.fifo - ${tmp}`
        : `lxc-usernsexec -m u:0:100000:65536 -m g:0:100000:65536 -- tar xpf - --zstd --totals --one-file-system -p --sparse --numeric-owner --acls --xattrs '--xattrs-include=user.*' '--xattrs-include=security.capability' '--warning=no-file-ignored' '--warning=no-xattr-write' -C /var/lib/lxc/${vmid}/rootfs --skip-old-files --anchored --exclude './dev/*'`;
    const needed = disks.reduce((s, d) => s + d.size, 0);
    const head =
      kind === "qemu"
        ? [
            `restore vma archive: zstd -q -d -c ${path} | vma extract -v -r ${tmp}.fifo - ${tmp}`,
            ...disks.map((d, i) => `DEV: dev_id=${i + 1} size: ${d.size} devname: drive-${d.key}`),
            ...disks.map((d) => `new volume ID is '${d.volid}'`),
          ]
        : [`recovering backed-up configuration from '${archive}'`, `restoring '${archive}' now..`];

    /** How a restore that dies ends: QemuServer.pm removes the volumes it allocated and keeps the config; LXC.pm removes both. */
    const failed = (lines: string[], error: string): WorkerEnd => {
      if (kind === "lxc") {
        this.guestStates.delete(vmid);
        this.guests.splice(
          this.guests.findIndex((g) => Number(g.vmid) === vmid),
          1,
        );
        return { log: [...head, ...lines], error: `unable to restore CT ${vmid} - ${error}` };
      }
      delete state.config.lock; // Qemu.pm create_vm's qmrestore worker: remove_lock($vmid, 'create')
      return {
        log: [
          ...head,
          ...lines,
          ...disks.map((d) => `temporary volume '${d.volid}' successfully removed`),
          `error before or during data restore, some or all disks were not completely restored. VM ${vmid} state is NOT cleaned up.`,
        ],
        error,
      };
    };
    const finish = (): WorkerEnd => {
      if (this.scenario.truncated.has(archive)) {
        // zstd stops at the archive's end; vma reads a short extent and aborts; tar reads an unexpected EOF.
        return kind === "qemu"
          ? failed(
              [
                `${path} : Read error (39) : premature end`,
                "vma: restore failed - short vma extent (2801664 < 3801600)",
              ],
              `command '${pipeline}' failed: exit code ${VMA_ABORT_EXIT}`,
            )
          : failed(
              ["tar: Unexpected EOF in archive", "tar: Error is not recoverable: exiting now"],
              `command '${pipeline}' failed: exit code 2`,
            );
      }
      for (const target of new Set(disks.map((d) => d.storage))) {
        const avail = Number(this.storageStatusOf(node, target).avail ?? 0);
        const want = disks.filter((d) => d.storage === target).reduce((s, d) => s + d.size, 0);
        // Writing past the storage's space: vma's write fails with ENOSPC (-28) (pve-qemu vma-reader.c restore_write_data).
        if (want > avail) {
          return kind === "qemu"
            ? failed(
                [`vma: restore failed - blk_pwrite to drive-${disks[0].key} failed (-28)`],
                `command '${pipeline}' failed: exit code ${VMA_ABORT_EXIT}`,
              )
            : failed(
                ["tar: ./usr: Cannot write: No space left on device"],
                `command '${pipeline}' failed: exit code 2`,
              );
        }
      }
      // restore_update_config_line: the disks on their new volumes; restore_merge_config: the overrides win.
      const config: Record<string, string> = { ...backedUp };
      for (const d of disks) config[d.key] = config[d.key].replace(/^[^,]+/, d.volid);
      for (const [key, value] of overrides) config[key] = String(value);
      delete config.lock;
      state.config = config;
      for (const d of disks) this.disks.push({ storage: d.storage, volid: d.volid, vmid, size: d.size });
      const entry = this.guests.find((g) => Number(g.vmid) === vmid);
      if (entry) entry.name = config.name ?? config.hostname;
      return {
        log: [
          ...head,
          ...disks.map(
            (d) => `map 'drive-${d.key}' to '/dev/pve/vm-${vmid}-disk-${disks.indexOf(d)}' (write zeros = 0)`,
          ),
          `progress 100% (read ${needed} bytes, duration ${Math.round(this.scenario.restoreMs / 1000)} sec)`,
          `total bytes read ${needed}, sparse bytes 0 (0%)`,
          "rescan volumes...",
        ],
      };
    };
    // restore_vma_archive's own handler for INT/TERM: `die "interrupted by signal\n"`.
    const interrupt = (): WorkerEnd => failed([], "interrupted by signal");
    return this.forkWorker(
      authid,
      node,
      kind === "qemu" ? "qmrestore" : "vzrestore",
      vmid,
      this.scenario.restoreMs,
      finish,
      interrupt,
    );
  }
}
