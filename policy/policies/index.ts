/**
 * The pack's policies, mandatory first: one list for the pack (policy/index.ts) and for the
 * in-process evaluator (commands/evaluate.ts), so the two can never judge different things.
 */
import type { Policies } from "@pulumi/policy";
import { criticalTiersNotify } from "./critical-tiers-notify";
import { everyGuestInATier } from "./every-guest-in-a-tier";
import { jobStorageExists } from "./job-storage-exists";
import { jobsEnabled } from "./jobs-enabled";
import { retentionBounded } from "./retention-bounded";
import { staggeredStarts } from "./staggered-starts";
import { unmanagedJobs } from "./unmanaged-jobs";

export const policies: Policies = [
  everyGuestInATier,
  jobStorageExists,
  jobsEnabled,
  retentionBounded,
  criticalTiersNotify,
  staggeredStarts,
  unmanagedJobs,
];
