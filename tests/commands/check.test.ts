/**
 * `npm run check`: the plan and the policy verdict from a cluster snapshot, and its exit codes.
 * Most cases run the command in-process; one spawns it the way a user runs it.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCheckCommand } from "../../commands/check";
import { FIXTURE_STACK_DIR } from "../stacks";

const ROOT = path.join(__dirname, "../..");
const HOME_SNAPSHOT = path.join(ROOT, "examples/home-cluster.json");
const FROM = ["--from", "2026-01-01T00:00:00Z"];
/** The check on the fixture copies of the stack files (tests/stacks.ts). */
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

test("--json: the planned resources, the coverage and the violations", async () => {
  const result = await check(["--json", ...FROM]);
  expect(result.exitCode).toBe(0);
  const doc = JSON.parse(result.stdout);
  expect(doc.passed).toBe(true);
  expect(
    doc.resources.filter((r: any) => r.type === "proxmoxve:backup/job:Job").map((r: any) => r.inputs.resourceId),
  ).toEqual(["backup-home-p0-daily", "backup-home-p1-daily", "backup-home-p2-weekly"]);
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
  expect(Array.isArray(doc.violations)).toBe(true);
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

test("as a user runs it: npm run check exits 0 on the home site, 2 without a stack trace on bad input", () => {
  const ok = spawnSync("npm", ["run", "--silent", "check", "--", "--stack-dir", FIXTURE_STACK_DIR], {
    cwd: ROOT,
    encoding: "utf8",
  });
  expect(ok.stderr).toBe("");
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain("Tier P2: weekly");

  const bad = spawnSync(
    "npm",
    ["run", "--silent", "check", "--", "--stack-dir", FIXTURE_STACK_DIR, "--cluster", "examples/nope.json"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe("error: examples/nope.json: cannot read (no such file)");
});

test("the shop site: two nodes, a template, its own snapshot; passes", async () => {
  const result = await check(["--stack", "shop", ...FROM]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("Stack shop against examples/shop-cluster.json: nodes shop1, shop2, 6 guests");
  // 2026-01-01T00:00Z is already 01:00 in Berlin: the first run after it is the next day.
  expect(result.stdout).toContain("next: 2026-01-02T01:00:00+01:00");
  // The template VM 9000 needs no tier.
  expect(result.stdout).toContain("Guests in no tier: none");
});
