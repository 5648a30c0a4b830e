/**
 * The backup windows as an iCalendar document for a calendar app (`calendar`): one event per run of
 * each tier's job, the runs computed by the schedule engine in the site's time zone (UTC for a
 * schedule ending in `UTC`). Each event names the tier, the job, the storage and the guests, and has
 * a UID made of the job and the run's instant, so a re-imported or subscribed calendar updates its
 * events instead of doubling them.
 *
 * Times are written as wall-clock times with the site's TZID and a VTIMEZONE (from
 * timezones-ical-library), so a calendar app shows 04:00 New York time on both sides of a DST
 * change. The VTIMEZONE is cross-checked against the runtime's zone data, which the schedule engine
 * uses, at every run; should they disagree (a zone whose rules changed), events are written in UTC,
 * which is always the right instant.
 */
import { TZDate } from "@date-fns/tz";
import ical, { ICalCalendar, ICalEventTransparency } from "ical-generator";
import { tzlib_get_ical_block, tzlib_get_offset, tzlib_get_timezones } from "timezones-ical-library";
import { formatPruneBackups } from "../pve/retention";
import { formatIsoTime } from "../tiers/calendar";
import type { Site, Tier } from "../tiers/config";
import { NOMINAL_RUN_MINUTES, tierRunsBetween } from "./windows";

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
