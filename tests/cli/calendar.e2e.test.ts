/**
 * The issue's done-when, run the way a user runs it: `npm run calendar -- --from 2026-03-01T00:00:00Z
 * --weeks 2` has P2 recur on Sundays at 04:00 New York time (across the 2026-03-08 DST change), P0 and
 * P1 daily. (The occurrences' instants are checked against the schedule engine with an iCalendar
 * parser in calendar.test.ts.)
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
  // One event per job, recurring: its first run and its rule, in New York's wall clock.
  const rule = (job: string) => {
    const event = result.stdout.split("BEGIN:VEVENT").find((e) => e.includes(`X-PVE-JOB:${job}\r\n`))!;
    const unfolded = event.replace(/\r\n /g, "");
    return [/^DTSTART;TZID=America\/New_York:(\S+)\r$/m.exec(unfolded)?.[1], /^RRULE:(\S+)\r$/m.exec(unfolded)?.[1]];
  };
  expect(rule("backup-home-p2-weekly")).toEqual([
    "20260301T040000",
    "FREQ=WEEKLY;UNTIL=20260315T000000Z;BYDAY=SU;BYHOUR=4;BYMINUTE=0;BYSECOND=0",
  ]);
  expect(rule("backup-home-p0-daily")).toEqual([
    "20260301T030000",
    "FREQ=DAILY;UNTIL=20260315T000000Z;BYHOUR=3;BYMINUTE=0;BYSECOND=0",
  ]);
  expect(rule("backup-home-p1-daily")).toEqual([
    "20260301T031500",
    "FREQ=DAILY;UNTIL=20260315T000000Z;BYHOUR=3;BYMINUTE=15;BYSECOND=0",
  ]);
  expect(result.stdout).toContain("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n");
});
