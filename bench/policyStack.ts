/**
 * Synthetic sites for the policy benchmark: `guests` guests spread over nodes, tiers of 100 guests,
 * one job per tier, ten tiers per NFS storage with their starts 15 minutes apart, and a tenth of the
 * guests managed by the stack as VM resources. Built by the real program (runProgramOffline), so the
 * resources and outputs have exactly the shapes the pack sees. The site passes every mandatory
 * policy; one stray job on the cluster gives unmanaged-jobs something to list.
 */
import { RegisteredResource, runProgramOffline } from "../offline/preview";
import { topLevelUrn } from "../tests/support/policyStacks";
import type { StackOutputs } from "../tiers/inventory";
import { ClusterSnapshot, clusterSnapshotSchema } from "../pve/snapshot";

const GUESTS_PER_TIER = 100;
const TIERS_PER_STORAGE = 10;
const GUESTS_PER_NODE = 500;

export interface SyntheticStack {
  guests: number;
  stack: string;
  resources: RegisteredResource[];
  outputs: StackOutputs;
}

/** A synthetic site's stack config (`pve-backup-tiers:site`) and its cluster snapshot (PVE API shapes). */
export interface SyntheticSite {
  site: Record<string, unknown>;
  snapshot: ClusterSnapshot;
  all: { vmid: number; kind: "qemu" | "lxc"; name: string; node: string }[];
}

export function syntheticSite(guests: number): SyntheticSite {
  const nodes = Array.from({ length: Math.max(1, Math.ceil(guests / GUESTS_PER_NODE)) }, (_, i) => `pve${i + 1}`);
  const tierCount = Math.ceil(guests / GUESTS_PER_TIER);
  const storageCount = Math.ceil(tierCount / TIERS_PER_STORAGE);
  const storages = Array.from({ length: storageCount }, (_, i) => `nas-${i + 1}`);

  const all = Array.from({ length: guests }, (_, i) => {
    const vmid = 1000 + i;
    const kind = i % 3 === 2 ? ("lxc" as const) : ("qemu" as const);
    return { vmid, kind, name: `guest-${vmid}`, node: nodes[Math.floor(i / GUESTS_PER_NODE) % nodes.length] };
  });

  const tiers = Array.from({ length: tierCount }, (_, t) => {
    const slot = Math.floor(t / storageCount); // tiers on one storage start 15 minutes apart
    const minutes = slot * 15;
    return {
      id: `T${t}`,
      description: `synthetic tier ${t}`,
      priority: t,
      critical: t === 0,
      job: `backup-syn-t${t}`,
      schedule: `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`,
      storage: storages[t % storageCount],
      ...(t % 2 === 0 ? { retention: { "keep-last": 3 } } : {}),
      ...(t === 0 ? { notification: { mailto: ["ops@example.org"], when: "always" } } : {}),
      guests: all
        .slice(t * GUESTS_PER_TIER, (t + 1) * GUESTS_PER_TIER)
        .map(({ vmid, kind, name }) => ({ vmid, kind, name })),
    };
  });

  const site = {
    timezone: "Europe/Berlin",
    storages: storages.map((id, i) => ({
      id,
      type: "nfs",
      server: `10.1.0.${i + 10}`,
      export: `/volume1/${id}`,
      content: ["backup"],
      retention: { "keep-daily": 7, "keep-weekly": 4 },
    })),
    existingStorages: ["local"],
    otherStacks: [],
    tiers,
  };

  const snapshot: ClusterSnapshot = clusterSnapshotSchema.parse({
    nodes: nodes.map((node) => ({ node })),
    resources: [
      ...all.map((g) => ({
        id: `${g.kind}/${g.vmid}`,
        type: g.kind,
        vmid: g.vmid,
        name: g.name,
        node: g.node,
        status: "running",
        template: 0,
      })),
      {
        id: "qemu/999",
        type: "qemu",
        vmid: 999,
        name: "debian-template",
        node: nodes[0],
        status: "stopped",
        template: 1,
      },
    ],
    storage: [
      { storage: "local", type: "dir", content: "iso,vztmpl,backup" },
      ...storages.map((id) => ({
        storage: id,
        type: "nfs",
        content: "backup",
        "prune-backups": "keep-daily=7,keep-weekly=4",
      })),
    ],
    backup: [
      // The cluster already runs the tiers' jobs (adopted), plus one stray.
      ...tiers.map((t) => ({
        id: t.job,
        type: "vzdump",
        schedule: t.schedule,
        storage: t.storage,
        vmid: t.guests.map((g) => g.vmid).join(","),
        enabled: 1,
        "prune-backups": { "keep-last": "3" },
      })),
      {
        id: "backup-stray",
        type: "vzdump",
        schedule: "sat 05:00",
        storage: "local",
        vmid: "1000",
        enabled: 1,
        "prune-backups": "keep-last=1",
      },
    ],
  });

  return { site, snapshot, all };
}

export async function buildSyntheticStack(guests: number): Promise<SyntheticStack> {
  const { site, snapshot, all } = syntheticSite(guests);
  const run = await runProgramOffline({
    stack: "home",
    snapshot,
    config: { "pve-backup-tiers:site": JSON.stringify(site) },
  });

  // A tenth of the guests are also managed by the stack, as VM and container resources.
  const resources = [...run.resources];
  for (const g of all) {
    if (g.vmid % 10 !== 0) continue;
    const type =
      g.kind === "qemu" ? "proxmoxve:index/vmLegacy:VmLegacy" : "proxmoxve:index/containerLegacy:ContainerLegacy";
    const props =
      g.kind === "qemu"
        ? { vmId: g.vmid, name: g.name, nodeName: g.node, template: false }
        : { vmId: g.vmid, nodeName: g.node, initialization: { hostname: g.name } };
    resources.push({
      type,
      name: g.name,
      urn: topLevelUrn(run, type, g.name),
      custom: true,
      props,
      parent: run.root.urn,
      protect: false,
      ignoreChanges: [],
    });
  }
  return { guests, stack: run.stack, resources, outputs: run.outputs };
}
