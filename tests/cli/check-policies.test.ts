/**
 * `npm run check` shows what the pack's newer rules find, in its text and JSON: an empty guest
 * listing (a token without VM.Audit), an offline node, a schedule's warnings and a tier that runs
 * hourly by mistake. Stacks with another schedule are written as Pulumi.<stack>.yaml files of their
 * own, as a user would, in a folder of stack files the check reads with --stack-dir.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify as toYaml } from "yaml";
import { runCheckCommand } from "../../cli/commands/check";
import { SITE_KEY } from "../../tiers/config";
import { FIXTURE_STACK_DIR, fixtureSite } from "../support/stacks";
import { PROJECT_DIR } from "../../start/sources";

/** The check on the fixture stack files (home, shop). */
const check = (argv: string[]) => runCheckCommand(argv, { stackDir: FIXTURE_STACK_DIR });
const FROM = ["--from", "2026-01-01T00:00:00Z"];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-policies-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function snapshotWith(base: string, name: string, change: (s: any) => void): string {
  const snapshot = JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "examples", base), "utf8"));
  change(snapshot);
  const file = path.join(tmp, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(snapshot));
  return file;
}

/** A stack like home with one change to its site; returns the stack's name. */
function homeStackWith(name: string, change: (site: any) => void): string {
  const site = fixtureSite("home");
  change(site);
  const stack = `test-${name}`;
  fs.writeFileSync(path.join(tmp, `Pulumi.${stack}.yaml`), toYaml({ config: { [SITE_KEY]: site } }));
  return stack;
}

const HOME = ["--cluster", path.join(PROJECT_DIR, "examples/home-cluster.json")];

test("a cluster listing no guests (a token without VM.Audit) fails, and says why", async () => {
  const cluster = snapshotWith("home-cluster.json", "no-guests", (s) => (s.resources = []));
  const result = await check(["--cluster", cluster, ...FROM]);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("nodes pve, 0 guests");
  expect(result.stdout).toMatch(
    /\[mandatory\] tier-guests-exist: the cluster lists no guests at all, while tiers P0, P1, P2 name 5 .*VM\.Audit/,
  );
  expect(result.stdout.trim().split("\n").pop()).toMatch(/^FAIL/);
});

test("a deleted guest fails, naming the tier and the guest", async () => {
  const cluster = snapshotWith(
    "home-cluster.json",
    "no-101",
    (s) => (s.resources = s.resources.filter((r: any) => r.vmid !== 101)),
  );
  const doc = JSON.parse((await check(["--cluster", cluster, "--json", ...FROM])).stdout);
  expect(doc.passed).toBe(false);
  expect(doc.violations).toContainEqual(
    expect.objectContaining({
      policy: "tier-guests-exist",
      level: "mandatory",
      message: expect.stringMatching(/^tier P2 names VM 101 \(immich\), which the cluster does not have/),
    }),
  );
});

test("the shop with a node offline: reported, its guests unknown, not missing; still passes", async () => {
  const cluster = snapshotWith("shop-cluster.json", "shop2-offline", (s) => (s.nodes[1].status = "offline"));
  const result = await check(["--stack", "shop", "--cluster", cluster, ...FROM]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain("nodes shop1, shop2 (offline: shop2; their guests are unknown), 3 guests");
  expect(result.stdout).toMatch(
    /\[advisory\] nodes-online: node shop2 is offline: .*\(not found on the online nodes: VM 201 \(fileserver\) of tier P0, LXC 211 \(monitoring\) of tier P1, VM 220 \(build-runner\) of tier P2\)/,
  );
  expect(result.stdout).not.toContain("[mandatory]");
  const doc = JSON.parse((await check(["--stack", "shop", "--cluster", cluster, "--json", ...FROM])).stdout);
  expect(doc.offlineNodes).toEqual(["shop2"]);
});

test("a schedule's warning shows under its tier and as an advisory; the check passes", async () => {
  const stack = homeStackWith("weekly", (site) => (site.tiers[2].schedule = "weekly"));
  const result = await runCheckCommand(["--stack", stack, "--stack-dir", tmp, ...HOME, ...FROM]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain(
    "  schedule   weekly  next: 2026-01-05T00:00:00-05:00, 2026-01-12T00:00:00-05:00, 2026-01-19T00:00:00-05:00\n" +
      "  warning    'weekly' runs on Mondays at 00:00, not on the weekday the job was created\n",
  );
  expect(result.stdout).toContain(
    "[advisory] schedule-warnings: job backup-home-p2-weekly (tier P2): schedule 'weekly'",
  );
  const doc = JSON.parse(
    (await runCheckCommand(["--stack", stack, "--stack-dir", tmp, ...HOME, "--json", ...FROM])).stdout,
  );
  expect(doc.tiers[2].warnings).toEqual(["'weekly' runs on Mondays at 00:00, not on the weekday the job was created"]);
});

test("a tier that runs every hour by mistake fails; marked frequent, it passes", async () => {
  const mistake = homeStackWith("hourly", (site) => (site.tiers[1].schedule = "mon..fri 22"));
  const failed = await runCheckCommand(["--stack", mistake, "--stack-dir", tmp, ...HOME, ...FROM]);
  expect(failed.exitCode).toBe(1);
  expect(failed.stdout).toMatch(
    /\[mandatory\] schedules-run: job backup-home-p1-daily \(tier P1\): schedule 'mon\.\.fri 22' runs hourly or more often/,
  );
  const meant = homeStackWith("frequent", (site) =>
    Object.assign(site.tiers[1], { schedule: "mon..fri 22", frequent: true }),
  );
  const passed = await runCheckCommand(["--stack", meant, "--stack-dir", tmp, ...HOME, ...FROM]);
  expect(passed.exitCode).toBe(0);
  expect(passed.stdout).toMatch(/\[advisory\] schedule-warnings: job backup-home-p1-daily \(tier P1\): .*minute 22/);
});

test("a schedule that never runs fails, naming the tier", async () => {
  const stack = homeStackWith("never", (site) => (site.tiers[0].schedule = "*-02-30"));
  const result = await runCheckCommand(["--stack", stack, "--stack-dir", tmp, ...HOME, ...FROM]);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("schedule   *-02-30  next: never\n");
  expect(result.stdout).toMatch(
    /\[mandatory\] schedules-run: job backup-home-p0-daily \(tier P0\): schedule '\*-02-30' never runs/,
  );
});

test("staggered-starts gives the same verdict whatever --from (and whatever day) the check runs", async () => {
  const stack = homeStackWith("monthly", (site) => (site.tiers[1].schedule = "*-*-1 03:05"));
  const verdicts: unknown[] = [];
  // One at a time: the program runs under the process's one set of Pulumi mocks.
  for (const from of ["2026-01-01T00:00:00Z", "2026-01-10T00:00:00Z", "2026-03-08T02:30:00-05:00"]) {
    const doc = JSON.parse(
      (await runCheckCommand(["--stack", stack, "--stack-dir", tmp, ...HOME, "--json", "--from", from])).stdout,
    );
    verdicts.push(doc.violations.filter((v: any) => v.policy === "staggered-starts"));
  }
  expect(verdicts[0]).toEqual([
    expect.objectContaining({
      level: "advisory",
      message: expect.stringMatching(/^jobs backup-home-p0-daily and backup-home-p1-daily .* start 5 minutes apart/),
    }),
  ]);
  expect(verdicts[1]).toEqual(verdicts[0]);
  expect(verdicts[2]).toEqual(verdicts[0]);
});
