/**
 * What the compiled code in dist/ was built from. The build (start/build.ts) writes a manifest into
 * dist/: a hash of every source tsconfig.build.json includes (and the .json files beside them) and of
 * the files the compile and the bundle depend on. A start (start/fresh.ts) hashes them again and
 * compares: a few milliseconds for ~80 small files, without loading TypeScript.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";

export const BUILD_TSCONFIG = "tsconfig.build.json";
/** The project's folder: the nearest folder above this module holding the build's tsconfig. */
export const PROJECT_DIR = findProjectDir(__dirname);
/** In dist/: the manifest, and the program bundled into one file (start/build.ts says why). */
export const MANIFEST_FILE = "build-manifest.json";
export const PROGRAM_BUNDLE = "program.bundle.js";
/** Inputs besides the sources: the tsconfig files, and the lock file (the bundle holds zod). */
const COMPILE_INPUTS = ["tsconfig.json", BUILD_TSCONFIG, "package-lock.json"];

/** Every source and compile input, relative to the project (forward slashes), with its SHA-1. */
export type Manifest = Record<string, string>;

function findProjectDir(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, BUILD_TSCONFIG))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no ${BUILD_TSCONFIG} in ${from} or above it`);
  }
}

/** The build's tsconfig: what it includes and where it compiles to (its whole-line comments dropped). */
export function readBuildConfig(projectDir: string): { include: string[]; outDir: string } {
  const text = fs.readFileSync(path.join(projectDir, BUILD_TSCONFIG), "utf8").replace(/^\s*\/\/.*$/gm, "");
  const config = JSON.parse(text) as { include: string[]; compilerOptions: { outDir: string } };
  return { include: config.include, outDir: config.compilerOptions.outDir };
}

/**
 * The files the build's `include` names: `file.ts` itself, `folder/**\/*.ts` every .ts and .json under
 * the folder (not in node_modules or dot-folders). Any other pattern is refused rather than guessed.
 */
function listSources(projectDir: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(projectDir, dir), { withFileTypes: true })) {
      const file = `${dir}/${entry.name}`;
      if (entry.isDirectory() && !entry.name.startsWith(".") && entry.name !== "node_modules") walk(file);
      else if (entry.isFile() && /\.(ts|json)$/.test(entry.name)) found.push(file);
    }
  };
  for (const pattern of readBuildConfig(projectDir).include) {
    const folder = /^([\w-]+(?:\/[\w-]+)*)\/\*\*\/\*\.ts$/.exec(pattern)?.[1];
    if (folder) {
      if (fs.existsSync(path.join(projectDir, folder))) walk(folder);
    } else if (/^[\w-]+(\/[\w-]+)*\.ts$/.test(pattern)) found.push(pattern);
    else
      throw new Error(
        `${BUILD_TSCONFIG}: include ${JSON.stringify(pattern)} is neither "file.ts" nor "folder/**/*.ts"`,
      );
  }
  return found;
}

/** The manifest of the project as it is now. */
export function hashSources(projectDir: string): Manifest {
  const manifest: Manifest = {};
  for (const file of [...listSources(projectDir), ...COMPILE_INPUTS].sort()) {
    try {
      manifest[file] = createHash("sha1")
        .update(fs.readFileSync(path.join(projectDir, file)))
        .digest("hex");
    } catch {
      // an included file that does not exist: nothing to compile
    }
  }
  return manifest;
}

/** The sources added, changed or removed since the build that wrote `manifest` (empty: dist/ is current). */
export function changedSources(projectDir: string, manifest: Manifest): string[] {
  const now = hashSources(projectDir);
  const files = new Set([...Object.keys(now), ...Object.keys(manifest)]);
  return [...files].filter((file) => now[file] !== manifest[file]).sort();
}

export function readManifest(outDir: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST_FILE), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
}
