/**
 * `npm run doctor` against PVE API double scenarios (tests/fixtures/clusters/): the home cluster
 * passes; the README's old token set-up, a job with exclude-path, an offline node, a node defaulting
 * to notification-system and a missing storage fail with their fix; an unreachable endpoint, an
 * untrusted certificate and a wrong token cannot be checked (exit 2). In-process, one double.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDoctorCommand } from "../../cli/commands/doctor";
import { PveApiDouble } from "../../double/server";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { fixtureCluster, loadCluster } from "../support/apiDouble";
import { PROJECT_DIR } from "../../start/sources";

const FIXTURES = path.join(__dirname, "../fixtures");
const homeCluster = () => loadCluster(path.join(PROJECT_DIR, "examples/home-cluster.json"));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "doctor-"));
const caFile = path.join(tmp, "pve-root-ca.pem");

/** The doctor's checks, in the order it runs them. */
const CHECKS = [
  "endpoint",
  "certificate",
  "token",
  "version",
  "privileges",
  "nodes",
  "timezone",
  "guests",
  "storages",
  "exclude-path",
  "adopt",
  "notification-mode",
];

let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: homeCluster() });
  fs.writeFileSync(caFile, double.certificates.caPem);
});
afterAll(async () => {
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Runs the doctor as the README says, against the double serving `snapshot`. */
async function doctor(snapshot: ClusterSnapshot, args: string[] = [], env: Record<string, string> = {}) {
  double.load(snapshot);
  return runDoctorCommand(["--endpoint", double.url, "--ca", caFile, ...args], {
    env: { PROXMOX_VE_API_TOKEN: double.token(), ...env },
    retryDelayMs: 5,
    timeoutMs: 3000,
  });
}

async function doctorJson(snapshot: ClusterSnapshot, args: string[] = []) {
  const result = await doctor(snapshot, [...args, "--json"]);
  const doc = JSON.parse(result.stdout) as {
    ok: boolean;
    checks: { id: string; ok: boolean; message: string; fix?: string }[];
  };
  const check = (id: string) => doc.checks.find((c) => c.id === id)!;
  return { result, doc, check };
}

test("the home cluster passes every check", async () => {
  const result = await doctor(homeCluster());
  expect(result.exitCode).toBe(0);
  const lines = result.stdout.split("\n");
  for (const id of CHECKS) {
    expect(lines.some((l) => l.startsWith(`OK   ${id}: `))).toBe(true);
  }
  expect(result.stdout).toContain(`OK   certificate: trusted: signed by the CA in ${caFile}`);
  expect(result.stdout).toContain("OK   version: PVE 8.4.1");
  expect(result.stdout).toContain("All 12 checks passed: ready for pulumi preview --policy-pack policy.");
});

test("a node on another time zone than the site: the timezone check fails with both zones and the fix", async () => {
  const berlin = { ...homeCluster(), timezone: "Europe/Berlin" };
  const { result, check } = await doctorJson(berlin);
  expect(result.exitCode).toBe(1);
  expect(check("timezone")).toEqual({
    id: "timezone",
    ok: false,
    message:
      "pve runs on Europe/Berlin, the site on America/New_York: PVE runs schedules on the node's clock, so every run is at another hour than the stack, the status and the calendar say",
    fix: "set pve-backup-tiers:site.timezone in Pulumi.home.yaml to the nodes' zone, or on each node: timedatectl set-timezone America/New_York",
  });
});

test("--json: {ok, checks: [{id, ok, message, fix?}]}", async () => {
  const { result, doc } = await doctorJson(homeCluster());
  expect(result.exitCode).toBe(0);
  expect(doc.ok).toBe(true);
  expect(doc.checks.map((c) => c.id)).toEqual(CHECKS);
  for (const c of doc.checks) expect(Object.keys(c).sort()).toEqual(["id", "message", "ok"]);
});

test("the README's old token set-up (--privsep 1, role on the token only): names what is missing and the pveum fix", async () => {
  const { result, check } = await doctorJson(fixtureCluster("home-old-token"));
  expect(result.exitCode).toBe(1);
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
  const { result, check } = await doctorJson(fixtureCluster("home-exclude-path"));
  expect(result.exitCode).toBe(1);
  expect(check("exclude-path").message).toMatch(
    /^jobs with exclude-path: backup-hand-made-ct \(\/var\/cache\/\* \/tmp\/\*\); /,
  );
  expect(check("exclude-path").fix).toBe(
    "pvesh set /cluster/backup/backup-hand-made-ct --delete exclude-path   # see README, Known provider issues",
  );
  expect(check("nodes").ok).toBe(true);
});

test("an offline node fails the nodes check", async () => {
  const { result, check } = await doctorJson(fixtureCluster("home-offline-node"));
  expect(result.exitCode).toBe(1);
  expect(check("nodes")).toMatchObject({ ok: false });
  expect(check("nodes").message).toMatch(/^not online: pve2 \(offline\); PVE answers 595/);
  expect(check("nodes").fix).toMatch(/^bring pve2 back online/);
  expect(check("storages").ok).toBe(true); // the tiers' guests are all on pve
});

test("a node whose default notification-mode is notification-system fails for the tier that mails", async () => {
  const { result, check } = await doctorJson(fixtureCluster("home-notification-system"));
  expect(result.exitCode).toBe(1);
  expect(check("notification-mode").message).toBe(
    "tier P0 mails admin@home.arpa, but node pve's default notification-mode is notification-system, which ignores mailto",
  );
  expect(check("notification-mode").fix).toMatch(/^on pve: set 'notification-mode: auto' in \/etc\/vzdump.conf/);
});

test("a job with notification-mode notification-system fails too", async () => {
  const snapshot = homeCluster();
  (snapshot.backup[0] as Record<string, unknown>)["notification-mode"] = "notification-system";
  const { check } = await doctorJson(snapshot);
  expect(check("notification-mode").fix).toBe(
    "pvesh set /cluster/backup/backup-home-p0-daily --notification-mode auto",
  );
});

test("a missing storage the tiers use fails; one the stack creates is fine", async () => {
  const missing = await runDoctorCommand(
    ["--stack", "nas-by-hand", "--endpoint", double.url, "--ca", caFile, "--json"],
    {
      env: { PROXMOX_VE_API_TOKEN: (double.load(fixtureCluster("home-nas-missing")), double.token()) },
      stackDir: path.join(FIXTURES, "stacks"),
    },
  );
  expect(missing.exitCode).toBe(1);
  const storages = JSON.parse(missing.stdout).checks.find((c: { id: string }) => c.id === "storages");
  expect(storages.message).toBe("synology-backups (tiers P0, P1, P2) does not exist");
  expect(storages.fix).toMatch(
    /^create storage synology-backups on the cluster \(pvesm add \.\.\.\), or point tiers P0, P1, P2/,
  );

  const { result, check } = await doctorJson(fixtureCluster("home-nas-missing"));
  expect(result.exitCode).toBe(0);
  expect(check("storages").message).toBe(
    "synology-backups does not exist yet: pulumi up creates it (NFS 10.0.0.150:/volume1/proxmox-backups)",
  );
});

test("a guest of a tier that does not exist, or is of the other kind, fails", async () => {
  const snapshot = homeCluster();
  snapshot.resources = snapshot.resources
    .filter((r) => r.vmid !== 105)
    .map((r) => (r.vmid === 103 ? { ...r, type: "qemu" } : r));
  const { check } = await doctorJson(snapshot);
  expect(check("guests").message).toBe(
    "103 (download, tier P1) is a qemu, the stack says lxc; lxc 105 (pihole, tier P2) does not exist",
  );
});

test("a job to adopt that backs up all guests fails: the provider's update would be refused, and the fix sets its vmids", async () => {
  const snapshot = homeCluster();
  const job = snapshot.backup[1] as Record<string, unknown>;
  delete job.vmid;
  Object.assign(job, { all: 1, exclude: "105" });
  const { check } = await doctorJson(snapshot);
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
  const { check } = await doctorJson(snapshot);
  expect(check("adopt").ok).toBe(true);
  expect(check("adopt").message).toContain(
    "backup-home-p1-daily backs up pool downloads: the first pulumi up after adopting it backs up guests 103 instead (PVE drops the pool when a job gets vmids)",
  );
});

test("unreachable: exit 2, the endpoint named with its source", async () => {
  const closed = await PveApiDouble.start({ cluster: fixtureCluster("home-day") });
  const url = closed.url;
  await closed.close();
  const result = await runDoctorCommand(["--endpoint", url], {
    env: { PROXMOX_VE_API_TOKEN: "pulumi@pve!backup-tiers=x" },
  });
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toMatch(
    new RegExp(`^FAIL endpoint: ${url.replace(/[./]/g, "\\$&")} \\(--endpoint\\) cannot be reached: ECONNREFUSED`, "m"),
  );
  expect(result.stdout).toContain("Could not check the rest: the endpoint cannot be reached.");
});

test("an untrusted certificate: exit 2, with its fingerprint and how to trust it", async () => {
  const project = path.join(tmp, "strict");
  fs.mkdirSync(project, { recursive: true });
  fs.writeFileSync(
    path.join(project, "Pulumi.home.yaml"),
    fs
      .readFileSync(path.join(PROJECT_DIR, "Pulumi.home.yaml"), "utf8")
      .replace('proxmoxve:insecure: "true"', 'proxmoxve:insecure: "false"'),
  );
  double.load(homeCluster());
  const result = await runDoctorCommand(["--endpoint", double.url], {
    env: { PROXMOX_VE_API_TOKEN: double.token() },
    stackDir: project,
  });
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toContain(`FAIL certificate: the certificate of ${double.url} is not trusted`);
  expect(result.stdout).toContain(`SHA-256 ${double.certificates.fingerprint256}`);
  expect(result.stdout).toMatch(/fix: copy the node's CA \(\/etc\/pve\/pve-root-ca.pem\) here and pass --ca FILE/);
  // the stack's insecure (true for home) accepts it, and says it did not verify
  const insecure = await runDoctorCommand(["--endpoint", double.url], {
    env: { PROXMOX_VE_API_TOKEN: double.token() },
  });
  expect(insecure.stdout).toContain(
    `OK   certificate: not verified (proxmoxve:insecure in Pulumi.home.yaml is true): SHA-256 ${double.certificates.fingerprint256}`,
  );
});

test("a wrong token: exit 2, named by its id, the secret nowhere", async () => {
  const secret = "11111111-2222-3333-4444-555555555555";
  const result = await doctor(homeCluster(), [], {
    PROXMOX_VE_API_TOKEN: `pulumi@pve!backup-tiers=${secret}`,
  });
  expect(result.exitCode).toBe(2);
  expect(result.stdout).toContain(
    "FAIL token: PVE rejected the token pulumi@pve!backup-tiers (Authentication failed!)",
  );
  expect(result.stdout).toContain("Could not check the rest: the token was rejected.");
  expect(result.stdout + result.stderr).not.toContain(secret);
});

test("bad input: no token, a malformed token, an unknown stack, a CA that is not PEM — one line, exit 2", async () => {
  const run = (args: string[], env: Record<string, string>) =>
    runDoctorCommand(["--endpoint", double.url, ...args], { env });
  const noToken = await run([], {});
  expect(noToken).toMatchObject({ exitCode: 2, stdout: "" });
  expect(noToken.stderr).toMatch(
    /^error: PROXMOX_VE_API_TOKEN is not set: export it as '<user>@<realm>!<tokenid>=<secret>'/,
  );
  const malformed = await run([], { PROXMOX_VE_API_TOKEN: "just-a-secret-value" });
  expect(malformed.stderr).toBe(
    "error: PROXMOX_VE_API_TOKEN is not an API token of the form <user>@<realm>!<tokenid>=<secret>\n",
  );
  expect((await run(["--stack", "nope"], { PROXMOX_VE_API_TOKEN: double.token() })).stderr).toMatch(
    /^error: stack 'nope' does not exist: no Pulumi.nope.yaml/,
  );
  const notPem = path.join(tmp, "not.pem");
  fs.writeFileSync(notPem, "hello");
  expect((await run(["--ca", notPem], { PROXMOX_VE_API_TOKEN: double.token() })).stderr).toBe(
    `error: ${notPem}: not a PEM certificate (e.g. the node's /etc/pve/pve-root-ca.pem)\n`,
  );
});
