/**
 * The stack a command works on: `--stack NAME` (default home) read from `Pulumi.<stack>.yaml` and
 * validated by the same schema as the program. Every command that reads a stack goes through here,
 * so a bad name, a missing stack file or a bad site is one and the same one-line error (exit 2).
 */
import { ConfigError } from "../tiers/config";
import { SiteFile, UnknownStackError, readSiteFile } from "../tiers/stackConfig";
import { InputError, UsageError } from "./cli";

export const DEFAULT_STACK = "home";

/** Reads and validates a stack's site from `stackDir` (the project folder, or a test's fixtures). */
export function readStackSite(stackDir: string, stack: string): SiteFile {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: not a stack name: '${stack}'`);
  try {
    return readSiteFile(stackDir, stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.oneLine());
    if (err instanceof UnknownStackError) throw new InputError(err.message);
    throw err;
  }
}
