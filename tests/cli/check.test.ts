/**
 * `npm run check`: the plan and the policy verdict from a cluster snapshot, and its exit codes, with
 * the command run in process (check.e2e.test.ts runs it as a user does).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCheckCommand } from "../../cli/commands/check";
import { FIXTURE_STACK_DIR } from "../support/stacks";
import { PROJECT_DIR } from "../../start/sources";

const HOME_SNAPSHOT = path.join(PROJECT_DIR, "examples/home-cluster.json");
const FROM = ["--from", "2026-01-01T00:00:00Z"];
/** The check on the fixture copies of the stack files (tests/support/stacks.ts). */
const check = (argv: string[]) => runCheckCommand(argv, { stackDir: FIXTURE_STACK_DIR });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The home snapshot with one change, written to a file of its own. */
function snapshotWith(name: string, change: (s: any) => void): string {
  const snapshot = JSON.parse(fs.readFileSync(HOME_SNAPSHOT, "utf8"));
  change(snapshot);
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

function fileWith(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

test("the home snapshot: prints the plan per tier and passes", async () => {
  const result = await check(FROM);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("Tier P0: critical, daily (priority 0, critical)");
  expect(result.stdout).toContain("job        backup-home-p0-daily");
  // 03:00 on the node (America/New_York) is 08:00 UTC in January.
  expect(result.stdout).toContain(
    "next: 2026-01-01T03:00:00-05:00, 2026-01-02T03:00:00-05:00, 2026-01-03T03:00:00-05:00",
  );
  expect(result.stdout).toContain("schedule   sun 04:00  next: 2026-01-04T04:00:00-05:00");
  expect(result.stdout).toContain("retention  keep-last=2");
  expect(result.stdout).toContain("guests     qemu 101 immich, lxc 105 pihole");
  expect(result.stdout).toContain("Guests in no tier: none");
  // The home snapshot's jobs were disabled by hand: the plan enables them, and changes nothing else.
  const plan = [
    "Plan (what pulumi up would do on the cluster):",
    "  no change storage synology-backups",
    "  update    job backup-home-p0-daily",
    "            enabled: false → true",
    "  update    job backup-home-p1-daily",
    "            enabled: false → true",
    "  update    job backup-home-p2-weekly",
    "            enabled: false → true",
    "Untouched on the cluster: storage local (dir, iso,vztmpl,backup), storage local-lvm (lvmthin, rootdir,images)",
    "",
    "PASS: no mandatory violation (0 advisory).",
  ].join("\n");
  expect(result.stdout.trimEnd().endsWith(plan)).toBe(true);
  // The README shows the same plan.
  expect(fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8")).toContain("```\n" + plan + "\n```");
  expect(result.stdout.trim().split("\n").pop()).toMatch(/^PASS/);
});

test("an LXC in no tier fails the check and is named", async () => {
  const cluster = snapshotWith("lxc-104", (s) =>
    s.resources.push({ type: "lxc", vmid: 104, name: "nextcloud", node: "pve", status: "running", template: 0 }),
  );
  const result = await check(["--cluster", cluster, ...FROM]);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("Guests in no tier: lxc 104 nextcloud");
  expect(result.stdout).toMatch(/\[mandatory\] every-guest-in-a-tier: .*104.*nextcloud/);
  expect(result.stdout.trim().split("\n").pop()).toMatch(/^FAIL/);
});

test("an existing job on a missing storage fails the check", async () => {
  const cluster = snapshotWith("stray-job", (s) =>
    s.backup.push({
      id: "backup-c1ff91b4-5175",
      type: "vzdump",
      schedule: "sun 01:00",
      storage: "synology-nas-storage",
      vmid: "100",
      enabled: 0,
    }),
  );
  const result = await check(["--cluster", cluster, "--json", ...FROM]);
  expect(result.exitCode).toBe(1);
  const doc = JSON.parse(result.stdout);
  expect(doc.passed).toBe(false);
  const storageViolation = doc.violations.find((v: any) => v.policy === "job-storage-exists");
  expect(storageViolation).toMatchObject({ level: "mandatory" });
  expect(storageViolation.message).toContain("backup-c1ff91b4-5175");
  expect(storageViolation.message).toContain("synology-nas-storage");
});

test("--json: the resources with the engine's URNs, the coverage, the plan and the violations", async () => {
  const result = await check(["--json", ...FROM]);
  expect(result.exitCode).toBe(0);
  const doc = JSON.parse(result.stdout);
  expect(doc.passed).toBe(true);
  const root = "urn:pulumi:home::pve-backup-tiers::pulumi:pulumi:Stack::pve-backup-tiers-home";
  const tier = "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier::tier-p0";
  const job = "urn:pulumi:home::pve-backup-tiers::pve-backup-tiers:backup:Tier$proxmoxve:backup/job:Job::tier-p0-job";
  expect(doc.resources).toContainEqual(expect.objectContaining({ urn: root, protect: false }));
  expect(doc.resources).toContainEqual(expect.objectContaining({ urn: tier, parent: root }));
  expect(doc.resources).toContainEqual(
    expect.objectContaining({
      urn: job,
      parent: tier,
      protect: false,
      inputs: expect.objectContaining({ resourceId: "backup-home-p0-daily" }),
    }),
  );
  expect(doc.resources).toContainEqual(
    expect.objectContaining({
      urn: "urn:pulumi:home::pve-backup-tiers::proxmoxve:storage/nfs:Nfs::storage-synology-backups",
      parent: root,
      protect: true,
    }),
  );
  expect(doc.plan).toContainEqual({
    urn: job,
    type: "proxmoxve:backup/job:Job",
    id: "backup-home-p0-daily",
    action: "update",
    changes: [{ property: "enabled", from: false, to: true }],
  });
  expect(doc.untouched.map((u: any) => `${u.kind} ${u.id}`)).toEqual(["storage local", "storage local-lvm"]);
  expect(doc.coverage.map((c: any) => [c.vmid, c.tier])).toEqual([
    [100, "P0"],
    [101, "P2"],
    [102, "P0"],
    [103, "P1"],
    [105, "P2"],
  ]);
  expect(doc.tiers[2].nextRuns).toEqual([
    "2026-01-04T04:00:00-05:00",
    "2026-01-11T04:00:00-05:00",
    "2026-01-18T04:00:00-05:00",
  ]);
  expect(doc.violations).toEqual([]);
});

describe("bad input: exit 2 and one line naming the file and the place", () => {
  test.each([
    [
      "malformed JSON",
      () => ["--cluster", fileWith("broken.json", '{"resources": [')],
      /^error: .*broken\.json: not valid JSON/,
    ],
    [
      "a schema-invalid snapshot",
      () => ["--cluster", snapshotWith("bad-vmid", (s) => (s.resources[0].vmid = "abc"))],
      /^error: .*bad-vmid\.json: invalid cluster snapshot: \$\.resources\[0\]\.vmid/,
    ],
    [
      "a snapshot without storage",
      () => ["--cluster", snapshotWith("no-storage", (s) => delete s.storage)],
      /\$\.storage/,
    ],
    [
      "a missing snapshot file",
      () => ["--cluster", path.join(tmp, "nope.json")],
      /nope\.json: cannot read \(no such file\)/,
    ],
    [
      "an unknown stack",
      () => ["--stack", "nosuch", "--cluster", HOME_SNAPSHOT],
      /^error: stack 'nosuch' does not exist: no Pulumi\.nosuch\.yaml \(stacks: home, nas-by-hand, shop\)$/m,
    ],
    ["an unknown flag", () => ["--clutser", HOME_SNAPSHOT], /^error: unknown flag --clutser$/m],
    ["a bad --from", () => ["--from", "yesterday"], /--from: not a full ISO time \(date and time\): 'yesterday'/],
    [
      "a policy config the pack rejects",
      () => ["--policy-config", fileWith("policy.json", JSON.stringify({ "staggered-starts": { minutes: -5 } }))],
      /policy\.json|policy pack config/,
    ],
  ])("%s", async (_name, argv, expected) => {
    const result = await check(argv());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(expected);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});

test("the shop site: two nodes, a template, its own snapshot; passes", async () => {
  const result = await check(["--stack", "shop", ...FROM]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("Stack shop against examples/shop-cluster.json: nodes shop1, shop2, 6 guests");
  // 2026-01-01T00:00Z is already 01:00 in Berlin: the first run after it is the next day.
  expect(result.stdout).toContain("next: 2026-01-02T01:00:00+01:00");
  // The template VM 9000 needs no tier.
  expect(result.stdout).toContain("Guests in no tier: none");
  // No job on the shop's snapshot yet: the plan creates each, with what the stack sets.
  expect(result.stdout).toContain(
    '  create    job backup-shop-p2-weekly\n            enabled: true\n            schedule: "sat 02:00"\n',
  );
});

test("a managed storage on another NFS export than the cluster's is not PASS: exit 1 (issue 19)", async () => {
  const cluster = snapshotWith("other-export", (s) => {
    s.storage.find((x: { storage: string }) => x.storage === "synology-backups").export = "/volume1/old";
  });
  const result = await check(["--cluster", cluster]);
  expect(result.stdout).toContain(
    "problem: PVE cannot change export of a storage: the provider would replace it, which protect stops",
  );
  expect(result.stdout).toMatch(
    /\nFAIL: 1 plan step\(s\) pulumi up would fail on \(synology-backups\); see "problem" above\.\n$/,
  );
  expect(result.exitCode).toBe(1);
});

test("a pool job on the tiers' storage whose pool holds a tier guest fails the check (issue 19)", async () => {
  const cluster = snapshotWith("pool-job", (s) => {
    s.resources.find((r: { vmid?: number }) => r.vmid === 102).pool = "prod";
    s.backup.push({
      id: "backup-pool-prod",
      schedule: "sat 02:00",
      storage: "synology-backups",
      enabled: 1,
      pool: "prod",
      "prune-backups": "keep-last=1",
    });
  });
  const result = await check(["--cluster", cluster, "--json"]);
  const violations = JSON.parse(result.stdout).violations as { policy: string; message: string }[];
  expect(violations.filter((v) => v.policy === "one-job-per-guest-and-storage").map((v) => v.message)).toEqual([
    expect.stringMatching(
      /^VM 102 \(vaultwarden\) is backed up to storage synology-backups by 2 enabled jobs: backup-home-p0-daily \(tier P0\), keeping keep-last=3; backup-pool-prod/,
    ),
  ]);
  expect(result.exitCode).toBe(1);
});
