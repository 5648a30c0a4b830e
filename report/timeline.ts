/**
 * The report's week: each storage's backup windows over the seven days from the judged time, lanes
 * per tier, run lengths measured from the status (or nominal), overlaps and the tightest gap, cut at
 * local midnights into day rows. And how the page shows a time (`shownTime`).
 */
import type { CheckReport } from "../offline/check";
import type { StatusDocument } from "../status/document";
import { formatIsoTime, zonedTimeToDate } from "../tiers/calendar";
import type { Overlap, RunSegment, ShownTime, StorageTimeline, TimelineLane, TimelineRun, WeekTimeline } from "./page";
import { NOMINAL_RUN_MINUTES, tierRunsBetween } from "./windows";

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

/**
 * The job's run length: its guests' last durations added up (vzdump backs them up one after
 * another), when each guest's last run made its backup (state OK). A failed run's duration (vzdump
 * gave up after 12 s) says nothing of how long a backup takes: then the nominal length.
 */
function laneLength(guestVmids: number[], doc: StatusDocument | undefined): TimelineLane["length"] {
  const durations = guestVmids.map((vmid) => {
    const guest = doc?.guests.find((g) => g.vmid === vmid);
    return guest?.state === "OK" ? guest.duration : undefined;
  });
  if (durations.length === 0 || durations.some((d) => d === undefined)) {
    return { source: "nominal", minutes: NOMINAL_RUN_MINUTES };
  }
  return { source: "measured", minutes: (durations as number[]).reduce((a, b) => a + b, 0) / 60 };
}

export function buildTimeline(report: CheckReport, at: Date, doc: StatusDocument | undefined): WeekTimeline {
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
  // The runs the status says failed: a FAILED guest's last due run, by job.
  const failedRuns = new Set(
    (doc?.guests ?? [])
      .filter((g) => g.state === "FAILED" && g.job && g.lastDue)
      .map((g) => `${g.job} ${Date.parse(g.lastDue!)}`),
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
      failed: failedRuns.has(`${lanes[r.lane].job} ${r.start}`),
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
