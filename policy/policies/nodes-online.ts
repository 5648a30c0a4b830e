import type { StackValidationPolicy } from "@pulumi/policy";
import { describeGuest } from "../pveRules";
import { stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * nodes-online (advisory). Protects against a verdict taken on half a cluster: discovery cannot ask
 * an offline node for its guests and storages, so whatever lives only there is unknown to every
 * other policy, which then skips it rather than call it missing. Lists the offline nodes, and the
 * tier guests that were not found on the online ones (unknown, not checked), so that the check is
 * run again when the nodes are back.
 */
export const nodesOnline: StackValidationPolicy = {
  name: "nodes-online",
  description: "Every node of the cluster is online, so discovery sees all of its guests and storages.",
  enforcementLevel: "advisory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    const offline = view.offlineNodes;
    if (offline.length === 0) return;
    const unseen =
      view.tiers === UNKNOWN
        ? []
        : view.tiers.flatMap((t) =>
            t.guests.filter((g) => !view.guestByVmid.has(g.vmid)).map((g) => `${describeGuest(g)} of tier ${t.id}`),
          );
    const nodes = offline.length > 1 ? `nodes ${offline.join(", ")} are` : `node ${offline[0]} is`;
    reportViolation(
      `${nodes} offline: discovery could not list ${offline.length > 1 ? "their" : "its"} guests and storages, so what lives only there is unknown, not checked` +
        (unseen.length > 0 ? ` (not found on the online nodes: ${unseen.join(", ")})` : "") +
        `. Check again when ${offline.length > 1 ? "they are" : "it is"} back online.`,
    );
  },
};
