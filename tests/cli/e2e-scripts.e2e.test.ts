/**
 * The scripts the end-to-end workflow (.github/workflows/e2e.yml) calls, run here against the PVE
 * API double: the e2e stack file, and the assertion that jobs and storage equal the tiers — before
 * and after the requests `pulumi up` makes (create on a fresh cluster; update after adoption).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PveClient } from "../../pve/client";
import { runAssertTiers } from "../../cli/commands/e2e-assert-tiers";
import { runStackCommand } from "../../cli/commands/e2e-stack";
import { PveApiDouble } from "../../double/server";
import { formatPruneBackups, parsePruneBackups, toPruneBackupsMap } from "../../pve/retention";
import { tierJob } from "../../tiers/tierJob";
import { readSiteFile } from "../../tiers/stackConfig";
import { fixtureCluster } from "../support/apiDouble";
import { PROJECT_DIR } from "../../start/sources";

const project = fs.mkdtempSync(path.join(os.tmpdir(), "e2e-stack-"));
fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.home.yaml"), path.join(project, "Pulumi.home.yaml"));

let double: PveApiDouble;
let client: PveClient;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: fixtureCluster("e2e-fresh") });
});
afterAll(async () => {
  await client?.close();
  await double.close();
  fs.rmSync(project, { recursive: true, force: true });
});

function writeStack(stack: string, adopt: boolean) {
  return runStackCommand([
    "--from-stack",
    "home",
    "--stack",
    stack,
    "--endpoint",
    double.url,
    "--stack-dir",
    project,
    ...(adopt ? ["--adopt"] : []),
  ]);
}

const assertTiers = (stack: string) =>
  runAssertTiers(["--stack", stack, "--stack-dir", project], { env: { PROXMOX_VE_API_TOKEN: double.token() } });

/** The requests the provider makes for the program's storage and jobs, as form fields like bpg's client. */
async function applyAsTheProviderWould(mode: "create" | "update") {
  const { site } = readSiteFile(project, "e2e");
  await client?.close();
  client = new PveClient({ endpoint: double.url, token: double.token(), insecure: true, retries: 0 }); // load() renews the secret
  for (const s of site.storages) {
    if (mode === "create") {
      await client.call("POST", "/storage", {
        storage: s.id,
        type: "nfs",
        server: s.server,
        export: s.export,
        content: s.content.join(","),
        nodes: s.nodes?.join(","),
        "prune-backups": Object.entries(toPruneBackupsMap(s.retention))
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        "create-base-path": true,
      });
    }
  }
  for (const tier of site.tiers) {
    // PVE's entry as form fields: prune-backups its property string
    const { id: _id, type: _type, ...job } = tierJob(tier);
    const fields = { ...job, "prune-backups": formatPruneBackups(parsePruneBackups(job["prune-backups"]) ?? {}) };
    if (mode === "create") await client.call("POST", "/cluster/backup", { id: tier.job, ...fields });
    else await client.call("PUT", `/cluster/backup/${tier.job}`, fields);
  }
}

test("the e2e stack file: the home site, pointed at the double, insecure, adopt as asked, no token", () => {
  const result = writeStack("e2e", false);
  expect(result).toMatchObject({ exitCode: 0, stderr: "" });
  const e2e = readSiteFile(project, "e2e");
  expect(e2e.config["proxmoxve:endpoint"]).toBe(double.url);
  expect(e2e.config["proxmoxve:insecure"]).toBe("true");
  expect(e2e.adopt).toBe(false);
  expect(e2e.site).toEqual(readSiteFile(project, "home").site);
  expect(writeStack("e2e-adopt", true).exitCode).toBe(0);
  expect(readSiteFile(project, "e2e-adopt").adopt).toBe(true);
  expect(runStackCommand(["--from-stack", "home", "--stack", "x", "--endpoint", "http://plain"]).stderr).toMatch(
    /^error: --endpoint: not an https URL/,
  );
});

test("a fresh cluster: everything missing before the up, equal to the tiers after the provider's creates", async () => {
  double.load(fixtureCluster("e2e-fresh"));
  writeStack("e2e", false);
  const before = await assertTiers("e2e");
  expect(before.exitCode).toBe(1);
  expect(before.stdout).toContain("FAIL job backup-home-p0-daily (tier P0): missing");
  expect(before.stdout).toContain("FAIL storage synology-backups: missing");
  await applyAsTheProviderWould("create");
  const after = await assertTiers("e2e");
  expect(after.stdout).toBe(`OK: 3 jobs and 1 storages of stack e2e on ${double.url} are as the tiers say\n`);
  expect(after.exitCode).toBe(0);
});

test("adoption: hand-made disabled jobs differ until the update converges them", async () => {
  double.load(fixtureCluster("e2e-adopt"));
  writeStack("e2e", true);
  const before = await assertTiers("e2e");
  expect(before.exitCode).toBe(1);
  expect(before.stdout.split("\n")).toEqual(
    expect.arrayContaining([
      'FAIL job backup-home-p0-daily (tier P0): schedule is "02:30", the tier says "03:00"',
      "FAIL job backup-home-p0-daily (tier P0): enabled is false, the tier says true",
      'FAIL job backup-home-p2-weekly (tier P2): prune-backups is "keep-all=1", the tier says "keep-last=2"',
    ]),
  );
  await applyAsTheProviderWould("update");
  expect((await assertTiers("e2e")).exitCode).toBe(0);
});

test("a double that cannot be read: exit 2, one line", async () => {
  writeStack("e2e", false);
  const result = await runAssertTiers(["--stack", "e2e", "--stack-dir", project], {
    env: { PROXMOX_VE_API_TOKEN: "pulumi@pve!backup-tiers=wrong" },
  });
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toBe(
    "error: GET /cluster/backup: 401 the token pulumi@pve!backup-tiers was rejected (Authentication failed!)\n",
  );
});
