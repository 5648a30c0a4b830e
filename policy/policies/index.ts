/**
 * The pack's policies, mandatory first: one list for the pack (policy/index.ts) and for the
 * in-process evaluator (offline/evaluate.ts), so the two can never judge different things.
 */
import type { Policies } from "@pulumi/policy";
import { adoptableJobs } from "./adoptable-jobs";
import { criticalTiersNotify } from "./critical-tiers-notify";
import { everyGuestInATier } from "./every-guest-in-a-tier";
import { jobStorageExists } from "./job-storage-exists";
import { jobsEnabled } from "./jobs-enabled";
import { nodesOnline } from "./nodes-online";
import { oneJobPerGuestAndStorage } from "./one-job-per-guest-and-storage";
import { retentionBounded } from "./retention-bounded";
import { scheduleWarnings } from "./schedule-warnings";
import { schedulesRecur } from "./schedules-recur";
import { schedulesRun } from "./schedules-run";
import { staggeredStarts } from "./staggered-starts";
import { tierGuestsExist } from "./tier-guests-exist";
import { unmanagedJobs } from "./unmanaged-jobs";

export const policies: Policies = [
  everyGuestInATier,
  tierGuestsExist,
  jobStorageExists,
  jobsEnabled,
  schedulesRun,
  schedulesRecur,
  retentionBounded,
  oneJobPerGuestAndStorage,
  adoptableJobs,
  criticalTiersNotify,
  staggeredStarts,
  scheduleWarnings,
  unmanagedJobs,
  nodesOnline,
];
