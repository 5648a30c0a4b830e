import { jobStorageExists } from "../../../policy/policies/job-storage-exists";
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

describe("job-storage-exists", () => {
  it("passes the home stack", () => {
    expect(check(home, jobStorageExists)).toEqual([]);
  });

  it("stops a stack job on a storage that exists nowhere (seed case), naming job and storage", () => {
    const stack = withJob(home, "backup-home-p1-daily", (p) => (p.storage = "synology-nas-storage"));
    const violations = check(stack, jobStorageExists);
    expect(violations).toEqual([
      {
        policy: "job-storage-exists",
        level: "mandatory",
        message: expect.stringMatching(
          /^job backup-home-p1-daily writes to storage synology-nas-storage, which is neither declared in the stack nor exists on the cluster/,
        ),
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p1-job",
      },
    ]);
  });

  it("checks a stray job on the cluster that the stack does not manage the same way (the home site's)", () => {
    const stack = withCluster(home, (c) =>
      c.jobs.push(clusterJob({ id: "backup-c1ff91b4-5175", storage: "synology-nas-storage", vmids: [103] })),
    );
    expect(messages(check(stack, jobStorageExists))).toEqual([
      expect.stringMatching(
        /^job backup-c1ff91b4-5175 \(on the cluster, not managed by this stack\) writes to storage synology-nas-storage, which is neither declared in the stack nor exists on the cluster/,
      ),
    ]);
  });

  it("stops a job on a storage without backup content: the stack's storage", () => {
    const stack = change(home, (s) => (storageProps(s, "synology-backups").contents = ["iso", "vztmpl"]));
    const found = messages(check(stack, jobStorageExists));
    expect(found.map((m) => m.split(" ")[1])).toEqual([
      "backup-home-p0-daily",
      "backup-home-p1-daily",
      "backup-home-p2-weekly",
    ]);
    expect(found).toContainEqual(
      expect.stringMatching(
        /^job backup-home-p1-daily writes to storage synology-backups, which does not accept backup content \(declared in the stack; content: iso,vztmpl\); add backup to its content$/,
      ),
    );
  });

  it("stops a job on a cluster storage without backup content", () => {
    const stack = withJob(home, "backup-home-p2-weekly", (p) => (p.storage = "local-lvm"));
    expect(messages(check(stack, jobStorageExists))).toEqual([
      expect.stringMatching(
        /^job backup-home-p2-weekly writes to storage local-lvm, which does not accept backup content \(on the cluster; content: images,rootdir\)/,
      ),
    ]);
  });

  it("treats a declared storage without content as PVE's default, which is not backup", () => {
    const stack = change(home, (s) => delete storageProps(s, "synology-backups").contents);
    expect(messages(check(stack, jobStorageExists))[0]).toMatch(
      /does not accept backup content \(declared in the stack; content: not set, PVE's default\)/,
    );
  });

  it("stops a job on a disabled storage, declared or on the cluster", () => {
    const declared = change(home, (s) => (storageProps(s, "synology-backups").disable = true));
    expect(messages(check(declared, jobStorageExists))[0]).toMatch(
      /writes to storage synology-backups, which is disabled \(declared in the stack\)/,
    );
    const onCluster = withCluster(
      withJob(home, "backup-home-p0-daily", (p) => (p.storage = "local")),
      (c) => {
        c.storages.find((s) => s.id === "local")!.disabled = true;
      },
    );
    expect(messages(check(onCluster, jobStorageExists))).toEqual([
      expect.stringMatching(/^job backup-home-p0-daily writes to storage local, which is disabled \(on the cluster\)/),
    ]);
  });

  it("stops a job whose node does not have the storage", () => {
    const stack = withJob(home, "backup-home-p0-daily", (p) => (p.node = "pve2"));
    expect(messages(check(stack, jobStorageExists))).toEqual([
      expect.stringMatching(
        /^job backup-home-p0-daily writes to storage synology-backups, which is not available on node pve2, the job's node \(declared in the stack; nodes: pve\)/,
      ),
    ]);
  });

  it("without a node, checks the nodes the job's guests live on", () => {
    const stack = withCluster(home, (c) => {
      c.nodes.push("pve2");
      c.guests.find((g) => g.vmid === 103)!.node = "pve2";
    });
    expect(messages(check(stack, jobStorageExists))).toEqual([
      expect.stringMatching(
        /^job backup-home-p1-daily writes to storage synology-backups, which is not available on node pve2 \(where guest 103 runs\)/,
      ),
    ]);
  });

  it("with a node offline: a cluster storage's availability there, and a storage not found, are unknown", () => {
    const stray = clusterJob({ id: "stray", storage: "local", node: "pve2", vmids: [] });
    const online = withCluster(home, (c) => {
      c.nodes.push("pve2");
      c.jobs.push(stray, clusterJob({ id: "elsewhere", storage: "pve2-disk", vmids: [] }));
    });
    expect(messages(check(online, jobStorageExists))).toEqual([
      expect.stringMatching(/^job stray .* storage local, which is not available on node pve2, the job's node/),
      expect.stringMatching(/^job elsewhere .* storage pve2-disk, which is neither declared in the stack nor exists/),
    ]);
    const offline = withCluster(online, (c) => (c.offlineNodes = ["pve2"]));
    expect(check(offline, jobStorageExists)).toEqual([]);
    // A storage the stack declares says its own nodes: still judged.
    const declared = withJob(offline, "backup-home-p0-daily", (p) => (p.node = "pve2"));
    expect(messages(check(declared, jobStorageExists))).toEqual([
      expect.stringMatching(
        /^job backup-home-p0-daily writes to storage synology-backups, which is not available on node pve2/,
      ),
    ]);
  });

  it("accepts a job on a storage the stack is about to create, though the cluster lacks it", () => {
    const stack = withCluster(home, (c) => (c.storages = c.storages.filter((s) => s.id !== "synology-backups")));
    expect(check(stack, jobStorageExists)).toEqual([]);
  });

  it("judges an adopted job by the stack's desired state, not the cluster's", () => {
    const stack = withCluster(
      home,
      (c) => (c.jobs.find((j) => j.id === "backup-home-p0-daily")!.storage = "synology-nas-storage"),
    );
    expect(check(stack, jobStorageExists)).toEqual([]);
  });

  describe("during preview (unknown values)", () => {
    it("skips a job whose storage is unknown (taken from a storage being created)", () => {
      const stack = withJob(home, "backup-home-p1-daily", (p) => (p.storage = UNKNOWN_VALUE));
      expect(check(stack, jobStorageExists)).toEqual([]);
    });

    it("reports nothing missing while a declared storage's id is unknown", () => {
      const stack = change(
        withJob(home, "backup-home-p1-daily", (p) => (p.storage = "synology-nas-storage")),
        (s) => {
          storageProps(s, "synology-backups").resourceId = UNKNOWN_VALUE;
        },
      );
      expect(check(stack, jobStorageExists)).toEqual([]);
    });

    it("skips the content and node checks when those are unknown", () => {
      const stack = change(home, (s) => {
        storageProps(s, "synology-backups").contents = UNKNOWN_VALUE;
        storageProps(s, "synology-backups").nodes = ["pve", UNKNOWN_VALUE];
      });
      expect(
        check(
          withJob(stack, "backup-home-p0-daily", (p) => (p.node = "pve2")),
          jobStorageExists,
        ),
      ).toEqual([]);
    });
  });
});
