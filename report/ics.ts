/**
 * The backup windows as an iCalendar document for a calendar app (`calendar`): per tier's job, one
 * recurring event (RRULE, up to the window's end) when PVE's schedule has an iCalendar equivalent
 * (times of the day on some weekdays) that gives exactly the schedule engine's runs, else one event
 * per run. The runs come from the schedule engine in the site's time zone (UTC for a schedule ending
 * in `UTC`). Each event names the tier, the job, the storage and the guests; its UID is the job (a
 * recurring event) or the job and the run's instant, so a re-imported or subscribed calendar updates
 * its events instead of doubling them, and its SEQUENCE (the export's minute) lets the newer export
 * win. Properties are written in RFC 5545's order, every line ending in CRLF.
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
import { recurrenceRule } from "./recurrence";
import type { Site, Tier } from "../tiers/config";
import { NOMINAL_RUN_MINUTES, tierRunsBetween } from "./windows";

export interface BackupCalendar {
  /** The iCalendar text (CRLF line ends, as RFC 5545 has them). */
  ics: string;
  /** How many runs it holds (a recurring event holds several). */
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
  // A later export's events supersede an earlier one's (RFC 5546 3.2.2, SEQUENCE): its minute since 1970.
  const sequence = Math.floor(stamp.getTime() / 60_000);
  let events = 0;
  for (const { tier, timeZone: scheduleZone, runs } of tierRuns) {
    if (runs.length === 0) continue;
    const description = describeTier(tier, scheduleZone);
    const common = {
      stamp,
      sequence,
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
    };
    // A schedule ending in UTC recurs in UTC; the site's in its zone, written with its TZID when it has one.
    const ruleZone = scheduleZone === "UTC" ? "UTC" : (tzid ?? "UTC");
    const at = (instant: Date) =>
      ruleZone === "UTC"
        ? { timezone: null, date: instant }
        : { timezone: ruleZone, date: new TZDate(instant.getTime(), ruleZone) };
    const ending = (run: Date) => new Date(run.getTime() + NOMINAL_RUN_MINUTES * 60_000);
    const rule = recurrenceRule(tier.schedule, runs, ruleZone, until);
    const starts = rule === undefined ? runs : runs.slice(0, 1);
    for (const run of starts) {
      calendar.createEvent({
        ...common,
        id: rule === undefined ? runUid(stack, tier.job, run) : seriesUid(stack, tier.job),
        start: at(run).date,
        end: at(ending(run)).date,
        timezone: at(run).timezone,
        repeating: rule ?? null,
      });
    }
    events += runs.length;
  }
  return { ics: inRfcOrder(calendar.toString()), events, timeZone: tzid ?? "UTC", warnings };
}

/** The UID of a job's recurring event (one rule for all its runs), per stack. */
function seriesUid(stack: string, job: string): string {
  return `${job}@${stack}.pve-backup-tiers`;
}

/**
 * Each component's properties in the order RFC 5545 lists them (3.4 for VCALENDAR, 3.6.1 for
 * VEVENT; others as written), and a CRLF after the last line, as RFC 5545 3.1 ends every content line.
 */
const PROPERTY_ORDER: Record<string, string[]> = {
  VCALENDAR: ["PRODID", "VERSION", "CALSCALE", "METHOD"],
  VEVENT: [
    "DTSTAMP",
    "UID",
    "DTSTART",
    "CLASS",
    "CREATED",
    "DESCRIPTION",
    "GEO",
    "LAST-MODIFIED",
    "LOCATION",
    "ORGANIZER",
    "PRIORITY",
    "SEQUENCE",
    "STATUS",
    "SUMMARY",
    "TRANSP",
    "URL",
    "RECURRENCE-ID",
    "RRULE",
    "DTEND",
    "DURATION",
    "ATTACH",
    "ATTENDEE",
    "CATEGORIES",
    "COMMENT",
    "CONTACT",
    "EXDATE",
    "REQUEST-STATUS",
    "RELATED-TO",
    "RESOURCES",
    "RDATE",
  ],
};

function inRfcOrder(ics: string): string {
  interface Component {
    begin: string;
    lines: string[][];
    children: Component[];
    end?: string;
  }
  const root: Component = { begin: "", lines: [], children: [] };
  const stack = [root];
  let property: string[] | undefined;
  for (const line of ics.split("\r\n")) {
    if (line === "") continue;
    const top = stack[stack.length - 1];
    if (line.startsWith(" ") || line.startsWith("\t")) {
      property?.push(line); // a folded line continues its property
    } else if (line.startsWith("BEGIN:")) {
      const child: Component = { begin: line, lines: [], children: [] };
      top.children.push(child);
      stack.push(child);
      property = undefined;
    } else if (line.startsWith("END:")) {
      top.end = line;
      stack.pop();
      property = undefined;
    } else {
      property = [line];
      top.lines.push(property);
    }
  }
  const write = (c: Component): string[] => {
    const order = PROPERTY_ORDER[c.begin.slice("BEGIN:".length)];
    const rank = (p: string[]) => {
      const name = /^[A-Za-z0-9-]+/.exec(p[0])![0].toUpperCase();
      const i = order ? order.indexOf(name) : -1;
      return order && i >= 0 ? i : order ? order.length : 0;
    };
    const lines = order ? [...c.lines].sort((a, b) => rank(a) - rank(b)) : c.lines;
    return [c.begin, ...lines.flat(), ...c.children.flatMap(write), c.end!];
  };
  return `${root.children.flatMap(write).join("\r\n")}\r\n`;
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
