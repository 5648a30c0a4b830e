/**
 * PVE's rules as the policies apply them to the stack view, with what is unknown during preview
 * kept unknown: which guests a job backs up (tiers/coverage.ts decides for known values), whether a
 * storage takes backups and is available on a node, how job ids compare; and how messages name
 * guests and jobs.
 */
import { jobSelects } from "../tiers/coverage";
import { BACKUP_CONTENT, GuestKind } from "../tiers/pve";
import type { GuestView, JobView, StackView, StorageView } from "./stackView";
import { Maybe, UNKNOWN } from "./unknown";

/** Job ids are case-insensitive in PVE. */
export function jobKey(id: string): string {
  return id.toLowerCase();
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
  const known = (list: Maybe<number>[]) => list.filter((v): v is number => v !== UNKNOWN);
  if ((job.all ? job.excludes : job.vmids).includes(UNKNOWN)) selection.uncertain = true;
  const selector = { all: job.all, vmids: known(job.vmids), excludes: known(job.excludes), node: job.node };
  const nodeOf = (g: GuestView | undefined) => (g && typeof g.node === "string" ? g.node : undefined);
  if (job.all) {
    for (const g of view.guests) {
      if (jobSelects(selector, { vmid: g.vmid, node: nodeOf(g) }) === "selected") selection.vmids.push(g.vmid);
    }
    return selection;
  }
  for (const vmid of selector.vmids) {
    const g = view.guestByVmid.get(vmid);
    const selected = jobSelects(selector, { vmid, node: nodeOf(g) });
    if (selected === "selected") selection.vmids.push(vmid);
    else if (selected === "off-node" && g) selection.offNode.push(g);
  }
  return selection;
}

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

/** `103` / `101, 105` / `none`. */
export function listVmids(vmids: readonly Maybe<number>[]): string {
  const known = vmids.filter((v): v is number => v !== UNKNOWN);
  return known.length === 0 ? "none" : known.join(", ");
}
