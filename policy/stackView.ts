/**
 * (Over 300 lines: the view's types are the contract with every policy and are documented here in
 * full; building it stays in one function, the readers of each item are in viewReaders.ts.)
 *
 * The stack as the policies judge it: the one place that knows where things are in what the engine
 * hands a policy pack.
 *
 * - The root `pulumi:pulumi:Stack` resource carries the stack outputs as its properties (the
 *   contract in tiers/inventory.ts): the cluster inventory (guests, storages, existing jobs), the
 *   tiers and the coverage.
 * - The stack's own `proxmoxve` resources carry their inputs (typed here with the provider's own
 *   input types): backup jobs, storages and guests (made from scratch or cloned). Component
 *   resources (`pve-backup-tiers:backup:Tier`) arrive with empty properties.
 * - A job that exists on the cluster under the id of a stack job is judged by the stack's desired
 *   state: `pulumi up` is about to make the cluster match it.
 *
 * Values are read once through `toPlain` (policy/unknown.ts); what is unknown during preview stays
 * `UNKNOWN` in the view.
 */
import type { JobArgs } from "@muhlba91/pulumi-proxmoxve/backup/job";
import type { ContainerLegacyArgs } from "@muhlba91/pulumi-proxmoxve/containerLegacy";
import type { NfsArgs } from "@muhlba91/pulumi-proxmoxve/storage/nfs";
import type { VmArgs } from "@muhlba91/pulumi-proxmoxve/vm";
import type { VmLegacyArgs } from "@muhlba91/pulumi-proxmoxve/vmLegacy";
import type { PolicyResource } from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import type { StackOutputs } from "../tiers/inventory";
import { GUEST_TYPES, JOB_TYPE, ROOT_STACK_TYPE, STORAGE_TYPE_PREFIX } from "../tiers/names";
import { PruneBackups } from "../pve/retention";
import { GuestKind } from "../pve/ids";
import { Maybe, MaybeDeep, UNKNOWN, asList, asNumber, asString, fullyKnown, toPlain } from "./unknown";
import {
  guestFromCluster,
  guestFromResource,
  jobFromCluster,
  jobFromResource,
  readTiers,
  storageFromCluster,
  storageFromResource,
} from "./viewReaders";

/** A resource's properties as `toPlain` reads them, keyed and typed by the provider's input type. */
type Props<Args> = { [K in keyof Args]?: MaybeDeep<Unwrap<Args[K]>> };

export type JobProps = Props<JobArgs>;
/** The storage inputs every storage type of the provider shares with Nfs. */
export type StorageProps = Props<Pick<NfsArgs, "resourceId" | "contents" | "nodes" | "disable" | "backups">>;
export type GuestProps = Props<Pick<VmLegacyArgs, "vmId" | "name" | "nodeName" | "template">> &
  Props<Pick<ContainerLegacyArgs, "initialization">> &
  Props<Pick<VmArgs, "resourceId">>;

/** A guest as a tier names it. */
export interface TierGuest {
  vmid: number;
  kind: GuestKind;
  name: string;
}

export interface TierView {
  id: string;
  critical: Maybe<boolean>;
  /** The tier means to back up hourly or more often (absent: false). */
  frequent: Maybe<boolean>;
  /** The tier's job id. */
  job: Maybe<string | undefined>;
  mailto: Maybe<Maybe<string>[] | undefined>;
  /** The guests the tier names, as its config names them (known entries only). */
  guests: TierGuest[];
}

/**
 * A backup job: one the stack declares, or one on the cluster the stack does not manage. Not PVE's
 * job (pve/job.ts `PveJob`): during preview a stack job's values may be UNKNOWN, which a policy must
 * tell from absent, and the view says who declares the job and which tier it is.
 */
export interface JobView {
  /** PVE's job id; unknown for a stack job whose resourceId is not known yet. */
  id: Maybe<string>;
  /** How messages name the job: its id, else its resource name. */
  label: string;
  /** Declared by this stack (else: exists on the cluster only). */
  managed: boolean;
  urn?: string;
  storage: Maybe<string | undefined>;
  /** Absent means enabled (PVE's and the provider's default). */
  enabled: Maybe<boolean>;
  schedule: Maybe<string | undefined>;
  node: Maybe<string | undefined>;
  all: Maybe<boolean>;
  vmids: Maybe<Maybe<number>[]>;
  excludes: Maybe<Maybe<number>[]>;
  pool: Maybe<string | undefined>;
  /** `prune-backups` as given (the provider's map of strings or PVE's object). */
  pruneBackups: unknown;
  /** Deprecated `maxfiles` (PVE reads it as keep-last). */
  maxfiles: Maybe<number | undefined>;
  mailto: Maybe<Maybe<string>[]>;
  /** The tier whose job this is, by job id. */
  tier?: TierView;
  /**
   * For a stack job: the job of the same id that already exists on the cluster (what an adoption
   * imports, and what `pulumi up` must change), as the inventory reports it.
   */
  onCluster?: JobView;
}

/** A storage: one the stack declares (its desired state wins) or one on the cluster. */
export interface StorageView {
  id: string;
  managed: boolean;
  /** PVE's storage type: nfs, dir, pbs, ... */
  type: string;
  /** Content types; `undefined` when not set (PVE's default for the type then applies). */
  content: Maybe<string[] | undefined>;
  /** Nodes it is available on; `undefined` means every node. */
  nodes: Maybe<string[] | undefined>;
  disabled: Maybe<boolean>;
  /** Whether the stack can know this storage's retention (the cluster inventory does not report it). */
  retentionReported: boolean;
  /** The storage's `prune-backups`; `undefined` when it sets none. */
  retention: Maybe<PruneBackups | undefined>;
}

export interface GuestView {
  vmid: number;
  kind: GuestKind;
  name: string;
  node: Maybe<string | undefined>;
  template: Maybe<boolean>;
  urn?: string;
}

/** A guest the stack manages whose vmid PVE will pick: no job can name it. */
export interface UnnumberedGuest {
  kind: GuestKind;
  name: string;
  template: Maybe<boolean>;
  urn: string;
}

export interface StackView {
  /** The nodes' IANA zone (outputs.timezone); PVE evaluates schedules on the node's wall clock. */
  timezone: Maybe<string | undefined>;
  /** The tiers (outputs.tiers); UNKNOWN when unknown, [] without outputs. */
  tiers: Maybe<TierView[]>;
  /** Whether the cluster inventory is known: without it, absence on the cluster proves nothing. */
  clusterKnown: boolean;
  /**
   * Nodes the cluster lists as offline: discovery could not read their guests and storages, so what
   * lives only there is unknown. Empty when every node is online (or the inventory says nothing).
   */
  offlineNodes: string[];
  /** How many guests the cluster's listing holds; undefined when the listing is unknown. */
  clusterGuestCount: number | undefined;
  /**
   * Stack jobs, then the cluster's jobs the stack does not manage. While a stack job's id is unknown,
   * no cluster job is listed: any of them may be the one the stack is about to change.
   */
  jobs: JobView[];
  storages: Map<string, StorageView>;
  /** A stack storage's id is unknown: a storage missing from `storages` may be that one. */
  storageIdsUnknown: boolean;
  /** Guests of the cluster and of the stack, merged by vmid, in vmid order. */
  guests: GuestView[];
  guestByVmid: Map<number, GuestView>;
  unnumberedGuests: UnnumberedGuest[];
  /** vmid → the other stack that backs the guest up (outputs.otherStacks); never this stack's to cover. */
  otherStackGuests: Map<number, string>;
  /** The members of each pool a cluster job backs up, as discovery read them; a pool absent here is unknown. */
  poolMembers: Map<string, number[]>;
}

const views = new WeakMap<readonly PolicyResource[], StackView>();

/**
 * The stack as the policies judge it, from a stack policy's `args.resources`. Built once per
 * resource list (the in-process evaluator hands every policy the same list).
 */
export function stackView(resources: readonly PolicyResource[]): StackView {
  let view = views.get(resources);
  if (!view) {
    view = buildStackView(resources);
    views.set(resources, view);
  }
  return view;
}

function buildStackView(resources: readonly PolicyResource[]): StackView {
  const root = resources.find((r) => r.type === ROOT_STACK_TYPE);
  const outputs = (root ? toPlain(root.props) : {}) as Record<keyof StackOutputs, unknown>;

  const tiers = readTiers(outputs.tiers);
  const tierByJob = new Map<string, TierView>();
  if (tiers !== UNKNOWN) for (const t of tiers) if (typeof t.job === "string") tierByJob.set(t.job, t);

  const cluster = root ? outputs.cluster : UNKNOWN;
  const clusterKnown = cluster !== UNKNOWN && cluster !== undefined && cluster !== null && typeof cluster === "object";
  const clusterObj = (clusterKnown ? cluster : {}) as Record<string, unknown>;

  // Jobs: the stack's, then the cluster's that no stack job claims.
  const jobs: JobView[] = [];
  const stackJobs = new Map<string, JobView>();
  let someStackJobIdUnknown = false;
  for (const r of resources) {
    if (r.type !== JOB_TYPE) continue;
    const job = jobFromResource(r);
    if (job.id === UNKNOWN) someStackJobIdUnknown = true;
    else stackJobs.set(job.id, job);
    jobs.push(job);
  }
  const clusterJobs = asList(clusterObj.jobs, (j) => (j === UNKNOWN ? UNKNOWN : (j as Record<string, unknown>)));
  if (clusterJobs !== UNKNOWN && clusterJobs !== undefined && !someStackJobIdUnknown) {
    for (const raw of clusterJobs) {
      if (raw === UNKNOWN) continue;
      const job = jobFromCluster(raw);
      if (job.id === UNKNOWN) continue;
      // A job with a stack job's id is judged by the stack's desired state; its own state is kept aside.
      const stackJob = stackJobs.get(job.id);
      if (stackJob) stackJob.onCluster = job;
      else jobs.push(job);
    }
  }
  for (const job of jobs) if (job.id !== UNKNOWN) job.tier = tierByJob.get(job.id);

  // Storages: the cluster's, overlaid by the stack's declared ones.
  const storages = new Map<string, StorageView>();
  const clusterStorages = asList(clusterObj.storages, (s) =>
    s === UNKNOWN ? UNKNOWN : (s as Record<string, unknown>),
  );
  if (clusterStorages !== UNKNOWN && clusterStorages !== undefined) {
    for (const raw of clusterStorages) {
      if (raw === UNKNOWN) continue;
      const s = storageFromCluster(raw);
      if (s) storages.set(s.id, s);
    }
  }
  let storageIdsUnknown = clusterStorages === UNKNOWN;
  for (const r of resources) {
    if (!r.type.startsWith(STORAGE_TYPE_PREFIX)) continue;
    const s = storageFromResource(r);
    if (s === UNKNOWN) storageIdsUnknown = true;
    else if (s) storages.set(s.id, s);
  }

  // Guests: the cluster's (or, failing that, the coverage's), overlaid by the stack's.
  const guestByVmid = new Map<number, GuestView>();
  const clusterGuests = asList(clusterObj.guests, (g) => (g === UNKNOWN ? UNKNOWN : (g as Record<string, unknown>)));
  const offline = fullyKnown(asList(clusterObj.offlineNodes, asString));
  const guestSource =
    clusterGuests !== UNKNOWN && clusterGuests !== undefined
      ? clusterGuests
      : asList(outputs.coverage, (g) => g as Record<string, unknown>);
  if (guestSource !== UNKNOWN && guestSource !== undefined) {
    for (const raw of guestSource) {
      if (raw === UNKNOWN) continue;
      const g = guestFromCluster(raw);
      if (g) guestByVmid.set(g.vmid, g);
    }
  }
  const unnumberedGuests: UnnumberedGuest[] = [];
  for (const r of resources) {
    const kind = GUEST_TYPES[r.type];
    if (!kind) continue;
    const g = guestFromResource(r, kind);
    if (g === UNKNOWN) continue; // a managed guest whose vmid is unknown: not judged
    if ("vmid" in g) {
      const known = guestByVmid.get(g.vmid);
      guestByVmid.set(
        g.vmid,
        known
          ? {
              ...known,
              urn: g.urn,
              name: g.name || known.name,
              kind: g.kind,
              node: g.node === undefined ? known.node : g.node,
              template: g.template === false && known.template !== false ? known.template : g.template,
            }
          : g,
      );
    } else unnumberedGuests.push(g);
  }
  const guests = [...guestByVmid.values()].sort((a, b) => a.vmid - b.vmid);

  const otherStackGuests = new Map<number, string>();
  const otherStacks = asList(outputs.otherStacks, (o) => (o === UNKNOWN ? UNKNOWN : (o as Record<string, unknown>)));
  if (otherStacks !== UNKNOWN && otherStacks !== undefined) {
    for (const raw of otherStacks) {
      if (raw === UNKNOWN) continue;
      const stack = asString(raw.stack);
      const vmids = fullyKnown(asList(raw.vmids, asNumber));
      if (typeof stack !== "string" || vmids === UNKNOWN || vmids === undefined) continue;
      for (const vmid of vmids) otherStackGuests.set(vmid, stack);
    }
  }

  const poolMembers = new Map<string, number[]>();
  const pools = asList(clusterObj.pools, (p) => (p === UNKNOWN ? UNKNOWN : (p as Record<string, unknown>)));
  if (pools !== UNKNOWN && pools !== undefined) {
    for (const raw of pools) {
      if (raw === UNKNOWN) continue;
      const id = asString(raw.id);
      const vmids = fullyKnown(asList(raw.vmids, asNumber));
      if (typeof id === "string" && vmids !== UNKNOWN && vmids !== undefined) poolMembers.set(id, vmids);
    }
  }

  return {
    timezone: asString(outputs.timezone),
    tiers,
    clusterKnown,
    offlineNodes: offline === UNKNOWN || offline === undefined ? [] : offline,
    clusterGuestCount: clusterGuests === UNKNOWN || clusterGuests === undefined ? undefined : clusterGuests.length,
    jobs,
    storages,
    storageIdsUnknown,
    guests,
    guestByVmid,
    unnumberedGuests,
    otherStackGuests,
    poolMembers,
  };
}
