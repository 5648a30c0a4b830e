import type { StackValidationPolicy } from "@pulumi/policy";
import { describeGuest, describeJob, describeRetention, jobOrigin, jobSelection } from "../pveRules";
import { JobView, stackView } from "../stackView";

/**
 * one-job-per-guest-and-storage (mandatory). Protects against two jobs pruning each other: after
 * each guest's backup PVE prunes every backup of that guest on the storage, whichever job wrote
 * it. A guest that two enabled jobs write to one storage (a tier's job and a hand-made "back up
 * everything" job, say) keeps only what the smaller retention allows: the weekly job's keep-last=4
 * is eaten by the nightly job's keep-last=3 within days. Every guest is written to a storage by one
 * enabled job at most, counting the stack's jobs and the cluster's unmanaged ones (a cluster job
 * with a stack job's id is judged by the stack's desired state). Each violation names the jobs and
 * the retention each ends with.
 */
export const oneJobPerGuestAndStorage: StackValidationPolicy = {
  name: "one-job-per-guest-and-storage",
  description:
    "No guest is backed up to one storage by two enabled jobs (PVE's pruning after each run would delete the other job's backups).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const view = stackView(args.resources);

    // (storage, vmid) → the enabled jobs that write the guest there.
    const writers = new Map<string, { storage: string; vmid: number; jobs: number[] }>();
    view.jobs.forEach((job, index) => {
      if (job.enabled !== true || typeof job.storage !== "string" || job.storage === "") return;
      for (const vmid of new Set(jobSelection(job, view).vmids)) {
        const key = `${job.storage}\n${vmid}`;
        const entry = writers.get(key) ?? { storage: job.storage, vmid, jobs: [] };
        entry.jobs.push(index);
        writers.set(key, entry);
      }
    });

    // One violation per storage and set of jobs, with all the guests they share there.
    const groups = new Map<string, { storage: string; jobs: JobView[]; vmids: number[] }>();
    for (const { storage, vmid, jobs } of writers.values()) {
      if (jobs.length < 2) continue;
      const key = `${storage}\n${jobs.join(",")}`;
      const group = groups.get(key) ?? { storage, jobs: jobs.map((i) => view.jobs[i]), vmids: [] };
      group.vmids.push(vmid);
      groups.set(key, group);
    }
    for (const { storage, jobs, vmids } of groups.values()) {
      vmids.sort((a, b) => a - b);
      const guests = vmids.map((vmid) => {
        const g = view.guestByVmid.get(vmid);
        return g ? describeGuest(g) : `guest ${vmid}`;
      });
      const named = jobs.map((j) => `${describeJob(j)}${jobOrigin(j)}, keeping ${describeRetention(j, view)}`);
      reportViolation(
        `${guests.join(", ")} ${vmids.length > 1 ? "are" : "is"} backed up to storage ${storage} by ${jobs.length} enabled jobs: ${named.join("; ")}. ` +
          `PVE prunes every backup of a guest on a storage after each run, whichever job wrote it, so each job's retention deletes the other's backups. ` +
          `Write each guest to a storage with one job: remove it from all but one, or send one of them to another storage.`,
        jobs.find((j) => j.urn)?.urn,
      );
    }
  },
};
