/**
 * The program: from a validated site to resources and stack outputs. `index.ts` feeds it the
 * stack's config; tests and the `check` command run it under Pulumi's mocks.
 */
// The provider's submodules, not its root: the root module pulls in every resource type it has.
import * as storage from "@muhlba91/pulumi-proxmoxve/storage";
import * as pulumi from "@pulumi/pulumi";
import { BackupTier } from "./backupTier";
import { NfsStorage, Site } from "./config";
import { discoverCluster } from "./discovery";
import { computeCoverage } from "./coverage";
import { StackOutputs, summarizeTier } from "./inventory";
import { toBackupsBlock } from "../pve/retention";
import type { NfsFixedOption } from "../pve/storage";

/**
 * Every input of the provider's NFS storage that adoption takes from the cluster as it is: all but
 * its id and those PVE fixes at creation (`server` and `export`: they must match). `satisfies` makes
 * this list the provider's: an input the provider adds, or drops, fails the compile here.
 */
const ADOPTED_STORAGE_INPUTS = {
  backups: true,
  contents: true,
  createBasePath: true,
  createSubdirs: true,
  disable: true,
  nodes: true,
  options: true,
  preallocation: true,
  snapshotAsVolumeChain: true,
} as const satisfies Record<Exclude<keyof storage.NfsArgs, "resourceId" | NfsFixedOption>, true>;

export const ADOPTED_STORAGE_PROPERTIES: string[] = Object.keys(ADOPTED_STORAGE_INPUTS);

export interface DeclaredSite {
  storages: storage.Nfs[];
  tiers: BackupTier[];
  outputs: { [K in keyof StackOutputs]: pulumi.Input<StackOutputs[K]> };
}

export async function declareSite(site: Site, options: { adopt?: boolean } = {}): Promise<DeclaredSite> {
  // The cluster is read first, and its reads leave for the engine before the resources are declared
  // (one turn of the event loop): the engine, and through the provider the PVE API, answers them while
  // the program declares, rather than after. The outputs carry a failed read; the catch only keeps it
  // from counting as unhandled during that turn.
  const cluster = discoverCluster();
  cluster.catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));

  // Adopting imports what the cluster has (its jobs and storages, by id) and creates the rest, so that
  // a site adopts its hand-made jobs and adds new tiers in one first `pulumi up`: an import of what
  // does not exist fails. Only then does the program wait for the cluster before declaring.
  const existing = options.adopt ? await cluster : undefined;
  const storages = new Map<string, storage.Nfs>();
  for (const s of site.storages) {
    storages.set(s.id, declareNfsStorage(s, existing?.storages.some((c) => c.id === s.id) ?? false));
  }

  const tiers = site.tiers.map(
    (tier) =>
      new BackupTier(`tier-${tier.id.toLowerCase()}`, {
        tier,
        storage: storages.get(tier.storage)?.resourceId ?? tier.storage,
        adopt: existing?.jobs.some((j) => j.id === tier.job) ?? false,
      }),
  );

  return {
    storages: [...storages.values()],
    tiers,
    outputs: {
      timezone: site.timezone,
      tiers: site.tiers.map(summarizeTier),
      cluster,
      coverage: cluster.then((c) => computeCoverage(site, c)),
      otherStacks: site.otherStacks,
    },
  };
}

function declareNfsStorage(s: NfsStorage, adopt: boolean): storage.Nfs {
  return new storage.Nfs(
    `storage-${s.id}`,
    {
      resourceId: s.id,
      server: s.server,
      export: s.export,
      contents: s.content,
      nodes: s.nodes,
      options: s.options,
      backups: toBackupsBlock(s.retention),
    },
    {
      // Deleting the storage definition orphans every backup on it: never by accident.
      protect: true,
      ...(adopt ? { import: s.id, ignoreChanges: ADOPTED_STORAGE_PROPERTIES } : {}),
    },
  );
}
