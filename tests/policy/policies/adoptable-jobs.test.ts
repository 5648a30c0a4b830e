import { adoptableJobs } from "../../../policy/policies/adoptable-jobs";
import { TestStack, check, clusterJob, homeStack, withCluster } from "../../support/policyStacks";

let home: TestStack;
beforeAll(async () => {
  home = await homeStack();
});

const P0 = "backup-home-p0-daily";
const onCluster = (overrides: Parameters<typeof clusterJob>[0]) =>
  withCluster(home, (c) => {
    c.jobs = c.jobs.filter((j) => j.id !== overrides.id);
    c.jobs.push(clusterJob(overrides));
  });

describe("adoptable-jobs", () => {
  it("passes the home stack: its jobs on the cluster select guests by vmid", () => {
    expect(check(home, adoptableJobs)).toEqual([]);
  });

  it("stops a cluster job under a stack job's id that backs up all guests: the update fails; switch it by hand first", () => {
    expect(check(onCluster({ id: P0, all: true }), adoptableJobs)).toEqual([
      {
        policy: "adoptable-jobs",
        level: "mandatory",
        urn: "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
        message:
          "job backup-home-p0-daily (tier P0) exists on the cluster and backs up all guests: the provider keeps 'all' from the job's state and sends it beside 'vmid', which PVE refuses (\"all: option conflicts with option 'vmid'\"), so pulumi up fails on this job. " +
          'Switch it to guests 100, 102 by hand first (`pvesh set /cluster/backup/backup-home-p0-daily --vmid 100,102`, or Datacenter → Backup → Edit → Selection mode "Include selected VMs"), then adopt it.',
      },
    ]);
  });

  it.each([
    [{ all: true, excludes: [104] }, "all guests but 104"],
    [{ excludes: [104] }, "all guests but 104"],
  ])("stops %j: backs up %s", (selection, text) => {
    const [violation] = check(onCluster({ id: P0, ...selection }), adoptableJobs);
    expect(violation.message).toContain(
      `job backup-home-p0-daily (tier P0) exists on the cluster and backs up ${text}:`,
    );
  });

  it("passes a pool job: the update deletes the pool and sets the tier's vmids, which PVE takes", () => {
    expect(check(onCluster({ id: P0, pool: "prod" }), adoptableJobs)).toEqual([]);
  });

  it("leaves jobs under other ids alone (unmanaged-jobs lists them), an id differing only in case among them", () => {
    expect(check(onCluster({ id: "backup-everything", all: true }), adoptableJobs)).toEqual([]);
    // PVE looks job ids up as written: BACKUP-HOME-P0-DAILY is not the stack's backup-home-p0-daily
    expect(check(onCluster({ id: "BACKUP-HOME-P0-DAILY", all: true }), adoptableJobs)).toEqual([]);
  });
});
