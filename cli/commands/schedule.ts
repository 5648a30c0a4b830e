/**
 * `schedule '<expr>'`: would PVE accept this backup schedule, and when would it run? The same engine
 * the program and the policy pack use (tiers/calendar), in the stack's time zone unless `--tz` says
 * another. Its flags and help: cli/program.ts.
 */
import {
  CalendarEvent,
  formatIsoTime,
  isValidTimeZone,
  tryParseCalendarEvent,
  weekdayName,
} from "../../tiers/calendar";
import { PROJECT_DIR } from "../../start/sources";
import { CommandResult, UsageError, parseTimeFlag } from "../cli";
import { EXIT, errorResult } from "../exit";
import { BIN, parseCommand } from "../program";
import { readStackSite } from "../stack";

/** Runs the command in-process (tests use this; cli/main.ts only prints the result). */
export function runScheduleCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): CommandResult {
  try {
    return run(argv, options.now ?? new Date(), options.stackDir);
  } catch (err) {
    return errorResult(err);
  }
}

function run(argv: string[], now: Date, stackDir: string | undefined): CommandResult {
  const parsed = parseCommand("schedule", argv);
  if ("exitCode" in parsed) return parsed;
  const { flags, args } = parsed;
  if (args.length === 0) throw new UsageError(`missing schedule expression (e.g. ${BIN} schedule 'sun 04:00')`);
  if (args.length > 1) {
    throw new UsageError(
      `unexpected argument '${args[1]}': quote the whole schedule, e.g. 'sun 04:00' (got ${args.length} arguments)`,
    );
  }
  const expression = args[0];

  if (flags.tz !== undefined && !isValidTimeZone(flags.tz))
    throw new UsageError(`unknown time zone for --tz: '${flags.tz}' (use an IANA name such as Europe/Vienna)`);
  // PVE runs a schedule on its nodes' clock: without --tz, the site's zone, as the stack says it.
  const timeZone = flags.tz ?? readStackSite(flags.stackDir ?? stackDir ?? PROJECT_DIR, flags.stack).site.timezone;
  const from = flags.from === undefined ? now : parseTimeFlag("--from", flags.from, timeZone, now);

  const parsedEvent = tryParseCalendarEvent(expression);
  if (!parsedEvent.ok) {
    if (flags.json) {
      const out = { schedule: expression, valid: false, error: parsedEvent.error, warnings: [], next: [] };
      return { exitCode: EXIT.couldNotCheck, stdout: `${JSON.stringify(out)}\n`, stderr: "" };
    }
    return {
      exitCode: EXIT.couldNotCheck,
      stdout: `'${expression}' is not a valid PVE schedule:\n  ${parsedEvent.error}\n`,
      stderr: "",
    };
  }

  const event = parsedEvent.event;
  const runs = event.nextRuns(from, flags.count, timeZone).map((d) => formatIsoTime(d, timeZone));
  if (flags.json) {
    const out = { schedule: expression, valid: true, warnings: event.warnings, next: runs };
    return { exitCode: EXIT.ok, stdout: `${JSON.stringify(out)}\n`, stderr: "" };
  }
  return { exitCode: EXIT.ok, stdout: describe(event, runs, from, timeZone), stderr: "" };
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
