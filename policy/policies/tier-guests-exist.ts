import type { StackValidationPolicy } from "@pulumi/policy";
import { describeGuest } from "../pveRules";
import { TierGuest, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

const KIND_NAME = { qemu: "a VM", lxc: "an LXC container" } as const;

/**
 * tier-guests-exist (mandatory). Protects against tiers that back up guests which are not there: a
 * VM deleted since, a typo in a vmid, a tier that says `lxc` for what the cluster runs as a VM. PVE
 * accepts a job naming any vmid and fails only when it runs ("unable to find VM"), every night,
 * while the guest that was meant goes without backups. Every guest a tier names must be on the
 * cluster (or be declared by the stack, which creates it) with the tier's kind.
 *
 * PVE lists only the guests the caller may audit, so a token without `VM.Audit` sees a cluster
 * with no guests at all: every other policy would then find nothing wrong. A listing with no guests
 * while tiers name some is refused with that reason, never passed. Guests that may live on an
 * offline node are unknown, not missing (nodes-online lists them).
 */
export const tierGuestsExist: StackValidationPolicy = {
  name: "tier-guests-exist",
  description:
    "Every guest a tier names exists on the cluster (or in the stack) with the tier's kind; a cluster listing no guests at all fails.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    if (view.tiers === UNKNOWN || !view.clusterKnown || view.clusterGuestCount === undefined) return;
    const urnOfTier = new Map<string, string>();
    for (const job of view.jobs) if (job.managed && job.tier && job.urn) urnOfTier.set(job.tier.id, job.urn);

    const missing: { tier: string; guest: TierGuest }[] = [];
    for (const tier of view.tiers) {
      for (const guest of tier.guests) {
        const found = view.guestByVmid.get(guest.vmid);
        if (!found) {
          missing.push({ tier: tier.id, guest });
        } else if (found.kind !== guest.kind) {
          reportViolation(
            `tier ${tier.id} names ${describeGuest(guest)}, but ${guest.vmid} is ${KIND_NAME[found.kind]} (${describeGuest(found)}) ${found.urn ? "in the stack" : "on the cluster"}: a typo in the vmid or the kind? Fix the tier's guest.`,
            urnOfTier.get(tier.id),
          );
        }
      }
    }
    if (missing.length === 0 || view.offlineNodes.length > 0) return;

    if (view.clusterGuestCount === 0) {
      const tiers = [...new Set(missing.map((m) => m.tier))];
      reportViolation(
        `the cluster lists no guests at all, while tier${tiers.length > 1 ? "s" : ""} ${tiers.join(", ")} name${tiers.length > 1 ? "" : "s"} ${missing.length} (${missing.map((m) => describeGuest(m.guest)).join(", ")}): ` +
          `PVE lists only the guests the API token may audit, so the token most likely lacks VM.Audit (grant it on /vms). No policy can check the tiers' guests against an empty listing.`,
      );
      return;
    }
    for (const { tier, guest } of missing) {
      reportViolation(
        `tier ${tier} names ${describeGuest(guest)}, which the cluster does not have: deleted, or a typo in the vmid? PVE fails the tier's job on it at every run ("unable to find VM ${guest.vmid}"). ` +
          `Fix the tier's guests (if the guest does exist, the API token lacks VM.Audit on /vms/${guest.vmid}).`,
        urnOfTier.get(tier),
      );
    }
  },
};
