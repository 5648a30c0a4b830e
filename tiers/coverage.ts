/**
 * Which job backs up which guest, by PVE's rules, in one place: the program's `coverage` output and
 * the pack's every-guest-in-a-tier both decide with `jobSelects`, so they cannot disagree (a tier
 * limited to one node covers none of its guests that live on another).
 *
 * vzdump's selection (PVE::VZDump::get_included_guests): `all` takes every guest but the excluded
 * ones, else the listed vmids; a job with a node runs on that node only, so it backs up only the
 * selected guests that live there. Pool jobs select by pool membership, which the inventory does not
 * carry: the caller decides what that means.
 */
import type { Site } from "./config";
import type { ClusterInventory, CoverageEntry } from "./inventory";

/** A job's guest selection, known values only. */
export interface JobSelector {
  all: boolean;
  vmids: readonly number[];
  excludes: readonly number[];
  /** The node the job is limited to; undefined: every node. */
  node?: string;
}

/**
 * Whether a job backs up a guest: `selected`, `off-node` (the job names it but runs only on another
 * node than the guest's) or `not-selected`. A guest whose node is not known counts as on the job's.
 */
export function jobSelects(
  job: JobSelector,
  guest: { vmid: number; node?: string },
): "selected" | "off-node" | "not-selected" {
  const named = job.all ? !job.excludes.includes(guest.vmid) : job.vmids.includes(guest.vmid);
  if (!named) return "not-selected";
  if (job.node === undefined || guest.node === undefined || guest.node === "" || guest.node === job.node) {
    return "selected";
  }
  return "off-node";
}

/** The selector of a tier's job, as tiers/backupTier.ts declares it. */
function tierSelector(tier: Site["tiers"][number]): JobSelector {
  return { all: false, vmids: tier.guests.map((g) => g.vmid), excludes: [], node: tier.node };
}

/** Each guest of the cluster with the tier whose job backs it up (null: none does), in vmid order. */
export function computeCoverage(site: Pick<Site, "tiers">, cluster: ClusterInventory): CoverageEntry[] {
  const selectors = site.tiers.map((tier) => ({ id: tier.id, selector: tierSelector(tier) }));
  return [...cluster.guests]
    .sort((a, b) => a.vmid - b.vmid)
    .map((g) => ({
      vmid: g.vmid,
      kind: g.kind,
      name: g.name,
      node: g.node,
      template: g.template,
      tier: selectors.find((t) => jobSelects(t.selector, g) === "selected")?.id ?? null,
    }));
}
