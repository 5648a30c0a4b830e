/**
 * The real program (index.ts with Pulumi.home.yaml) under Pulumi's mocks, its data sources answered
 * from the home cluster snapshot: what it declares, and what it refuses to declare.
 */
import * as fs from "fs";
import * as path from "path";
import { OfflineRun, RegisteredResource, runProgramOffline } from "../../commands/offline";
import { SITE_KEY } from "../../tiers/config";
import { parseClusterSnapshot } from "../../tiers/snapshot";
import { readStackFile } from "../../tiers/stackConfig";

const snapshotFile = path.join(__dirname, "../../examples/home-cluster.json");
const homeSnapshot = parseClusterSnapshot(fs.readFileSync(snapshotFile, "utf8"), snapshotFile);
const homeSite = JSON.parse(readStackFile(path.join(__dirname, "../.."), "home").config[SITE_KEY]);

/** Runs index.ts afresh (its own module registry) so each case sees only its own registrations. */
function run(
  config: Record<string, string> = {},
  snapshot = homeSnapshot,
  sink: RegisteredResource[] = [],
  secretKeys: string[] = [],
): Promise<OfflineRun> {
  return runProgramOffline({ stack: "home", snapshot, config, secretKeys, sink });
}

function withSite(change: (site: any) => void): Record<string, string> {
  const site = structuredClone(homeSite);
  change(site);
  return { [SITE_KEY]: JSON.stringify(site) };
}

const byType = (resources: RegisteredResource[], type: string) => resources.filter((r) => r.type === type);

describe("the home site", () => {
  let home: OfflineRun;
  beforeAll(async () => {
    home = await run();
  });

  test("declares exactly the NFS storage, three tiers and their three jobs", () => {
    expect(home.resources.map((r) => `${r.type} ${r.name}`).sort()).toEqual([
      "proxmoxve:backup/job:Job tier-p0-job",
      "proxmoxve:backup/job:Job tier-p1-job",
      "proxmoxve:backup/job:Job tier-p2-job",
      "proxmoxve:storage/nfs:Nfs storage-synology-backups",
      "pve-backup-tiers:backup:Tier tier-p0",
      "pve-backup-tiers:backup:Tier tier-p1",
      "pve-backup-tiers:backup:Tier tier-p2",
    ]);
  });

  test("the storage: synology-backups on the NAS, backup content, node pve, keep-last=3", () => {
    const [nfs] = byType(home.resources, "proxmoxve:storage/nfs:Nfs");
    expect(nfs.props).toEqual({
      resourceId: "synology-backups",
      server: "10.0.0.150",
      export: "/volume1/proxmox-backups",
      contents: ["backup"],
      nodes: ["pve"],
      backups: { keepLast: 3 },
    });
    expect(nfs.importId).toBeUndefined();
  });

  test("the jobs: ids, schedules, guests, retention, enabled, mail", () => {
    const jobs = Object.fromEntries(
      byType(home.resources, "proxmoxve:backup/job:Job").map((j) => [j.props.resourceId, j.props]),
    );
    expect(Object.keys(jobs).sort()).toEqual(["backup-home-p0-daily", "backup-home-p1-daily", "backup-home-p2-weekly"]);
    expect(jobs["backup-home-p0-daily"]).toEqual({
      resourceId: "backup-home-p0-daily",
      schedule: "03:00",
      storage: "synology-backups",
      vmids: ["100", "102"],
      mode: "snapshot",
      compress: "zstd",
      pruneBackups: { "keep-last": "3" },
      enabled: true,
      mailtos: ["admin@home.arpa"],
      mailnotification: "always",
      notesTemplate: "{{guestname}} ({{vmid}}) - tier P0: critical, daily - job backup-home-p0-daily",
    });
    expect(jobs["backup-home-p1-daily"]).toMatchObject({
      schedule: "03:15",
      vmids: ["103"],
      pruneBackups: { "keep-last": "3" },
      enabled: true,
    });
    expect(jobs["backup-home-p1-daily"].mailtos).toBeUndefined();
    expect(jobs["backup-home-p2-weekly"]).toMatchObject({
      schedule: "sun 04:00",
      vmids: ["101", "105"],
      pruneBackups: { "keep-last": "2" },
      enabled: true,
    });
    for (const job of Object.values(jobs)) expect((job as { storage: string }).storage).toBe("synology-backups");
  });

  test("exports the discovered cluster and each guest's tier", () => {
    expect(home.outputs.timezone).toBe("America/New_York");
    expect(home.outputs.cluster.nodes).toEqual(["pve"]);
    expect(home.outputs.cluster.storages.map((s) => [s.id, s.content, s.nodes, s.disabled])).toEqual([
      ["local", ["backup", "iso", "vztmpl"], ["pve"], false],
      ["local-lvm", ["images", "rootdir"], ["pve"], false],
      ["synology-backups", ["backup"], ["pve"], false],
    ]);
    expect(home.outputs.cluster.jobs.map((j) => [j.id, j.enabled, j.vmids, j.pruneBackups])).toEqual([
      ["backup-home-p0-daily", true, [100, 102], { "keep-last": 3 }],
      ["backup-home-p1-daily", true, [103], { "keep-last": 3 }],
      ["backup-home-p2-weekly", true, [101, 105], { "keep-last": 2 }],
    ]);
    expect(home.outputs.coverage.map((c) => `${c.kind} ${c.vmid} ${c.name} ${c.tier}`)).toEqual([
      "qemu 100 home-assistant P0",
      "qemu 101 immich P2",
      "qemu 102 vaultwarden P0",
      "lxc 103 download P1",
      "lxc 105 pihole P2",
    ]);
    expect(home.outputs.tiers.map((t) => [t.id, t.job, t.critical, t.mailto])).toEqual([
      ["P0", "backup-home-p0-daily", true, ["admin@home.arpa"]],
      ["P1", "backup-home-p1-daily", false, []],
      ["P2", "backup-home-p2-weekly", false, []],
    ]);
  });

  test("a tier's frequent flag travels in its summary (default false)", async () => {
    expect(home.outputs.tiers.map((t) => t.frequent)).toEqual([false, false, false]);
    const result = await run(withSite((s) => Object.assign(s.tiers[1], { schedule: "hourly", frequent: true })));
    expect(result.outputs.tiers[1]).toMatchObject({ id: "P1", schedule: "hourly", frequent: true });
  });

  test("a guest the config does not name shows in the coverage with no tier", async () => {
    const snapshot = structuredClone(homeSnapshot);
    snapshot.resources.push({ type: "lxc", vmid: 104, name: "nextcloud", node: "pve", template: false });
    const result = await run({}, snapshot);
    expect(result.outputs.coverage.find((c) => c.vmid === 104)).toMatchObject({
      kind: "lxc",
      name: "nextcloud",
      tier: null,
    });
  });

  test("adopt imports the existing jobs and storage by their ids", async () => {
    const result = await run({ "pve-backup-tiers:adopt": "true" });
    const imports = result.resources.filter((r) => r.custom).map((r) => [r.type, r.importId]);
    expect(imports.sort()).toEqual([
      ["proxmoxve:backup/job:Job", "backup-home-p0-daily"],
      ["proxmoxve:backup/job:Job", "backup-home-p1-daily"],
      ["proxmoxve:backup/job:Job", "backup-home-p2-weekly"],
      ["proxmoxve:storage/nfs:Nfs", "synology-backups"],
    ]);
  });
});

describe("bad config stops the program before anything is declared", () => {
  test.each([
    ["a schedule PVE rejects", withSite((s) => (s.tiers[0].schedule = "daily 03:00")), "tiers[0].schedule"],
    ["a tier on a missing storage", withSite((s) => (s.tiers[1].storage = "synology-nas-storage")), "tiers[1].storage"],
    ["an unknown key", withSite((s) => (s.storage = [])), `${SITE_KEY}.storage: unknown key`],
    [
      "keep-all retention",
      withSite((s) => (s.storages[0].retention = { "keep-all": true })),
      "storages[0].retention.keep-all",
    ],
    [
      "an API token in plain text",
      { "proxmoxve:apiToken": "root@pam!x=secret" },
      "proxmoxve:apiToken: is stored in plain text",
    ],
  ])("%s", async (_name, config, expected) => {
    const sink: RegisteredResource[] = [];
    const failure = run(config, homeSnapshot, sink);
    await expect(failure).rejects.toThrow("Pulumi.home.yaml: invalid config");
    await expect(failure).rejects.toThrow(expected);
    expect(sink).toEqual([]);
  });

  test("the API token set as a secret is accepted", async () => {
    const result = await run(
      { "proxmoxve:apiToken": "pulumi@pve!tiers=uuid" },
      homeSnapshot,
      [],
      ["proxmoxve:apiToken"],
    );
    expect(result.resources).toHaveLength(7);
  });
});
