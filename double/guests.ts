/**
 * The PVE API double's guests as running things: each guest's config, its disks, whether it runs,
 * its QEMU guest agent, and the tasks that change them (`fork_worker`, pve-common
 * PVE/RESTEnvironment.pm), which take real time: a task is running until its time is up, then ends
 * with its log and `TASK OK` or `TASK ERROR: <reason>`. Start, stop, status, agent ping and destroy
 * come from qemu-server PVE/API2/Qemu.pm and pve-container PVE/API2/LXC.pm; stopping a task from
 * pve-manager PVE/API2/Tasks.pm `stop_task`. Restores (which make guests): restore.ts.
 */
import { GuestKind } from "../pve/ids";
import { ConfigDisk, configDisks, formatGuestConfig, parseGuestConfig } from "../pve/guestConfig";
import type { ClusterSnapshot } from "../pve/snapshot";
import type { Params } from "../pve/params";
import type { ClusterOptions } from "./clusterBase";
import { PveError, paramError } from "./errors";
import { ClusterTasks, makeUpid } from "./tasks";

/** A guest's state beyond its `/cluster/resources` entry. */
export interface GuestState {
  kind: GuestKind;
  config: Record<string, string>;
  running: boolean;
  /** When (real ms) a started guest's agent first answers; undefined while stopped. */
  agentFromMs?: number;
  /** For a restored guest: the vmid its backup was made of (the scenario's per-guest faults follow it). */
  origin?: number;
}

/** A disk image the double holds on a storage (`local-lvm:vm-104-disk-0`). */
export interface DiskVolume {
  storage: string;
  volid: string;
  vmid: number;
  size: number;
}

/**
 * How the double's guests behave, set by a test: how long (real ms) a restore and a boot take, the
 * archives that are truncated, the original guests whose restored copies never answer the agent,
 * and the config an archive holds (default: one made from the guest, disk on local-lvm, agent on
 * for a VM).
 */
export interface GuestScenario {
  restoreMs: number;
  bootMs: number;
  truncated: Set<string>;
  agentSilent: Set<number>;
  archiveConfigs: Map<string, string>;
}

/** A task still running: when (real ms) it ends, what it leaves then, and what a stop leaves instead. */
interface Worker {
  upid: string;
  dueMs: number;
  finish: () => WorkerEnd;
  interrupt?: () => WorkerEnd;
}

/** How a worker ends: the lines it logged and, for a failure, the error (`TASK ERROR: <error>`). */
export interface WorkerEnd {
  log: string[];
  error?: string;
}

/** pve-guest-common PVE/AbstractConfig.pm `guest_type`: what messages call a guest. */
export function guestType(kind: GuestKind): string {
  return kind === "qemu" ? "VM" : "CT";
}

export class ClusterGuests extends ClusterTasks {
  readonly guestStates = new Map<number, GuestState>();
  readonly disks: DiskVolume[] = [];
  readonly scenario: GuestScenario = {
    restoreMs: 0,
    bootMs: 0,
    truncated: new Set(),
    agentSilent: new Set(),
    archiveConfigs: new Map(),
  };
  private readonly workers: Worker[] = [];
  private nextPid = 40000;

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    super(snapshot, options);
    for (const g of this.guests) {
      const kind = g.type as GuestKind;
      const vmid = Number(g.vmid);
      const config = parseGuestConfig(defaultConfig(kind, vmid, String(g.name ?? "")));
      this.guestStates.set(vmid, { kind, config, running: g.status === "running", agentFromMs: 0 });
      for (const d of configDisks(config, kind)) this.disks.push(diskVolume(d, vmid));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Tasks that take time.

  /** RESTEnvironment.pm `fork_worker`: a task of `authid` on `node`, its UPID; it ends after `ms`. */
  protected forkWorker(
    authid: string,
    node: string,
    type: string,
    id: number,
    ms: number,
    finish: () => WorkerEnd,
    interrupt?: () => WorkerEnd,
  ): string {
    const starttime = Math.floor(this.now().getTime() / 1000);
    const fields = { node, pid: this.nextPid++, pstart: 9000000, starttime, type, id: String(id), user: authid };
    const upid = makeUpid(fields);
    this.tasks.push({ ...fields, upid, log: [] });
    this.workers.push({ upid, dueMs: Date.now() + ms, finish, interrupt });
    this.settle();
    return upid;
  }

  /** Ends the workers whose time is up (each request sees the state of its moment). */
  settle(): void {
    const now = Date.now();
    for (const w of this.workers.filter((x) => x.dueMs <= now)) this.endWorker(w, w.finish());
  }

  private endWorker(worker: Worker, end: WorkerEnd): void {
    this.workers.splice(this.workers.indexOf(worker), 1);
    const task = this.tasks.find((t) => t.upid === worker.upid)!;
    // fork_worker: the worker's output, then `TASK OK` or `TASK ERROR: <the error, line breaks as spaces>`.
    const error = end.error?.replace(/\n+$/, "").replace(/\n/g, " ");
    task.log.push(...end.log, error === undefined ? "TASK OK" : `TASK ERROR: ${error}`);
    task.status = error ?? "OK";
    task.endtime = Math.floor(this.now().getTime() / 1000);
  }

  override taskStatus(authid: string, node: string, upid: string): Record<string, unknown> {
    this.settle();
    return super.taskStatus(authid, node, upid);
  }

  override taskLog(authid: string, node: string, upid: string, page: Params) {
    this.settle();
    return super.taskLog(authid, node, upid, page);
  }

  /**
   * `DELETE /nodes/{node}/tasks/{upid}` (Tasks.pm `stop_task`): the task's own user (or its token)
   * stops it, others need Sys.Modify on the node; the worker gets SIGTERM (`check_worker($upid, 1)`)
   * and ends as its interrupt handler says.
   */
  stopTask(authid: string, node: string, upid: string): null {
    this.settle();
    const task = this.tasks.find((t) => t.node === node && t.upid === upid);
    if (!task) throw paramError({ upid: "no such task" });
    if (task.user !== authid && !authid.startsWith(`${task.user}!`))
      this.check(authid, `/nodes/${node}`, ["Sys.Modify"]);
    const worker = this.workers.find((w) => w.upid === upid);
    // fork_worker's own handler: `die "received interrupt\n"`.
    if (worker) this.endWorker(worker, worker.interrupt?.() ?? { log: [], error: "received interrupt" });
    return null;
  }

  // -------------------------------------------------------------------------------------------
  // Guests.

  /** AbstractConfig.pm `load_config`: the guest on this node, or PVE's error. */
  protected loadConfig(node: string, vmid: number, kind: GuestKind): GuestState {
    const state = this.guestStates.get(vmid);
    if (!state || state.kind !== kind || this.guestNode(vmid) !== node) {
      const dir = kind === "qemu" ? "qemu-server" : "lxc";
      throw new PveError(500, `Configuration file 'nodes/${node}/${dir}/${vmid}.conf' does not exist`);
    }
    return state;
  }

  /** AbstractConfig.pm `check_lock`. */
  private checkLock(state: GuestState): string | undefined {
    return state.config.lock ? `${guestType(state.kind)} is locked (${state.config.lock})` : undefined;
  }

  private setRunning(vmid: number, state: GuestState, running: boolean): void {
    state.running = running;
    state.agentFromMs = running ? Date.now() + this.scenario.bootMs : undefined;
    const entry = this.guests.find((g) => Number(g.vmid) === vmid);
    if (entry) entry.status = running ? "running" : "stopped";
  }

  /**
   * `GET .../status/current` (Qemu.pm `vm_status` via QemuServer.pm `vmstatus`, LXC.pm `vm_status`):
   * `status` running or stopped, `ha`, `qmpstatus` for a VM, `agent` when its config has it, `lock`.
   */
  guestStatus(node: string, vmid: number, kind: GuestKind): Record<string, unknown> {
    this.settle();
    const state = this.loadConfig(node, vmid, kind);
    const status = state.running ? "running" : "stopped";
    return {
      vmid,
      name: state.config.name ?? state.config.hostname,
      status,
      // pve-ha-manager PVE/HA/Config.pm `get_service_status`: a guest in no HA resource.
      ha: { managed: 0 },
      ...(kind === "qemu" ? { qmpstatus: status } : {}),
      ...(kind === "qemu" && state.config.agent !== undefined
        ? { agent: /^(1|enabled=1)/.test(state.config.agent) ? 1 : 0 }
        : {}),
      ...(state.config.lock ? { lock: state.config.lock } : {}),
    };
  }

  /** `POST .../status/start` (Qemu.pm `vm_start`: a `qmstart` task; LXC.pm `vm_start`: `vzstart`). */
  startGuest(authid: string, node: string, vmid: number, kind: GuestKind): string {
    this.settle();
    const state = this.loadConfig(node, vmid, kind);
    return this.forkWorker(authid, node, kind === "qemu" ? "qmstart" : "vzstart", vmid, 0, () => {
      const locked = this.checkLock(state);
      if (locked) return { log: [], error: locked };
      // QemuServer.pm vm_start_nolock: "VM <vmid> already running".
      if (state.running) return { log: [], error: `${guestType(kind)} ${vmid} already running` };
      this.setRunning(vmid, state, true);
      return { log: [] };
    });
  }

  /** `POST .../status/stop` (Qemu.pm `vm_stop`: `qmstop`; LXC.pm `vm_stop`: `vzstop`). */
  stopGuest(authid: string, node: string, vmid: number, kind: GuestKind): string {
    this.settle();
    const state = this.loadConfig(node, vmid, kind);
    return this.forkWorker(authid, node, kind === "qemu" ? "qmstop" : "vzstop", vmid, 0, () => {
      this.setRunning(vmid, state, false);
      return { log: [] };
    });
  }

  /**
   * `POST /nodes/{node}/qemu/{vmid}/agent/ping` (qemu-server PVE/API2/Qemu/Agent.pm, PVE/QemuServer/Agent.pm
   * `assert_agent_available`): no agent in the config, a VM not running, an agent that does not answer
   * `guest-ping` within 3 s (still booting, or never), each PVE's 500.
   */
  agentPing(node: string, vmid: number): { result: Record<string, never> } {
    this.settle();
    const state = this.loadConfig(node, vmid, "qemu");
    if (state.config.agent === undefined) throw new PveError(500, "No QEMU guest agent configured");
    if (!state.running) throw new PveError(500, `VM ${vmid} is not running`);
    const silent = state.origin !== undefined && this.scenario.agentSilent.has(state.origin);
    if (silent || Date.now() < (state.agentFromMs ?? Infinity)) {
      throw new PveError(500, "QEMU guest agent is not running");
    }
    return { result: {} };
  }

  /**
   * `DELETE /nodes/{node}/{qemu|lxc}/{vmid}` (Qemu.pm `destroy_vm`, LXC.pm `destroy_vm`): before the
   * task, the config must exist and the guest be stopped; in it (`qmdestroy`, `vzdestroy`), a locked
   * guest is refused (QemuServer.pm `destroy_vm` checks the lock without skiplock), then its disks
   * go, with `destroy-unreferenced-disks` also every disk of its vmid on the storages, with `purge`
   * its vmid leaves the backup jobs (PVE/VZDump/Plugin.pm `remove_vmid_from_backup_jobs`), and last
   * its config.
   */
  destroyGuest(authid: string, node: string, vmid: number, kind: GuestKind, params: Params): string {
    this.settle();
    const state = this.loadConfig(node, vmid, kind);
    if (state.config.protection === "1") {
      throw new PveError(500, `can't remove ${guestType(kind)} ${vmid} - protection mode enabled`);
    }
    if (state.running) {
      throw new PveError(
        500,
        kind === "qemu"
          ? `VM ${vmid} is running - destroy failed`
          : `unable to destroy CT ${vmid} - container is running`,
      );
    }
    return this.forkWorker(authid, node, kind === "qemu" ? "qmdestroy" : "vzdestroy", vmid, 0, () => {
      const locked = this.checkLock(state);
      if (locked) return { log: [], error: locked };
      const referenced = new Set(configDisks(state.config, kind).map((d) => d.volume));
      const unreferenced = params["destroy-unreferenced-disks"] === "1";
      const log: string[] = [];
      for (const d of this.disks.filter((v) => v.vmid === vmid && (unreferenced || referenced.has(v.volid)))) {
        this.disks.splice(this.disks.indexOf(d), 1);
        log.push(`  Logical volume "${d.volid.slice(d.volid.indexOf(":") + 1)}" successfully removed.`);
      }
      if (params.purge === "1") {
        log.push(`purging VM ${vmid} from related configurations..`);
        for (const job of this.jobs.values()) {
          if (typeof job.vmid !== "string") continue;
          const rest = job.vmid.split(",").filter((v) => Number(v) !== vmid);
          if (rest.length !== job.vmid.split(",").length) job.vmid = rest.join(",");
        }
      }
      this.guestStates.delete(vmid);
      this.guests.splice(
        this.guests.findIndex((g) => Number(g.vmid) === vmid),
        1,
      );
      return { log };
    });
  }
}

/** The config the double gives a snapshot's guest (and its backups hold): a small Debian guest on local-lvm. */
export function defaultConfig(kind: GuestKind, vmid: number, name: string): string {
  const mac = `BC:24:11:00:${String(Math.floor(vmid / 100) % 100).padStart(2, "0")}:${String(vmid % 100).padStart(2, "0")}`;
  if (kind === "qemu") {
    return formatGuestConfig({
      agent: "1",
      boot: "order=scsi0;net0",
      cores: "2",
      memory: "4096",
      name,
      net0: `virtio=${mac},bridge=vmbr0,firewall=1`,
      onboot: "1",
      ostype: "l26",
      scsi0: `local-lvm:vm-${vmid}-disk-0,iothread=1,size=32G`,
      scsihw: "virtio-scsi-single",
    });
  }
  return formatGuestConfig({
    arch: "amd64",
    cores: "1",
    hostname: name,
    memory: "1024",
    net0: `name=eth0,bridge=vmbr0,hwaddr=${mac},ip=dhcp,type=veth`,
    onboot: "1",
    ostype: "debian",
    rootfs: `local-lvm:vm-${vmid}-disk-0,size=8G`,
    unprivileged: "1",
  });
}

/** A config's disk as a volume the double holds. */
function diskVolume(d: ConfigDisk, vmid: number): DiskVolume {
  return { storage: d.storage ?? "local-lvm", volid: d.volume, vmid, size: d.size };
}
