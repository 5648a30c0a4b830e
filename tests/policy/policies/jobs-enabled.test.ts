import { jobsEnabled } from "../../../policy/policies/jobs-enabled";
import {
  TestStack,
  UNKNOWN_VALUE,
  check,
  clusterJob,
  homeStack,
  withCluster,
  withJob,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("jobs-enabled", () => {
  it("passes the home stack", () => {
    expect(check(home, jobsEnabled)).toEqual([]);
  });

  it("stops a disabled job (seed case), naming the job, its guests and storage, at its URN", () => {
    const stack = withJob(home, "backup-home-p2-weekly", (p) => (p.enabled = false));
    expect(check(stack, jobsEnabled)).toEqual([
      {
        policy: "jobs-enabled",
        level: "mandatory",
        message:
          "job backup-home-p2-weekly is disabled (enabled: false): PVE keeps it but never runs it, so guests 101, 105 get no backups on storage synology-backups. Enable it, or remove the tier.",
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p2-job",
      },
    ]);
  });

  it("treats an absent enabled flag as enabled (the provider's default)", () => {
    const stack = withJob(home, "backup-home-p2-weekly", (p) => delete p.enabled);
    expect(check(stack, jobsEnabled)).toEqual([]);
  });

  it("stops a disabled job on the cluster that the stack does not manage", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(clusterJob({ id: "backup-c1ff91b4-5175", enabled: false, vmids: [999], storage: "local" })),
    );
    expect(check(stack, jobsEnabled).map((v) => [v.level, v.message])).toEqual([
      [
        "mandatory",
        "job backup-c1ff91b4-5175 is disabled (enabled: false): PVE keeps it but never runs it, so guests 999 get no backups on storage local. Enable it on the cluster, adopt it into a tier, or delete it.",
      ],
    ]);
  });

  it("does not claim a tier guest gets no backups because a disabled hand-made job also names it (issue 19)", () => {
    const stack = withCluster(home, (c) => {
      c.jobs.push(clusterJob({ id: "old-nightly", enabled: false, vmids: [100], storage: "local" }));
      c.jobs.push(clusterJob({ id: "old-mixed", enabled: false, vmids: [101, 999], storage: "local" }));
    });
    expect(check(stack, jobsEnabled).map((v) => v.message)).toEqual([
      "job old-nightly is disabled (enabled: false): PVE keeps it but never runs it, so it writes nothing on storage local, though none of its guests goes without: guest 100 is backed up by backup-home-p0-daily (tier P0). Enable it on the cluster, adopt it into a tier, or delete it.",
      "job old-mixed is disabled (enabled: false): PVE keeps it but never runs it, so guests 999 get no backups on storage local (guest 101 is backed up by backup-home-p2-weekly (tier P2)). Enable it on the cluster, adopt it into a tier, or delete it.",
    ]);
  });

  it("judges an adopted job by the stack's config, not by its disabled state on the cluster", () => {
    const stack = withCluster(home, (c) => {
      const job = c.jobs.find((j) => j.id === "backup-home-p0-daily");
      if (job) job.enabled = false;
    });
    expect(check(stack, jobsEnabled)).toEqual([]);
  });

  it("skips an enabled flag unknown during preview, and a disabled job's unknown vmids", () => {
    expect(
      check(
        withJob(home, "backup-home-p2-weekly", (p) => (p.enabled = UNKNOWN_VALUE)),
        jobsEnabled,
      ),
    ).toEqual([]);
    const partlyUnknown = withJob(home, "backup-home-p2-weekly", (p) => {
      p.enabled = false;
      p.vmids = UNKNOWN_VALUE;
      p.storage = UNKNOWN_VALUE;
    });
    expect(check(partlyUnknown, jobsEnabled).map((v) => v.message)).toEqual([
      "job backup-home-p2-weekly is disabled (enabled: false): PVE keeps it but never runs it, so its guests get no backups. Enable it, or remove the tier.",
    ]);
  });
});
