/**
 * The done-when, run the way a user runs it: `npm run calendar -- --from 2026-03-01T00:00:00Z
 * --weeks 2` lists P2's runs on Sundays at 04:00 New York time on both sides of the 2026-03-08 DST
 * change, with P0 and P1 daily. (The events' instants are checked against the schedule engine with an
 * iCalendar parser in calendar.test.ts.)
 */
import { spawnSync } from "child_process";
import { PROJECT_DIR } from "../../start/sources";

test("npm run calendar: the home site's two weeks across the DST change", () => {
  const result = spawnSync(
    "npm",
    ["run", "--silent", "calendar", "--", "--from", "2026-03-01T00:00:00Z", "--weeks", "2"],
    { cwd: PROJECT_DIR, encoding: "utf8" },
  );
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const starts = (job: string) =>
    result.stdout
      .split("BEGIN:VEVENT")
      .filter((event) => event.includes(`X-PVE-JOB:${job}\r\n`))
      .map((event) => /^DTSTART;TZID=America\/New_York:(\S+)\r$/m.exec(event)?.[1]);
  expect(starts("backup-home-p2-weekly")).toEqual(["20260301T040000", "20260308T040000"]);
  const days = Array.from({ length: 14 }, (_, i) => `202603${String(i + 1).padStart(2, "0")}`);
  expect(starts("backup-home-p0-daily")).toEqual(days.map((d) => `${d}T030000`));
  expect(starts("backup-home-p1-daily")).toEqual(days.map((d) => `${d}T031500`));
  expect(result.stdout).toContain("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n");
});
