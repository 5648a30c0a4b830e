/** What the PVE API answers, typed by what the commands use of it (pve/endpoints.json has the whole). */

/** `GET /nodes/{node}/services/{service}/state`: systemd's SubState (`running`, `dead`, ...) and ActiveState. */
export interface ServiceState {
  service: string;
  name?: string;
  desc?: string;
  state?: string;
  "active-state"?: string;
  "unit-state"?: string;
}

export interface SyslogFilter {
  since?: string;
  until?: string;
  service?: string;
  start?: number;
  limit?: number;
}

export interface VersionInfo {
  version: string;
  release: string;
  repoid: string;
}

export interface NodeEntry {
  node: string;
  status: "online" | "offline" | "unknown";
  [key: string]: unknown;
}

export interface ResourceEntry {
  id: string;
  type: string;
  vmid?: number;
  name?: string;
  node?: string;
  status?: string;
  template?: number | boolean;
  pool?: string;
  storage?: string;
  [key: string]: unknown;
}

export interface StorageConfigEntry {
  storage: string;
  type?: string;
  content?: string;
  nodes?: string;
  disable?: number | boolean;
  shared?: number | boolean;
  server?: string;
  export?: string;
  "prune-backups"?: string;
  [key: string]: unknown;
}

export interface NodeStorageEntry {
  storage: string;
  type: string;
  content: string;
  enabled?: number | boolean;
  active?: number | boolean;
  shared?: number | boolean;
  total?: number;
  used?: number;
  avail?: number;
}

export interface StorageStatus {
  type: string;
  content: string;
  total?: number;
  used?: number;
  avail?: number;
  active?: number | boolean;
  enabled?: number | boolean;
  shared?: number | boolean;
}

export interface VolumeEntry {
  volid: string;
  format: string;
  size: number;
  ctime?: number;
  vmid?: number;
  notes?: string;
  protected?: number | boolean;
  subtype?: string;
  content?: string;
}

export interface TaskFilter {
  typefilter?: string;
  vmid?: number;
  since?: number;
  until?: number;
  limit?: number;
  start?: number;
  errors?: boolean;
  source?: "archive" | "active" | "all";
  userfilter?: string;
}

export interface TaskEntry {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  endtime?: number;
  status?: string;
  pid: number;
  pstart: number;
}

/** `GET /nodes/{node}/tasks/{upid}/status`: `running` or `stopped`, and how a stopped one ended (`OK` or the error). */
export interface TaskStatusEntry {
  upid: string;
  status: "running" | "stopped";
  exitstatus?: string;
  type: string;
  id?: string;
  user: string;
  starttime: number;
}

/** `GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current`: what the drill reads of it. */
export interface GuestStatusEntry {
  vmid: number;
  status: "running" | "stopped";
  name?: string;
  qmpstatus?: string;
  agent?: number | boolean;
  lock?: string;
}
