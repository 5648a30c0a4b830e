/**
 * `report` as a command, in-process: the page written and summed up, the status document read and
 * validated, and bad input one line, exit 2. The model and the page are tests/report/model.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runReportCommand } from "../../cli/commands/report";
import { PROJECT_DIR } from "../../start/sources";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const STATUS_FILE = path.join(PROJECT_DIR, "tests/fixtures/status-home-2026-02-12.json");
/** The cluster the status fixture was read from (tests/cli/status.e2e.test.ts). */
const HOME_DAY = path.join(PROJECT_DIR, "tests/fixtures/clusters/home-day.json");
const NOW = new Date("2026-02-12T09:30:00Z");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function statusFileWith(name: string, change: (doc: any) => void): string {
  const doc = JSON.parse(fs.readFileSync(STATUS_FILE, "utf8"));
  change(doc);
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe("the command", () => {
  test("writes the page and says what it holds", async () => {
    const out = path.join(tmp, "home.html");
    const r = await runReportCommand(["--status", STATUS_FILE, "--cluster", HOME_DAY, "--out", out], {
      now: NOW,
      stackDir: FIXTURE_STACK_DIR,
    });
    expect(r).toEqual({
      exitCode: 0,
      stdout: `wrote ${out}: 3 tiers, 1 storage(s), 0 overlap(s) in the week from Thu 12 Feb 00:00, 5 guest states, policy PASS\n`,
      stderr: "",
    });
    const html = fs.readFileSync(out, "utf8");
    expect(html).toContain("<title>Backups of home</title>");
    expect(html).toContain('id="freshness"');
  });

  test("a status and a snapshot not of one cluster: the page and a warning say so, naming both", async () => {
    const out = path.join(tmp, "mixed.html");
    const snapshot = path.join(PROJECT_DIR, "examples/home-cluster.json"); // the jobs disabled by hand
    const r = await runReportCommand(["--status", STATUS_FILE, "--cluster", snapshot, "--out", out], {
      now: NOW,
      stackDir: FIXTURE_STACK_DIR,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe(
      `warning: ${STATUS_FILE} and ${snapshot} are not of one cluster (` +
        "the status saw job backup-home-p0-daily run at 2026-02-12T08:00:00Z, the snapshot has it disabled; " +
        "the status saw job backup-home-p1-daily run at 2026-02-12T08:15:00Z, the snapshot has it disabled); " +
        "the page says so: give --cluster a snapshot of the cluster the status read\n",
    );
    const html = fs.readFileSync(out, "utf8");
    expect(html).toContain("not one cluster</span> The plan and the policy verdict are of the snapshot");
    const consistent = await runReportCommand(["--status", STATUS_FILE, "--cluster", HOME_DAY, "--out", out], {
      now: NOW,
      stackDir: FIXTURE_STACK_DIR,
    });
    expect(consistent.stderr).toBe("");
    expect(fs.readFileSync(out, "utf8")).not.toContain("not one cluster");
  });

  test("the shop site, without a status: no freshness or space sections", async () => {
    const out = path.join(tmp, "shop.html");
    const r = await runReportCommand(["--stack", "shop", "--out", out], { now: NOW, stackDir: FIXTURE_STACK_DIR });
    expect(r.exitCode).toBe(0);
    const html = fs.readFileSync(out, "utf8");
    expect(html).toContain("<title>Backups of shop</title>");
    expect(html).not.toContain('id="freshness"');
    expect(html).not.toContain('id="capacity"');
  });

  test.each([
    ["a state it does not know", (d: any) => (d.guests[2].state = "BROKEN"), "$.guests[2].state"],
    ["a time that is not ISO", (d: any) => (d.at = "yesterday"), '$.at: is not an ISO-8601 time (got "yesterday")'],
    ["a missing storage size", (d: any) => delete d.storages[0].total, "$.storages[0].total"],
    ["a negative duration", (d: any) => (d.guests[0].duration = -5), "$.guests[0].duration"],
  ])("a status document with %s: exit 2, one line naming the file and the place", async (name, change, place) => {
    const file = statusFileWith(`${name}.json`, change);
    const r = await runReportCommand(["--status", file, "--out", path.join(tmp, "x.html")], {
      now: NOW,
      stackDir: FIXTURE_STACK_DIR,
    });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`error: ${file}: ${place}`);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });

  test("an empty status file (a status that failed before writing its JSON): one line saying so, exit 2", async () => {
    const empty = path.join(tmp, "empty-status.json");
    fs.writeFileSync(empty, "\n");
    const r = await runReportCommand(["--status", empty, "--out", path.join(tmp, "x.html")], {
      now: NOW,
      stackDir: FIXTURE_STACK_DIR,
    });
    expect(r).toEqual({
      exitCode: 2,
      stdout: "",
      stderr:
        `error: ${empty}: empty, no status document (write one with \`npm run -s status -- --json > FILE\`; ` +
        "when the status fails, its error is on the terminal and the file stays empty)\n",
    });
  });

  test("a status of another stack, a file that is not JSON, an unwritable --out, an unknown flag: exit 2", async () => {
    const shop = statusFileWith("shop.json", (d) => (d.stack = "shop"));
    const notJson = path.join(tmp, "not.json");
    fs.writeFileSync(notJson, "{");
    const run = (...argv: string[]) => runReportCommand(argv, { now: NOW, stackDir: FIXTURE_STACK_DIR });
    expect((await run("--status", shop)).stderr).toBe(
      `error: ${shop}: $.stack: the status is of stack 'shop', not 'home'\n`,
    );
    expect((await run("--status", notJson)).stderr).toMatch(new RegExp(`^error: ${notJson}: not valid JSON: `));
    expect(await run("--out", tmp)).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: `error: ${tmp}: a directory, not replaced; name a file\n`,
    });
    expect(await run("--stats", "x")).toEqual({ exitCode: 2, stdout: "", stderr: "error: unknown flag --stats\n" });
  });
});
