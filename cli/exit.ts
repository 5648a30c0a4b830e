/**
 * The exit codes of every command, and how an error becomes one: the one rule.
 *
 *   0  the check passed: every guest OK, every doctor check, no mandatory violation; a file written
 *   1  it failed: a guest not OK, a doctor check, a mandatory violation, a plan step pulumi up fails on
 *   2  it could not check: bad input (flags, a file, the stack, a setting), named on one line as
 *      `error: <message>`, or the cluster could not be read (the endpoint, the token, a privilege)
 *   3  a bug or a broken install: `internal error:` and the stack, which is for a developer
 */
import { redactSecrets } from "../pve/secrets";
import { InputError } from "../tiers/input";
import { CommandResult, UsageError, plainText } from "./cli";

export const EXIT = { ok: 0, failed: 1, couldNotCheck: 2, bug: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A verdict's exit code: could not check wins over failed, failed over ok. */
export function exitCodeOf(verdict: { ok: boolean; couldNotCheck?: boolean }): ExitCode {
  if (verdict.couldNotCheck) return EXIT.couldNotCheck;
  return verdict.ok ? EXIT.ok : EXIT.failed;
}

/** Whether an error is the user's (a flag, a file, the stack), said in one line, rather than a bug. */
function isUserError(err: unknown): err is UsageError | InputError {
  return err instanceof UsageError || err instanceof InputError;
}

/** The result for a user mistake (exit 2, `error: <message>`, secrets redacted); anything else is rethrown as the bug it is. */
export function errorResult(err: unknown): CommandResult {
  if (isUserError(err)) return { exitCode: EXIT.couldNotCheck, stdout: "", stderr: errorLine(err) };
  throw err;
}

/** `error: <message>` on one line, secrets redacted and control characters escaped. */
function errorLine(err: UsageError | InputError): string {
  return plainText([`error: ${redactSecrets(err.message)}`]);
}

/** What a bug says (exit 3): its stack, for a developer, secrets redacted. */
export function bugText(err: unknown): string {
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return `internal error: ${redactSecrets(text)}\n`;
}
