/**
 * `npm run schedule -- '<expr>' [--from <ISO time>] [--count N] [--tz <zone>] [--json]`
 *
 * Answers "would PVE accept this backup schedule, and when would it run?"
 * with the same engine the program and the policy pack use (tiers/calendar).
 * Exit codes: 0 valid, 2 invalid schedule or bad command line.
 */
import {
  CalendarEvent,
  formatIsoTime,
  isValidTimeZone,
  tryParseCalendarEvent,
  weekdayName,
} from "../../tiers/calendar";
import { CommandResult, parseArgs, parseTimeFlag, runMain, UsageError, userErrorResult } from "../cli";

const USAGE =
  "usage: npm run schedule -- '<expr>' [--from <ISO time>] [--count N] [--tz <zone>] [--json]\n" +
  "  --from   start after this time (default now): date and time, e.g. 2026-01-01T03:00, read in --tz\n" +
  "           unless it has an offset (2026-01-01T08:00:00Z)\n" +
  "  --count  how many runs to list, 1-1000 (default 5)\n" +
  "  --tz     the node's IANA time zone, e.g. Europe/Vienna (default UTC); PVE evaluates schedules\n" +
  "           in the node's local time unless they end in UTC\n" +
  "  --json   print one JSON object: {schedule, valid, error?, warnings, next}\n";

const SPEC = {
  from: { type: "string" },
  count: { type: "string" },
  tz: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const MAX_COUNT = 1000;

/** Runs the command in-process (tests use this; the entry point below only prints the result). */
export function runScheduleCommand(argv: string[], options: { now?: Date } = {}): CommandResult {
  try {
    return run(argv, options.now ?? new Date());
  } catch (err) {
    return userErrorResult(err);
  }
}

function run(argv: string[], now: Date): CommandResult {
  const { flags, positionals } = parseArgs(argv, SPEC);
  if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
  if (positionals.length === 0) throw new UsageError(`missing schedule expression (${USAGE.split("\n")[0]})`);
  if (positionals.length > 1) {
    throw new UsageError(
      `unexpected argument '${positionals[1]}': quote the whole schedule, e.g. 'sun 04:00' (got ${positionals.length} arguments)`,
    );
  }
  const expression = positionals[0];

  const timeZone = flags.tz ?? "UTC";
  if (!isValidTimeZone(timeZone))
    throw new UsageError(`unknown time zone for --tz: '${timeZone}' (use an IANA name such as Europe/Vienna)`);
  const count = flags.count === undefined ? 5 : parseCount(flags.count);
  const from = flags.from === undefined ? now : parseTimeFlag("--from", flags.from, timeZone, now);

  const parsed = tryParseCalendarEvent(expression);
  if (!parsed.ok) {
    if (flags.json) {
      const out = { schedule: expression, valid: false, error: parsed.error, warnings: [], next: [] };
      return { exitCode: 2, stdout: `${JSON.stringify(out)}\n`, stderr: "" };
    }
    return { exitCode: 2, stdout: `'${expression}' is not a valid PVE schedule:\n  ${parsed.error}\n`, stderr: "" };
  }

  const event = parsed.event;
  const runs = event.nextRuns(from, count, timeZone).map((d) => formatIsoTime(d, timeZone));
  if (flags.json) {
    const out = { schedule: expression, valid: true, warnings: event.warnings, next: runs };
    return { exitCode: 0, stdout: `${JSON.stringify(out)}\n`, stderr: "" };
  }
  return { exitCode: 0, stdout: describe(event, runs, from, timeZone), stderr: "" };
}

function describe(event: CalendarEvent, runs: string[], from: Date, timeZone: string): string {
  const zoneNote = event.utc
    ? `evaluated in UTC because it ends in UTC${timeZone === "UTC" ? "" : `; shown in ${timeZone}`}`
    : `evaluated in ${timeZone}`;
  const lines = [`'${event.expression}' is a valid PVE schedule (${zoneNote})`];
  if (runs.length === 0) {
    lines.push(`no runs after ${formatIsoTime(from, timeZone)}: the schedule never fires again`);
  } else {
    lines.push(`next ${runs.length === 1 ? "run" : `${runs.length} runs`} after ${formatIsoTime(from, timeZone)}:`);
    for (const run of runs) {
      lines.push(`  ${run}  ${weekdayName(new Date(run), timeZone)}`);
    }
  }
  for (const warning of event.warnings) lines.push(`warning: ${warning}`);
  return `${lines.join("\n")}\n`;
}

function parseCount(text: string): number {
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_COUNT))
    throw new UsageError(`--count must be a whole number from 1 to ${MAX_COUNT}, got '${text}'`);
  return n;
}

if (require.main === module) runMain(runScheduleCommand);
