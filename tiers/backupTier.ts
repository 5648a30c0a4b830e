/**
 * One backup tier as a component: the vzdump job that protects the tier's guests.
 * Component resources reach policies with empty properties, so what a policy needs of the tier
 * itself (criticality, guests) travels in the stack outputs (see inventory.ts).
 */
// The provider's submodule, not its root: the root module pulls in every resource type it has.
import * as backup from "@muhlba91/pulumi-proxmoxve/backup";
import * as pulumi from "@pulumi/pulumi";
import type { Tier } from "./config";
import { toPruneBackupsMap } from "./pve";

export interface BackupTierArgs {
  tier: Tier;
  /** The storage id; an Output when the stack manages the storage, so the job waits for it. */
  storage: pulumi.Input<string>;
  /** Adopt a job that already exists on the cluster under the tier's job id. */
  adopt?: boolean;
}

/** Job inputs that adoption takes from the cluster as they are; the next `pulumi up` converges them. */
export const ADOPTED_JOB_PROPERTIES = [
  "schedule",
  "storage",
  "vmids",
  "mode",
  "compress",
  "enabled",
  "node",
  "pruneBackups",
  "mailtos",
  "mailnotification",
  "notesTemplate",
];

export class BackupTier extends pulumi.ComponentResource {
  static readonly TYPE = "pve-backup-tiers:backup:Tier";
  readonly job: backup.Job;

  constructor(name: string, args: BackupTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BackupTier.TYPE, name, {}, opts);
    const { tier } = args;
    this.job = new backup.Job(
      `${name}-job`,
      {
        resourceId: tier.job,
        schedule: tier.schedule,
        storage: args.storage,
        vmids: tier.guests.map((g) => String(g.vmid)),
        node: tier.node,
        mode: tier.mode,
        compress: tier.compress,
        pruneBackups: toPruneBackupsMap(tier.retention),
        enabled: true,
        mailtos: tier.notification?.mailto,
        mailnotification: tier.notification?.when,
        // PVE fills these in per backup, so every archive says which guest and tier it belongs to.
        notesTemplate: `{{guestname}} ({{vmid}}) - tier ${tier.id}: ${tier.description} - job ${tier.job}`,
      },
      {
        parent: this,
        ...(args.adopt ? { import: tier.job, ignoreChanges: ADOPTED_JOB_PROPERTIES } : {}),
      },
    );
    this.registerOutputs({ job: this.job.id });
  }
}
