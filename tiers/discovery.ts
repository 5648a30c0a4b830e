/**
 * Reads the cluster through the provider's data sources: its nodes, guests, storages and existing
 * backup jobs. The policy pack judges from what this returns (exported as the `cluster` output),
 * since policies may make no network calls of their own.
 *
 * On a cluster with a node down: the provider lists guests node by node and skips a node that does
 * not answer (a warning, "VM list may be incomplete"), and asking an offline node for its datastores
 * fails the whole program. So datastores are read on the online nodes only (`getNodesLegacy`'s
 * `onlines`), and the offline nodes are exported: what lives only on them is unknown, not missing.
 */
// The provider's submodules, not its root: the root module pulls in every resource type it has.
import * as backup from "@muhlba91/pulumi-proxmoxve/backup";
import { getContainersLegacy } from "@muhlba91/pulumi-proxmoxve/getContainersLegacy";
import { getDatastores } from "@muhlba91/pulumi-proxmoxve/getDatastores";
import { getNodesLegacy } from "@muhlba91/pulumi-proxmoxve/getNodesLegacy";
import { getPoolLegacy } from "@muhlba91/pulumi-proxmoxve/getPoolLegacy";
import { getVmsLegacy } from "@muhlba91/pulumi-proxmoxve/getVmsLegacy";
import type * as providerOutputs from "@muhlba91/pulumi-proxmoxve/types/output";
import type * as pulumi from "@pulumi/pulumi";
import { ClusterGuest, ClusterInventory, ClusterJob, ClusterPool, ClusterStorage } from "./inventory";
import { GuestKind } from "../pve/ids";
import { parsePruneBackups } from "../pve/retention";

/** The provider's list entries for VMs and containers share one shape. */
interface ProviderGuest {
  vmId: number;
  name: string;
  nodeName: string;
  status?: string;
  template?: boolean;
}

export async function discoverCluster(opts?: pulumi.InvokeOptions): Promise<ClusterInventory> {
  const [nodes, vms, containers, jobs] = await Promise.all([
    getNodesLegacy(opts),
    getVmsLegacy({}, opts),
    getContainersLegacy({}, opts),
    backup.getJobs(opts),
  ]);
  const names = nodes.names ?? [];
  const nodeNames = [...names].sort();
  // `onlines[i]` is node `names[i]`'s (false also when PVE gave no status); without the list, as before.
  const offlineNodes = names.filter((_, i) => nodes.onlines?.[i] === false).sort();
  const onlineNodes = nodeNames.filter((n) => !offlineNodes.includes(n));
  const datastores = await Promise.all(onlineNodes.map((nodeName) => getDatastores({ nodeName }, opts)));
  const clusterJobs = (jobs.jobs ?? []).map(toClusterJob);
  const poolIds = [...new Set(clusterJobs.map((j) => j.pool).filter((p): p is string => p !== undefined))].sort();
  const pools = await Promise.all(poolIds.map((id) => readPool(id, opts)));
  return {
    nodes: nodeNames,
    offlineNodes,
    guests: [...toGuests(vms.vms ?? [], "qemu"), ...toGuests(containers.containers ?? [], "lxc")].sort(
      (a, b) => a.vmid - b.vmid,
    ),
    storages: mergeStorages(datastores.flatMap((d) => d.datastores ?? [])),
    jobs: clusterJobs,
    pools: pools.filter((p): p is ClusterPool => p !== undefined),
  };
}

/**
 * A pool's guests. A pool PVE does not know (a job naming a deleted pool) or the token may not read
 * fails the data source: the pool's members are then unknown, and the job's selection with them.
 */
async function readPool(id: string, opts?: pulumi.InvokeOptions): Promise<ClusterPool | undefined> {
  try {
    const pool = await getPoolLegacy({ poolId: id }, opts);
    const vmids = (pool.members ?? [])
      .filter((m) => m.type === "qemu" || m.type === "lxc")
      .map((m) => m.vmId)
      .filter(Number.isInteger);
    return { id, vmids: [...new Set(vmids)].sort((a, b) => a - b) };
  } catch {
    return undefined;
  }
}

function toGuests(list: readonly ProviderGuest[], kind: GuestKind): ClusterGuest[] {
  return list.map((g) => ({
    vmid: g.vmId,
    kind,
    name: g.name ?? "",
    node: g.nodeName,
    status: g.status,
    template: g.template === true,
  }));
}

/** Per-node datastore rows → one entry per storage, with the nodes on which it is enabled. */
function mergeStorages(rows: readonly providerOutputs.GetDatastoresDatastore[]): ClusterStorage[] {
  const byId = new Map<string, ClusterStorage & { listedOn: number }>();
  for (const row of rows) {
    const entry = byId.get(row.id) ?? {
      id: row.id,
      type: row.type,
      content: [],
      nodes: [],
      disabled: true,
      shared: row.shared === true,
      listedOn: 0,
    };
    entry.listedOn += 1;
    for (const c of row.contentTypes ?? []) if (!entry.content.includes(c)) entry.content.push(c);
    // PVE omits `enabled` for enabled storages in some versions: only an explicit false disables.
    if (row.enabled !== false) {
      entry.disabled = false;
      if (!entry.nodes.includes(row.nodeName)) entry.nodes.push(row.nodeName);
    }
    byId.set(row.id, entry);
  }
  return [...byId.values()]
    .map(({ listedOn: _listedOn, ...s }) => ({ ...s, content: s.content.sort(), nodes: s.nodes.sort() }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function toClusterJob(job: providerOutputs.backup.GetJobsJob): ClusterJob {
  let pruneBackups: ClusterJob["pruneBackups"];
  try {
    pruneBackups = parsePruneBackups(job.pruneBackups);
  } catch {
    // A value this project cannot read is treated as no own retention: the storage's then applies.
    pruneBackups = undefined;
  }
  return {
    id: job.id,
    storage: job.storage,
    enabled: job.enabled !== false,
    schedule: job.schedule,
    node: job.node || undefined,
    all: job.all === true,
    vmids: (job.vmids ?? []).map(Number).filter(Number.isInteger),
    excludes: (job.excludes ?? []).map(Number).filter(Number.isInteger),
    pool: job.pool || undefined,
    pruneBackups: pruneBackups && Object.keys(pruneBackups).length > 0 ? pruneBackups : undefined,
    mailto: job.mailtos ?? [],
    mailnotification: job.mailnotification || undefined,
  };
}
