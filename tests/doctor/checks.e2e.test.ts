/**
 * The doctor's checks (doctor/) against PVE API double scenarios (tests/fixtures/clusters/): the
 * README's old token set-up, a job with exclude-path, an offline node, a node defaulting to
 * notification-system, a missing storage, a missing guest and jobs to adopt fail with their fix.
 * The command's text, JSON and exit codes are tests/cli/doctor.e2e.test.ts. In-process, one double.
 */
import * as path from "path";
import { diagnose } from "../../doctor/diagnose";
import { PveApiDouble } from "../../double/server";
import { resolveConnection } from "../../pve/connection";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { PROJECT_DIR } from "../../start/sources";
import { SiteFile, readSiteFile } from "../../tiers/stackConfig";
import { fixtureCluster, loadCluster } from "../support/apiDouble";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const homeCluster = () => loadCluster(path.join(PROJECT_DIR, "examples/home-cluster.json"));

let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: homeCluster() });
});
afterAll(() => double.close());

/** The checks of `siteFile` (default the project's home stack) against the double serving `snapshot`, its CA pinned. */
async function diagnoseOn(snapshot: ClusterSnapshot, siteFile: SiteFile = readSiteFile(PROJECT_DIR, "home")) {
  double.load(snapshot);
  const settings = resolveConnection({
    stackConfig: siteFile.config,
    stackFile: siteFile.file,
    env: { PROXMOX_VE_API_TOKEN: double.token() },
    endpoint: double.url,
    ca: { file: "pve-root-ca.pem", text: double.certificates.caPem },
  });
  const diagnosis = await diagnose(siteFile, { ...settings, retryDelayMs: 5, timeoutMs: 3000 });
  expect(diagnosis.couldNotCheck).toBeUndefined();
  return {
    failed: diagnosis.checks.some((c) => !c.ok),
    check: (id: string) => diagnosis.checks.find((c) => c.id === id)!,
  };
}

test("a node on another time zone than the site: the timezone check fails with both zones and the fix", async () => {
  const berlin = { ...homeCluster(), timezone: "Europe/Berlin" };
  const { failed, check } = await diagnoseOn(berlin);
  expect(failed).toBe(true);
  expect(check("timezone")).toEqual({
    id: "timezone",
    ok: false,
    message:
      "pve runs on Europe/Berlin, the site on America/New_York: PVE runs schedules on the node's clock, so every run is at another hour than the stack, the status and the calendar say",
    fix: "set pve-backup-tiers:site.timezone in Pulumi.home.yaml to the nodes' zone, or on each node: timedatectl set-timezone America/New_York",
  });
});

test("the README's old token set-up (--privsep 1, role on the token only): names what is missing and the pveum fix", async () => {
  const { failed, check } = await diagnoseOn(fixtureCluster("home-old-token"));
  expect(failed).toBe(true);
  const privileges = check("privileges");
  expect(privileges.ok).toBe(false);
  expect(privileges.message).toContain(
    "pulumi@pve!backup-tiers lacks /: Sys.Audit, Sys.Modify; /storage: Datastore.Audit, Datastore.Allocate; " +
      "/storage/synology-backups: Datastore.Audit, Datastore.Allocate; /vms: VM.Audit",
  );
  expect(privileges.message).toContain("a token gets only what BOTH it and its user pulumi@pve are granted");
  expect(privileges.fix!.split("\n")).toEqual([
    expect.stringMatching(
      /^pveum role add BackupTiers -privs "Sys.Audit Sys.Modify Datastore.Audit Datastore.Allocate VM.Audit"/,
    ),
    "pveum acl modify / --users pulumi@pve --roles BackupTiers",
    "pveum acl modify / --tokens 'pulumi@pve!backup-tiers' --roles BackupTiers",
    "(or recreate the token with --privsep 0, so that it has exactly its user's privileges)",
  ]);
  // what needs Sys.Audit could not be read, and says so
  expect(check("exclude-path")).toMatchObject({ ok: false });
  expect(check("exclude-path").message).toMatch(
    /^not checked: GET \/cluster\/backup: 403 Permission check failed \(\/, Sys.Audit\)/,
  );
});

test("a job with exclude-path fails, named with the command that removes it", async () => {
  const { failed, check } = await diagnoseOn(fixtureCluster("home-exclude-path"));
  expect(failed).toBe(true);
  expect(check("exclude-path").message).toMatch(
    /^jobs with exclude-path: backup-hand-made-ct \(\/var\/cache\/\* \/tmp\/\*\); /,
  );
  expect(check("exclude-path").fix).toBe(
    "pvesh set /cluster/backup/backup-hand-made-ct --delete exclude-path   # see docs/provider-issues.md",
  );
  expect(check("nodes").ok).toBe(true);
});

test("an offline node fails the nodes check", async () => {
  const { failed, check } = await diagnoseOn(fixtureCluster("home-offline-node"));
  expect(failed).toBe(true);
  expect(check("nodes")).toMatchObject({ ok: false });
  expect(check("nodes").message).toMatch(/^not online: pve2 \(offline\); PVE answers 595/);
  expect(check("nodes").fix).toMatch(/^bring pve2 back online/);
  expect(check("storages").ok).toBe(true); // the tiers' guests are all on pve
});

test("a node whose default notification-mode is notification-system fails for the tier that mails", async () => {
  const { failed, check } = await diagnoseOn(fixtureCluster("home-notification-system"));
  expect(failed).toBe(true);
  expect(check("notification-mode").message).toBe(
    "tier P0 mails admin@home.arpa, but node pve's default notification-mode is notification-system, which ignores mailto",
  );
  expect(check("notification-mode").fix).toMatch(/^on pve: set 'notification-mode: auto' in \/etc\/vzdump.conf/);
});

test("a job with notification-mode notification-system fails too", async () => {
  const snapshot = homeCluster();
  (snapshot.backup[0] as Record<string, unknown>)["notification-mode"] = "notification-system";
  const { check } = await diagnoseOn(snapshot);
  expect(check("notification-mode").fix).toBe(
    "pvesh set /cluster/backup/backup-home-p0-daily --notification-mode auto",
  );
});

test("a missing storage the tiers use fails; one the stack creates is fine", async () => {
  const missing = await diagnoseOn(fixtureCluster("home-nas-missing"), readSiteFile(FIXTURE_STACK_DIR, "nas-by-hand"));
  expect(missing.failed).toBe(true);
  const storages = missing.check("storages");
  expect(storages.message).toBe("synology-backups (tiers P0, P1, P2) does not exist");
  expect(storages.fix).toMatch(
    /^create storage synology-backups on the cluster \(pvesm add \.\.\.\), or point tiers P0, P1, P2/,
  );

  const { failed, check } = await diagnoseOn(fixtureCluster("home-nas-missing"));
  expect(failed).toBe(false);
  expect(check("storages").message).toBe(
    "synology-backups does not exist yet: pulumi up creates it (NFS 10.0.0.150:/volume1/proxmox-backups)",
  );
});

test("a second storage id on the tiers' NFS export fails: both ids prune one dump folder", async () => {
  const snapshot = homeCluster();
  snapshot.storage.push({
    storage: "nas-old",
    type: "nfs",
    server: "10.0.0.150",
    export: "/volume1/proxmox-backups/",
    content: "backup",
  } as (typeof snapshot.storage)[number]);
  const { failed, check } = await diagnoseOn(snapshot);
  expect(failed).toBe(true);
  expect(check("storages").message).toBe(
    "synology-backups and nas-old mount the same NFS export 10.0.0.150:/volume1/proxmox-backups: one dump folder, so each one's jobs prune the other's backups of the same guests (tiers P0, P1, P2)",
  );
  expect(check("storages").fix).toBe("pvesm remove nas-old   # after pointing its jobs at synology-backups");
});

test("a guest of a tier that does not exist, or is of the other kind, fails", async () => {
  const snapshot = homeCluster();
  snapshot.resources = snapshot.resources
    .filter((r) => r.vmid !== 105)
    .map((r) => (r.vmid === 103 ? { ...r, type: "qemu" } : r));
  const { check } = await diagnoseOn(snapshot);
  expect(check("guests").message).toBe(
    "103 (download, tier P1) is a qemu, the stack says lxc; lxc 105 (pihole, tier P2) does not exist",
  );
});

test("a job to adopt that backs up all guests fails: the provider's update would be refused, and the fix sets its vmids", async () => {
  const snapshot = homeCluster();
  const job = snapshot.backup[1] as Record<string, unknown>;
  delete job.vmid;
  Object.assign(job, { all: 1, exclude: "105" });
  const { check } = await diagnoseOn(snapshot);
  expect(check("adopt")).toMatchObject({
    ok: false,
    message:
      "backup-home-p1-daily backs up all guests but 105; adopted as tier P1, the provider keeps 'all' from the job's state and sends it beside 'vmid', which PVE refuses (\"all: option conflicts with option 'vmid'\"), so pulumi up fails on this job",
    fix: "pvesh set /cluster/backup/backup-home-p1-daily --vmid 103   # then adopt it; or rename tier P1's job so that backup-home-p1-daily stays as it is",
  });
  expect(check("adopt").message).not.toContain("will back up only");
});

test("a pool job to adopt passes: its first update drops the pool for the tier's guests, as PVE does", async () => {
  const snapshot = homeCluster();
  const job = snapshot.backup[1] as Record<string, unknown>;
  delete job.vmid;
  Object.assign(job, { pool: "downloads" });
  const { check } = await diagnoseOn(snapshot);
  expect(check("adopt").ok).toBe(true);
  expect(check("adopt").message).toContain(
    "backup-home-p1-daily backs up pool downloads: the first pulumi up after adopting it backs up guests 103 instead (PVE drops the pool when a job gets vmids)",
  );
});
