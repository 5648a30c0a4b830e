/**
 * `npm run calendar -- [--stack home] [--from ISO] [--weeks N] [--out FILE]`
 *
 * The backup windows as an iCalendar file for a calendar app: one event per run of each tier's job
 * over the next N weeks, the runs computed by the schedule engine in the site's time zone (UTC for
 * a schedule ending in `UTC`). Each event names the tier, the job, the storage and the guests, and
 * has a UID made of the job and the run's instant, so a re-imported or subscribed calendar updates
 * its events instead of doubling them.
 *
 * Times are written as wall-clock times with the site's TZID and a VTIMEZONE (from
 * timezones-ical-library), so a calendar app shows 04:00 New York time on both sides of a DST
 * change. The VTIMEZONE is cross-checked against the runtime's zone data, which the schedule engine
 * uses, at every run; should they disagree (a zone whose rules changed), events are written in UTC,
 * which is always the right instant.
 *
 * Exit codes: 0 written; 2 bad input (flags, stack config), one line naming the place; 3 a bug.
 */
import { TZDate } from "@date-fns/tz";
import ical, { ICalCalendar, ICalEventTransparency } from "ical-generator";
import { tzlib_get_ical_block, tzlib_get_offset, tzlib_get_timezones } from "timezones-ical-library";
import { formatIsoTime } from "../../tiers/calendar";
import { Site, Tier } from "../../tiers/config";
import { formatPruneBackups } from "../../pve/retention";
import { CommandResult, UsageError, parseArgs, parseTimeFlag, runMain, userErrorResult, writeOutputFile } from "../cli";
import { PROJECT_DIR } from "../../start/sources";
import { DEFAULT_STACK, readStackSite } from "../stack";
import { NOMINAL_RUN_MINUTES, tierRunsBetween } from "../../report/windows";

const DEFAULT_WEEKS = 4;
const MAX_WEEKS = 53;
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

const USAGE =
  "usage: npm run calendar -- [--stack NAME] [--from ISO] [--weeks N] [--out FILE]\n" +
  "  --stack  the stack whose Pulumi.<stack>.yaml to read (default home)\n" +
  "  --from   list runs after this time (default now); without an offset it is in the site's time zone\n" +
  `  --weeks  how many weeks of runs, 1-${MAX_WEEKS} (default ${DEFAULT_WEEKS})\n` +
  "  --out    write the iCalendar file here (default: standard output)\n";

const SPEC = {
  stack: { type: "string" },
  from: { type: "string" },
  weeks: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs the command in-process (tests use this; the entry point below only prints the result). */
export function runCalendarCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): CommandResult {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const stack = flags.stack ?? DEFAULT_STACK;
    const weeks = flags.weeks === undefined ? DEFAULT_WEEKS : parseWeeks(flags.weeks);
    const { site } = readStackSite(options.stackDir ?? PROJECT_DIR, stack);
    const now = options.now ?? new Date();
    const from = flags.from === undefined ? now : parseTimeFlag("--from", flags.from, site.timezone, now);
    const until = new Date(from.getTime() + weeks * WEEK_MS);
    const calendar = backupCalendar({ stack, site, from, until, stamp: now });
    const text = calendar.ics;
    if (flags.out === undefined) return { exitCode: 0, stdout: text, stderr: calendar.warnings.join("") };
    writeOutputFile(flags.out, text);
    const summary =
      `wrote ${calendar.events} runs of ${site.tiers.length} jobs from ${formatIsoTime(from, site.timezone)} ` +
      `to ${formatIsoTime(until, site.timezone)} (${calendar.timeZone}) to ${flags.out}\n`;
    return { exitCode: 0, stdout: summary, stderr: calendar.warnings.join("") };
  } catch (err) {
    return userErrorResult(err);
  }
}

function parseWeeks(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_WEEKS))
    throw new UsageError(`--weeks must be a whole number from 1 to ${MAX_WEEKS}, got '${text}'`);
  return n;
}

export interface BackupCalendar {
  /** The iCalendar text (CRLF line ends, as RFC 5545 has them). */
  ics: string;
  /** How many events (runs) it holds. */
  events: number;
  /** The TZID its times are written in, or "UTC". */
  timeZone: string;
  /** Lines for standard error (each ending in a newline). */
  warnings: string[];
}

/** The stable UID of one run of a job: the job id and the run's instant in UTC, per stack. */
export function runUid(stack: string, job: string, run: Date): string {
  const instant = run
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  return `${job}-${instant}@${stack}.pve-backup-tiers`;
}

const GUEST_KIND_LABEL = { qemu: "VM", lxc: "LXC" } as const;

/** The site's tiers' runs with from < run <= until as an iCalendar document. */
export function backupCalendar(options: {
  stack: string;
  site: Site;
  from: Date;
  until: Date;
  stamp: Date;
}): BackupCalendar {
  const { stack, site, from, until, stamp } = options;
  const tierRuns = tierRunsBetween(site.tiers, from, until, site.timezone);
  const warnings: string[] = [];
  const allRuns = tierRuns.flatMap((t) => t.runs);
  const tzid = vtimezoneFor(site.timezone, allRuns, warnings);

  const calendar: ICalCalendar = ical({
    name: `Backups of ${stack}`,
    description: `The backup windows of the ${stack} site (pve-backup-tiers)`,
    prodId: { company: "pve-backup-tiers", product: "calendar", language: "EN" },
  });
  if (tzid !== undefined) {
    // The zone goes on each event (TZID), the calendar only generates its VTIMEZONE: given a named
    // calendar zone, ical-generator writes DTSTAMP as a wall time in it, where RFC 5545 wants UTC.
    calendar.timezone({ name: "", generator: (zone: string) => vtimezoneBlock(zone)?.block ?? null });
    calendar.x([{ key: "X-WR-TIMEZONE", value: tzid }]);
  }
  let events = 0;
  for (const { tier, timeZone: scheduleZone, runs } of tierRuns) {
    const description = describeTier(tier, scheduleZone);
    for (const run of runs) {
      const end = new Date(run.getTime() + NOMINAL_RUN_MINUTES * 60_000);
      calendar.createEvent({
        id: runUid(stack, tier.job, run),
        stamp,
        start: tzid === undefined ? run : new TZDate(run.getTime(), tzid),
        end: tzid === undefined ? end : new TZDate(end.getTime(), tzid),
        timezone: tzid ?? null,
        summary: `Backup ${tier.id}: ${tier.job} → ${tier.storage}`,
        description,
        categories: [{ name: tier.id }],
        transparency: ICalEventTransparency.TRANSPARENT,
        x: [
          { key: "X-PVE-TIER", value: tier.id },
          { key: "X-PVE-JOB", value: tier.job },
          { key: "X-PVE-STORAGE", value: tier.storage },
          { key: "X-PVE-VMIDS", value: tier.guests.map((g) => g.vmid).join(",") },
        ],
      });
      events += 1;
    }
  }
  return { ics: calendar.toString(), events, timeZone: tzid ?? "UTC", warnings };
}

function describeTier(tier: Tier, scheduleZone: string): string {
  const mail = tier.notification && tier.notification.mailto.length > 0;
  return [
    `Tier ${tier.id}: ${tier.description} (priority ${tier.priority}${tier.critical ? ", critical" : ""})`,
    `Job: ${tier.job}`,
    `Schedule: ${tier.schedule} (${scheduleZone})`,
    `Storage: ${tier.storage}`,
    `Retention: ${formatPruneBackups(tier.retention) || "the storage's"}`,
    ...(mail ? [`Mail: ${tier.notification?.when} to ${tier.notification?.mailto.join(", ")}`] : []),
    `Guests: ${tier.guests.map((g) => `${GUEST_KIND_LABEL[g.kind]} ${g.vmid} ${g.name}`).join(", ")}`,
    `The event lasts a nominal ${NOMINAL_RUN_MINUTES} minutes: PVE does not say in advance how long a run takes.`,
  ].join("\n");
}

/** The library's VTIMEZONE for a zone (an alias resolves to its canonical TZID), if it has one. */
function vtimezoneBlock(zone: string): { tzid: string; block: string } | undefined {
  if (!(tzlib_get_timezones() as string[]).includes(zone)) return undefined;
  const found = tzlib_get_ical_block(zone);
  if (!Array.isArray(found) || !found[0]) return undefined;
  const tzid = /^TZID:(.+)$/m.exec(found[0])?.[1]?.trim();
  return tzid ? { tzid, block: found[0] } : undefined;
}

/**
 * The TZID to write the events in: the site's zone when a VTIMEZONE for it exists and gives, at
 * every run, the offset the schedule engine used; else undefined (UTC), with a warning saying why.
 */
function vtimezoneFor(timeZone: string, runs: readonly Date[], warnings: string[]): string | undefined {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return undefined;
  const found = vtimezoneBlock(timeZone);
  if (!found) {
    warnings.push(`warning: no VTIMEZONE for ${timeZone}; the events are written in UTC (the same instants)\n`);
    return undefined;
  }
  for (const run of runs) {
    const local = formatIsoTime(run, timeZone); // 2026-03-08T04:00:00-04:00
    const engineOffset = local.slice(19).replace(":", "");
    const vtimezoneOffset = tzlib_get_offset(found.tzid, local.slice(0, 10), local.slice(11, 16));
    if (vtimezoneOffset !== engineOffset) {
      warnings.push(
        `warning: the VTIMEZONE of ${timeZone} gives ${vtimezoneOffset} at ${local}, this runtime's zone data ` +
          `${engineOffset}; the events are written in UTC (the same instants)\n`,
      );
      return undefined;
    }
  }
  return found.tzid;
}

if (require.main === module) runMain(runCalendarCommand);
