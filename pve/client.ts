/**
 * The PVE API client of the commands (`doctor`, `status`); the Pulumi program keeps the provider.
 * Here: the endpoints the commands read, typed by what they use, and what cannot be right in an
 * answer that fits the schema (a negative size, a backup from the future). HTTP, retries and limits:
 * transport.ts; errors: apiError.ts; the answers' types: entries.ts.
 */
import { isPveTrue } from "./values";
import type { BackupJobEntry } from "./job";
import { PveApiError } from "./apiError";
import { PVE_LIMITS, megabytes } from "./limits";
import { PathPrivileges } from "./privileges";
import type { GuestKind } from "./ids";
import type {
  GuestStatusEntry,
  NodeEntry,
  NodeStorageEntry,
  ResourceEntry,
  ServiceState,
  StorageConfigEntry,
  StorageStatus,
  SyslogFilter,
  TaskEntry,
  TaskFilter,
  TaskStatusEntry,
  VersionInfo,
  VolumeEntry,
} from "./entries";
import { Answer, PveTransport } from "./transport";

/** A PVE API client for one endpoint and token. */
export class PveClient extends PveTransport {
  version(): Promise<VersionInfo> {
    return this.call("GET", "/version");
  }

  nodes(): Promise<NodeEntry[]> {
    return this.call("GET", "/nodes");
  }

  clusterResources(type?: "vm" | "storage" | "node" | "sdn"): Promise<ResourceEntry[]> {
    return this.call("GET", "/cluster/resources", { type });
  }

  backupJobs(): Promise<BackupJobEntry[]> {
    return this.call("GET", "/cluster/backup");
  }

  backupJob(id: string): Promise<BackupJobEntry> {
    return this.call("GET", `/cluster/backup/${encodeURIComponent(id)}`);
  }

  notBackedUp(): Promise<{ vmid: number; type: "qemu" | "lxc"; name?: string }[]> {
    return this.call("GET", "/cluster/backup-info/not-backed-up");
  }

  storages(): Promise<StorageConfigEntry[]> {
    return this.call("GET", "/storage");
  }

  storage(id: string): Promise<StorageConfigEntry> {
    return this.call("GET", `/storage/${encodeURIComponent(id)}`);
  }

  nodeStorages(node: string, filter: { content?: string; enabled?: boolean } = {}): Promise<NodeStorageEntry[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/storage`, filter);
  }

  /** A storage's space; a size of 0 (PVE cannot measure it) or below is refused: it would judge the space wrong. */
  async storageStatus(node: string, storage: string): Promise<StorageStatus> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/status`;
    const status = await this.call<StorageStatus>("GET", apiPath);
    const problems = (["total", "used", "avail"] as const)
      .filter((k) => status[k] !== undefined && status[k]! < 0)
      .map((k) => `its ${k} is negative (${status[k]})`);
    if (status.total === 0) {
      problems.push(
        `its size (total) is 0 bytes, so its space cannot be judged${isPveTrue(status.active) ? "" : " (PVE has it inactive)"}`,
      );
    }
    this.refuse(`GET ${apiPath}`, problems);
    return status;
  }

  /** A storage's volumes; a negative size, or a backup made after this machine's now (by more than the skew), is refused. */
  async storageContent(
    node: string,
    storage: string,
    filter: { content?: string; vmid?: number } = {},
  ): Promise<VolumeEntry[]> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/content`;
    const volumes = await this.call<VolumeEntry[]>("GET", apiPath, filter);
    const latest = Date.now() / 1000 + PVE_LIMITS.clockSkewSeconds;
    const problems = volumes.flatMap((v) => [
      ...(v.size < 0 ? [`${v.volid} has a negative size (${v.size})`] : []),
      ...(v.ctime !== undefined && v.ctime > latest
        ? [`${v.volid} was made in the future (ctime ${isoSeconds(v.ctime)}; now is ${isoSeconds(Date.now() / 1000)})`]
        : []),
    ]);
    this.refuse(`GET ${apiPath}`, problems);
    return volumes;
  }

  /** One page of a node's tasks; a task outside the `since`/`until` asked for is refused (PVE filters by them). */
  async nodeTasks(node: string, filter: TaskFilter = {}): Promise<TaskEntry[]> {
    return (await this.taskPage(node, filter)).data as TaskEntry[];
  }

  private async taskPage(node: string, filter: TaskFilter): Promise<Answer> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/tasks`;
    const answer = await this.answer("GET", apiPath, { ...filter });
    const { since, until } = filter;
    const problems = (answer.data as TaskEntry[]).flatMap((t) => [
      ...(until !== undefined && t.starttime > until
        ? [`${t.upid} started at ${isoSeconds(t.starttime)}, after the until asked for (${isoSeconds(until)})`]
        : []),
      ...(since !== undefined && t.starttime < since
        ? [`${t.upid} started at ${isoSeconds(t.starttime)}, before the since asked for (${isoSeconds(since)})`]
        : []),
    ]);
    this.refuse(`GET ${apiPath}`, problems);
    return answer;
  }

  /** All of a node's tasks that `filter` selects, newest first, page by page (`allPages`). */
  allNodeTasks(node: string, filter: Omit<TaskFilter, "start" | "limit">, pageSize = 1000): Promise<TaskEntry[]> {
    return this.allPages<TaskEntry>(
      "task list",
      `GET /nodes/${encodeURIComponent(node)}/tasks`,
      pageSize,
      (start) => this.taskPage(node, { ...filter, start, limit: pageSize }),
      (t) => t.upid,
    );
  }

  /** One page of a task's log (PVE's default page is 50 lines). */
  taskLog(
    node: string,
    upid: string,
    page: { start?: number; limit?: number } = {},
  ): Promise<{ n: number; t: string }[]> {
    return this.call("GET", this.taskLogPath(node, upid), page);
  }

  private taskLogPath(node: string, upid: string): string {
    return `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/log`;
  }

  /** A task's whole log, page by page (`allPages`). */
  async taskLogLines(node: string, upid: string, pageSize = 500): Promise<string[]> {
    const apiPath = this.taskLogPath(node, upid);
    const lines = await this.allPages<{ n: number; t: string }>(
      "task log",
      `GET ${apiPath}`,
      pageSize,
      (start) => this.answer("GET", apiPath, { start, limit: pageSize }),
      (l) => String(l.n),
    );
    return lines.map((l) => l.t);
  }

  /**
   * Every page of a listing that pages by `start` and `limit`, bounded: at most `PVE_LIMITS.maxPages`
   * pages and `maxListingBytes` in all, and a page holding nothing that earlier pages did not ends
   * it (an endpoint that ignores `start` answers the same page for ever). `key` tells entries apart.
   */
  private async allPages<T>(
    what: string,
    endpoint: string,
    pageSize: number,
    page: (start: number) => Promise<Answer>,
    key: (item: T) => string,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    for (let start = 0, pages = 0; ; pages++) {
      if (pages === PVE_LIMITS.maxPages) {
        throw new PveApiError({
          kind: "too-large",
          endpoint,
          message: `the ${what} did not end within ${PVE_LIMITS.maxPages} pages of ${pageSize}`,
        });
      }
      const answer = await page(start);
      bytes += answer.bytes;
      if (bytes > PVE_LIMITS.maxListingBytes) {
        throw new PveApiError({
          kind: "too-large",
          endpoint,
          message: `the ${what} exceeded ${megabytes(PVE_LIMITS.maxListingBytes)} over ${pages + 1} pages`,
        });
      }
      const data = answer.data as T[];
      const fresh = data.filter((item) => !seen.has(key(item)));
      if (data.length > 0 && fresh.length === 0) {
        throw new PveApiError({
          kind: "no-progress",
          endpoint,
          message: `the ${what} did not advance: the page from start=${start} holds only entries of the pages before it`,
        });
      }
      for (const item of fresh) {
        seen.add(key(item));
        items.push(item);
      }
      if (data.length < pageSize) return items;
      start += data.length;
    }
  }

  /** Throws when an answer that fits the schema cannot be right: the problems, each naming the entry. */
  private refuse(endpoint: string, problems: string[]): void {
    if (problems.length === 0) return;
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
    throw new PveApiError({
      kind: "implausible",
      endpoint,
      message: `the answer cannot be used: ${problems.slice(0, 3).join("; ")}${more}`,
    });
  }

  /** A node's clock and time zone (`timezone` is the node's /etc/timezone, e.g. Europe/Berlin). */
  nodeTime(node: string): Promise<{ timezone: string; time: number; localtime: number }> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/time`);
  }

  /** The caller's effective privileges: path → privilege → propagates (`GET /access/permissions`). */
  async permissions(path?: string): Promise<Record<string, PathPrivileges>> {
    const raw = await this.call<Record<string, Record<string, unknown>>>("GET", "/access/permissions", { path });
    const result: Record<string, PathPrivileges> = {};
    for (const [p, privs] of Object.entries(raw ?? {})) {
      result[p] = Object.fromEntries(Object.entries(privs ?? {}).map(([k, v]) => [k, isPveTrue(v)]));
    }
    return result;
  }

  vzdumpDefaults(node: string, storage?: string): Promise<Record<string, unknown>> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/vzdump/defaults`, { storage });
  }
  /** A service's systemd state on a node, e.g. pvescheduler's (`Sys.Audit` on /nodes/{node}). */
  serviceState(node: string, service: string): Promise<ServiceState> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/services/${encodeURIComponent(service)}/state`);
  }

  /**
   * A node's journal as `journalctl -o short` prints it, a line each (`Sys.Syslog` on /nodes/{node});
   * `since` and `until` in the node's local time (`YYYY-MM-DD HH:MM:SS`). An empty journal is the one
   * line `no content` (pve-common PVE/Tools.pm `dump_journal`).
   */
  syslog(node: string, filter: SyslogFilter): Promise<{ n: number; t: string }[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/syslog`, { ...filter });
  }
}

/** A guest's path under its node: `/nodes/pve/qemu/104`. */
function guestPath(node: string, kind: GuestKind, vmid: number): string {
  return `/nodes/${encodeURIComponent(node)}/${kind}/${vmid}`;
}

/**
 * The calls that restore a backup into a scratch guest, boot it and remove it again (`drill`). Each
 * that PVE runs as a task answers its UPID; `taskStatus` follows it.
 */
export class PveGuestClient extends PveClient {
  /** `GET /cluster/nextid`: the lowest free vmid. */
  nextId(): Promise<number> {
    return this.call("GET", "/cluster/nextid");
  }

  /** `GET /nodes/{node}/vzdump/extractconfig`: the config a backup archive holds, as text. */
  extractConfig(node: string, volume: string): Promise<string> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/vzdump/extractconfig`, { volume });
  }

  /**
   * `POST /nodes/{node}/qemu` with `archive` (a VM), or `POST /nodes/{node}/lxc` with `ostemplate` and
   * `restore=1` (a container), into `vmid` on `storage`; `config`: options set over the backed-up ones.
   */
  restoreGuest(
    node: string,
    kind: GuestKind,
    restore: { vmid: number; archive: string; storage: string; config: Record<string, string> },
  ): Promise<string> {
    const { vmid, archive, storage, config } = restore;
    const source = kind === "qemu" ? { archive } : { ostemplate: archive, restore: true };
    return this.call("POST", `/nodes/${encodeURIComponent(node)}/${kind}`, {
      vmid,
      ...source,
      storage,
      unique: true,
      ...config,
    });
  }

  /** `GET .../status/current`. */
  guestStatus(node: string, kind: GuestKind, vmid: number): Promise<GuestStatusEntry> {
    return this.call("GET", `${guestPath(node, kind, vmid)}/status/current`);
  }

  /** `POST .../status/start` or `.../status/stop`: the task's UPID. */
  powerGuest(node: string, kind: GuestKind, vmid: number, action: "start" | "stop"): Promise<string> {
    return this.call("POST", `${guestPath(node, kind, vmid)}/status/${action}`);
  }

  /** `POST /nodes/{node}/qemu/{vmid}/agent/ping`: resolves when the QEMU guest agent answers. */
  async agentPing(node: string, vmid: number): Promise<void> {
    await this.call("POST", `${guestPath(node, "qemu", vmid)}/agent/ping`);
  }

  /** `DELETE /nodes/{node}/{kind}/{vmid}` with `purge=1` and `destroy-unreferenced-disks=1`: the task's UPID. */
  destroyGuest(node: string, kind: GuestKind, vmid: number): Promise<string> {
    return this.call("DELETE", guestPath(node, kind, vmid), { purge: true, "destroy-unreferenced-disks": true });
  }

  /** `GET /nodes/{node}/tasks/{upid}/status`. */
  taskStatus(node: string, upid: string): Promise<TaskStatusEntry> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/status`);
  }

  /** `DELETE /nodes/{node}/tasks/{upid}`: stops a running task. */
  async stopTask(node: string, upid: string): Promise<void> {
    await this.call("DELETE", `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}`);
  }
}

/** Unix seconds as an ISO time, for messages. */
function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
