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
 */
export function checkDist(): void {
  try {
    ensureFresh();
  } catch (err) {
    throw err instanceof BuildError ? withoutFrames(new RunError(err.message)) : err;
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
