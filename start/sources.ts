/**
 * What the compiled program, pack and commands in dist/ were built from, and whether that is still
 * what the sources say. The build (start/build.ts) writes a manifest beside its output: the folders
 * and files its tsconfig includes, and a hash of every source under them plus the files the compile
 * depends on (the tsconfig files, package.json, package-lock.json). At start, start/fresh.ts walks
 * the same folders and compares: a changed, added or removed source, or a missing output, means
 * dist/ is stale. Reading and hashing ~60 small files takes a few milliseconds; no TypeScript is
 * loaded for it.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

export const BUILD_TSCONFIG = "tsconfig.build.json";
/** The project's folder: the nearest folder above this module holding the build's tsconfig. */
export const PROJECT_DIR = findProjectDir(__dirname);

/** Files beside the output that are the build's own, not compiled sources. */
export const MANIFEST_FILE = "build-manifest.json";
export const FAILURE_FILE = "build-failure.json";
/**
 * The program as the Pulumi CLI runs it: index.ts and everything it imports, zod included, bundled
 * into one file at the top of the output (start/build.ts says why). Made from the project's root
 * program, so a manifest whose sources include index.ts expects it.
 */
export const PROGRAM_BUNDLE = "program.bundle.js";
export const PROGRAM_SOURCE = "index.ts";

/** Extensions of the files the compiler reads under the included folders (.json: resolveJsonModule). */
const SOURCE_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".json"];

/** A folder or a file the build's tsconfig includes, relative to the project. */
export interface SourceRoot {
  path: string;
  /** A folder: walk it (recursively when the include pattern has `**`). */
  folder: boolean;
  recursive: boolean;
}

/** What a build was made from: the manifest of a successful build, or the record of a failed one. */
export interface SourceRecord {
  /** The compiler's output folder, relative to the project. */
  outDir: string;
  roots: SourceRoot[];
  /** Every source and compile input, relative to the project (forward slashes), with its SHA-1. */
  files: Record<string, string>;
}

export interface FailureRecord extends SourceRecord {
  /** What the compiler said. */
  message: string;
}

function findProjectDir(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, BUILD_TSCONFIG))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ${BUILD_TSCONFIG} in ${from} or above it`);
  }
}

const toKey = (relative: string) => relative.split(path.sep).join("/");

function hashFile(file: string): string | undefined {
  try {
    return createHash("sha1").update(fs.readFileSync(file)).digest("hex");
  } catch {
    return undefined; // gone
  }
}

/** The sources under the roots (as tsc's include: not in node_modules, dot-folders or the output), project-relative. */
function listSources(projectDir: string, roots: readonly SourceRoot[], outDir: string): string[] {
  const found = new Set<string>();
  const output = path.resolve(projectDir, outDir);
  const walk = (dir: string, recursive: boolean) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return; // an included folder that does not exist (yet)
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (recursive && !entry.name.startsWith(".") && entry.name !== "node_modules" && full !== output) {
          walk(full, true);
        }
      } else if (SOURCE_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) {
        found.add(toKey(path.relative(projectDir, full)));
      }
    }
  };
  for (const root of roots) {
    const full = path.join(projectDir, root.path);
    if (root.folder) walk(full, root.recursive);
    else if (fs.existsSync(full)) found.add(toKey(root.path));
  }
  return [...found].sort();
}

/** Hashes of the sources under the roots and of the extra compile inputs. */
export function hashSources(
  projectDir: string,
  roots: readonly SourceRoot[],
  outDir: string,
  extraFiles: readonly string[],
): Record<string, string> {
  const files: Record<string, string> = {};
  for (const file of [...listSources(projectDir, roots, outDir), ...extraFiles.map(toKey)].sort()) {
    const hash = hashFile(path.join(projectDir, file));
    if (hash !== undefined) files[file] = hash;
  }
  return files;
}

/**
 * The differences between a record and the project as it is now: sources added, changed or removed
 * since (empty when the record still describes the sources).
 */
export function changedSources(projectDir: string, record: SourceRecord): string[] {
  const changed: string[] = [];
  for (const file of listSources(projectDir, record.roots, record.outDir)) {
    if (!(file in record.files)) changed.push(file);
  }
  for (const [file, hash] of Object.entries(record.files)) {
    if (hashFile(path.join(projectDir, file)) !== hash) changed.push(file);
  }
  return changed.sort();
}

/** Compiled files the record's sources should have produced (the program's bundle too) but that are not there. */
export function missingOutputs(projectDir: string, record: SourceRecord): string[] {
  const bundle = PROGRAM_SOURCE in record.files ? [path.join(record.outDir, PROGRAM_BUNDLE)] : [];
  return Object.keys(record.files)
    .filter((file) => /\.(ts|tsx|mts|cts)$/.test(file) && !file.endsWith(".d.ts"))
    .filter((file) => record.roots.some((root) => isUnder(file, root)))
    .map((file) =>
      path.join(
        record.outDir,
        file.replace(/\.(m|c)?tsx?$/, (ext) => ext.replace(/tsx?$/, "js")),
      ),
    )
    .concat(bundle)
    .filter((output) => !fs.existsSync(path.join(projectDir, output)));
}

function isUnder(file: string, root: SourceRoot): boolean {
  if (!root.folder) return file === root.path;
  const prefix = root.path === "." ? "" : `${toKey(root.path)}/`;
  if (!file.startsWith(prefix)) return false;
  return root.recursive || !file.slice(prefix.length).includes("/");
}

/**
 * Compiled JavaScript beside the TypeScript under the roots: Node resolves `x.js` before `x.ts`, so
 * anything that runs the sources (jest, ts-node) would run it instead and hide every edit.
 */
export function compiledBesideSources(projectDir: string, roots: readonly SourceRoot[], outDir: string): string[] {
  const sources = listSources(projectDir, roots, outDir).filter((f) => /\.(m|c)?tsx?$/.test(f) && !f.endsWith(".d.ts"));
  return sources
    .flatMap((f) => [".js", ".cjs", ".mjs"].map((ext) => f.replace(/\.(m|c)?tsx?$/, ext)))
    .filter((f) => fs.existsSync(path.join(projectDir, f)));
}

export function readRecord<T extends SourceRecord>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return undefined;
  }
}

/** Writes a record whole or not at all (a reader never sees half a file). */
export function writeRecord(file: string, record: SourceRecord): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
  fs.renameSync(temporary, file);
}
