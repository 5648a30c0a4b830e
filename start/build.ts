/**
 * `npm run build`: compiles the program, the policy pack and the commands into dist/ with
 * `tsc -p tsconfig.build.json`, which type-checks as it goes and, on an error, writes nothing
 * (noEmitOnError); then bundles the program for the Pulumi CLI (bundleProgram) and writes the manifest
 * of the sources it built from (start/sources.ts). `npm ci` runs it (`prepare`), and so does a start
 * that finds dist/ stale (start/fresh.ts). It holds a lock file in dist/, so a program and a pack that
 * `pulumi preview` starts together build once.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
  BUILD_TSCONFIG,
  MANIFEST_FILE,
  PROGRAM_BUNDLE,
  PROJECT_DIR,
  changedSources,
  hashSources,
  readBuildConfig,
  readManifest,
} from "./sources";

/** The build could not produce dist/: the message is the compiler's (or says what else is wrong). */
export class BuildError extends Error {
  override name = "BuildError";
}

/** How long a start waits for another process's build before giving up. */
const LOCK_TIMEOUT_MS = 10 * 60_000;

/**
 * Brings dist/ up to date with the sources; returns whether it compiled. With `ifStale` (a start), it
 * compiles only if dist/ is still stale once it holds the lock (another process may have built it).
 */
export function build(options: { projectDir?: string; ifStale?: boolean; log?: (line: string) => void } = {}): boolean {
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const log = options.log ?? (() => undefined);
  const outDir = path.join(projectDir, readBuildConfig(projectDir).outDir);
  fs.mkdirSync(outDir, { recursive: true });
  return withLock(path.join(outDir, ".build.lock"), log, () => {
    const built = readManifest(outDir);
    if (options.ifStale && built && changedSources(projectDir, built).length === 0) return false;
    // Hashed before compiling: a source edited while it compiles leaves the manifest stale, not wrong.
    const manifest = hashSources(projectDir);
    let tscBin: string;
    try {
      tscBin = require.resolve("typescript/bin/tsc", { paths: [projectDir] });
    } catch {
      throw new BuildError("compiling needs TypeScript, a dev dependency, which is not installed: run `npm ci`");
    }
    log(`compiling ${BUILD_TSCONFIG} ...`);
    const tsc = spawnSync(process.execPath, [tscBin, "-p", BUILD_TSCONFIG, "--pretty", "false"], {
      cwd: projectDir,
      encoding: "utf8",
    });
    if (tsc.status !== 0) {
      throw new BuildError(
        `the TypeScript sources do not compile, so dist/ was not updated; \`tsc -p ${BUILD_TSCONFIG}\` says:\n` +
          `${`${tsc.stdout ?? ""}${tsc.stderr ?? ""}`.trim() || tsc.error}\n` +
          "Fix the sources; the next start (or `npm run build`) compiles them again.",
      );
    }
    bundleProgram(projectDir, outDir);
    fs.writeFileSync(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    return true;
  });
}

/**
 * The program as the Pulumi CLI runs it (start/program.ts loads it): index.ts and every module it
 * imports in one file, zod inside it, every other package left in node_modules. Loaded as a package,
 * zod costs a start about 30 ms (95 files, 64 of them locales the program never shows); bundled and
 * tree-shaken to what the schema uses, a few. The SDK must stay outside: its state (the engine
 * connection, the stack) lives in the modules cmd/run has loaded. esbuild only transpiles: tsc has
 * just type-checked these very sources.
 */
function bundleProgram(projectDir: string, outDir: string): void {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8"));
  const external = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => name !== "zod")
    .flatMap((name) => [name, `${name}/*`]);
  try {
    // Loaded here only: a dev dependency, which a start never needs unless it rebuilds.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("esbuild") as typeof import("esbuild")).buildSync({
      entryPoints: [path.join(projectDir, "index.ts")],
      outfile: path.join(outDir, PROGRAM_BUNDLE),
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "es2022", // tsconfig.json's (esbuild does not read a tsconfig's target)
      mainFields: ["module", "main"], // zod's ES modules, which esbuild can tree-shake
      external,
      logLevel: "silent",
    });
  } catch (err) {
    throw new BuildError(`bundling index.ts into ${PROGRAM_BUNDLE} failed: ${(err as Error).message}`);
  }
}

/** Runs `fn` holding a lock file; waits while its holder lives, takes over from a dead one. */
function withLock<T>(file: string, log: (line: string) => void, fn: () => T): T {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (let waited = false; ; waited = true) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (!isHeld(file)) fs.rmSync(file, { force: true });
    else if (Date.now() > deadline) throw new BuildError(`another build has held ${file} for too long`);
    else {
      if (!waited) log(`waiting for another process's build (${file}) ...`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/** The lock's holder is alive (or has only just created it and not yet written its pid). */
function isHeld(file: string): boolean {
  try {
    const pid = Number(fs.readFileSync(file, "utf8"));
    if (!pid) return Date.now() - fs.statSync(file).mtimeMs < 10_000;
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

if (require.main === module) {
  try {
    build({ log: (line) => process.stderr.write(`build: ${line}\n`) });
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`build: ${err.message}\n`);
    process.exitCode = 1;
  }
}
