/**
 * `calendar`: the backup windows as an iCalendar file (report/ics.ts), to standard output or
 * `--out`. Its flags and help: cli/program.ts.
 */
import { backupCalendar } from "../../report/ics";
import { PROJECT_DIR } from "../../start/sources";
import { formatIsoTime } from "../../tiers/calendar";
import { CommandResult, parseTimeFlag } from "../cli";
import { EXIT, errorResult } from "../exit";
import { writeOutputFile } from "../files";
import { parseCommand } from "../program";
import { readStackSite } from "../stack";

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** Runs the command in-process (tests use this; cli/main.ts only prints the result). */
export function runCalendarCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): CommandResult {
  try {
    const parsed = parseCommand("calendar", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const { site } = readStackSite(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const now = options.now ?? new Date();
    const from = flags.from === undefined ? now : parseTimeFlag("--from", flags.from, site.timezone, now);
    const until = new Date(from.getTime() + flags.weeks * WEEK_MS);
    const calendar = backupCalendar({ stack: flags.stack, site, from, until, stamp: now });
    const text = calendar.ics;
    if (flags.out === undefined) return { exitCode: EXIT.ok, stdout: text, stderr: calendar.warnings.join("") };
    writeOutputFile(flags.out, text);
    const summary =
      `wrote ${calendar.events} runs of ${site.tiers.length} jobs from ${formatIsoTime(from, site.timezone)} ` +
      `to ${formatIsoTime(until, site.timezone)} (${calendar.timeZone}) to ${flags.out}\n`;
    return { exitCode: EXIT.ok, stdout: summary, stderr: calendar.warnings.join("") };
  } catch (err) {
    return errorResult(err);
  }
}
