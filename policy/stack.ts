/**
 * How the policies read a stack: the one place that knows where things are in what the engine hands
 * a policy pack, and how unknown values look there.
 *
 * - The root `pulumi:pulumi:Stack` resource carries the stack outputs as its properties (the
 *   contract in tiers/inventory.ts): the cluster inventory (guests, storages, existing jobs), the
 *   tiers and the coverage.
 * - The stack's own `proxmoxve` resources carry their inputs: backup jobs, storages and guests.
 *   Component resources (`pve-backup-tiers:backup:Tier`) arrive with empty properties.
 * - A job that exists on the cluster under the id of a stack job is judged by the stack's desired
 *   state: `pulumi up` is about to make the cluster match it.
 *
 * Unknown values (during preview, e.g. a job's storage taken from a storage being created) reach a
 * policy as sentinel strings behind @pulumi/policy's proxy, which throws when one is read. Everything
 * here reads through `read`, which turns that into the `UNKNOWN` symbol; the policies skip what is
 * unknown instead of crashing or reporting a false violation.
 */
import type { PolicyResource } from "@pulumi/policy";
import type { StackOutputs } from "../tiers/inventory";
import {
  BACKUPS_BLOCK_KEY,
  BACKUP_CONTENT,
  GuestKind,
  KEEP_OPTIONS,
  PruneBackups,
  parsePruneBackups,
} from "../tiers/pve";

// @pulumi/policy exports these at runtime (and uses them to build every policy's arguments), but its
// typings strip them as @internal.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const policyProxy = require("@pulumi/policy/proxy") as {
  UnknownValueError: new (...args: never[]) => Error;
  getSpecialProxyTarget: string;
  unknownBooleanValue: string;
  unknownNumberValue: string;
  unknownStringValue: string;
  unknownArrayValue: string;
  unknownAssetValue: string;
  unknownArchiveValue: string;
  unknownObjectValue: string;
};

export const STACK_TYPE = "pulumi:pulumi:Stack";
export const JOB_TYPE = "proxmoxve:backup/job:Job";
export const STORAGE_TYPE_PREFIX = "proxmoxve:storage/";

/** Guest resource types the stack may manage, with the kind of guest each creates. */
export const GUEST_TYPES: Readonly<Record<string, GuestKind>> = {
  "proxmoxve:index/vmLegacy:VmLegacy": "qemu",
  "proxmoxve:index/vm:Vm": "qemu",
  "proxmoxve:index/vm2Legacy:Vm2Legacy": "qemu",
  "proxmoxve:index/containerLegacy:ContainerLegacy": "lxc",
};

// ------------------------------------------------------------------------------------------------
// Unknown values

/** A value that is not known during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;
export type Maybe<T> = T | Unknown;

/** The strings the engine sends for unknown values (one per type), as @pulumi/policy knows them. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  policyProxy.unknownBooleanValue,
  policyProxy.unknownNumberValue,
  policyProxy.unknownStringValue,
  policyProxy.unknownArrayValue,
  policyProxy.unknownAssetValue,
  policyProxy.unknownArchiveValue,
  policyProxy.unknownObjectValue,
]);

export function isKnown<T>(value: Maybe<T>): value is T {
  return value !== UNKNOWN;
}

/** True when the value or anything inside it is unknown. */
export function hasUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) return value.some(hasUnknown);
  return Object.values(value).some(hasUnknown);
}

/** `obj[key]` as the engine's proxy hands it out, with `UNKNOWN` where the proxy would throw. */
export function read(obj: unknown, key: string | number): unknown {
  if (obj === null || typeof obj !== "object") return undefined;
  let value: unknown;
  try {
    value = (obj as Record<string | number, unknown>)[key];
  } catch (err) {
    if (err instanceof policyProxy.UnknownValueError) return UNKNOWN;
    throw err;
  }
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
}

/**
 * A plain, deep copy of a value read through the proxy: objects and arrays copied, unknown values
 * replaced by `UNKNOWN`. Reading once keeps the rest of the pack free of proxies and try/catch.
 * Behind the proxy, the copy walks its target directly (as @pulumi/policy's own serializer does):
 * going through the proxy would allocate a proxy per nested object, ten times slower on a large
 * stack; the sentinels are recognised either way.
 */
export function toPlain(value: unknown): unknown {
  if (value !== null && typeof value === "object") {
    const target = (value as Record<string, unknown>)[policyProxy.getSpecialProxyTarget];
    if (target !== undefined && target !== null && typeof target === "object") return copyPlain(target);
  }
  return copyThroughProxy(value);
}

function copyPlain(value: unknown): unknown {
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copyPlain(value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = copyPlain(v);
  }
  return out;
}

function copyThroughProxy(value: unknown): unknown {
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copyThroughProxy(read(value, i));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = read(value, key);
    if (v !== undefined) out[key] = v === UNKNOWN ? UNKNOWN : copyThroughProxy(v);
  }
  return out;
}

// Typed views of plain values: `undefined` when absent (or of another type), `UNKNOWN` when unknown.

export function asString(v: unknown): Maybe<string | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  return typeof v === "string" ? v : undefined;
}

export function asBoolean(v: unknown): Maybe<boolean | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === "boolean") return v;
  if (v === 1 || v === "1" || v === "true") return true;
  if (v === 0 || v === "0" || v === "false") return false;
  return undefined;
}

/** Numbers, and numeric strings (the provider's vmids are strings). */
export function asNumber(v: unknown): Maybe<number | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

export function asList<T>(v: unknown, each: (item: unknown) => Maybe<T | undefined>): Maybe<Maybe<T>[] | undefined> {
  if (v === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(v)) return undefined;
  const out: Maybe<T>[] = [];
  for (const item of v) {
    const x = each(item);
    if (x !== undefined) out.push(x);
  }
  return out;
}

/** The known items of a list, or UNKNOWN when the list or any item is unknown. */
export function fullyKnown<T>(list: Maybe<Maybe<T>[] | undefined>): Maybe<T[] | undefined> {
  if (list === UNKNOWN) return UNKNOWN;
  if (list === undefined) return undefined;
  return list.some((x) => x === UNKNOWN) ? UNKNOWN : (list as T[]);
}

// ------------------------------------------------------------------------------------------------
// The view of a stack

export interface TierView {
  id: string;
  critical: Maybe<boolean>;
  /** The tier's job id. */
  job: Maybe<string | undefined>;
  storage: Maybe<string | undefined>;
  mailto: Maybe<Maybe<string>[] | undefined>;
}

/** A backup job: one the stack declares, or one on the cluster the stack does not manage. */
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
  mailnotification: Maybe<string | undefined>;
  /** The tier whose job this is, by job id. */
  tier?: TierView;
}

/** A storage: one the stack declares (its desired state wins) or one on the cluster. */
export interface StorageView {
  id: string;
  managed: boolean;
  urn?: string;
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
  inCluster: boolean;
  /** Declared by this stack. */
  managed: boolean;
  urn?: string;
}

/** A guest the stack manages whose vmid PVE will pick: no job can name it. */
export interface UnnumberedGuest {
  kind: GuestKind;
  name: string;
  node: Maybe<string | undefined>;
  template: Maybe<boolean>;
  urn: string;
}

export interface StackView {
  /** The root stack resource's URN, when the engine sent it. */
  stackUrn?: string;
  /** The nodes' IANA zone (outputs.timezone); PVE evaluates schedules on the node's wall clock. */
  timezone: Maybe<string | undefined>;
  /** The tiers (outputs.tiers); UNKNOWN when unknown, [] without outputs. */
  tiers: Maybe<TierView[]>;
  tierByJob: Map<string, TierView>;
  /** Whether the cluster inventory is known: without it, absence on the cluster proves nothing. */
  clusterKnown: boolean;
  clusterNodes: string[];
  /** Stack jobs, then the cluster's jobs the stack does not manage. */
  jobs: JobView[];
  /**
   * Cluster jobs that may or may not be managed here (a stack job's id is unknown): not judged, since
   * the stack may be about to change them.
   */
  undecidedClusterJobs: number;
  storages: Map<string, StorageView>;
  /** A stack storage's id is unknown: a storage missing from `storages` may be that one. */
  storageIdsUnknown: boolean;
  /** Guests of the cluster and of the stack, merged by vmid, in vmid order. */
  guests: GuestView[];
  guestByVmid: Map<number, GuestView>;
  unnumberedGuests: UnnumberedGuest[];
  /** Managed guests whose vmid is unknown: not judged. */
  unknownGuests: number;
}

/** Job ids are case-insensitive in PVE. */
export function jobKey(id: string): string {
  return id.toLowerCase();
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
  const root = resources.find((r) => r.type === STACK_TYPE);
  const outputs = (root ? toPlain(root.props) : {}) as Record<keyof StackOutputs, unknown>;

  const tiers = readTiers(outputs.tiers);
  const tierByJob = new Map<string, TierView>();
  if (tiers !== UNKNOWN) for (const t of tiers) if (typeof t.job === "string") tierByJob.set(jobKey(t.job), t);

  const cluster = root ? outputs.cluster : UNKNOWN;
  const clusterKnown = cluster !== UNKNOWN && cluster !== undefined && cluster !== null && typeof cluster === "object";
  const clusterObj = (clusterKnown ? cluster : {}) as Record<string, unknown>;
  const clusterNodes = fullyKnown(asList(clusterObj.nodes, asString));

  // Jobs: the stack's, then the cluster's that no stack job claims.
  const jobs: JobView[] = [];
  const stackJobIds = new Set<string>();
  let someStackJobIdUnknown = false;
  for (const r of resources) {
    if (r.type !== JOB_TYPE) continue;
    const job = jobFromResource(r);
    if (job.id === UNKNOWN) someStackJobIdUnknown = true;
    else stackJobIds.add(jobKey(job.id));
    jobs.push(job);
  }
  let undecidedClusterJobs = 0;
  const clusterJobs = asList(clusterObj.jobs, (j) => (j === UNKNOWN ? UNKNOWN : (j as Record<string, unknown>)));
  if (clusterJobs !== UNKNOWN && clusterJobs !== undefined) {
    for (const raw of clusterJobs) {
      if (raw === UNKNOWN) continue;
      const job = jobFromCluster(raw);
      if (job.id === UNKNOWN) continue;
      if (stackJobIds.has(jobKey(job.id))) continue; // the stack's desired state is what counts
      if (someStackJobIdUnknown) {
        undecidedClusterJobs += 1;
        continue;
      }
      jobs.push(job);
    }
  }
  for (const job of jobs) if (job.id !== UNKNOWN) job.tier = tierByJob.get(jobKey(job.id));

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
  let unknownGuests = 0;
  for (const r of resources) {
    const kind = GUEST_TYPES[r.type];
    if (!kind) continue;
    const g = guestFromResource(r, kind);
    if (g === UNKNOWN) unknownGuests += 1;
    else if ("vmid" in g) {
      const known = guestByVmid.get(g.vmid);
      guestByVmid.set(
        g.vmid,
        known
          ? {
              ...known,
              managed: true,
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

  return {
    stackUrn: root?.urn,
    timezone: asString(outputs.timezone),
    tiers,
    tierByJob,
    clusterKnown,
    clusterNodes: clusterNodes === UNKNOWN || clusterNodes === undefined ? [] : clusterNodes,
    jobs,
    undecidedClusterJobs,
    storages,
    storageIdsUnknown,
    guests,
    guestByVmid,
    unnumberedGuests,
    unknownGuests,
  };
}

function readTiers(value: unknown): Maybe<TierView[]> {
  if (value === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(value)) return [];
  const tiers: TierView[] = [];
  for (const raw of value) {
    if (raw === UNKNOWN || raw === null || typeof raw !== "object") continue;
    const t = raw as Record<string, unknown>;
    const id = asString(t.id);
    const critical = asBoolean(t.critical);
    tiers.push({
      id: typeof id === "string" ? id : "?",
      critical: critical === undefined ? false : critical,
      job: asString(t.job),
      storage: asString(t.storage),
      mailto: asList(t.mailto, asString),
    });
  }
  return tiers;
}

/** A stack job from its resource (a stack policy's resource or a resource policy's args). */
export function jobFromResource(r: Pick<PolicyResource, "props" | "urn" | "name">): JobView {
  const p = toPlain(r.props) as Record<string, unknown>;
  const id = asString(p.resourceId);
  const enabled = asBoolean(p.enabled);
  const all = asBoolean(p.all);
  const vmids = asList(p.vmids, asNumber);
  const excludes = asList(p.excludes, asNumber);
  const mailto = asList(p.mailtos, asString);
  return {
    id: id === undefined ? r.name : id,
    label: typeof id === "string" ? id : r.name,
    managed: true,
    urn: r.urn,
    storage: asString(p.storage),
    enabled: enabled === undefined ? true : enabled,
    schedule: asString(p.schedule),
    node: emptyToUndefined(asString(p.node)),
    all: all === undefined ? false : all,
    vmids: vmids === undefined ? [] : vmids,
    excludes: excludes === undefined ? [] : excludes,
    pool: emptyToUndefined(asString(p.pool)),
    pruneBackups: p.pruneBackups,
    maxfiles: asNumber(p.maxfiles),
    mailto: mailto === undefined ? [] : mailto,
    mailnotification: emptyToUndefined(asString(p.mailnotification)),
  };
}

/** A cluster job from the inventory (`ClusterJob`). */
function jobFromCluster(j: Record<string, unknown>): JobView {
  const id = asString(j.id);
  const enabled = asBoolean(j.enabled);
  const all = asBoolean(j.all);
  const vmids = asList(j.vmids, asNumber);
  const excludes = asList(j.excludes, asNumber);
  const mailto = asList(j.mailto, asString);
  return {
    id: id === undefined ? "?" : id,
    label: typeof id === "string" ? id : "?",
    managed: false,
    storage: emptyToUndefined(asString(j.storage)),
    enabled: enabled === undefined ? true : enabled,
    schedule: asString(j.schedule),
    node: emptyToUndefined(asString(j.node)),
    all: all === undefined ? false : all,
    vmids: vmids === undefined ? [] : vmids,
    excludes: excludes === undefined ? [] : excludes,
    pool: emptyToUndefined(asString(j.pool)),
    pruneBackups: j.pruneBackups,
    maxfiles: undefined,
    mailto: mailto === undefined ? [] : mailto,
    mailnotification: emptyToUndefined(asString(j.mailnotification)),
  };
}

function emptyToUndefined(v: Maybe<string | undefined>): Maybe<string | undefined> {
  return v === "" ? undefined : v;
}

function storageFromCluster(s: Record<string, unknown>): StorageView | undefined {
  const id = asString(s.id);
  if (typeof id !== "string") return undefined;
  const disabled = asBoolean(s.disabled);
  // The inventory does not carry a storage's prune-backups today; read it if it ever does.
  const reported = "pruneBackups" in s;
  return {
    id,
    managed: false,
    type: (asString(s.type) as string | undefined) ?? "",
    content: fullyKnown(asList(s.content, asString)),
    nodes: fullyKnown(asList(s.nodes, asString)),
    disabled: disabled === undefined ? false : disabled,
    retentionReported: reported,
    retention: reported ? readPrune(s.pruneBackups) : undefined,
  };
}

/** The storage type from a resource type token: `proxmoxve:storage/nfsLegacy:NfsLegacy` → `nfs`. */
export function storageTypeOf(resourceType: string): string {
  const module = resourceType.slice(STORAGE_TYPE_PREFIX.length).split(":")[0] ?? "";
  const base = module.replace(/Legacy$/, "").toLowerCase();
  return base === "directory" ? "dir" : base;
}

/** A storage the stack declares; UNKNOWN when its id is unknown. */
function storageFromResource(r: PolicyResource): Maybe<StorageView | undefined> {
  const p = toPlain(r.props) as Record<string, unknown>;
  const id = asString(p.resourceId);
  if (id === UNKNOWN) return UNKNOWN;
  if (id === undefined) return undefined;
  const disabled = asBoolean(p.disable);
  return {
    id,
    managed: true,
    urn: r.urn,
    type: storageTypeOf(r.type),
    content: fullyKnown(asList(p.contents, asString)),
    nodes: fullyKnown(asList(p.nodes, asString)),
    disabled: disabled === undefined ? false : disabled,
    retentionReported: true,
    retention: backupsToPrune(p.backups),
  };
}

/** The provider's `backups` block ({keepLast: 3, keepAll: false}) as PVE's prune-backups. */
function backupsToPrune(value: unknown): Maybe<PruneBackups | undefined> {
  if (value === UNKNOWN) return UNKNOWN;
  if (value === null || typeof value !== "object") return undefined;
  if (hasUnknown(value)) return UNKNOWN;
  const b = value as Record<string, unknown>;
  const prune: PruneBackups = {};
  for (const k of KEEP_OPTIONS) {
    const n = asNumber(b[BACKUPS_BLOCK_KEY[k]]);
    if (typeof n === "number") prune[k] = n;
  }
  if (asBoolean(b.keepAll) === true) prune["keep-all"] = 1;
  return Object.keys(prune).length > 0 ? prune : undefined;
}

function readPrune(value: unknown): Maybe<PruneBackups | undefined> {
  if (hasUnknown(value)) return UNKNOWN;
  try {
    const prune = parsePruneBackups(value);
    return prune && Object.keys(prune).length > 0 ? prune : undefined;
  } catch {
    return undefined;
  }
}

function guestFromCluster(g: Record<string, unknown>): GuestView | undefined {
  const vmid = asNumber(g.vmid);
  const kind = asString(g.kind);
  if (typeof vmid !== "number" || (kind !== "qemu" && kind !== "lxc")) return undefined;
  const name = asString(g.name);
  const template = asBoolean(g.template);
  return {
    vmid,
    kind,
    name: typeof name === "string" ? name : "",
    node: emptyToUndefined(asString(g.node)),
    template: template === undefined ? false : template,
    inCluster: true,
    managed: false,
  };
}

function guestFromResource(r: PolicyResource, kind: GuestKind): Maybe<GuestView | UnnumberedGuest> {
  const p = toPlain(r.props) as Record<string, unknown>;
  // VmLegacy and ContainerLegacy take `vmId`; Vm and Vm2Legacy take the vmid as `resourceId`.
  const vmid = asNumber("vmId" in p ? p.vmId : p.resourceId);
  if (vmid === UNKNOWN) return UNKNOWN;
  const init = p.initialization;
  const hostname = init && typeof init === "object" ? asString((init as Record<string, unknown>).hostname) : undefined;
  const name = asString(p.name);
  const template = asBoolean(p.template);
  const base: UnnumberedGuest = {
    kind,
    name: typeof name === "string" ? name : typeof hostname === "string" ? hostname : r.name,
    node: emptyToUndefined(asString(p.nodeName)),
    template: template === undefined ? false : template,
    urn: r.urn,
  };
  if (vmid === undefined) return base;
  return { ...base, vmid, inCluster: false, managed: true };
}

// ------------------------------------------------------------------------------------------------
// Judging helpers shared by the policies

const KIND_LABEL: Record<GuestKind, string> = { qemu: "VM", lxc: "LXC" };

/** `LXC 104 (nextcloud)`. */
export function describeGuest(g: { vmid?: number; kind: GuestKind; name: string }): string {
  const id = g.vmid === undefined ? "" : ` ${g.vmid}`;
  return `${KIND_LABEL[g.kind]}${id}${g.name ? ` (${g.name})` : ""}`;
}

/** `backup-home-p0-daily (tier P0)`. */
export function describeJob(job: JobView): string {
  return job.tier ? `${job.label} (tier ${job.tier.id})` : job.label;
}

/** Whether a storage accepts `backup` content; UNKNOWN when its content is unknown. */
export function acceptsBackup(s: StorageView): Maybe<boolean> {
  if (s.type === "pbs") return true; // Proxmox Backup Server storages hold backups only
  if (s.content === UNKNOWN) return UNKNOWN;
  // Not set: PVE's default content of dir/nfs/cifs/... storages is images (and rootdir), never backup.
  return s.content !== undefined && s.content.includes(BACKUP_CONTENT);
}

/** Whether a storage is available on `node`; UNKNOWN when its node list is unknown. */
export function availableOn(s: StorageView, node: string): Maybe<boolean> {
  if (s.nodes === UNKNOWN) return UNKNOWN;
  return s.nodes === undefined || s.nodes.length === 0 || s.nodes.includes(node);
}

/**
 * The guests a job backs up, as far as the stack can tell. `uncertain` when part of the selection
 * is unknown (the job may then back up any guest); pool jobs select by pool membership, which the
 * inventory does not carry, so they select none here and are `uncertain` too.
 */
export interface JobSelection {
  vmids: number[];
  /** Guests named by the job that it skips because it runs on another node only. */
  offNode: GuestView[];
  uncertain: boolean;
}

export function jobSelection(job: JobView, view: StackView): JobSelection {
  const selection: JobSelection = { vmids: [], offNode: [], uncertain: false };
  if (
    job.all === UNKNOWN ||
    job.vmids === UNKNOWN ||
    job.excludes === UNKNOWN ||
    job.node === UNKNOWN ||
    job.pool === UNKNOWN
  ) {
    selection.uncertain = true;
    return selection;
  }
  if (job.pool !== undefined) selection.uncertain = true;
  const runsOn = (g: GuestView | undefined) =>
    job.node === undefined || !g || g.node === UNKNOWN || g.node === undefined || g.node === job.node;
  if (job.all) {
    const excluded = new Set<number>();
    for (const x of job.excludes)
      if (x === UNKNOWN) selection.uncertain = true;
      else excluded.add(x);
    for (const g of view.guests) {
      if (excluded.has(g.vmid)) continue;
      if (runsOn(g)) selection.vmids.push(g.vmid);
    }
    return selection;
  }
  for (const vmid of job.vmids) {
    if (vmid === UNKNOWN) {
      selection.uncertain = true;
      continue;
    }
    const g = view.guestByVmid.get(vmid);
    if (runsOn(g)) selection.vmids.push(vmid);
    else if (g) selection.offNode.push(g);
  }
  return selection;
}

/** `103` / `101, 105` / `none`. */
export function listVmids(vmids: readonly Maybe<number>[]): string {
  const known = vmids.filter((v): v is number => v !== UNKNOWN);
  return known.length === 0 ? "none" : known.join(", ");
}
