/**
 * The PVE API double's tasks (pve-manager PVE/API2/Tasks.pm, PVE/API2/Cluster.pm `tasks`), each
 * node's services and journal (PVE/API2/Services.pm, PVE/API2/Nodes.pm `syslog`), and UPIDs as
 * pve-common PVE/UPID.pm writes and reads them.
 */
import type { TaskEntry } from "../pve/entries";
import type { Params } from "../pve/params";
import { formatIsoTime, zonedTimeToDate } from "../tiers/calendar";
import { TASK_RUNNING_STATUS } from "../pve/vzdumpLog";
import type { ClusterSnapshot } from "../pve/snapshot";
import type { ClusterOptions } from "./clusterBase";
import { paramError } from "./errors";
import { ClusterStorages } from "./storages";

/** journalctl's short month names. */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A task as the double keeps it: as `GET /nodes/{node}/tasks` lists it, with its log. */
export interface DoubleTask extends TaskEntry {
  log: string[];
}

export class ClusterTasks extends ClusterStorages {
  readonly tasks: DoubleTask[] = [];

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    super(snapshot, options);
    for (const t of snapshot.tasks ?? []) this.tasks.push(toTask(t));
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
}

/** pve-common PVE/UPID.pm `decode`'s pattern: node, pid, pstart, start time, type, id, user. */
const UPID_PATTERN =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** PVE/UPID.pm `decode`: `/var/log/pve/tasks/<last hex digit of the start time>/<upid>`. */
function taskLogPath(upid: string, starttimeHex = upid.split(":")[4] ?? ""): string {
  return `/var/log/pve/tasks/${starttimeHex.slice(7, 8)}/${upid}`;
}

/** `UPID:node:pid:pstart:starttime:type:id:user:`, hex fields upper case as PVE writes them. */
export function makeUpid(t: Omit<TaskEntry, "upid" | "endtime" | "status">): string {
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
