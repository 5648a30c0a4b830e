/**
 * `init` as a user runs it: against the PVE double holding the seed's pre-loop cluster it writes
 * Pulumi.<stack>.yaml, lists the decisions, and only reads the cluster; it never replaces a stack
 * file without --force, and --dry-run writes nothing.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runInitCommand } from "../../cli/commands/init";
import { PveApiDouble } from "../../double/server";
import { fixtureCluster } from "../support/apiDouble";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "init-"));
const caFile = path.join(tmp, "pve-root-ca.pem");
let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: fixtureCluster("home-before") });
  fs.writeFileSync(caFile, double.certificates.caPem);
});
afterAll(async () => {
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const init = (dir: string, ...args: string[]) =>
  runInitCommand(["--stack", "home", "--stack-dir", dir, "--endpoint", double.url, "--ca", caFile, ...args], {
    env: { PROXMOX_VE_API_TOKEN: double.token() },
    retryDelayMs: 5,
  });

test("writes the stack file from the live cluster, lists the decisions, and sends GET requests only", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, "live-"));
  double.requests.length = 0;
  const result = await init(dir);
  expect([result.exitCode, result.stderr]).toEqual([0, ""]);
  const file = path.join(dir, "Pulumi.home.yaml");
  const text = fs.readFileSync(file, "utf8");
  expect(text).toContain(`  proxmoxve:endpoint: ${double.url}\n`);
  expect(text).toContain("        job: backup-c1ff91b4-5175\n");
  expect(result.stdout).toContain(`Wrote ${file} from ${double.url}.\n`);
  expect(result.stdout).toContain(
    "  - tiers[0].storage: job backup-c1ff91b4-5175 writes to synology-nas-storage, which does not exist\n",
  );
  expect(result.stdout).toContain("  - tiers: lxc 105 (pihole) is in no job\n");
  expect(result.stdout).not.toContain(double.token().split("=")[1]);
  expect(new Set(double.requests.map((r) => r.method))).toEqual(new Set(["GET"]));
});

test("never replaces a stack file without --force; --dry-run prints it and writes nothing", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, "exists-"));
  const file = path.join(dir, "Pulumi.home.yaml");
  fs.writeFileSync(file, "config: {}\n");
  const refused = await init(dir);
  expect(refused.exitCode).toBe(2);
  expect(refused.stderr).toBe(
    `error: ${file} exists: init replaces a stack file only with --force (--dry-run prints it instead)\n`,
  );
  expect(fs.readFileSync(file, "utf8")).toBe("config: {}\n");

  const dry = await init(dir, "--dry-run");
  expect(dry.exitCode).toBe(0);
  expect(dry.stdout).toMatch(/^# Pulumi\.home\.yaml, written by `pve-backup-tiers init --stack home`/);
  expect(fs.readFileSync(file, "utf8")).toBe("config: {}\n");

  const forced = await init(dir, "--force");
  expect(forced.exitCode).toBe(0);
  expect(fs.readFileSync(file, "utf8")).toBe(dry.stdout);
});

test("from a snapshot: the same file as from the live cluster", async () => {
  const dir = fs.mkdtempSync(path.join(tmp, "snap-"));
  const live = await init(dir, "--dry-run");
  const snap = fs.mkdtempSync(path.join(tmp, "snapfile-"));
  const snapshotFile = path.join(snap, "cluster.json");
  fs.writeFileSync(snapshotFile, JSON.stringify(fixtureCluster("home-before")));
  const result = await runInitCommand(
    ["--stack", "home", "--stack-dir", dir, "--cluster", snapshotFile, "--endpoint", double.url, "--dry-run"],
    { env: {} },
  );
  expect(result.exitCode).toBe(0);
  expect(result.stdout.replace(/from the snapshot \S+\./, "")).toBe(live.stdout.replace(/from \S+\./, ""));
});

test("no endpoint, no token: one line naming what to set, exit 2", async () => {
  const result = await runInitCommand(["--stack", "home", "--stack-dir", tmp], { env: {} });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/^error: no PVE endpoint: .*PROXMOX_VE_ENDPOINT/);
});
