/**
 * The start-up check of everything that runs from dist/: the program's and the pack's entries (this
 * folder) and every command (cli/cli.ts `runMain`). Compiled code runs only while it is what the
 * sources say: when a source changed, was added or removed since the build (start/sources.ts), the
 * start rebuilds first (start/build.ts, type checking included) and then runs the new code; when the
 * compiler finds an error, the start stops with the compiler's message (a BuildError). Run from the
 * TypeScript sources (jest, ts-node) there is nothing to check.
 */
import * as path from "path";
import { build } from "./build";
import { MANIFEST_FILE, PROJECT_DIR, changedSources, readManifest } from "./sources";

/** This module's compiled copy sits in dist/start/. */
const OUT_DIR = path.resolve(__dirname, "..");

/**
 * Makes sure the compiled code about to run matches the sources, rebuilding when it does not.
 * Returns true when dist/ was stale: the modules already loaded from it are then the old ones.
 */
export function ensureFresh(): boolean {
  if (__filename.endsWith(".ts")) return false;
  const manifest = readManifest(OUT_DIR);
  const stale = manifest ? changedSources(PROJECT_DIR, manifest) : [`no ${MANIFEST_FILE}`];
  if (stale.length === 0) return false;
  const log = (line: string) => process.stderr.write(`pve-backup-tiers: ${line}\n`);
  const shown = stale.slice(0, 3).join(", ") + (stale.length > 3 ? ` and ${stale.length - 3} more` : "");
  log(`dist/ is out of date with the sources (${shown}); rebuilding`);
  const start = Date.now();
  if (build({ ifStale: true, log })) log(`rebuilt in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  return true;
}
