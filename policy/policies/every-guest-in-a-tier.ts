import type { StackValidationPolicy } from "@pulumi/policy";
import { everyGuestConfigSchema, readEveryGuestConfig } from "../config";
import { describeGuest, describeJob, jobSelection } from "../pveRules";
import { GuestView, JobView, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * every-guest-in-a-tier (mandatory). Protects against guests nobody backs up: a VM or LXC created
 * on the cluster by hand, or by this stack, that no working job covers - the home site's LXC that
 * sat in no tier until the day it was needed. Every guest of the cluster (the program's discovery
 * outputs) and every guest the stack manages (VmLegacy, ContainerLegacy, Vm resources, cloned VMs)
 * must be backed up by exactly one enabled job of the stack; two jobs means two tiers with
 * conflicting schedules and retention for one guest. A job limited to one node does not cover
 * guests on other nodes. Templates and the vmids in the `ignoreVmids` config are exempt, and so are
 * the guests the site lists under `otherStacks` (two stacks on one cluster: each names the other's
 * guests, instead of each failing the other); a cluster guest on an offline node is unknown
 * (nodes-online says so), not judged.
 */
export const everyGuestInATier: StackValidationPolicy = {
  name: "every-guest-in-a-tier",
  description: "Every VM and LXC of the cluster and of the stack is backed up by exactly one enabled job of the stack.",
  enforcementLevel: "mandatory",
  configSchema: everyGuestConfigSchema,
  validateStack: (args, reportViolation) => {
    const { ignoreVmids } = readEveryGuestConfig(args.getConfig());
    const ignored = new Set(ignoreVmids);
    const view = stackView(args.resources);

    // vmid → the enabled stack jobs that back it up; jobs whose selection is unknown make every
    // guest without a known job undecidable (never a false "in no tier").
    const covering = new Map<number, JobView[]>();
    const disabledNaming = new Map<number, JobView[]>();
    const offNodeNaming = new Map<number, JobView[]>();
    let undecided = false;
    let allJobs = false;
    for (const job of view.jobs) {
      if (!job.managed) continue;
      if (job.enabled === UNKNOWN) {
        undecided = true;
        continue;
      }
      const selection = jobSelection(job, view);
      if (selection.uncertain) undecided = true;
      if (job.all === true) allJobs = true;
      const target = job.enabled ? covering : disabledNaming;
      for (const vmid of selection.vmids) push(target, vmid, job);
      for (const g of selection.offNode) push(offNodeNaming, g.vmid, job);
    }
    // Unmanaged cluster jobs do not count, but saying so helps whoever reads the violation.
    const unmanagedNaming = new Map<number, JobView[]>();
    for (const job of view.jobs) {
      if (job.managed || job.enabled !== true) continue;
      for (const vmid of jobSelection(job, view).vmids) push(unmanagedNaming, vmid, job);
    }

    const exempt = (g: { vmid?: number; template: unknown }) =>
      g.template === true ||
      g.template === UNKNOWN ||
      (g.vmid !== undefined && (ignored.has(g.vmid) || view.otherStackGuests.has(g.vmid)));

    const offline = new Set(view.offlineNodes);
    for (const guest of view.guests) {
      if (exempt(guest)) continue;
      if (!guest.urn && typeof guest.node === "string" && offline.has(guest.node)) continue;
      const jobs = covering.get(guest.vmid) ?? [];
      if (jobs.length === 1) continue;
      if (jobs.length === 0) {
        if (undecided) continue;
        reportViolation(
          `${describeGuest(guest)} is in no tier: no enabled backup job of the stack covers it${hints(guest, disabledNaming, offNodeNaming, unmanagedNaming)}. Add it to a tier's guests, to otherStacks in the site config when another stack backs it up, or to ignoreVmids in the policy config.`,
          guest.urn,
        );
        continue;
      }
      jobs.sort(
        (a, b) => (a.tier?.id ?? "\uffff").localeCompare(b.tier?.id ?? "\uffff") || a.label.localeCompare(b.label),
      );
      const tiers = [...new Set(jobs.map((j) => j.tier?.id).filter((t): t is string => t !== undefined))];
      const inTiers = tiers.length > 1 ? ` is in ${tiers.length} tiers (${tiers.join(", ")}):` : ":";
      reportViolation(
        `${describeGuest(guest)}${inTiers} it is backed up by ${jobs.length} jobs of the stack, ${jobs.map(describeJob).join(" and ")}; keep it in exactly one tier.`,
        guest.urn,
      );
    }

    for (const guest of view.unnumberedGuests) {
      if (exempt(guest) || allJobs || undecided) continue;
      reportViolation(
        `${describeGuest(guest)} is managed by the stack without a fixed vmid, so no backup job of the stack can name it: set its vmid and add it to a tier.`,
        guest.urn,
      );
    }
  },
};

function push(map: Map<number, JobView[]>, vmid: number, job: JobView): void {
  const list = map.get(vmid);
  if (list) list.push(job);
  else map.set(vmid, [job]);
}

function hints(
  guest: GuestView,
  disabled: Map<number, JobView[]>,
  offNode: Map<number, JobView[]>,
  unmanaged: Map<number, JobView[]>,
): string {
  const parts: string[] = [];
  const d = disabled.get(guest.vmid);
  if (d) parts.push(`${d.map(describeJob).join(", ")} names it but is disabled`);
  const o = offNode.get(guest.vmid);
  if (o) {
    const node = typeof guest.node === "string" ? guest.node : "another node";
    parts.push(
      `${o.map((j) => `${describeJob(j)} names it but runs only on node ${String(j.node)}`).join(", ")}, and it lives on ${node}`,
    );
  }
  const u = unmanaged.get(guest.vmid);
  if (u) parts.push(`only ${u.map((j) => j.label).join(", ")}, which the stack does not manage, backs it up`);
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}
