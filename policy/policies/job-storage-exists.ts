import type { StackValidationPolicy } from "@pulumi/policy";
import { BACKUP_CONTENT } from "../../pve/storage";
import { acceptsBackup, availableOn, jobOrigin, jobSelection } from "../pveRules";
import { JobView, StackView, stackView } from "../stackView";
import { UNKNOWN } from "../unknown";

/**
 * job-storage-exists (mandatory). Protects against jobs that cannot write their backups: PVE
 * accepts a job naming a storage that does not exist (the home site's stray job on
 * `synology-nas-storage`) and fails only when the job runs, every night, quietly. Every backup
 * job's storage must be declared in the stack or exist on the cluster, must not be disabled, must
 * be available on the node(s) the job runs on, and must accept `backup` content. Jobs that exist on
 * the cluster but are not managed by the stack are checked the same way; a cluster job with the id
 * of a stack job is judged by the stack's desired state. Discovery cannot read the storages of an
 * offline node: a storage not found while a node is offline, and whether a cluster storage is
 * available on an offline node, are unknown, not violations.
 */
export const jobStorageExists: StackValidationPolicy = {
  name: "job-storage-exists",
  description:
    "Every backup job writes to a storage that exists, is enabled, is available on the job's nodes and accepts backup content.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);
    for (const job of view.jobs) {
      const problem = storageProblem(job, view);
      if (problem) reportViolation(`job ${job.label}${jobOrigin(job)} writes to storage ${problem}`, job.urn);
    }
  },
};

/** What is wrong with a job's storage, as the rest of a sentence starting `writes to storage`. */
function storageProblem(job: JobView, view: StackView): string | undefined {
  const id = job.storage;
  if (id === UNKNOWN) return undefined;
  if (id === undefined || id === "") {
    return `(none): it names no storage, so vzdump falls back to a node's default dump directory, which no policy can check; set one`;
  }
  const storage = view.storages.get(id);
  if (!storage) {
    // Absence proves nothing when the inventory, or the id of a storage the stack creates, is unknown,
    // or when the storage may be defined on an offline node only.
    if (!view.clusterKnown || view.storageIdsUnknown || view.offlineNodes.length > 0) return undefined;
    return `${id}, which is neither declared in the stack nor exists on the cluster; PVE accepts such a job and fails only when it runs`;
  }
  const where = storage.managed ? "declared in the stack" : "on the cluster";
  if (storage.disabled === true) return `${id}, which is disabled (${where}); the job fails when it runs`;
  const backup = acceptsBackup(storage);
  if (backup === false) {
    const content =
      storage.content === undefined || storage.content === UNKNOWN
        ? "not set, PVE's default"
        : storage.content.join(",") || "none";
    return `${id}, which does not accept ${BACKUP_CONTENT} content (${where}; content: ${content}); add ${BACKUP_CONTENT} to its content`;
  }
  const offline = new Set(view.offlineNodes);
  const missing = nodesWithout(job, view, (node) =>
    offline.has(node) && !storage.managed ? UNKNOWN : availableOn(storage, node),
  );
  if (missing.length > 0) {
    return `${id}, which is not available on ${missing.map((m) => `node ${m.node}${m.why}`).join(", ")} (${where}; nodes: ${
      storage.nodes === undefined || storage.nodes === UNKNOWN ? "all" : storage.nodes.join(",") || "none"
    })`;
  }
  return undefined;
}

/**
 * The nodes the job runs on where the storage is not available: the job's node when it has one,
 * else every node holding one of its guests (vzdump runs a job on each node with a selected guest).
 */
function nodesWithout(
  job: JobView,
  view: StackView,
  available: (node: string) => boolean | typeof UNKNOWN,
): { node: string; why: string }[] {
  if (job.node === UNKNOWN) return [];
  if (job.node !== undefined) return available(job.node) === false ? [{ node: job.node, why: ", the job's node" }] : [];
  const byNode = new Map<string, number[]>();
  for (const vmid of jobSelection(job, view).vmids) {
    const node = view.guestByVmid.get(vmid)?.node;
    if (typeof node !== "string" || node === "") continue;
    const list = byNode.get(node);
    if (list) list.push(vmid);
    else byNode.set(node, [vmid]);
  }
  const missing: { node: string; why: string }[] = [];
  for (const [node, vmids] of byNode) {
    if (available(node) === false)
      missing.push({
        node,
        why: ` (where guest${vmids.length > 1 ? "s" : ""} ${vmids.join(", ")} run${vmids.length > 1 ? "" : "s"})`,
      });
  }
  return missing;
}
