/**
 * `init` on the seed's own starting point: the home cluster before its backup loop (three disabled
 * jobs, one on `synology-nas-storage`, a storage that does not exist; `keep-all=1` on the NAS;
 * guest 105 in no job). The file keeps every job id, lists each decision, and is the same whether
 * the cluster was read live (from the PVE double, GET requests only) or from its snapshot.
 */
import { parse as parseYaml } from "yaml";
import { PveClient } from "../../pve/client";
import { PveApiDouble } from "../../double/server";
import { readLiveCluster } from "../../init/readCluster";
import { initStackFile } from "../../init/stackFile";
import { SITE_KEY } from "../../tiers/config";
import { fixtureCluster } from "../support/apiDouble";

const before = () => fixtureCluster("home-before");
const options = { stack: "home", endpoint: "https://pve.home.arpa:8006/", source: "the home cluster" };

describe("the home cluster before the loop", () => {
  const { text, decisions } = initStackFile(before(), options);
  const config = (parseYaml(text) as { config: Record<string, unknown> }).config;
  const site = config[SITE_KEY] as {
    timezone: string;
    storages: { id: string; retention: Record<string, unknown> }[];
    existingStorages: string[];
    tiers: { id: string; job: string; schedule: string; storage: string; guests: { vmid: number }[] }[];
  };

  test("one tier per job, its id kept, daily before weekly; adopt on; the endpoint; no token", () => {
    expect(site.tiers.map((t) => [t.id, t.job, t.schedule, t.storage, t.guests.map((g) => g.vmid)])).toEqual([
      ["P0", "backup-c1ff91b4-5175", "02:30", "synology-nas-storage", [103]],
      ["P1", "backup-3f9d2c71-8a04", "03:00", "synology-backups", [100, 102]],
      ["P2", "backup-7be0a5d9-41c6", "sun 04:00", "synology-backups", [101]],
    ]);
    expect(config["pve-backup-tiers:adopt"]).toBe(true);
    expect(config["proxmoxve:endpoint"]).toBe("https://pve.home.arpa:8006/");
    expect(Object.keys(config)).not.toContain("proxmoxve:insecure");
    expect(text).not.toMatch(/apiToken:/);
    expect(site.timezone).toBe("America/New_York");
  });

  test("each decision is marked in the file and listed", () => {
    expect(decisions.map((d) => `${d.path}: ${d.what}`)).toEqual([
      "storages[0].retention: storage synology-backups keeps every backup (keep-all)",
      "tiers[0]: job backup-c1ff91b4-5175 is disabled on the cluster: pulumi up enables it",
      "tiers[0].storage: job backup-c1ff91b4-5175 writes to synology-nas-storage, which does not exist",
      "tiers[0].retention: job backup-c1ff91b4-5175 keeps every backup (keep-all)",
      "tiers[1]: job backup-3f9d2c71-8a04 is disabled on the cluster: pulumi up enables it",
      "tiers[2]: job backup-7be0a5d9-41c6 is disabled on the cluster: pulumi up enables it",
      "tiers: lxc 105 (pihole) is in no job",
    ]);
    expect(text).toContain("      #   - { vmid: 105, kind: lxc, name: pihole }   # on node pve\n");
    expect(text).toContain(
      "        storage: synology-nas-storage # DECIDE: PVE has no storage synology-nas-storage: this job fails every run\n",
    );
    expect(text).toContain('        schedule: "03:00"\n');
  });

  test("live from the PVE double and from the snapshot: the same file, and only GET requests", async () => {
    const double = await PveApiDouble.start({ cluster: before() });
    try {
      const client = new PveClient({ endpoint: double.url, token: double.token(), ca: double.certificates.caPem });
      const live = initStackFile(await readLiveCluster(client), options);
      await client.close();
      expect(live.text).toBe(text);
      expect(double.requests.map((r) => r.method)).toEqual(double.requests.map(() => "GET"));
      expect(double.requests.map((r) => r.path)).toEqual(
        expect.arrayContaining(["/nodes", "/cluster/resources", "/storage", "/cluster/backup", "/nodes/pve/time"]),
      );
    } finally {
      await double.close();
    }
  });
});

describe("jobs the stack cannot adopt as they are", () => {
  test("all, exclude and pool: written as the guests they back up today, with the pvesh that switches them", () => {
    const snapshot = before();
    const jobs = snapshot.backup as Record<string, unknown>[];
    Object.assign(jobs[0], { vmid: undefined, all: true, exclude: "105" });
    Object.assign(jobs[1], { vmid: undefined, pool: "media" });
    for (const r of snapshot.resources) if (r.vmid === 101 || r.vmid === 105) (r as { pool?: string }).pool = "media";
    const { text, decisions } = initStackFile(snapshot, options);
    const tiers = (parseYaml(text).config[SITE_KEY] as { tiers: { job: string; guests: { vmid: number }[] }[] }).tiers;
    expect(tiers.find((t) => t.job === "backup-3f9d2c71-8a04")!.guests.map((g) => g.vmid)).toEqual([
      100, 101, 102, 103,
    ]);
    expect(tiers.find((t) => t.job === "backup-7be0a5d9-41c6")!.guests.map((g) => g.vmid)).toEqual([101, 105]);
    expect(text).toContain("pvesh set /cluster/backup/backup-3f9d2c71-8a04 --vmid 100,101,102,103");
    expect(decisions.map((d) => d.what)).toEqual(
      expect.arrayContaining([
        "job backup-3f9d2c71-8a04: it backs up all guests but 105",
        "job backup-7be0a5d9-41c6: it backs up pool media, whose guests PVE resolves at each run",
      ]),
    );
  });
});
