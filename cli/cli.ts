/**
 * Tiny command-line helper shared by the project's commands (`schedule`,
 * `check`, ...): flag parsing on top of node's util.parseArgs, but with
 * one-line errors meant for people ("error: unknown flag --x") instead of
 * node's exceptions, so a command can print them and exit 2 without a stack trace.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { parseArgs as nodeParseArgs } from "node:util";
import * as path from "path";
import { BuildError } from "../start/build";
import { ensureFresh } from "../start/fresh";
import { SUPPORTED_YEARS, zonedTimeToDate } from "../tiers/calendar";
import { redactSecrets } from "../pve/secrets";

/** Bad command-line input: print `error: <message>` and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Bad input that is not a flag: a file that cannot be read or does not validate, a stack that does
 * not exist. Print `error: <message>` (one line, naming the file and the place) and exit 2.
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

/** The largest input file a command reads (snapshots, policy configs, status documents). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a user-named input file as text. Only regular files up to `maxBytes`: a device, a FIFO or a
 * huge file is refused at once, before a byte is read, instead of hanging or filling memory.
 */
export function readInputFile(file: string, maxBytes = MAX_INPUT_BYTES): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read (${code === "ENOENT" ? "no such file" : code})`);
  }
  if (!stat.isFile()) throw new InputError(`${file}: not a regular file`);
  if (stat.size > maxBytes) {
    throw new InputError(`${file}: too large (${stat.size} bytes; at most ${maxBytes} are read)`);
  }
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** What a file that is not a regular one is, for messages. */
function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Writes a user-named output file (`--out`, `--prometheus`). A regular file, or a new one, is
 * replaced whole and atomically: a temporary file beside it, then a rename, so a reader
 * (node-exporter, a browser) sees the old or the new, never half; a symbolic link stays, its target
 * is replaced. What exists and is not a regular file is never replaced: a character device or a
 * FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written in place, as the user meant; a FIFO without a
 * reader, a directory, a block device or a socket is refused.
 */
export function writeOutputFile(file: string, text: string): void {
  const cannot = (err: unknown) => new InputError(`${file}: cannot write (${(err as NodeJS.ErrnoException).code})`);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw cannot(err);
  }
  if (stat && (stat.isCharacterDevice() || stat.isFIFO())) {
    try {
      if (stat.isFIFO()) {
        // Opening a FIFO for writing waits for a reader; without one it would wait for ever.
        fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      }
      fs.writeFileSync(file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENXIO") throw new InputError(`${file}: a FIFO nobody reads`);
      throw cannot(err);
    }
    return;
  }
  if (stat && !stat.isFile()) throw new InputError(`${file}: ${fileKind(stat)}, not replaced; name a file`);
  let target = file;
  try {
    if (stat) target = fs.realpathSync(file);
  } catch (err) {
    throw cannot(err);
  }
  const temp = path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw cannot(err);
  }
}

/** One flag: `--name VALUE` (string) or `--name` (boolean), optionally with a one-letter alias. */
interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

export type FlagsSpec = Record<string, FlagSpec>;

/** Parsed flags: strings for string flags, `true` for booleans given; absent flags are undefined. */
type Flags<S extends FlagsSpec> = {
  [K in keyof S]?: S[K]["type"] extends "boolean" ? boolean : string;
};

export interface ParsedArgs<S extends FlagsSpec> {
  flags: Flags<S>;
  positionals: string[];
}

/**
 * Parses `argv` (without node and script) against `spec`. Throws UsageError
 * for an unknown flag, a string flag without a value, a value given to a
 * boolean flag, or a flag given twice. Arguments after `--` are positionals.
 */
export function parseArgs<S extends FlagsSpec>(argv: string[], spec: S): ParsedArgs<S> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, flag] of Object.entries(spec)) {
    options[name] = flag.short ? { type: flag.type, short: flag.short } : { type: flag.type };
  }
  // strict: false so that we, not node, word the errors; the tokens tell us everything.
  const { tokens } = nodeParseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });

  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue; // the `--` terminator
    const flag = Object.prototype.hasOwnProperty.call(spec, token.name) ? spec[token.name] : undefined;
    const shown = token.rawName.startsWith("--") ? `--${token.name}` : token.rawName;
    if (!flag) throw new UsageError(`unknown flag ${shown}`);
    if (Object.prototype.hasOwnProperty.call(flags, token.name)) {
      throw new UsageError(`flag --${token.name} given more than once`);
    }
    if (flag.type === "boolean") {
      if (token.value !== undefined) throw new UsageError(`flag --${token.name} takes no value (got '${token.value}')`);
      flags[token.name] = true;
    } else {
      // node would happily take the next flag as the value: `--from --json`
      const looksLikeFlag = !token.inlineValue && token.value !== undefined && /^--?[A-Za-z]/.test(token.value);
      if (token.value === undefined || looksLikeFlag) throw new UsageError(`flag --${token.name} needs a value`);
      flags[token.name] = token.value;
    }
  }
  return { flags: flags as Flags<S>, positionals };
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

/** The result for a user mistake (exit 2); anything else is rethrown as the bug it is. */
export function userErrorResult(err: unknown): CommandResult {
  if (err instanceof UsageError || err instanceof InputError) {
    return { exitCode: 2, stdout: "", stderr: plainText([`error: ${redactSecrets(err.message)}`]) };
  }
  throw err;
}

/** Entry-point glue: write a CommandResult out, secrets redacted, and set the exit code. */
function emit(result: CommandResult): void {
  if (result.stdout) process.stdout.write(redactSecrets(result.stdout));
  if (result.stderr) process.stderr.write(redactSecrets(result.stderr));
  process.exitCode = result.exitCode;
}

/**
 * A command's entry point: runs it on the process's arguments and prints the result. A reader that
 * goes away (`--json | head`) ends the command quietly, with its own exit code; an error that is not
 * a user mistake is a bug or a broken install: exit 3, with the stack, which is for a developer.
 *
 * Run from dist/, the command first makes sure dist/ matches the sources (start/fresh.ts). When it had
 * to rebuild, the modules loaded so far are the old build's: the command runs again, from the new one.
 * Sources that do not compile stop it with the compiler's message (exit 3).
 */
export function runMain(run: (argv: string[]) => CommandResult | Promise<CommandResult>): void {
  try {
    if (ensureFresh()) {
      const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
      process.exit(again.status ?? 3);
    }
  } catch (err) {
    const text = err instanceof BuildError ? `error: ${err.message}` : `internal error: ${(err as Error).stack}`;
    process.stderr.write(`${text}\n`);
    process.exit(3);
  }
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    // A full disk or a device that takes nothing (`check >/dev/full`): where the output goes, not a bug.
    if (err.code === undefined) fail(err);
    else {
      process.stderr.write(`error: cannot write the output to stdout (${err.code})\n`);
      process.exit(2);
    }
  });
  // Nothing can be said on a broken stderr: end with the command's code, or 3 for anything but EPIPE.
  process.stderr.on("error", (err: NodeJS.ErrnoException) =>
    process.exit(err.code === "EPIPE" ? (process.exitCode ?? 0) : 3),
  );
  Promise.resolve()
    .then(() => run(process.argv.slice(2)))
    .then(emit)
    .catch(fail);
}

function fail(err: unknown): void {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`internal error: ${redactSecrets(text)}\n`);
  process.exitCode = 3;
}
