/**
 * Tiny command-line helper shared by the project's commands (`schedule`,
 * `check`, ...): flag parsing on top of node's util.parseArgs, but with
 * one-line errors meant for people ("error: unknown flag --x") instead of
 * node's exceptions, so a command can print them and exit 2 without a stack trace.
 */
import { parseArgs as nodeParseArgs } from "node:util";

/** Bad command-line input: print `error: <message>` and exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One flag: `--name VALUE` (string) or `--name` (boolean), optionally with a one-letter alias. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

export type FlagsSpec = Record<string, FlagSpec>;

/** Parsed flags: strings for string flags, `true` for booleans given; absent flags are undefined. */
export type Flags<S extends FlagsSpec> = {
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

/** What a command returns, so tests can run it in-process. */
export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Entry-point glue: write a CommandResult out and set the exit code. */
export function emit(result: CommandResult): void {
  if (result.stdout) process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
