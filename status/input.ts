/**
 * What the status reads of the cluster (status/gather.ts gathers it, status/judge.ts judges it): the
 * jobs, storages, nodes and runs as far as the token could read them.
 */
import type { TaskEntry, VolumeEntry } from "../pve/entries";
import type { PathPrivileges } from "../pve/privileges";
import type { Site } from "../tiers/config";
import type { ClusterGuest } from "../tiers/inventory";

/** A backup job as the status needs it: what PVE runs, from `/cluster/backup` (or the stack's tier). */
export interface StatusJob {
  id: string;
  schedule?: string;
  storage?: string;
  /** The vmid list, when the job backs up by vmid. */
  vmids?: number[];
  all: boolean;
  exclude: number[];
  pool?: string;
  node?: string;
  enabled: boolean;
  notesTemplate?: string;
  /** Taken from the stack, not read from the cluster: its runs are told by guests and storage alone. */
  declared?: true;
}

/** A backup volume of the content listing (`content=backup`): what the judgement reads of it. */
export type BackupVolume = Pick<VolumeEntry, "volid" | "size" | "ctime" | "vmid" | "subtype" | "notes" | "protected">;

/** A storage as far as the token could read it. */
export interface StorageView {
  id: string;
  /** Every backup volume the token sees; undefined when the listing could not be read (`error`). */
  backups?: BackupVolume[];
  /** The token's privileges on `/storage/<id>` (`GET /access/permissions`). */
  privileges: PathPrivileges;
  /** The token's privileges on `/vms/<vmid>`, read where the storage's privileges do not decide alone. */
  guestPrivileges: Map<number, PathPrivileges>;
  /** `.../status`: undefined when it could not be read (`error`). */
  space?: { total: number; used: number; avail: number };
  /** Why the listing or the status could not be read. */
  error?: string;
}

/** A node's task history as far as the token could read it. */
export interface NodeView {
  node: string;
  online: boolean;
  /** Why the history of root@pam's tasks (the scheduler's runs) cannot be read; undefined when it can. */
  historyGap?: string;
  /**
   * pvescheduler's systemd state on the node (`running`, `dead`, `failed`, ...), read where a due run
   * left no task; undefined when not read or the token may not (`Sys.Audit` on /nodes/{node}).
   */
  scheduler?: string;
  /** The node's time zone (`GET /nodes/{node}/time`), when read. */
  timezone?: string;
}

/** A vzdump task (of `/nodes/{node}/tasks?typefilter=vzdump`) that is a run of a job, with its log when it was read. */
export interface JobRun {
  task: TaskEntry;
  log?: string[];
}

export interface StatusInput {
  stack: string;
  site: Site;
  at: Date;
  /** `user@realm!tokenid`, for the reasons that name what it lacks. */
  tokenId: string;
  /** The guests of `/cluster/resources?type=vm`. */
  guests: ClusterGuest[];
  /** The cluster's jobs; undefined when the token may not read them (the tiers' jobs are then taken from the stack). */
  jobs?: StatusJob[];
  /** `/cluster/backup-info/not-backed-up`; undefined when it could not be read. */
  notBackedUp?: Set<number>;
  nodes: NodeView[];
  storages: Map<string, StorageView>;
  /** Per job id: its runs (starttime up to `at`) in the part of the history that was searched. */
  runs: Map<string, JobRun[]>;
  /**
   * Per job id: whether the task history holds a run of it older than the runs in `runs` (those
   * start at the earliest event that can be a guest's last due run, `earliestCandidate`).
   */
  ranBefore: Map<string, boolean>;
  /**
   * What pvescheduler's journal says around a due run that left no task (`schedulerLogKey`): its lines
   * from the event to `SCHEDULER_START_SLACK_SECONDS` after it. Absent where not read, or where the
   * token may not (`Sys.Syslog` on /nodes/{node}).
   */
  schedulerLog: Map<string, string[]>;
}

/** Where `StatusInput.schedulerLog` keeps the journal of one node around one due event. */
export function schedulerLogKey(node: string, due: Date): string {
  return `${node}@${due.getTime() / 1000}`;
}
