#!/usr/bin/env node
/**
 * The bin: `pve-backup-tiers <command> [flags]` (the npm scripts call it). Declared in cli/program.ts;
 * here it is run: each command's module is loaded only when that command runs, so a command does not
 * pay for another's modules, and its result is printed with the exit code (cli/exit.ts).
 *
 * Run from dist/, it first makes sure dist/ matches the sources (start/fresh.ts). When it had to
 * rebuild, the modules loaded so far are the old build's: it runs again, from the new one. Sources
 * that do not compile stop it with the compiler's message (exit 3).
 */
import { spawnSync } from "child_process";
import { redactSecrets } from "../pve/secrets";
import { BuildError } from "../start/build";
import { ensureFresh } from "../start/fresh";
import type { CommandResult } from "./cli";
import { EXIT, bugText, errorResult } from "./exit";
import { CommandName, parseCommandLine } from "./program";

type Run = (argv: string[]) => CommandResult | Promise<CommandResult>;

/** Each command's entry, loaded when it runs. */
const COMMANDS: Record<CommandName, () => Promise<Run>> = {
  check: async () => (await import("./commands/check")).runCheckCommand,
  schedule: async () => (await import("./commands/schedule")).runScheduleCommand,
  doctor: async () => (await import("./commands/doctor")).runDoctorCommand,
  status: async () => (await import("./commands/status")).runStatusCommand,
  calendar: async () => (await import("./commands/calendar")).runCalendarCommand,
  report: async () => (await import("./commands/report")).runReportCommand,
  "pve-double": async () => (await import("./commands/pve-double")).runDoubleCommand,
  init: async () => (await import("./commands/init")).runInitCommand,
  drill: async () => {
    const { runDrillCommand } = await import("./commands/drill");
    // The drill takes minutes: its progress goes to stderr as it happens.
    return (argv) => runDrillCommand(argv, { progress: (line) => process.stderr.write(`${line}\n`) });
  },
  "e2e-stack": async () => (await import("./commands/e2e-stack")).runStackCommand,
  "e2e-assert-tiers": async () => (await import("./commands/e2e-assert-tiers")).runAssertTiers,
};

/** Runs a whole command line in process: a command, or the bin's own help and errors. */
export async function runCli(argv: string[]): Promise<CommandResult> {
  const [name, ...rest] = argv;
  if (name !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, name)) {
    return (await COMMANDS[name as CommandName]())(rest);
  }
  try {
    const parsed = parseCommandLine(argv);
    if ("help" in parsed) return { exitCode: EXIT.ok, stdout: parsed.help, stderr: "" };
    // A command that parses is one of COMMANDS, run above.
    throw new Error(`command ${parsed.command} is declared but has no entry`);
  } catch (err) {
    return errorResult(err);
  }
}

/** Writes a result out, secrets redacted, and sets the exit code. */
function emit(result: CommandResult): void {
  if (result.stdout) process.stdout.write(redactSecrets(result.stdout));
  if (result.stderr) process.stderr.write(redactSecrets(result.stderr));
  process.exitCode = result.exitCode;
}

function fail(err: unknown): void {
  process.stderr.write(bugText(err));
  process.exitCode = EXIT.bug;
}

/** Runs a command line (default the process's) and prints the result (`runMain`). */
export function main(argv: string[] = process.argv.slice(2)): void {
  runMain(() => runCli(argv));
}

/**
 * Runs `run` as the process's command and prints its result. A reader that goes away
 * (`--json | head`) ends the command quietly, with its own exit code; an error that is not a user
 * mistake is a bug or a broken install: exit 3, with the stack, which is for a developer.
 */
export function runMain(run: () => CommandResult | Promise<CommandResult>): void {
  try {
    if (ensureFresh()) {
      const again = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: "inherit" });
      process.exit(again.status ?? EXIT.bug);
    }
  } catch (err) {
    const text = err instanceof BuildError ? `error: ${err.message}` : `internal error: ${(err as Error).stack}`;
    process.stderr.write(`${text}\n`);
    process.exit(EXIT.bug);
  }
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT.ok);
    // A full disk or a device that takes nothing (`check >/dev/full`): where the output goes, not a bug.
    if (err.code === undefined) fail(err);
    else {
      process.stderr.write(`error: cannot write the output to stdout (${err.code})\n`);
      process.exit(EXIT.couldNotCheck);
    }
  });
  // Nothing can be said on a broken stderr: end with the command's code, or 3 for anything but EPIPE.
  process.stderr.on("error", (err: NodeJS.ErrnoException) =>
    process.exit(err.code === "EPIPE" ? (process.exitCode ?? EXIT.ok) : EXIT.bug),
  );
  Promise.resolve().then(run).then(emit).catch(fail);
}

if (require.main === module) main();
