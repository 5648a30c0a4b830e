/**
 * What the program learns of the cluster and what it plans, in the shape it exports as stack
 * outputs. The policy pack reads these outputs from the root `pulumi:pulumi:Stack` resource, and the
 * `check` command prints them: this file is the contract between the three. Its guest and job are
 * also how the cluster snapshot (pve/snapshot.ts) and `npm run status` see the cluster's.
 */
import type { Tier } from "./config";
import type { PveJob } from "../pve/job";
import { GuestKind } from "../pve/ids";
import { toPruneBackupsMap } from "../pve/retention";

/** A VM or LXC container on the cluster. */
export interface ClusterGuest {
  vmid: number;
  kind: GuestKind;
  name: string;
  node: string;
  status?: string;
  template: boolean;
}

/** A storage as the cluster's nodes see it, merged over the nodes. */
export interface ClusterStorage {
  id: string;
  type: string;
  content: string[];
  /** Nodes on which the storage is enabled. */
  nodes: string[];
  /** Disabled on every node that lists it. */
  disabled: boolean;
  shared: boolean;
}

/**
 * A backup job that exists on the cluster (`/cluster/backup`), managed here or not, as discovery reads
 * it through the provider (`backup.getJobs`): PVE's job (pve/job.ts) but for the options no policy
 * judges, and with a storage always (the provider reports "" for none).
 */
export type ClusterJob = Omit<PveJob, "storage" | "mode" | "compress" | "notesTemplate"> & { storage: string };

export interface ClusterInventory {
  nodes: string[];
  /**
   * Nodes the cluster lists as not online. Discovery cannot ask them for their guests or storages,
   * so what lives only there is unknown: not missing.
   */
  offlineNodes: string[];
  guests: ClusterGuest[];
  storages: ClusterStorage[];
  jobs: ClusterJob[];
  /**
   * The members (vmids) of each pool a cluster job backs up (`pool`): PVE resolves a pool job's guests
   * from its pool at every run. A pool discovery could not read is absent: its members are unknown.
   */
  pools: ClusterPool[];
}

/** A pool and the guests in it (`GET /pools/{poolid}`). */
export interface ClusterPool {
  id: string;
  vmids: number[];
}

/** A tier as exported: what the policy pack needs and component resources cannot carry. */
export interface TierSummary {
  id: string;
  description: string;
  priority: number;
  critical: boolean;
  job: string;
  schedule: string;
  /** The tier says its schedule runs hourly or more often on purpose (config `frequent`). */
  frequent: boolean;
  storage: string;
  pruneBackups: Record<string, string>;
  mailto: string[];
  mailnotification?: string;
  guests: { vmid: number; kind: GuestKind; name: string }[];
}

/** Which tier backs up a guest of the cluster (tiers/coverage.ts); `tier` is null when none does. */
export interface CoverageEntry {
  vmid: number;
  kind: GuestKind;
  name: string;
  node: string;
  template: boolean;
  tier: string | null;
}

/** The stack outputs, by name. */
export interface StackOutputs {
  timezone: string;
  tiers: TierSummary[];
  cluster: ClusterInventory;
  coverage: CoverageEntry[];
  /** Guests another stack backs up (config `otherStacks`): not this stack's to cover. */
  otherStacks: { stack: string; vmids: number[] }[];
}

export function summarizeTier(tier: Tier): TierSummary {
  return {
    id: tier.id,
    description: tier.description,
    priority: tier.priority,
    critical: tier.critical,
    job: tier.job,
    schedule: tier.schedule,
    frequent: tier.frequent,
    storage: tier.storage,
    pruneBackups: toPruneBackupsMap(tier.retention),
    mailto: tier.notification?.mailto ?? [],
    mailnotification: tier.notification?.when,
    guests: tier.guests.map(({ vmid, kind, name }) => ({ vmid, kind, name })),
  };
}
