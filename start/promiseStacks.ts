/**
 * Pulumi's runtime records a stack trace for every promise it makes (`debuggablePromise` in
 * @pulumi/pulumi/runtime/debuggable.js: several per resource, one per input property and per log
 * line), for a promise-leak report that it prints only when PULUMI_DEBUG_PROMISE_LEAKS is set. The
 * `.stack` is taken at once, and `cmd/run` has installed source-map-support, so every frame of every
 * one of those traces is mapped back to the SDK's TypeScript: a tenth of the program's start
 * (bench/startup), and more with every tier. Nobody reads them unless debugging leaks.
 *
 * `skipMappingPromiseStacks` keeps those traces, frame for frame, but leaves their positions in the
 * SDK's JavaScript. Every other stack trace (errors, and the source positions Pulumi sends with
 * each resource) is mapped as before; with PULUMI_DEBUG_PROMISE_LEAKS set, nothing changes at all.
 */
import * as path from "path";

const DEBUGGABLE_MODULE = path.join("@pulumi", "pulumi", "runtime", "debuggable.js");

/** A trace made by the SDK's debuggablePromise: its top frame is that function, in that module. */
function isPromiseTrace(frames: readonly NodeJS.CallSite[]): boolean {
  const top = frames[0];
  return top?.getFunctionName() === "debuggablePromise" && (top.getFileName() ?? "").endsWith(DEBUGGABLE_MODULE);
}

/** V8's own format of a trace (what Node prints without a prepareStackTrace hook). */
function formatUnmapped(error: Error, frames: readonly NodeJS.CallSite[]): string {
  return `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
}

/**
 * Wraps the installed `Error.prepareStackTrace` (source-map-support's, under cmd/run) so that the
 * SDK's promise traces skip it. Returns false, and changes nothing, when there is no hook to wrap or
 * when promise leaks are being debugged.
 */
export function skipMappingPromiseStacks(env: NodeJS.ProcessEnv = process.env): boolean {
  const mapped = Error.prepareStackTrace;
  if (!mapped || env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  Error.prepareStackTrace = (error, frames) =>
    isPromiseTrace(frames) ? formatUnmapped(error, frames) : mapped(error, frames);
  return true;
}
