/**
 * `npm run calendar`: the iCalendar file, parsed back with an independent iCalendar parser (ical.js,
 * VTIMEZONE included), agrees with the schedule engine's runs across the 2026-03-08 DST change in
 * New York; bad input is one line and exit 2. (The iCalendar itself: tests/report/ics.test.ts.)
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCalendarCommand } from "../../cli/commands/calendar";
import { ParsedEvent, parseIcs } from "../support/ics";
import { CalendarEvent } from "../../tiers/calendar";
import type { Site } from "../../tiers/config";
import { readSiteFile } from "../../tiers/stackConfig";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const NOW = new Date("2026-02-20T12:00:00Z");
const FROM = "2026-03-01T00:00:00Z";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "calendar-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let home: Site;
beforeAll(() => {
  home = readSiteFile(FIXTURE_STACK_DIR, "home").site;
});

describe("the home site's calendar across the DST change", () => {
  let events: ParsedEvent[];
  let result: ReturnType<typeof runCalendarCommand>;
  beforeAll(() => {
    result = runCalendarCommand(["--from", FROM, "--weeks", "2"], { now: NOW, stackDir: FIXTURE_STACK_DIR });
    events = parseIcs(result.stdout);
  });

  test("exits 0 and writes an iCalendar document with the site's VTIMEZONE", () => {
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.startsWith("BEGIN:VCALENDAR\r\n")).toBe(true);
    expect(result.stdout).toContain("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n");
    // DTSTAMP is UTC, as RFC 5545 requires.
    expect(result.stdout).toContain("DTSTAMP:20260220T120000Z\r\n");
  });

  test("each tier's events are exactly the schedule engine's runs, as instants", () => {
    const from = new Date(FROM);
    const until = new Date("2026-03-15T00:00:00Z");
    for (const tier of home.tiers) {
      const engineRuns = CalendarEvent.parse(tier.schedule).runsBetween(from, until, home.timezone);
      const calendarRuns = events.filter((e) => e.job === tier.job).map((e) => e.start.toISOString());
      expect(calendarRuns).toEqual(engineRuns.map((d) => d.toISOString()));
    }
  });

  test("P2 runs on Sundays at 04:00 New York time on both sides of 2026-03-08", () => {
    const p2 = events.filter((e) => e.tier === "P2");
    expect(p2.map((e) => [e.tzid, e.wall, e.start.toISOString()])).toEqual([
      ["America/New_York", "2026-03-01T04:00:00", "2026-03-01T09:00:00.000Z"], // EST, UTC-5
      ["America/New_York", "2026-03-08T04:00:00", "2026-03-08T08:00:00.000Z"], // EDT, UTC-4
    ]);
  });

  test("P0 and P1 run daily at 03:00 and 03:15 New York time, fourteen days each", () => {
    const walls = (tier: string) => events.filter((e) => e.tier === tier).map((e) => e.wall);
    const days = Array.from({ length: 14 }, (_, i) => `2026-03-${String(i + 1).padStart(2, "0")}`);
    expect(walls("P0")).toEqual(days.map((d) => `${d}T03:00:00`));
    expect(walls("P1")).toEqual(days.map((d) => `${d}T03:15:00`));
    const p0 = events.filter((e) => e.tier === "P0");
    expect(p0[6].start.toISOString()).toBe("2026-03-07T08:00:00.000Z");
    expect(p0[7].start.toISOString()).toBe("2026-03-08T07:00:00.000Z");
  });

  test("an event names its tier, job, storage and guests, and lasts the nominal run length", () => {
    const sunday = events.find((e) => e.tier === "P2" && e.wall.startsWith("2026-03-08"))!;
    expect(sunday.summary).toBe("Backup P2: backup-home-p2-weekly → synology-backups");
    expect(sunday.storage).toBe("synology-backups");
    expect(sunday.vmids).toBe("101,105");
    expect(sunday.description).toContain("Job: backup-home-p2-weekly");
    expect(sunday.description).toContain("Schedule: sun 04:00 (America/New_York)");
    expect(sunday.description).toContain("Retention: keep-last=2");
    expect(sunday.description).toContain("Guests: VM 101 immich, LXC 105 pihole");
    expect(sunday.end.getTime() - sunday.start.getTime()).toBe(10 * 60_000);
  });

  test("UIDs: one per job (its recurring event), the same when the calendar is made again from another start", () => {
    const runs = events.map((e) => `${e.uid} ${e.start.toISOString()}`);
    expect(new Set(runs).size).toBe(runs.length);
    expect([...new Set(events.map((e) => e.uid))]).toEqual(home.tiers.map((t) => `${t.job}@home.pve-backup-tiers`));
    const later = parseIcs(
      runCalendarCommand(["--from", "2026-03-05T12:00:00Z", "--weeks", "1"], { now: NOW, stackDir: FIXTURE_STACK_DIR })
        .stdout,
    );
    const shared = later.filter((e) => e.start < new Date("2026-03-15T00:00:00Z"));
    expect(shared.length).toBeGreaterThan(0);
    for (const e of shared) expect(runs).toContain(`${e.uid} ${e.start.toISOString()}`);
  });
});

describe("the command line", () => {
  const run = (...argv: string[]) => runCalendarCommand(argv, { now: NOW, stackDir: FIXTURE_STACK_DIR });

  test("--out writes the file and says what it wrote", () => {
    const out = path.join(tmp, "home.ics");
    const r = run("--from", FROM, "--weeks", "1", "--out", out);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(
      `wrote 15 runs of 3 jobs from 2026-02-28T19:00:00-05:00 to 2026-03-07T19:00:00-05:00 (America/New_York) to ${out}\n`,
    );
    expect(parseIcs(fs.readFileSync(out, "utf8"))).toHaveLength(15);
  });

  test("without --from the runs start now; without --weeks they span four weeks", () => {
    const r = run();
    const events = parseIcs(r.stdout);
    expect(events[0].start.getTime()).toBeGreaterThan(NOW.getTime());
    const last = Math.max(...events.map((e) => e.start.getTime()));
    expect(last).toBeLessThanOrEqual(NOW.getTime() + 28 * 24 * 3600_000);
    expect(events.filter((e) => e.tier === "P2")).toHaveLength(4);
  });

  test("--from without an offset is the site's wall clock", () => {
    const events = parseIcs(run("--from", "2026-03-08T03:59:00", "--weeks", "1").stdout);
    expect(events.find((e) => e.tier === "P2")!.start.toISOString()).toBe("2026-03-08T08:00:00.000Z");
    expect(events.find((e) => e.tier === "P0")!.wall).toBe("2026-03-09T03:00:00");
  });

  test.each([
    [["--weeks", "0"], "error: --weeks must be a whole number from 1 to 53, got '0'\n"],
    [["--weeks", "2.5"], "error: --weeks must be a whole number from 1 to 53, got '2.5'\n"],
    [
      ["--from", "2026-03-01"],
      "error: --from: not a full ISO time (date and time): '2026-03-01'; e.g. 2026-01-01T03:00 (in America/New_York) or 2026-01-01T08:00:00Z\n",
    ],
    [
      ["--stack", "nope"],
      "error: stack 'nope' does not exist: no Pulumi.nope.yaml (stacks: home, nas-by-hand, shop)\n",
    ],
    [["--stack", "../home"], "error: --stack: not a stack name: '../home'\n"],
    [["--bogus"], "error: unknown flag --bogus\n"],
    [["sun"], "error: unexpected argument 'sun'\n"],
  ])("%j: exit 2 with one line", (argv, stderr) => {
    expect(run(...argv)).toEqual({ exitCode: 2, stdout: "", stderr });
  });

  test("an --out that cannot be written: exit 2 naming the file", () => {
    const r = run("--out", tmp);
    expect(r).toEqual({ exitCode: 2, stdout: "", stderr: `error: ${tmp}: a directory, not replaced; name a file\n` });
  });
});
