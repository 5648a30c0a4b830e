import { oneJobPerGuestAndStorage } from "../../../policy/policies/one-job-per-guest-and-storage";
import { TestStack, check, clusterJob, homeStack, messages, withCluster, withJob } from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("one-job-per-guest-and-storage", () => {
  it("passes the home stack: each guest is written to synology-backups by one job", () => {
    expect(check(home, oneJobPerGuestAndStorage)).toEqual([]);
  });

  it("stops a hand-made job writing a tier's guest to the same storage, naming both jobs and their retention", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(clusterJob({ id: "nightly-all", vmids: [100], pruneBackups: { "keep-last": 1 } })),
    );
    expect(check(stack, oneJobPerGuestAndStorage)).toEqual([
      expect.objectContaining({
        policy: "one-job-per-guest-and-storage",
        level: "mandatory",
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
        message: expect.stringMatching(
          /^VM 100 \(home-assistant\) is backed up to storage synology-backups by 2 enabled jobs: backup-home-p0-daily \(tier P0\), keeping keep-last=3; nightly-all \(on the cluster, not managed by this stack\), keeping keep-last=1\. PVE prunes every backup of a guest on a storage after each run, whichever job wrote it/,
        ),
      }),
    ]);
  });

  it("groups the guests two jobs share; a job of all guests overlaps every tier on its storage", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(clusterJob({ id: "everything", all: true, excludes: [105], pruneBackups: undefined })),
    );
    expect(messages(check(stack, oneJobPerGuestAndStorage))).toEqual([
      expect.stringMatching(/^VM 100 \(home-assistant\), VM 102 \(vaultwarden\) are backed up .* backup-home-p0-daily/),
      expect.stringMatching(/^LXC 103 \(download\) is backed up .* backup-home-p1-daily/),
      expect.stringMatching(
        /^VM 101 \(immich\) is backed up .* backup-home-p2-weekly \(tier P2\), keeping keep-last=2; everything \(on the cluster, not managed by this stack\), keeping the storage's keep-last=3\./,
      ),
    ]);
  });

  it("allows the same guest on another storage, or by a disabled job, or by a job limited to another node", () => {
    const job = clusterJob({ id: "copy", vmids: [100] });
    expect(
      check(
        withCluster(home, (c) => c.jobs.push({ ...job, storage: "local" })),
        oneJobPerGuestAndStorage,
      ),
    ).toEqual([]);
    expect(
      check(
        withCluster(home, (c) => c.jobs.push({ ...job, enabled: false })),
        oneJobPerGuestAndStorage,
      ),
    ).toEqual([]);
    expect(
      check(
        withCluster(home, (c) => c.jobs.push({ ...job, node: "pve2" })),
        oneJobPerGuestAndStorage,
      ),
    ).toEqual([]);
  });

  it("judges two stack jobs the same way", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.vmids as string[]).push("101"));
    expect(messages(check(stack, oneJobPerGuestAndStorage))).toEqual([
      expect.stringMatching(
        /^VM 101 \(immich\) is backed up to storage synology-backups by 2 enabled jobs: backup-home-p1-daily \(tier P1\), keeping keep-last=3; backup-home-p2-weekly \(tier P2\), keeping keep-last=2/,
      ),
    ]);
  });
});

describe("pool jobs (issue 19): PVE resolves a pool at every run, so its guests are its selection", () => {
  const poolJob = clusterJob({ id: "backup-pool-prod", pool: "prod", vmids: [], pruneBackups: { "keep-last": 1 } });

  it("stops a pool job on a tier's storage whose pool holds a tier guest", () => {
    const stack = withCluster(home, (c) => {
      c.jobs.push(poolJob);
      c.pools = [{ id: "prod", vmids: [100, 999] }];
    });
    expect(messages(check(stack, oneJobPerGuestAndStorage))).toEqual([
      expect.stringMatching(
        /^VM 100 \(home-assistant\) is backed up to storage synology-backups by 2 enabled jobs: backup-home-p0-daily \(tier P0\), keeping keep-last=3; backup-pool-prod \(on the cluster, not managed by this stack\), keeping keep-last=1\./,
      ),
    ]);
  });

  it("passes a pool without tier guests, and a pool whose members discovery could not read", () => {
    const otherPool = withCluster(home, (c) => {
      c.jobs.push(poolJob);
      c.pools = [{ id: "prod", vmids: [999] }];
    });
    expect(check(otherPool, oneJobPerGuestAndStorage)).toEqual([]);
    const unread = withCluster(home, (c) => {
      c.jobs.push(poolJob);
      c.pools = [];
    });
    expect(check(unread, oneJobPerGuestAndStorage)).toEqual([]);
  });
});
