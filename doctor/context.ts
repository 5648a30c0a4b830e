/**
 * What the doctor's checks share: the stack, the connection, the client, and what they learnt of the
 * cluster (each read once). The checks are doctor/diagnose.ts (endpoint, certificate, token),
 * doctor/access.ts, doctor/cluster.ts and doctor/jobs.ts; they run in doctor/diagnose.ts's order.
 */
import { BackupJobEntry } from "../pve/job";
import { PveApiError } from "../pve/apiError";
import { PveClient } from "../pve/client";
import type { ConnectionSettings } from "../pve/connection";
import { guestsOfResources } from "../pve/snapshot";
import type { Site, Tier } from "../tiers/config";
import type { ClusterGuest } from "../tiers/inventory";
import type { SiteFile } from "../tiers/stackConfig";

/** One check's verdict. */
export interface Check {
  id: string;
  ok: boolean;
  message: string;
  fix?: string;
}

/** What the doctor learnt of the cluster, shared between checks. */
interface Seen {
  guests?: ClusterGuest[];
  jobs?: BackupJobEntry[];
  /** Node → storage rows of `GET /nodes/{node}/storage`, or the error for that node. */
  nodeStorages: Map<string, Record<string, unknown>[] | PveApiError>;
  offline: Set<string>;
  privilegesOk: boolean;
}

export class DoctorContext {
  readonly site: Site;
  readonly seen: Seen = { nodeStorages: new Map(), offline: new Set(), privilegesOk: true };
  /** `GET /version`, as the token check read it. */
  versionInfo?: { version: string };

  constructor(
    readonly siteFile: SiteFile,
    readonly settings: ConnectionSettings,
    readonly client: PveClient,
  ) {
    this.site = siteFile.site;
  }

  storageIds(): string[] {
    return [...new Set([...this.site.tiers.map((t) => t.storage), ...this.site.storages.map((s) => s.id)])];
  }

  async clusterGuests(): Promise<ClusterGuest[]> {
    this.seen.guests ??= guestsOfResources(await this.client.clusterResources("vm"));
    return this.seen.guests;
  }

  /** The nodes a tier's job runs on: those of its guests (or its own `node`). */
  async tierNodes(tier: Tier): Promise<string[]> {
    if (tier.node) return [tier.node];
    const guests = await this.clusterGuests();
    const nodes = tier.guests.map((g) => guests.find((r) => r.vmid === g.vmid)?.node).filter(Boolean);
    return [...new Set(nodes as string[])].sort();
  }

  async storagesOn(node: string): Promise<Record<string, unknown>[] | PveApiError> {
    if (!this.seen.nodeStorages.has(node)) {
      try {
        this.seen.nodeStorages.set(
          node,
          (await this.client.nodeStorages(node)) as unknown as Record<string, unknown>[],
        );
      } catch (err) {
        if (!(err instanceof PveApiError) || err.kind === "auth") throw err;
        this.seen.nodeStorages.set(node, err);
      }
    }
    return this.seen.nodeStorages.get(node)!;
  }

  async clusterJobs(): Promise<BackupJobEntry[]> {
    this.seen.jobs ??= await this.client.backupJobs();
    return this.seen.jobs;
  }
}
