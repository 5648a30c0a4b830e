import { retentionBounded } from "../../../policy/policies/retention-bounded";
import {
  TestStack,
  UNKNOWN_VALUE,
  change,
  check,
  clusterJob,
  homeStack,
  messages,
  storageProps,
  withCluster,
  withJob,
} from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

describe("retention-bounded", () => {
  it("passes the home stack", () => {
    expect(check(home, retentionBounded)).toEqual([]);
  });

  it("stops a job with keep-all retention (seed case), naming the job", () => {
    const stack = withJob(home, "backup-home-p0-daily", (p) => (p.pruneBackups = { "keep-all": "1" }));
    expect(check(stack, retentionBounded)).toEqual([
      {
        policy: "retention-bounded",
        level: "mandatory",
        message: expect.stringMatching(
          /^job backup-home-p0-daily keeps every backup forever: its prune-backups keep-all=1 is keep-all/,
        ),
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
      },
    ]);
  });

  it("stops a job whose every keep-* is 0 (PVE then keeps all)", () => {
    const stack = withJob(home, "backup-home-p0-daily", (p) => (p.pruneBackups = { "keep-last": "0" }));
    expect(messages(check(stack, retentionBounded))).toEqual([
      expect.stringMatching(/keep-last=0 is keep-all \(every keep-\* is 0\)/),
    ]);
  });

  it("falls back to the declared storage's retention when the job sets none", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => delete p.pruneBackups);
    expect(check(stack, retentionBounded)).toEqual([]);
    expect(
      check(
        withJob(home, "backup-home-p1-daily", (p) => (p.pruneBackups = {})),
        retentionBounded,
      ),
    ).toEqual([]);
  });

  it("stops keep-all by default: neither the job nor its storage sets retention (seed case)", () => {
    const stack = change(
      withJob(home, "backup-home-p1-daily", (p) => delete p.pruneBackups),
      (s) => delete storageProps(s, "synology-backups").backups,
    );
    expect(messages(check(stack, retentionBounded))).toEqual([
      expect.stringMatching(
        /^job backup-home-p1-daily sets no prune-backups of its own and storage synology-backups sets none either, so PVE keeps every backup forever \(keep-all, its default\)/,
      ),
    ]);
  });

  it("stops a storage that keeps all, when the job relies on it", () => {
    const stack = change(
      withJob(home, "backup-home-p1-daily", (p) => delete p.pruneBackups),
      (s) => (storageProps(s, "synology-backups").backups = { keepAll: true }),
    );
    expect(messages(check(stack, retentionBounded))).toEqual([
      expect.stringMatching(/storage synology-backups keeps every backup forever \(keep-all=1\)/),
    ]);
  });

  it("stops a job without retention on a storage the stack does not declare (its retention is unknown here)", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => {
      delete p.pruneBackups;
      p.storage = "local";
    });
    expect(messages(check(stack, retentionBounded))).toEqual([
      expect.stringMatching(
        /^job backup-home-p1-daily sets no prune-backups of its own, and storage local is not declared in the stack, so its retention is unknown here/,
      ),
    ]);
  });

  it("checks jobs on the cluster that the stack does not manage", () => {
    const stack = withCluster(home, (c) => c.jobs.push(clusterJob({ id: "stray", pruneBackups: { "keep-all": 1 } })));
    expect(messages(check(stack, retentionBounded))).toEqual([
      expect.stringMatching(/^job stray \(on the cluster, not managed by this stack\) keeps every backup forever/),
    ]);
  });

  it("accepts the deprecated maxfiles as keep-last", () => {
    const stack = change(
      withJob(home, "backup-home-p1-daily", (p) => {
        delete p.pruneBackups;
        p.maxfiles = 3;
      }),
      (s) => delete storageProps(s, "synology-backups").backups,
    );
    expect(check(stack, retentionBounded)).toEqual([]);
  });

  describe("during preview (unknown values)", () => {
    it("skips a job whose prune-backups (or a value in it) is unknown", () => {
      expect(
        check(
          withJob(home, "backup-home-p0-daily", (p) => (p.pruneBackups = UNKNOWN_VALUE)),
          retentionBounded,
        ),
      ).toEqual([]);
      expect(
        check(
          withJob(home, "backup-home-p0-daily", (p) => (p.pruneBackups = { "keep-last": UNKNOWN_VALUE })),
          retentionBounded,
        ),
      ).toEqual([]);
    });

    it("skips the storage fallback when the storage's retention or the job's storage is unknown", () => {
      const noOwn = withJob(home, "backup-home-p1-daily", (p) => delete p.pruneBackups);
      expect(
        check(
          change(noOwn, (s) => (storageProps(s, "synology-backups").backups = UNKNOWN_VALUE)),
          retentionBounded,
        ),
      ).toEqual([]);
      expect(
        check(
          change(noOwn, (s) => (storageProps(s, "synology-backups").backups = { keepLast: UNKNOWN_VALUE })),
          retentionBounded,
        ),
      ).toEqual([]);
      expect(
        check(
          withJob(noOwn, "backup-home-p1-daily", (p) => (p.storage = UNKNOWN_VALUE)),
          retentionBounded,
        ),
      ).toEqual([]);
    });
  });
});
