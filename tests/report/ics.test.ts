/**
 * The backup windows as iCalendar (report/ics.ts), parsed back with an independent parser: schedules
 * ending in UTC, a site in UTC, zone aliases and DST changes give the schedule engine's instants;
 * UIDs are stable. The command is tests/cli/calendar.test.ts.
 */
import { backupCalendar, runUid } from "../../report/ics";
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

test("a UID is the job and the run's UTC instant, per stack", () => {
  expect(runUid("shop", "backup-shop-p0", new Date("2026-03-08T08:00:00.000Z"))).toBe(
    "backup-shop-p0-20260308T080000Z@shop.pve-backup-tiers",
  );
});
