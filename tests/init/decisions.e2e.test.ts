/**
 * From `init` to a stack that passes, on the seed's pre-loop cluster: `check` names exactly the
 * decisions init left (first what the site config refuses, keep-all; then what the pack and the
 * plan say: the guest to place, the missing storage, the disabled jobs it enables), and once the
 * operator has made them as the seed did (tiers P0/P1/P2, the broken job dropped, keep-last) the
 * stack passes and its plan adopts the hand-made jobs and storage, and creates the new tier's job
 * (an adopting `pulumi up` imports what exists and creates the rest).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { runCheckCommand } from "../../cli/commands/check";
import { runInitCommand } from "../../cli/commands/init";
import { PROJECT_DIR } from "../../start/sources";
import { SITE_KEY } from "../../tiers/config";

const CLUSTER = path.join(PROJECT_DIR, "tests", "fixtures", "clusters", "home-before.json");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "init-decisions-"));
const file = path.join(dir, "Pulumi.home.yaml");
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const check = (cluster = CLUSTER) =>
  runCheckCommand(["--stack", "home", "--cluster", cluster], {
    stackDir: dir,
    now: new Date("2026-02-10T12:00:00Z"),
  });

/** Edits the written file as an operator would, keeping its comments. */
function decide(
  edit: (site: ReturnType<typeof parseDocument>, at: (...p: (string | number)[]) => (string | number)[]) => void,
) {
  const doc = parseDocument(fs.readFileSync(file, "utf8"));
  edit(doc, (...p) => ["config", SITE_KEY, ...p]);
  fs.writeFileSync(file, doc.toString());
}

beforeAll(async () => {
  const result = await runInitCommand(["--stack", "home", "--stack-dir", dir, "--cluster", CLUSTER], { env: {} });
  expect(result.exitCode).toBe(0);
});

test("first, what the site config refuses: keep-all on the NAS and on the job with no storage", async () => {
  const result = await check();
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toBe(
    `error: Pulumi.home.yaml: invalid config: ${SITE_KEY}.storages[0].retention.keep-all: keep-all keeps every backup forever; set keep-last and friends instead (got true); ` +
      `${SITE_KEY}.tiers[0].retention.keep-all: keep-all keeps every backup forever; set keep-last and friends instead (got true)\n`,
  );
});

test("then, with retention decided: the guest to place, the missing storage, and the jobs it enables", async () => {
  decide((doc, at) => {
    doc.setIn(at("storages", 0, "retention"), doc.createNode({ "keep-last": 3 }));
    doc.setIn(at("tiers", 0, "retention"), doc.createNode({ "keep-last": 3 }));
  });
  const result = await check();
  expect(result.exitCode).toBe(1);
  const violations = result.stdout.split("\n").filter((l) => l.startsWith("  [mandatory]"));
  expect(violations).toEqual([
    expect.stringMatching(/^ {2}\[mandatory\] every-guest-in-a-tier: LXC 105 \(pihole\) is in no tier/),
    expect.stringMatching(
      /^ {2}\[mandatory\] job-storage-exists: job backup-c1ff91b4-5175 writes to storage synology-nas-storage, which is neither declared in the stack nor exists on the cluster/,
    ),
  ]);
  for (const job of ["backup-c1ff91b4-5175", "backup-3f9d2c71-8a04", "backup-7be0a5d9-41c6"]) {
    expect(result.stdout).toMatch(
      new RegExp(`  adopt {5}job ${job}\\n {12}then, with adopt off:\\n {12}enabled: false → true\\n`),
    );
  }
});

test("the seed's own decisions: the stack passes, and its plan adopts the hand-made jobs and the NAS and creates the new tier's job", async () => {
  decide((doc, at) => {
    doc.deleteIn(at("tiers", 0)); // the broken job on synology-nas-storage: dropped
    doc.setIn(at("existingStorages"), doc.createNode([]));
    const p0 = {
      id: "P0",
      description: "critical, daily",
      priority: 0,
      critical: true,
      notification: { mailto: ["admin@home.arpa"], when: "always" },
    };
    for (const [key, value] of Object.entries(p0)) doc.setIn(at("tiers", 0, key), doc.createNode(value));
    doc.setIn(at("tiers", 1, "id"), "P2");
    doc.setIn(at("tiers", 1, "description"), "weekly");
    doc.setIn(at("tiers", 1, "priority"), 2);
    doc.setIn(at("tiers", 1, "retention"), doc.createNode({ "keep-last": 2 }));
    doc.addIn(at("tiers", 1, "guests"), doc.createNode({ vmid: 105, kind: "lxc", name: "pihole" }));
    doc.addIn(
      at("tiers"),
      doc.createNode({
        id: "P1",
        description: "important, daily",
        priority: 1,
        job: "backup-home-p1-daily",
        schedule: "03:15",
        storage: "synology-backups",
        retention: { "keep-last": 3 },
        guests: [{ vmid: 103, kind: "lxc", name: "download" }],
      }),
    );
  });
  // and on the cluster, as the seed did: `pvesh delete /cluster/backup/backup-c1ff91b4-5175`
  const cluster = JSON.parse(fs.readFileSync(CLUSTER, "utf8"));
  cluster.backup = cluster.backup.filter((j: { id: string }) => j.id !== "backup-c1ff91b4-5175");
  const after = path.join(dir, "cluster-after.json");
  fs.writeFileSync(after, JSON.stringify(cluster));
  const result = await check(after);
  expect([result.exitCode, result.stderr]).toEqual([0, ""]);
  expect(result.stdout).not.toContain("[mandatory]");
  expect(result.stdout).toContain("  adopt     storage synology-backups\n");
  expect(result.stdout).toContain("  adopt     job backup-3f9d2c71-8a04\n");
  expect(result.stdout).toContain("  adopt     job backup-7be0a5d9-41c6\n");
  expect(result.stdout).toMatch(/ {2}create {4}job backup-home-p1-daily\n/);
  // the NAS keeps every backup until the first update with adopt off
  expect(result.stdout).toContain('            prune-backups: "keep-all=1" → "keep-last=3"\n');
});
