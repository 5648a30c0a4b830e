/**
 * One backup tier as a component: the vzdump job that protects the tier's guests (its inputs: tierJob.ts).
 * Component resources reach policies with empty properties, so what a policy needs of the tier
 * itself (criticality, guests) travels in the stack outputs (see inventory.ts).
 */
// The provider's submodule, not its root: the root module pulls in every resource type it has.
import * as backup from "@muhlba91/pulumi-proxmoxve/backup";
import * as pulumi from "@pulumi/pulumi";
import type { Tier } from "./config";
import { TIER_TYPE } from "./names";
import { tierJobInputs } from "./tierJob";

export interface BackupTierArgs {
  tier: Tier;
  /** The storage id; an Output when the stack manages the storage, so the job waits for it. */
  storage: pulumi.Input<string>;
  /** Adopt a job that already exists on the cluster under the tier's job id. */
  adopt?: boolean;
}

/**
 * Every input of the provider's Job but its id, each ignored while adopting: an import fails when a
 * setting of the hand-made job (its `fleecing`, `pool`, `excludes`, `performance`, ...) differs from
 * what the program declares, and the program declares only some. The next `pulumi up` converges
 * them. `satisfies` makes this list the provider's: an input the provider adds, or drops, fails
 * the compile here until it is listed.
 */
const ADOPTED_JOB_INPUTS = {
  all: true,
  bwlimit: true,
  compress: true,
  enabled: true,
  excludePaths: true,
  excludes: true,
  fleecing: true,
  ionice: true,
  lockwait: true,
  mailnotification: true,
  mailtos: true,
  maxfiles: true,
  mode: true,
  node: true,
  notesTemplate: true,
  pbsChangeDetectionMode: true,
  performance: true,
  pigz: true,
  pool: true,
  protected: true,
  pruneBackups: true,
  remove: true,
  repeatMissed: true,
  schedule: true,
  script: true,
  starttime: true,
  stdexcludes: true,
  stopwait: true,
  storage: true,
  tmpdir: true,
  vmids: true,
  zstd: true,
} as const satisfies Record<Exclude<keyof backup.JobArgs, "resourceId">, true>;

/** Job inputs that adoption takes from the cluster as they are: all of them but the job id. */
export const ADOPTED_JOB_PROPERTIES: string[] = Object.keys(ADOPTED_JOB_INPUTS);

export class BackupTier extends pulumi.ComponentResource {
  static readonly TYPE = TIER_TYPE;
  readonly job: backup.Job;

  constructor(name: string, args: BackupTierArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BackupTier.TYPE, name, {}, opts);
    const { tier } = args;
    this.job = new backup.Job(
      `${name}-job`,
      { ...tierJobInputs(tier), storage: args.storage },
      {
        parent: this,
        ...(args.adopt ? { import: tier.job, ignoreChanges: ADOPTED_JOB_PROPERTIES } : {}),
      },
    );
    this.registerOutputs({ job: this.job.id });
  }
}
