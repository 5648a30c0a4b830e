/**
 * The backup windows as iCalendar (report/ics.ts), parsed back with an independent parser: schedules
 * ending in UTC, a site in UTC, zone aliases and DST changes give the schedule engine's instants;
 * UIDs are stable. The command is tests/cli/calendar.test.ts.
 */
import { backupCalendar, runUid } from "../../report/ics";
import { CalendarEvent } from "../../tiers/calendar";
import { Site } from "../../tiers/config";
import { parseSite } from "../../tiers/siteRules";
import { readSiteFile } from "../../tiers/stackConfig";
import { parseIcs } from "../support/ics";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const NOW = new Date("2026-02-20T12:00:00Z");
const FROM = "2026-03-01T00:00:00Z";

describe("time zones", () => {
  /** The home site with its tiers' schedules and the zone replaced. */
  function siteWith(timezone: string, schedules: Record<string, string>): Site {
    const raw = JSON.parse(readSiteFile(FIXTURE_STACK_DIR, "home").config["pve-backup-tiers:site"]);
    raw.timezone = timezone;
    for (const tier of raw.tiers) tier.schedule = schedules[tier.id] ?? tier.schedule;
    return parseSite(raw, "Pulumi.test.yaml");
  }
  const window = { stack: "test", from: new Date(FROM), until: new Date("2026-03-15T00:00:00Z"), stamp: NOW };

  test("a schedule ending in UTC recurs at that UTC time: its rule is written in UTC", () => {
    const site = siteWith("America/New_York", { P2: "sun 09:00 UTC" });
    const calendar = backupCalendar({ ...window, site });
    const p2 = parseIcs(calendar.ics).filter((e) => e.tier === "P2");
    expect(p2.map((e) => [e.start.toISOString(), e.tzid])).toEqual([
      ["2026-03-01T09:00:00.000Z", null],
      ["2026-03-08T09:00:00.000Z", null], // 05:00 in New York after its DST change
    ]);
    expect(calendar.ics).toContain("\r\nDTSTART:20260301T090000Z\r\n");
    expect(calendar.ics.replace(/\r\n /g, "")).toContain(
      "\r\nRRULE:FREQ=WEEKLY;UNTIL=20260315T000000Z;BYDAY=SU;BYHOUR=9;BYMINUTE=0;BYSECOND=0\r\n",
    );
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

describe("recurring events, in RFC 5545's order", () => {
  const HOME = readSiteFile(FIXTURE_STACK_DIR, "home").site;
  const from = new Date(FROM);
  const until = new Date("2026-03-15T00:00:00Z");
  const calendar = backupCalendar({ stack: "home", site: HOME, from, until, stamp: NOW });
  const vevents = calendar.ics.split("BEGIN:VEVENT\r\n").slice(1);

  test("a daily or weekly schedule is one event with its RRULE, whose occurrences (ical.js) are the engine's runs", () => {
    expect(vevents).toHaveLength(3);
    expect(vevents.map((e) => /^RRULE:(\S+)\r$/m.exec(e.replace(/\r\n /g, ""))?.[1])).toEqual([
      "FREQ=DAILY;UNTIL=20260315T000000Z;BYHOUR=3;BYMINUTE=0;BYSECOND=0",
      "FREQ=DAILY;UNTIL=20260315T000000Z;BYHOUR=3;BYMINUTE=15;BYSECOND=0",
      "FREQ=WEEKLY;UNTIL=20260315T000000Z;BYDAY=SU;BYHOUR=4;BYMINUTE=0;BYSECOND=0",
    ]);
    const parsed = parseIcs(calendar.ics);
    for (const tier of HOME.tiers) {
      const engine = CalendarEvent.parse(tier.schedule).runsBetween(from, until, HOME.timezone);
      expect(parsed.filter((e) => e.job === tier.job && e.recurring).map((e) => e.start.toISOString())).toEqual(
        engine.map((d) => d.toISOString()),
      );
    }
    expect(calendar.events).toBe(30);
  });

  test("a schedule iCalendar cannot say as a rule (a day of the month) is expanded: one event per run", () => {
    const site = parseSite(
      { ...JSON.parse(readSiteFile(FIXTURE_STACK_DIR, "home").config["pve-backup-tiers:site"]) },
      "Pulumi.test.yaml",
    );
    site.tiers[2].schedule = "sat *-1..7 04:00"; // the first Saturday of the month
    const text = backupCalendar({ stack: "home", site, from, until: new Date("2026-06-01T00:00:00Z"), stamp: NOW }).ics;
    const p2 = parseIcs(text).filter((e) => e.tier === "P2");
    expect(p2.map((e) => [e.wall, e.recurring, e.uid])).toEqual([
      ["2026-03-07T04:00:00", false, "backup-home-p2-weekly-20260307T090000Z@home.pve-backup-tiers"],
      ["2026-04-04T04:00:00", false, "backup-home-p2-weekly-20260404T080000Z@home.pve-backup-tiers"],
      ["2026-05-02T04:00:00", false, "backup-home-p2-weekly-20260502T080000Z@home.pve-backup-tiers"],
    ]);
    expect(text.match(/^RRULE:FREQ=(DAILY|WEEKLY);/gm)).toHaveLength(2); // P0 and P1 still recur
  });

  test("properties in RFC 5545's order, SEQUENCE the export's minute, and a CRLF after the last line", () => {
    expect(
      calendar.ics.startsWith("BEGIN:VCALENDAR\r\nPRODID:-//pve-backup-tiers//calendar//EN\r\nVERSION:2.0\r\n"),
    ).toBe(true);
    expect(calendar.ics.endsWith("END:VEVENT\r\nEND:VCALENDAR\r\n")).toBe(true);
    const rfcOrder = [
      "DTSTAMP",
      "UID",
      "DTSTART",
      "DESCRIPTION",
      "SEQUENCE",
      "SUMMARY",
      "TRANSP",
      "RRULE",
      "DTEND",
      "CATEGORIES",
    ];
    for (const event of vevents) {
      const names = event
        .split("\r\n")
        .filter((l) => /^[A-Z]/.test(l) && !l.startsWith("END:"))
        .map((l) => /^[A-Z-]+/.exec(l)![0]);
      expect(names.filter((n) => !n.startsWith("X-"))).toEqual(rfcOrder);
      expect(names.slice(rfcOrder.length).every((n) => n.startsWith("X-PVE-"))).toBe(true);
      expect(event).toContain(`\r\nSEQUENCE:${Math.floor(NOW.getTime() / 60_000)}\r\n`);
    }
    const later = backupCalendar({ stack: "home", site: HOME, from, until, stamp: new Date(NOW.getTime() + 60_000) });
    expect(later.ics).toContain(`\r\nSEQUENCE:${Math.floor(NOW.getTime() / 60_000) + 1}\r\n`);
  });
});

test("a UID is the job and the run's UTC instant, per stack", () => {
  expect(runUid("shop", "backup-shop-p0", new Date("2026-03-08T08:00:00.000Z"))).toBe(
    "backup-shop-p0-20260308T080000Z@shop.pve-backup-tiers",
  );
});
