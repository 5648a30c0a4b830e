/**
 * What `init` reads of a live cluster, as a cluster snapshot: the same records a saved snapshot holds
 * (`pvesh get /cluster/resources`, `/storage`, `/cluster/backup`), the nodes, and the node's time
 * zone. GET requests only: init never writes to the cluster. The snapshot is then read exactly as a
 * saved one (pve/snapshot.ts), so the live path and the snapshot path write the same file.
 */
import type { PveClient } from "../pve/client";
import { ClusterSnapshot, parseClusterSnapshot } from "../pve/snapshot";

export async function readLiveCluster(client: PveClient): Promise<ClusterSnapshot> {
  const [nodes, resources, storage, backup] = await Promise.all([
    client.nodes(),
    client.clusterResources("vm"),
    client.storages(),
    client.backupJobs(),
  ]);
  // PVE runs schedules in each node's local time; the first online node's zone is the site's.
  const online = nodes.filter((n) => n.status === "online").sort((a, b) => a.node.localeCompare(b.node));
  const timezone = online.length > 0 ? (await client.nodeTime(online[0].node)).timezone : undefined;
  const snapshot = {
    ...(timezone !== undefined ? { timezone } : {}),
    nodes: nodes.map((n) => ({ node: n.node, status: n.status })),
    resources,
    storage,
    backup,
  };
  // Read back as a saved snapshot is: one reading of PVE's records, whichever way they came.
  return parseClusterSnapshot(JSON.stringify(snapshot), `the cluster at ${client.endpoint}`);
}
