/**
 * The stack view's readers (stackView.ts): one tier, job, storage or guest, from the stack outputs or
 * from a stack resource's inputs, read once through `toPlain` (policy/unknown.ts).
 */
import type { PolicyResource } from "@pulumi/policy";
import { storageTypeOf } from "../tiers/names";
import { BACKUPS_BLOCK_KEY, KEEP_OPTIONS, PruneBackups, parsePruneBackups } from "../pve/retention";
import { GuestKind } from "../pve/ids";
import {
  Maybe,
  UNKNOWN,
  asBoolean,
  asList,
  asNumber,
  asOptionalString,
  asString,
  fullyKnown,
  hasUnknown,
  toPlain,
} from "./unknown";

import type {
  GuestProps,
  GuestView,
  JobProps,
  JobView,
  StorageProps,
  StorageView,
  TierView,
  UnnumberedGuest,
} from "./stackView";

export function readTiers(value: unknown): Maybe<TierView[]> {
  if (value === UNKNOWN) return UNKNOWN;
  if (!Array.isArray(value)) return [];
  const tiers: TierView[] = [];
  for (const raw of value) {
    if (raw === UNKNOWN || raw === null || typeof raw !== "object") continue;
    const t = raw as Record<string, unknown>;
    const id = asString(t.id);
    const critical = asBoolean(t.critical);
    const frequent = asBoolean(t.frequent);
    const guests = asList(t.guests, (g) => (g === UNKNOWN ? UNKNOWN : guestFromCluster(g as Record<string, unknown>)));
    tiers.push({
      id: typeof id === "string" ? id : "?",
      critical: critical === undefined ? false : critical,
      frequent: frequent === undefined ? false : frequent,
      job: asString(t.job),
      mailto: asList(t.mailto, asString),
      guests: guests === UNKNOWN || guests === undefined ? [] : guests.filter((g): g is GuestView => g !== UNKNOWN),
    });
  }
  return tiers;
}

/** A stack job from its resource. */
export function jobFromResource(r: PolicyResource): JobView {
  const p = toPlain(r.props) as JobProps;
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
    node: asOptionalString(p.node),
    all: all === undefined ? false : all,
    vmids: vmids === undefined ? [] : vmids,
    excludes: excludes === undefined ? [] : excludes,
    pool: asOptionalString(p.pool),
    pruneBackups: p.pruneBackups,
    maxfiles: asNumber(p.maxfiles),
    mailto: mailto === undefined ? [] : mailto,
  };
}

/** A cluster job from the inventory (`ClusterJob`). */
export function jobFromCluster(j: Record<string, unknown>): JobView {
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
    storage: asOptionalString(j.storage),
    enabled: enabled === undefined ? true : enabled,
    schedule: asString(j.schedule),
    node: asOptionalString(j.node),
    all: all === undefined ? false : all,
    vmids: vmids === undefined ? [] : vmids,
    excludes: excludes === undefined ? [] : excludes,
    pool: asOptionalString(j.pool),
    pruneBackups: j.pruneBackups,
    maxfiles: undefined,
    mailto: mailto === undefined ? [] : mailto,
  };
}

export function storageFromCluster(s: Record<string, unknown>): StorageView | undefined {
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

/** A storage the stack declares; UNKNOWN when its id is unknown. */
export function storageFromResource(r: PolicyResource): Maybe<StorageView | undefined> {
  const p = toPlain(r.props) as StorageProps;
  const id = asString(p.resourceId);
  if (id === UNKNOWN) return UNKNOWN;
  if (id === undefined) return undefined;
  const disabled = asBoolean(p.disable);
  return {
    id,
    managed: true,
    type: storageTypeOf(r.type),
    content: fullyKnown(asList(p.contents, asString)),
    nodes: fullyKnown(asList(p.nodes, asString)),
    disabled: disabled === undefined ? false : disabled,
    retentionReported: true,
    retention: backupsToPrune(p.backups),
  };
}

/** The provider's `backups` block ({keepLast: 3, keepAll: false}) as PVE's prune-backups. */
function backupsToPrune(value: StorageProps["backups"]): Maybe<PruneBackups | undefined> {
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

export function guestFromCluster(g: Record<string, unknown>): GuestView | undefined {
  const vmid = asNumber(g.vmid);
  const kind = asString(g.kind);
  if (typeof vmid !== "number" || (kind !== "qemu" && kind !== "lxc")) return undefined;
  const name = asString(g.name);
  const template = asBoolean(g.template);
  return {
    vmid,
    kind,
    name: typeof name === "string" ? name : "",
    node: asOptionalString(g.node),
    template: template === undefined ? false : template,
  };
}

export function guestFromResource(r: PolicyResource, kind: GuestKind): Maybe<GuestView | UnnumberedGuest> {
  const p = toPlain(r.props) as GuestProps;
  // VmLegacy and ContainerLegacy take `vmId`; Vm, Vm2Legacy and the cloned VMs take it as `resourceId`.
  const vmid = asNumber("vmId" in p ? p.vmId : p.resourceId);
  if (vmid === UNKNOWN) return UNKNOWN;
  const init = p.initialization;
  const hostname = init && init !== UNKNOWN ? asString(init.hostname) : undefined;
  const name = asString(p.name);
  const template = asBoolean(p.template);
  const base: UnnumberedGuest = {
    kind,
    name: typeof name === "string" ? name : typeof hostname === "string" ? hostname : r.name,
    template: template === undefined ? false : template,
    urn: r.urn,
  };
  if (vmid === undefined) return base;
  return { ...base, vmid, node: asOptionalString(p.nodeName) };
}
