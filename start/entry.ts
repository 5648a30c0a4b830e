/**
 * What the program's and the pack's entries (start/program.ts, start/pack.ts) share: the start-up
 * check of dist/ before the compiled code loads, and errors that Pulumi reports as their message
 * alone. Not for the commands: loading @pulumi/pulumi here would slow every one of them down.
 */
import { RunError } from "@pulumi/pulumi";
import { BuildError } from "./build";
import { ensureFresh } from "./fresh";

/**
 * Makes sure dist/ matches the sources (start/fresh.ts). Sources that do not compile stop the start
 * with a RunError holding the compiler's message: Pulumi shows a RunError's message, and only that.
 * Anything else that stops the check (a dist/ it may not write) is reported the same way, its stack
 * in the message.
 */
export function checkDist(): void {
  try {
    ensureFresh();
  } catch (err) {
    const message =
      err instanceof BuildError ? err.message : `checking dist/ against the sources failed: ${(err as Error).stack}`;
    throw withoutFrames(new RunError(message));
  }
}

/**
 * The error with its stack trace reduced to its message. Pulumi never shows a RunError's frames, but
 * its entry points format every uncaught error with util.inspect, and Node 20's inspect loops on a
 * frame in `node_modules/@pulumi/<file>` (the SDK's source-mapped paths) until a string overflows:
 * tens of seconds and gigabytes before the preview stops.
 */
export function withoutFrames<T extends Error>(err: T): T {
  err.stack = `${err.name}: ${err.message}`;
  return err;
}
