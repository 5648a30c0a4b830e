/**
 * What every command shares: the error for a bad command line, the one time parser behind every
 * `--from` and `--at`, and plain text for a terminal. The flags themselves are declared in
 * cli/program.ts, the exit codes in cli/exit.ts, user-named files in cli/files.ts.
 */
import { SUPPORTED_YEARS, zonedTimeToDate } from "../tiers/calendar";

/** Bad command-line input: print `error: <message>` and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * A time on the command line (`check --from`, `schedule --from`, `status --at`, `calendar --from`):
 * `now`, or a full ISO-8601 time, date and time, `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|±HH:MM]`. Without an
 * offset it is a wall-clock time in `timeZone`, the site's (the nodes') zone, which is how PVE reads
 * a schedule: `--from 2026-03-01T03:00` is 03:00 on the nodes. A date alone is refused, since
 * whether it meant midnight in UTC or on the nodes changes which runs come next.
 */
export function parseTimeFlag(flag: string, text: string, timeZone: string, now: Date): Date {
  if (text === "now") return now;
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(text);
  const bad = (): UsageError =>
    new UsageError(
      `${flag}: not a full ISO time (date and time): '${text}'; e.g. 2026-01-01T03:00 (in ${timeZone}) or 2026-01-01T08:00:00Z`,
    );
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((v) => (v === undefined ? 0 : Number(v)));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) throw bad();
  const zone = m[7];
  let time: Date;
  if (zone === undefined) time = zonedTimeToDate({ year, month, day, hour, minute, second }, timeZone);
  else {
    let offset = 0;
    if (zone.toUpperCase() !== "Z") {
      const [oh, om] = zone.slice(1).split(":").map(Number);
      if (oh > 23 || om > 59) throw bad();
      offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
    }
    const utc = zonedTimeToDate({ year, month, day, hour, minute, second }, "UTC");
    time = new Date(utc.getTime() - offset * 60_000);
  }
  const { first, last } = SUPPORTED_YEARS;
  const utcYear = time.getUTCFullYear();
  if (year < first || year > last || utcYear < first || utcYear > last) {
    throw new UsageError(
      `${flag}: '${text}' is outside the years ${first} to ${last} (PVE's schedules name no year after ${last})`,
    );
  }
  return time;
}

/** What a command returns, so tests can run it in-process. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Control characters, and the Unicode ones that move text (line and paragraph separators, bidi
 * overrides): what a terminal would act on rather than show.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED_CONTROLS: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * One line of text for a terminal: its control characters shown as escapes (`\x1b`, `\n`, `\u202e`),
 * so that nothing a PVE answer, a cluster snapshot or a stack file holds (an error message, a
 * vzdump reason, a guest name) can recolour, move the cursor, clear the screen or start a line of
 * its own.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, (c) => {
    const code = c.charCodeAt(0);
    return NAMED_CONTROLS[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16)}`);
  });
}

/** Plain-text output, as every command's text printer ends: one line per entry, each `escapeControls`ed. */
export function plainText(lines: readonly string[]): string {
  return `${lines.map(escapeControls).join("\n")}\n`;
}
