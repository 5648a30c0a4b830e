/**
 * `doctor` as a command against the PVE API double: the home cluster passes, one line per check;
 * `--json`; an unreachable endpoint, an untrusted certificate and a wrong token cannot be checked
 * (exit 2); bad input is one line. The checks' verdicts are tests/doctor/checks.e2e.test.ts.
 * In-process, one double.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDoctorCommand } from "../../cli/commands/doctor";
import { DRILL_ROLE_PRIVILEGES } from "../../drill/privileges";
import { PveApiDouble } from "../../double/server";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { fixtureCluster, loadCluster } from "../support/apiDouble";
import { PROJECT_DIR } from "../../start/sources";

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

test("--json: {ok, checks: [{id, ok, message, fix?}]}", async () => {
  const { result, doc } = await doctorJson(homeCluster());
  expect(result.exitCode).toBe(0);
  expect(doc.ok).toBe(true);
  expect(doc.checks.map((c) => c.id)).toEqual(CHECKS);
  for (const c of doc.checks) expect(Object.keys(c).sort()).toEqual(["id", "message", "ok"]);
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

describe("--drill: what `drill` needs of the token", () => {
  test("the program's token lacks the drill's role: the privileges it misses and the pveum that grants them", async () => {
    const { doc, check } = await doctorJson(homeCluster(), ["--drill"]);
    expect(doc.checks.map((c) => c.id)).toEqual([...CHECKS, "drill-privileges"]);
    expect(doc.ok).toBe(false);
    const drill = check("drill-privileges");
    expect(drill.ok).toBe(false);
    expect(drill.message).toMatch(/^pulumi@pve!backup-tiers lacks \/vms: VM\.Allocate, .*VM\.PowerMgmt/);
    expect(drill.fix).toContain('pveum role add BackupTiersDrill -privs "VM.Allocate ');
    expect(drill.fix).toContain("pveum acl modify /vms --tokens 'pulumi@pve!backup-tiers' --roles BackupTiersDrill");
  });

  test("a token holding the drill's role passes it", async () => {
    const snapshot = fixtureCluster("home-day");
    const access = snapshot.access!;
    access.roles = [...(access.roles ?? []), { roleid: "BackupTiersDrill", privs: DRILL_ROLE_PRIVILEGES.join(",") }];
    for (const type of ["user", "token"] as const) {
      for (const path of ["/vms", "/storage", "/sdn/zones/localnetwork"]) {
        access.acl!.push({
          path,
          type,
          ugid: type === "user" ? "pulumi@pve" : "pulumi@pve!backup-tiers",
          roleid: "BackupTiersDrill",
          propagate: true,
        });
      }
    }
    const { check } = await doctorJson(snapshot, ["--drill"]);
    expect(check("drill-privileges")).toMatchObject({ ok: true });
    expect(check("drill-privileges").message).toMatch(/^pulumi@pve!backup-tiers holds VM\.Allocate, /);
  });
});
