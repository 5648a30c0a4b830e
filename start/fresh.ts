/**
 * The start-up check of everything that runs from dist/: the program's and the pack's entries (this
 * folder) and every command (cli/cli.ts `runMain`). Compiled code runs only while it is what the
 * sources say: when a source changed, was added or removed since the build (start/sources.ts), the
 * start rebuilds first (start/build.ts, type-checking included) and then runs the new code; when the
 * compiler finds an error, the start stops with the compiler's message (a BuildError). Run from the
 * TypeScript sources (jest, ts-node) there is nothing to check.
 */
import * as path from "path";
import { build } from "./build";
import { MANIFEST_FILE, PROJECT_DIR, changedSources, missingOutputs, readRecord } from "./sources";

/** This module's compiled copy sits in <outDir>/start/. */
const OUT_DIR = path.resolve(__dirname, "..");
const RUNNING_FROM_SOURCES = /\.(m|c)?tsx?$/.test(__filename);

/** What made dist/ stale: changed sources and missing outputs, or the reason there is no manifest. */
function staleness(): string[] {
  const manifest = readRecord(path.join(OUT_DIR, MANIFEST_FILE));
  if (!manifest) return [`no ${MANIFEST_FILE} in ${path.relative(PROJECT_DIR, OUT_DIR)}/`];
  if (path.resolve(PROJECT_DIR, manifest.outDir) !== OUT_DIR) return [`the build now writes to ${manifest.outDir}/`];
  return [...changedSources(PROJECT_DIR, manifest), ...missingOutputs(PROJECT_DIR, manifest)];
}

/**
 * Makes sure the compiled code about to run matches the sources; rebuilds when it does not. Returns
 * true when it rebuilt (the modules already loaded from dist/ are then the old ones). Throws a
 * BuildError with the compiler's message when the sources do not compile.
 */
export function ensureFresh(): boolean {
  if (RUNNING_FROM_SOURCES) return false;
  const stale = staleness();
  if (stale.length === 0) return false;
  const log = (line: string) => process.stderr.write(`pve-backup-tiers: ${line}\n`);
  const shown = stale.slice(0, 3).join(", ") + (stale.length > 3 ? ` and ${stale.length - 3} more` : "");
  const outDir = path.relative(PROJECT_DIR, OUT_DIR);
  log(`${outDir}/ is out of date with the sources (${shown}); rebuilding`);
  const result = build({ projectDir: PROJECT_DIR, outDir, reuseFailure: true, log });
  if (result.compiled) log(`rebuilt in ${(result.ms / 1000).toFixed(1)} s`);
  return true;
}
