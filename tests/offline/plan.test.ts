/**
 * The plan against the cluster: the home stack's jobs and storage (from one run of the real program,
 * adopt off and on) compared with the home snapshot and with changed copies of it.
 */
import * as fs from "fs";
import * as path from "path";
import { RegisteredResource, runProgramOffline } from "../../offline/preview";
import { PlanStep, computePlan } from "../../offline/plan";
import { ClusterSnapshot, parseClusterSnapshot } from "../../pve/snapshot";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const snapshotFile = path.join(__dirname, "../../examples/home-cluster.json");
const home = parseClusterSnapshot(fs.readFileSync(snapshotFile, "utf8"), snapshotFile);

let declared: RegisteredResource[];
let adopting: RegisteredResource[];
beforeAll(async () => {
  declared = (await runProgramOffline({ stack: "home", stackDir: FIXTURE_STACK_DIR, snapshot: home })).resources;
  adopting = (
    await runProgramOffline({
      stack: "home",
      stackDir: FIXTURE_STACK_DIR,
      snapshot: home,
      config: { "pve-backup-tiers:adopt": "true" },
    })
  ).resources;
});

/** The home snapshot with one change. */
function snapshotWith(change: (s: ClusterSnapshot) => void): ClusterSnapshot {
  const copy = structuredClone(home);
  change(copy);
  return copy;
}

const job = (s: ClusterSnapshot, id: string) => s.backup.find((j) => j.id === id)!;
const stepOf = (steps: PlanStep[], id: string) => steps.find((s) => s.id === id)!;

describe("the home snapshot (its three jobs disabled by hand)", () => {
  test("each job goes from disabled to enabled, and nothing else changes", () => {
    const { steps } = computePlan(declared, home);
    expect(steps).toEqual([
      {
        urn: "urn:pulumi:home::pve-backup-tiers::proxmoxve:storage/nfs:Nfs::storage-synology-backups",
        type: "proxmoxve:storage/nfs:Nfs",
        id: "synology-backups",
        action: "same",
        changes: [],
      },
      ...["p0-daily", "p1-daily", "p2-weekly"].map((suffix) => ({
        urn: `urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-${suffix.slice(0, 2)}-job`,
        type: "proxmoxve:backup/job:Job",
        id: `backup-home-${suffix}`,
        action: "update",
        changes: [{ property: "enabled", from: false, to: true }],
      })),
    ]);
  });

  test("the cluster's own storages are listed as untouched", () => {
    expect(computePlan(declared, home).untouched).toEqual([
      { kind: "storage", id: "local", summary: "dir, iso,vztmpl,backup" },
      { kind: "storage", id: "local-lvm", summary: "lvmthin, rootdir,images" },
    ]);
  });
});

describe("updates: each changed property, as PVE writes it", () => {
  test("schedule, guests, retention and mail of a job made by hand differently", () => {
    const snapshot = snapshotWith((s) => {
      const p0 = job(s, "backup-home-p0-daily");
      Object.assign(p0, { enabled: true, schedule: "02:00", vmid: "102", "prune-backups": "keep-all=1" });
      delete p0.mailto;
    });
    expect(stepOf(computePlan(declared, snapshot).steps, "backup-home-p0-daily")).toMatchObject({
      action: "update",
      changes: [
        { property: "schedule", from: "02:00", to: "03:00" },
        { property: "vmid", from: "102", to: "100,102" },
        { property: "prune-backups", from: "keep-all=1", to: "keep-last=3" },
        { property: "mailto", from: null, to: "admin@home.arpa" },
      ],
    });
  });

  test("PVE's defaults count as the cluster's values: an unset compress is 0", () => {
    const snapshot = snapshotWith((s) => delete job(s, "backup-home-p1-daily").compress);
    expect(stepOf(computePlan(declared, snapshot).steps, "backup-home-p1-daily").changes).toContainEqual({
      property: "compress",
      from: "0",
      to: "zstd",
    });
  });

  test("a property the stack does not set is left as the cluster has it", () => {
    const snapshot = snapshotWith((s) => (job(s, "backup-home-p1-daily").mailnotification = "failure"));
    expect(stepOf(computePlan(declared, snapshot).steps, "backup-home-p1-daily").changes).toEqual([
      { property: "enabled", from: false, to: true },
    ]);
  });

  test("job ids compare as PVE looks them up, case and all: a job differing in case is another job", () => {
    const snapshot = snapshotWith((s) => (job(s, "backup-home-p2-weekly").id = "Backup-Home-P2-Weekly"));
    const plan = computePlan(declared, snapshot);
    expect(stepOf(plan.steps, "backup-home-p2-weekly").action).toBe("create");
    expect(plan.untouched.map((u) => u.id)).toContain("Backup-Home-P2-Weekly");
  });

  test("the storage's retention and content", () => {
    const snapshot = snapshotWith((s) => {
      const nas = s.storage.find((x) => x.storage === "synology-backups")!;
      Object.assign(nas, { "prune-backups": "keep-last=7", content: "backup,iso" });
    });
    expect(stepOf(computePlan(declared, snapshot).steps, "synology-backups")).toMatchObject({
      action: "update",
      changes: [
        { property: "content", from: "backup,iso", to: "backup" },
        { property: "prune-backups", from: "keep-last=7", to: "keep-last=3" },
      ],
    });
  });

  test("a storage on another NFS export cannot be updated in place: the plan says why", () => {
    const snapshot = snapshotWith((s) => (s.storage.find((x) => x.storage === "synology-backups")!.export = "/old"));
    const step = stepOf(computePlan(declared, snapshot).steps, "synology-backups");
    expect(step.changes).toEqual([{ property: "export", from: "/old", to: "/volume1/proxmox-backups" }]);
    expect(step.problem).toMatch(
      /PVE cannot change export of a storage: the provider would replace it, which protect stops/,
    );
  });
});

describe("create, adopt and untouched", () => {
  test("a job not on the cluster is created with what the stack sets", () => {
    const snapshot = snapshotWith((s) => (s.backup = s.backup.filter((j) => j.id !== "backup-home-p1-daily")));
    expect(stepOf(computePlan(declared, snapshot).steps, "backup-home-p1-daily")).toMatchObject({
      action: "create",
      changes: [
        { property: "enabled", from: null, to: true },
        { property: "schedule", from: null, to: "03:15" },
        { property: "storage", from: null, to: "synology-backups" },
        { property: "vmid", from: null, to: "103" },
        { property: "mode", from: null, to: "snapshot" },
        { property: "compress", from: null, to: "zstd" },
        { property: "prune-backups", from: null, to: "keep-last=3" },
        {
          property: "notes-template",
          from: null,
          to: "{{guestname}} ({{vmid}}) - tier P1: important, daily - job backup-home-p1-daily",
        },
      ],
    });
  });

  test("with adopt on, each job and the storage are adopted; the changes are what the next update converges", () => {
    const { steps } = computePlan(adopting, home);
    expect(steps.map((s) => [s.id, s.action, s.changes.map((c) => c.property)])).toEqual([
      ["synology-backups", "adopt", []],
      ["backup-home-p0-daily", "adopt", ["enabled"]],
      ["backup-home-p1-daily", "adopt", ["enabled"]],
      ["backup-home-p2-weekly", "adopt", ["enabled"]],
    ]);
  });

  test("adopting a job that is not on the cluster: the import fails, and the plan says so", () => {
    const snapshot = snapshotWith((s) => (s.backup = s.backup.filter((j) => j.id !== "backup-home-p0-daily")));
    expect(stepOf(computePlan(adopting, snapshot).steps, "backup-home-p0-daily")).toMatchObject({
      action: "adopt",
      problem: "backup-home-p0-daily is not on the cluster: the import fails; turn adopt off to create it",
    });
  });

  test("a job on the cluster that the stack does not manage is untouched, with what it does", () => {
    const snapshot = snapshotWith((s) =>
      s.backup.push({
        id: "backup-c1ff91b4-5175",
        schedule: "sun 01:00",
        storage: "synology-nas-storage",
        vmid: "100",
        enabled: false,
      }),
    );
    expect(computePlan(declared, snapshot).untouched).toContainEqual({
      kind: "job",
      id: "backup-c1ff91b4-5175",
      summary: "sun 01:00 to synology-nas-storage, guests 100, disabled",
    });
  });
});
