/**
 * The real program (index.ts with Pulumi.home.yaml) under Pulumi's mocks, its data sources answered
 * from the home cluster snapshot: what it declares, and what it refuses to declare.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DuplicateUrnError, OfflineRun, RegisteredResource, runProgramOffline } from "../../offline/preview";
import { ADOPTED_JOB_PROPERTIES } from "../../tiers/backupTier";
import { SITE_KEY } from "../../tiers/config";
import { jobNotesTemplate } from "../../tiers/tierJob";
import { ADOPTED_STORAGE_PROPERTIES } from "../../tiers/program";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { FIXTURE_STACK_DIR, fixtureSite } from "../support/stacks";

const snapshotFile = path.join(__dirname, "../../examples/home-cluster.json");
const homeSnapshot = parseClusterSnapshot(fs.readFileSync(snapshotFile, "utf8"), snapshotFile);
const homeSite = fixtureSite("home");

/** Runs index.ts afresh (its own module registry) so each case sees only its own registrations. */
function run(
  config: Record<string, string> = {},
  snapshot = homeSnapshot,
  sink: RegisteredResource[] = [],
  secretKeys: string[] = [],
): Promise<OfflineRun> {
  return runProgramOffline({ stack: "home", stackDir: FIXTURE_STACK_DIR, snapshot, config, secretKeys, sink });
}

function withSite(change: (site: any) => void): Record<string, string> {
  const site = structuredClone(homeSite);
  change(site);
  return { [SITE_KEY]: JSON.stringify(site) };
}

/**
 * A URN as the engine forms it (pkg/resource/deploy/deployment.go generateURN): the parent's
 * qualified type and `$` before the type, except under the root stack, whose type is left out.
 */
function engineUrn(type: string, name: string, parent?: string): string {
  const parentType = parent?.split("::")[2];
  const qualified = parentType && parentType !== "pulumi:pulumi:Stack" ? `${parentType}$${type}` : type;
  return `urn:pulumi:home::pve-backup-tiers::${qualified}::${name}`;
}

const byType = (resources: RegisteredResource[], type: string) => resources.filter((r) => r.type === type);

describe("the home site", () => {
  let home: OfflineRun;
  beforeAll(async () => {
    home = await run();
  });

  test("declares the NFS storage, three tiers and their jobs, with the engine's URNs, parents and options", () => {
    const root = engineUrn("pulumi:pulumi:Stack", "pve-backup-tiers-home");
    const tier = (id: string) => engineUrn("pve-backup-tiers:backup:Tier", `tier-${id}`, root);
    const expected = [
      { urn: root, parent: undefined, protect: false },
      { urn: engineUrn("proxmoxve:storage/nfs:Nfs", "storage-synology-backups", root), parent: root, protect: true },
      ...["p0", "p1", "p2"].flatMap((id) => [
        { urn: tier(id), parent: root, protect: false },
        { urn: engineUrn("proxmoxve:backup/job:Job", `tier-${id}-job`, tier(id)), parent: tier(id), protect: false },
      ]),
    ];
    expect(home.resources.map(({ urn, parent, protect }) => ({ urn, parent, protect }))).toEqual(
      expect.arrayContaining(expected),
    );
    expect(home.resources).toHaveLength(expected.length);
    // Written out once, as the engine prints it in a preview.
    expect(home.resources.map((r) => r.urn)).toContain(
      "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job",
    );
    for (const r of home.resources) {
      expect(r.importId).toBeUndefined();
      expect(r.ignoreChanges).toEqual([]);
    }
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
    // The home snapshot's jobs were disabled by hand (the stack enables them: see the plan's tests).
    expect(home.outputs.cluster.jobs.map((j) => [j.id, j.enabled, j.vmids, j.pruneBackups])).toEqual([
      ["backup-home-p0-daily", false, [100, 102], { "keep-last": 3 }],
      ["backup-home-p1-daily", false, [103], { "keep-last": 3 }],
      ["backup-home-p2-weekly", false, [101, 105], { "keep-last": 2 }],
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

  test("adopt imports the existing jobs and storage by their ids, ignoring differences the next update converges", async () => {
    const result = await run({ "pve-backup-tiers:adopt": "true" });
    const imports = result.resources.filter((r) => r.custom).map((r) => [r.name, r.importId, r.ignoreChanges]);
    expect(imports.sort()).toEqual([
      ["storage-synology-backups", "synology-backups", ADOPTED_STORAGE_PROPERTIES],
      ["tier-p0-job", "backup-home-p0-daily", ADOPTED_JOB_PROPERTIES],
      ["tier-p1-job", "backup-home-p1-daily", ADOPTED_JOB_PROPERTIES],
      ["tier-p2-job", "backup-home-p2-weekly", ADOPTED_JOB_PROPERTIES],
    ]);
    // The NFS server and export cannot change in PVE: adoption never ignores them.
    expect(ADOPTED_STORAGE_PROPERTIES).not.toContain("server");
    expect(ADOPTED_STORAGE_PROPERTIES).not.toContain("export");
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
    ["a password in plain text", { "proxmoxve:password": "hunter2" }, "proxmoxve:password: is stored in plain text"],
    ["an auth ticket in plain text", { "proxmoxve:authTicket": "PVE:root@pam:X::Y" }, "proxmoxve:authTicket:"],
    ["a CSRF token in plain text", { "proxmoxve:csrfPreventionToken": "X:Y" }, "proxmoxve:csrfPreventionToken:"],
    [
      "an SSH private key in plain text",
      { "proxmoxve:ssh": JSON.stringify({ username: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" }) },
      "proxmoxve:ssh.privateKey: is stored in plain text; set it with `pulumi config set --secret --path 'proxmoxve:ssh.privateKey'`",
    ],
    [
      "a schedule over 128 characters",
      withSite((s) => (s.tiers[0].schedule = `03:${"0,".repeat(63)}0`)),
      "tiers[0].schedule",
    ],
    ["tier ids that differ only in case", withSite((s) => (s.tiers[1].id = "p0")), "tiers[1].id: differs from"],
    [
      "a description PVE's notes-template refuses",
      withSite((s) => (s.tiers[0].description = "{{hostname}}")),
      "tiers[0].description: PVE would reject",
    ],
    [
      "a mail recipient PVE refuses",
      withSite((s) => (s.tiers[0].notification.mailto = ["admin at home"])),
      "tiers[0].notification.mailto[0]",
    ],
    [
      "adopt neither true nor false",
      { "pve-backup-tiers:adopt": "yes" },
      "pve-backup-tiers:adopt: must be true or false",
    ],
  ])("%s", async (_name, config, expected) => {
    const sink: RegisteredResource[] = [];
    const failure = run(config, homeSnapshot, sink);
    await expect(failure).rejects.toThrow("Pulumi.home.yaml: invalid config");
    await expect(failure).rejects.toThrow(expected);
    await expect(failure).rejects.not.toThrow(/hunter2|BEGIN OPENSSH|root@pam!x=secret/);
    // The engine registers the root stack before the program runs; nothing else is declared.
    expect(sink.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });

  test("the API token set as a secret is accepted", async () => {
    const result = await run(
      { "proxmoxve:apiToken": "pulumi@pve!tiers=uuid" },
      homeSnapshot,
      [],
      ["proxmoxve:apiToken"],
    );
    expect(result.outputs.tiers.map((t) => t.job)).toEqual([
      "backup-home-p0-daily",
      "backup-home-p1-daily",
      "backup-home-p2-weekly",
    ]);
  });
});

describe("the offline runner", () => {
  test("a URN registered twice is an error, with the engine's message", async () => {
    const program = async () => {
      const first = new pulumi.ComponentResource("pve-backup-tiers:test:Twice", "same");
      new pulumi.ComponentResource("pve-backup-tiers:test:Twice", "same");
      return { first: first.urn };
    };
    await expect(runProgramOffline({ stack: "home", snapshot: homeSnapshot, program })).rejects.toThrow(
      new DuplicateUrnError("urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:test:Twice::same"),
    );
    await expect(runProgramOffline({ stack: "home", snapshot: homeSnapshot, program })).rejects.toThrow(
      "Duplicate resource URN 'urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:test:Twice::same'; try giving it a unique name",
    );
  });

  test("protect is inherited from the parent, as the SDK resolves it before registering", async () => {
    const program = async () => {
      const parent = new pulumi.ComponentResource("pve-backup-tiers:test:Parent", "p", {}, { protect: true });
      new pulumi.ComponentResource("pve-backup-tiers:test:Child", "c", {}, { parent });
      return {};
    };
    const result = await runProgramOffline({ stack: "home", snapshot: homeSnapshot, program });
    expect(result.resources.map((r) => [r.urn, r.protect])).toEqual([
      ["urn:pulumi:home::pve-backup-tiers::pulumi:pulumi:Stack::pve-backup-tiers-home", false],
      ["urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:test:Parent$pve-backup-tiers:test:Child::c", true],
      ["urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:test:Parent::p", true],
    ]);
  });

  test("secrets nested in proxmoxve:ssh, set as secrets, are accepted", async () => {
    const ssh = JSON.stringify({ username: "root", privateKey: "[secret]", password: "[secret]" });
    const result = await run({ "proxmoxve:ssh": ssh }, homeSnapshot, [], ["proxmoxve:ssh"]);
    expect(result.resources.filter((r) => r.custom).map((r) => r.props.resourceId)).toEqual([
      "synology-backups",
      "backup-home-p0-daily",
      "backup-home-p1-daily",
      "backup-home-p2-weekly",
    ]);
  });
});

describe("what the program carries over from the config", () => {
  test("a frequent tier is exported as such; the others as not frequent", async () => {
    const result = await run(
      withSite((s) => {
        s.tiers[1].frequent = true;
        s.tiers[1].schedule = "*:0/30";
      }),
    );
    expect(result.outputs.tiers.map((t) => [t.id, t.schedule, t.frequent])).toEqual([
      ["P0", "03:00", false],
      ["P1", "*:0/30", true],
      ["P2", "sun 04:00", false],
    ]);
  });

  test("the job's notes-template is the one validation checks", async () => {
    const result = await run(withSite((s) => (s.tiers[2].description = "weekly \\\\ {{node}}")));
    const job = result.resources.find((r) => r.props.resourceId === "backup-home-p2-weekly")!;
    expect(job.props.notesTemplate).toBe(
      jobNotesTemplate({ id: "P2", description: "weekly \\\\ {{node}}", job: "backup-home-p2-weekly" }),
    );
    expect(job.props.notesTemplate).toBe(
      "{{guestname}} ({{vmid}}) - tier P2: weekly \\\\ {{node}} - job backup-home-p2-weekly",
    );
  });
});
