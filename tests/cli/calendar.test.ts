/**
 * `npm run calendar`: the iCalendar file, parsed back with an independent iCalendar parser (ical.js,
 * VTIMEZONE included), agrees with the schedule engine's runs across the 2026-03-08 DST change in
 * New York; UIDs are stable; bad input is one line and exit 2. Also the shared `--from` parser.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import ICAL from "ical.js";
import { backupCalendar, runCalendarCommand, runUid } from "../../cli/commands/calendar";
import { CalendarEvent } from "../../tiers/calendar";
import { Site } from "../../tiers/config";
import { parseSite } from "../../tiers/siteRules";
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

interface ParsedEvent {
  uid: string;
  tier: string;
  job: string;
  storage: string;
  vmids: string;
  summary: string;
  description: string;
  start: Date;
  end: Date;
  /** DTSTART as written: its TZID and wall clock. */
  tzid: string | null;
  wall: string;
}

/** Parses an iCalendar text with ical.js, resolving TZIDs from the file's own VTIMEZONEs. */
function parseIcs(text: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  try {
    return calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      const dtstart = vevent.getFirstProperty("dtstart");
      const start = event.startDate;
      return {
        uid: event.uid,
        tier: String(vevent.getFirstPropertyValue("x-pve-tier")),
        job: String(vevent.getFirstPropertyValue("x-pve-job")),
        storage: String(vevent.getFirstPropertyValue("x-pve-storage")),
        // Written as TEXT (comma escaped); ical.js leaves X- properties it does not know raw.
        vmids: String(vevent.getFirstPropertyValue("x-pve-vmids")).replace(/\\,/g, ","),
        summary: event.summary,
        description: event.description,
        start: start.toJSDate(),
        end: event.endDate.toJSDate(),
        tzid: (dtstart?.getParameter("tzid") as string | undefined) ?? null,
        wall: start.toString(),
      };
    });
  } finally {
    ICAL.TimezoneService.reset();
  }
}

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

  test("UIDs: one per job and run, the same when the calendar is made again from another start", () => {
    const uids = events.map((e) => e.uid);
    expect(new Set(uids).size).toBe(uids.length);
    const sunday = events.find((e) => e.tier === "P2" && e.wall.startsWith("2026-03-08"))!;
    expect(sunday.uid).toBe("backup-home-p2-weekly-20260308T080000Z@home.pve-backup-tiers");
    const later = parseIcs(
      runCalendarCommand(["--from", "2026-03-05T12:00:00Z", "--weeks", "1"], { now: NOW, stackDir: FIXTURE_STACK_DIR })
        .stdout,
    );
    const shared = later.filter((e) => e.start < new Date("2026-03-15T00:00:00Z"));
    expect(shared.length).toBeGreaterThan(0);
    for (const e of shared) expect(uids).toContain(e.uid);
  });
});

describe("time zones", () => {
  /** The home site with its tiers' schedules and the zone replaced. */
  function siteWith(timezone: string, schedules: Record<string, string>): Site {
    const raw = JSON.parse(readSiteFile(FIXTURE_STACK_DIR, "home").config["pve-backup-tiers:site"]);
    raw.timezone = timezone;
    for (const tier of raw.tiers) tier.schedule = schedules[tier.id] ?? tier.schedule;
    return parseSite(raw, "Pulumi.test.yaml");
  }
  const window = { stack: "test", from: new Date(FROM), until: new Date("2026-03-15T00:00:00Z"), stamp: NOW };

  test("a schedule ending in UTC runs at that UTC time, shown in the site's zone", () => {
    const site = siteWith("America/New_York", { P2: "sun 09:00 UTC" });
    const p2 = parseIcs(backupCalendar({ ...window, site }).ics).filter((e) => e.tier === "P2");
    expect(p2.map((e) => [e.start.toISOString(), e.wall])).toEqual([
      ["2026-03-01T09:00:00.000Z", "2026-03-01T04:00:00"],
      ["2026-03-08T09:00:00.000Z", "2026-03-08T05:00:00"],
    ]);
    expect(p2[0].description).toContain("Schedule: sun 09:00 UTC (UTC)");
  });

  test("a site in UTC gets UTC times and no VTIMEZONE", () => {
    const calendar = backupCalendar({ ...window, site: siteWith("UTC", {}) });
    expect(calendar.timeZone).toBe("UTC");
    expect(calendar.ics).not.toContain("BEGIN:VTIMEZONE");
    expect(calendar.ics).toContain("DTSTART:20260301T040000Z\r\n"); // P2, sun 04:00 in UTC
  });

  test("a zone alias is written under its canonical TZID and still gives the engine's instants", () => {
    const site = siteWith("US/Eastern", {});
    const calendar = backupCalendar({ ...window, site });
    expect(calendar.timeZone).toBe("America/New_York");
    const p2 = parseIcs(calendar.ics).filter((e) => e.tier === "P2");
    expect(p2.map((e) => e.start.toISOString())).toEqual(["2026-03-01T09:00:00.000Z", "2026-03-08T08:00:00.000Z"]);
  });

  test("Europe/Vienna across its own DST change (2026-03-29)", () => {
    const site = siteWith("Europe/Vienna", {});
    const from = new Date("2026-03-22T00:00:00Z");
    const until = new Date("2026-04-05T00:00:00Z");
    const p2 = parseIcs(backupCalendar({ ...window, from, until, site }).ics).filter((e) => e.tier === "P2");
    expect(p2.map((e) => [e.wall, e.start.toISOString()])).toEqual([
      ["2026-03-22T04:00:00", "2026-03-22T03:00:00.000Z"],
      ["2026-03-29T04:00:00", "2026-03-29T02:00:00.000Z"],
    ]);
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

  test("a UID is the job and the run's UTC instant, per stack", () => {
    expect(runUid("shop", "backup-shop-p0", new Date("2026-03-08T08:00:00.000Z"))).toBe(
      "backup-shop-p0-20260308T080000Z@shop.pve-backup-tiers",
    );
  });
});
