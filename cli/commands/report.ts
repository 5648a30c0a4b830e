/**
 * `npm run report -- [--stack home] [--cluster FILE] [--status FILE] [--out report.html]`
 *
 * One self-contained HTML page to look at a site's backups: the week's backup windows per storage
 * (overlaps stand out), the tiers with their guests, schedule and retention, what `pulumi up` would
 * change and the policy pack's verdict (both from running `npm run check` in-process), and with
 * `--status` (the JSON of `npm run status`) each guest's state and the age of its newest backup and
 * each storage's needed against available space. The page itself is laid out by
 * report/page.ts from the model built here.
 *
 * Exit codes: 0 page written; 2 bad input (flags, stack config, snapshot, status document), one
 * line naming the file and the place; 3 a bug.
 */
import { CalendarEvent, formatIsoTime, tryParseCalendarEvent, zonedTimeToDate } from "../../tiers/calendar";
import { JOB_DEFAULTS } from "../../pve/job";
import { formatPruneBackups, parsePruneBackups } from "../../pve/retention";
import { CheckReport, runCheck } from "./check";
import { PROJECT_DIR } from "../../start/sources";
import { DEFAULT_STACK } from "../stack";
import { CommandResult, InputError, UsageError, parseArgs, runMain, userErrorResult, writeOutputFile } from "../cli";
import { CAPACITY_THRESHOLDS, StatusDocument, capacityLevel, formatAge, readStatusDocument } from "../../status/judge";
import {
  Overlap,
  ReportModel,
  RunSegment,
  ShownTime,
  StatusSection,
  StorageTimeline,
  TimelineLane,
  TimelineRun,
  TierRow,
  WeekTimeline,
  renderReportPage,
} from "../../report/page";
import { NOMINAL_RUN_MINUTES, tierRunsBetween } from "../../report/windows";

const USAGE =
  "usage: npm run report -- [--stack NAME] [--cluster FILE] [--status FILE] [--out FILE]\n" +
  "  --stack    the stack whose Pulumi.<stack>.yaml to show (default home)\n" +
  "  --cluster  a cluster snapshot for the check (default examples/<stack>-cluster.json)\n" +
  "  --status   the JSON of `npm run status -- --json`: guest states, backup ages, space\n" +
  "  --out      where to write the page (default report.html)\n";

const SPEC = {
  stack: { type: "string" },
  cluster: { type: "string" },
  status: { type: "string" },
  out: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

// ---------------------------------------------------------------------------
// The model

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAY_MINUTES = 24 * 60;
const WEEK_DAYS = 7;
/** The timeline draws at least this much of each day, so a single run is not a full-width block. */
const MIN_RANGE_MINUTES = 4 * 60;

interface Wall {
  date: string;
  year: number;
  month: number;
  day: number;
  minute: number;
}

function wallOf(date: Date, timeZone: string): Wall {
  const iso = formatIsoTime(date, timeZone); // 2026-02-12T03:00:00-05:00
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  const [hh, mm, ss] = iso.slice(11, 19).split(":").map(Number);
  return { date: iso.slice(0, 10), year, month, day, minute: hh * 60 + mm + ss / 60 };
}

function civilDay(
  year: number,
  month: number,
  day: number,
): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(year, month - 1, day));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

export function shownTime(date: Date, timeZone: string): ShownTime {
  const wall = wallOf(date, timeZone);
  const { weekday } = civilDay(wall.year, wall.month, wall.day);
  const hhmm = formatIsoTime(date, timeZone).slice(11, 16);
  return {
    iso: formatIsoTime(date, timeZone),
    text: `${WEEKDAYS[weekday]} ${wall.day} ${MONTHS[wall.month - 1]} ${hhmm}`,
  };
}

export interface ReportInputs {
  check: CheckReport;
  status?: { file: string; doc: StatusDocument };
  /** When the page is made; also the time judged without a status (with one: its `at`). */
  now: Date;
}

/** Everything the page shows, from the check's report and the status document. Pure. */
export function buildReportModel(inputs: ReportInputs): ReportModel {
  const { check: report, status, now } = inputs;
  const { outputs } = report.run;
  const timeZone = outputs.timezone;
  const at = status ? new Date(status.doc.at) : now;
  const statusGuests = new Map((status?.doc.guests ?? []).map((g) => [g.vmid, g]));

  const tiers: TierRow[] = outputs.tiers.map((t) => {
    const parsed = tryParseCalendarEvent(t.schedule);
    const event: CalendarEvent | undefined = parsed.ok ? parsed.event : undefined;
    const next = event?.next(at, timeZone);
    return {
      id: t.id,
      description: t.description,
      priority: t.priority,
      critical: t.critical,
      job: t.job,
      schedule: t.schedule,
      scheduleZone: event?.utc ? "UTC" : timeZone,
      storage: t.storage,
      retention: formatPruneBackups(parsePruneBackups(t.pruneBackups) ?? {}) || "(none)",
      mail:
        t.mailto.length > 0
          ? `${t.mailnotification ?? JOB_DEFAULTS.mailnotification} to ${t.mailto.join(", ")}`
          : undefined,
      guests: t.guests.map((g) => ({ ...g, state: statusGuests.get(g.vmid)?.state })),
      nextRun: next ? shownTime(next, timeZone) : undefined,
    };
  });

  const violations = [...report.violations].sort(
    (a, b) => Number(b.level === "mandatory") - Number(a.level === "mandatory"),
  );

  return {
    stack: report.stack,
    timeZone,
    generated: shownTime(now, timeZone),
    clusterFile: report.cluster,
    cluster: {
      nodes: outputs.cluster.nodes,
      guests: outputs.cluster.guests.length,
      storages: outputs.cluster.storages.length,
      jobs: outputs.cluster.jobs.length,
    },
    timeline: buildTimeline(report, at, status?.doc),
    tiers,
    uncovered: outputs.coverage
      .filter((g) => g.tier === null && !g.template)
      .map(({ vmid, kind, name }) => ({ vmid, kind, name })),
    plan: report.plan,

    violations,
    passed: !violations.some((v) => v.level === "mandatory"),
    status: status ? buildStatus(status.file, status.doc, timeZone) : undefined,
  };
}

function buildStatus(file: string, doc: StatusDocument, timeZone: string): StatusSection {
  const at = new Date(doc.at);
  const shown = (iso: string | null | undefined) => (iso ? shownTime(new Date(iso), timeZone) : undefined);
  return {
    file,
    at: shownTime(at, timeZone),
    ok: doc.ok,
    guests: doc.guests.map((g) => ({
      vmid: g.vmid,
      kind: g.kind,
      name: g.name,
      tier: g.tier ?? undefined,
      job: g.job ?? undefined,
      storage: g.storage ?? undefined,
      state: g.state,
      newest: g.newest
        ? {
            volid: g.newest.volid,
            time: shownTime(new Date(g.newest.time), timeZone),
            size: g.newest.size,
            age: formatAge(at.getTime() - Date.parse(g.newest.time)),
          }
        : undefined,
      lastDue: shown(g.lastDue),
      nextRun: shown(g.nextRun),
      reason: g.reason,
    })),
    storages: doc.storages.map((s) => {
      return { id: s.id, total: s.total, used: s.used, avail: s.avail, needed: s.needed, level: capacityLevel(s) };
    }),
    thresholds: CAPACITY_THRESHOLDS,
  };
}

/** The job's run length: its guests' last durations added up (vzdump backs them up one after another). */
function laneLength(guestVmids: number[], doc: StatusDocument | undefined): TimelineLane["length"] {
  const durations = guestVmids.map((vmid) => doc?.guests.find((g) => g.vmid === vmid)?.duration);
  if (durations.length === 0 || durations.some((d) => d === undefined)) {
    return { source: "nominal", minutes: NOMINAL_RUN_MINUTES };
  }
  return { source: "measured", minutes: (durations as number[]).reduce((a, b) => a + b, 0) / 60 };
}

function buildTimeline(report: CheckReport, at: Date, doc: StatusDocument | undefined): WeekTimeline {
  const { outputs } = report.run;
  const timeZone = outputs.timezone;
  const today = wallOf(at, timeZone);
  const days = Array.from({ length: WEEK_DAYS + 1 }, (_, i) => civilDay(today.year, today.month, today.day + i));
  const dayStarts = days.map((d) => zonedTimeToDate({ year: d.year, month: d.month, day: d.day }, timeZone));
  const dayDates = days.map((d) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`);
  const from = dayStarts[0];
  const until = dayStarts[WEEK_DAYS];

  /** A span of time cut at local midnights into the week's day rows. */
  const segmentsOf = (start: Date, minutes: number): RunSegment[] => {
    const wall = wallOf(start, timeZone);
    const segments: RunSegment[] = [];
    const first = dayDates.indexOf(wall.date);
    if (first < 0) return segments;
    // Minutes after the first day's midnight; each row takes the part of the span that falls on it.
    const end = wall.minute + minutes;
    for (let day = first; day < WEEK_DAYS && (day === first || end > (day - first) * DAY_MINUTES); day++) {
      const offset = (day - first) * DAY_MINUTES;
      segments.push({
        day,
        startMinute: Math.max(wall.minute - offset, 0),
        endMinute: Math.min(end - offset, DAY_MINUTES),
      });
    }
    return segments;
  };

  // A run exactly at the first midnight counts; runsBetween takes runs strictly after `from`.
  const runs = tierRunsBetween(
    outputs.tiers,
    new Date(from.getTime() - 1000),
    new Date(until.getTime() - 1000),
    timeZone,
  );
  const storageIds = [...new Set(outputs.tiers.map((t) => t.storage))];
  const storages: StorageTimeline[] = storageIds.map((storage) => {
    const onStorage = runs.filter((r) => r.tier.storage === storage);
    const lanes: TimelineLane[] = onStorage.map(({ tier }) => ({
      tier: tier.id,
      job: tier.job,
      length: laneLength(
        tier.guests.map((g) => g.vmid),
        doc,
      ),
    }));
    const timed = onStorage
      .flatMap(({ runs: starts }, lane) =>
        starts.map((start) => ({
          lane,
          start: start.getTime(),
          end: start.getTime() + lanes[lane].length.minutes * 60_000,
        })),
      )
      .sort((a, b) => a.start - b.start || a.lane - b.lane);
    const overlapping = new Set<number>();
    const overlaps: Overlap[] = [];
    let tightestGap: StorageTimeline["tightestGap"];
    for (let i = 0; i < timed.length; i++) {
      const a = timed[i];
      for (let j = i + 1; j < timed.length && timed[j].start < a.end; j++) {
        const b = timed[j];
        if (b.lane === a.lane) continue;
        overlapping.add(i).add(j);
        const start = new Date(b.start);
        const end = new Date(Math.min(a.end, b.end));
        overlaps.push({
          start: shownTime(start, timeZone),
          end: shownTime(end, timeZone),
          lanes: [a.lane, b.lane],
          segments: segmentsOf(start, (end.getTime() - start.getTime()) / 60_000),
        });
      }
      const next = timed.slice(i + 1).find((b) => b.lane !== a.lane && b.start >= a.end);
      if (next && (tightestGap === undefined || next.start - a.end < tightestGap.seconds * 1000)) {
        tightestGap = {
          seconds: (next.start - a.end) / 1000,
          before: a.lane,
          after: next.lane,
          at: shownTime(new Date(next.start), timeZone),
        };
      }
    }
    const timelineRuns: TimelineRun[] = timed.map((r, i) => ({
      lane: r.lane,
      start: shownTime(new Date(r.start), timeZone),
      end: shownTime(new Date(r.end), timeZone),
      segments: segmentsOf(new Date(r.start), (r.end - r.start) / 60_000),
      overlaps: overlapping.has(i),
    }));
    return {
      storage,
      lanes,
      runs: timelineRuns,
      overlaps,
      tightestGap: overlaps.length === 0 && lanes.length > 1 ? tightestGap : undefined,
    };
  });

  const segments = storages.flatMap((s) => s.runs.flatMap((r) => r.segments));
  let startMinute = 0;
  let endMinute = DAY_MINUTES;
  if (segments.length > 0) {
    startMinute = Math.max(0, Math.floor(Math.min(...segments.map((s) => s.startMinute)) / 60) * 60 - 60);
    endMinute = Math.min(DAY_MINUTES, Math.ceil(Math.max(...segments.map((s) => s.endMinute)) / 60) * 60 + 60);
    while (endMinute - startMinute < MIN_RANGE_MINUTES) {
      if (startMinute > 0) startMinute -= 60;
      if (endMinute - startMinute < MIN_RANGE_MINUTES && endMinute < DAY_MINUTES) endMinute += 60;
    }
  }
  const nowWall = wallOf(at, timeZone);
  const nowDay = dayDates.indexOf(nowWall.date);
  const nowInside = nowDay >= 0 && nowDay < WEEK_DAYS && nowWall.minute >= startMinute && nowWall.minute <= endMinute;

  return {
    from: shownTime(from, timeZone),
    until: shownTime(until, timeZone),
    days: days
      .slice(0, WEEK_DAYS)
      .map((d) => ({ weekday: WEEKDAYS[d.weekday], date: `${d.day} ${MONTHS[d.month - 1]}` })),
    range: { startMinute, endMinute },
    now: nowInside
      ? { day: nowDay, minute: nowWall.minute, time: shownTime(at, timeZone), source: doc ? "status" : "clock" }
      : undefined,
    nominalMinutes: NOMINAL_RUN_MINUTES,
    storages,
  };
}

// ---------------------------------------------------------------------------
// The command

export async function runReportCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): Promise<CommandResult> {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const stack = flags.stack ?? DEFAULT_STACK;
    const now = options.now ?? new Date();
    const status =
      flags.status === undefined ? undefined : { file: flags.status, doc: readStatusDocument(flags.status) };
    if (status && status.doc.stack !== stack) {
      throw new InputError(`${status.file}: $.stack: the status is of stack '${status.doc.stack}', not '${stack}'`);
    }
    const at = status ? new Date(status.doc.at) : now;
    const report = await runCheck({
      stack,
      stackDir: options.stackDir ?? PROJECT_DIR,
      cluster: flags.cluster,
      now: at,
    });
    const model = buildReportModel({ check: report, status, now });
    const out = flags.out ?? "report.html";
    writeOutputFile(out, renderReportPage(model));
    const overlaps = model.timeline.storages.reduce((n, s) => n + s.overlaps.length, 0);
    const summary =
      `wrote ${out}: ${model.tiers.length} tiers, ${model.timeline.storages.length} storage(s), ` +
      `${overlaps} overlap(s) in the week from ${model.timeline.from.text}` +
      (model.status ? `, ${model.status.guests.length} guest states` : "") +
      `, policy ${model.passed ? "PASS" : "FAIL"}\n`;
    return { exitCode: 0, stdout: summary, stderr: "" };
  } catch (err) {
    return userErrorResult(err);
  }
}

if (require.main === module) runMain(runReportCommand);
