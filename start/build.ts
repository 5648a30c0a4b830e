/**
 * `npm run build`: compiles the program, the policy pack and the commands into dist/ (the
 * tsconfig.build.json project, compiled as `tsc -p tsconfig.build.json` would, through the compiler's
 * API; its own git-ignored folder, never beside the sources), then writes the manifest of the sources
 * it compiled from (start/sources.ts). The compiler type-checks as it compiles and writes nothing when
 * it finds an error (noEmitOnError), so dist/ only ever holds code that type-checked, and a failed
 * build leaves dist/ stale: the next start tries again and says why.
 *
 * Then it bundles the program (index.ts and what it imports) into one file for the Pulumi CLI to run
 * (PROGRAM_BUNDLE; see bundleProgram), from the sources that just type-checked.
 *
 * `npm ci` runs it (the `prepare` script); so does any start that finds dist/ stale (start/fresh.ts).
 * Builds take a lock, so a program and a pack started together by `pulumi preview` build once.
 */
import * as fs from "fs";
import * as path from "path";
import {
  BUILD_TSCONFIG,
  FAILURE_FILE,
  FailureRecord,
  MANIFEST_FILE,
  PROGRAM_BUNDLE,
  PROGRAM_SOURCE,
  PROJECT_DIR,
  SourceRecord,
  SourceRoot,
  changedSources,
  compiledBesideSources,
  hashSources,
  missingOutputs,
  readRecord,
  writeRecord,
} from "./sources";

/** The build could not produce dist/: the message is the compiler's (or says what else is wrong). */
export class BuildError extends Error {
  override name = "BuildError";
}

interface BuildOptions {
  projectDir?: string;
  /**
   * The output folder, when the caller knows it (a start does: it runs from there). Lets a start that
   * waited for another process's build, or that meets the recorded failure of the same sources,
   * answer without loading TypeScript.
   */
  outDir?: string;
  /**
   * Report the recorded failure of an earlier build of exactly these sources instead of compiling
   * them again (a start does; `npm run build` compiles again).
   */
  reuseFailure?: boolean;
  /** Progress lines (to stderr: a policy pack's stdout carries only its port). */
  log?: (line: string) => void;
}

interface BuildResult {
  /** False when dist/ already matched the sources. */
  compiled: boolean;
  sources: number;
  ms: number;
}

/** The build's own files at the top of dist/: its manifest, a failure record, the compiler's incremental state. */
const isBuildFile = (name: string) =>
  name === MANIFEST_FILE ||
  name === PROGRAM_BUNDLE ||
  name === FAILURE_FILE ||
  name.endsWith(".tsbuildinfo") ||
  name.endsWith(".tmp");

/** How long a start waits for another process's build before giving up. */
const LOCK_TIMEOUT_MS = 10 * 60_000;
/** A lock folder without a holder's pid this old is left over from a crash. */
const ORPHAN_LOCK_MS = 10_000;

type TypeScript = typeof import("typescript");

interface BuildProject {
  ts: TypeScript;
  parsed: import("typescript").ParsedCommandLine;
  projectDir: string;
  outDir: string;
  roots: SourceRoot[];
  /** Compile inputs besides the sources: the tsconfig chain and the package manifests. */
  extraFiles: string[];
}

/** The build's project as tsc reads it (TypeScript is loaded here, never on a fresh start). */
function readBuildProject(projectDir: string): BuildProject {
  let ts: TypeScript;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ts = require("typescript") as TypeScript;
  } catch {
    throw new BuildError("compiling needs TypeScript, a dev dependency, which is not installed: run `npm ci`");
  }
  const configFile = path.join(projectDir, BUILD_TSCONFIG);
  let fatal: string | undefined;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => (fatal = ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    },
  );
  if (!parsed || fatal) throw new BuildError(`${BUILD_TSCONFIG}: ${fatal ?? "cannot be read"}`);
  if (parsed.errors.length > 0) {
    throw new BuildError(parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  }
  const outDir = parsed.options.outDir;
  if (!outDir) throw new BuildError(`${BUILD_TSCONFIG}: compilerOptions.outDir must be set`);
  const relative = (p: string) => path.relative(projectDir, p) || ".";
  const folders: SourceRoot[] = Object.entries(parsed.wildcardDirectories ?? {}).map(([dir, flags]) => ({
    path: relative(dir),
    folder: true,
    recursive: (flags & ts.WatchDirectoryFlags.Recursive) !== 0,
  }));
  // Files the include names one by one (index.ts), outside every included folder.
  const underFolder = (file: string) =>
    folders.some((f) => {
      const rest = path.relative(path.join(projectDir, f.path), file);
      return !rest.startsWith("..") && !path.isAbsolute(rest) && (f.recursive || !rest.includes(path.sep));
    });
  const files: SourceRoot[] = parsed.fileNames
    .filter((f) => !underFolder(f))
    .map((f) => ({ path: relative(f), folder: false, recursive: false }));
  const extended = (parsed.options.configFile as { extendedSourceFiles?: string[] } | undefined)?.extendedSourceFiles;
  return {
    ts,
    parsed,
    projectDir,
    outDir: relative(outDir),
    roots: [...folders, ...files],
    extraFiles: [BUILD_TSCONFIG, ...(extended ?? []).map(relative), "package.json", "package-lock.json"],
  };
}

/**
 * Compiles the project as `tsc -p` does (its diagnostics in the same order and format as
 * `tsc --pretty false`), in this process: TypeScript is loaded once, for reading the project and
 * compiling it. Returns the errors, or an empty string when it wrote the output.
 */
function compile({ ts, parsed, projectDir }: BuildProject): string {
  const host = ts.createIncrementalCompilerHost(parsed.options);
  const program = ts.createIncrementalProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(parsed),
    host,
  });
  // What tsc reports, in its order: semantic errors only when the syntax and the options are sound.
  const diagnostics = [...program.getConfigFileParsingDiagnostics(), ...program.getSyntacticDiagnostics()];
  if (diagnostics.length === 0) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (diagnostics.length === 0) diagnostics.push(...program.getSemanticDiagnostics());
  }
  diagnostics.push(...program.emit().diagnostics);
  const errors = ts
    .sortAndDeduplicateDiagnostics(diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  return ts.formatDiagnostics(errors, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => projectDir,
    getNewLine: () => "\n",
  });
}

/** The record still describes the sources (and, for a manifest, its outputs are all there). */
const isCurrent = (projectDir: string, record: SourceRecord) =>
  changedSources(projectDir, record).length === 0 && missingOutputs(projectDir, record).length === 0;

const sameRecord = (a: SourceRecord | undefined, b: SourceRecord) =>
  a !== undefined &&
  a.outDir === b.outDir &&
  JSON.stringify(a.roots) === JSON.stringify(b.roots) &&
  JSON.stringify(a.files) === JSON.stringify(b.files);

/** Brings dist/ up to date with the sources: compiles when they changed, reports the compiler's errors. */
export function build(options: BuildOptions = {}): BuildResult {
  const start = Date.now();
  const log = options.log ?? (() => undefined);
  const projectDir = options.projectDir ?? PROJECT_DIR;
  let project = options.outDir === undefined ? readBuildProject(projectDir) : undefined;
  const outDir = project?.outDir ?? options.outDir!;
  const outPath = path.join(projectDir, outDir);
  const manifestFile = path.join(outPath, MANIFEST_FILE);
  const failureFile = path.join(outPath, FAILURE_FILE);

  fs.mkdirSync(outPath, { recursive: true });
  return withLock(path.join(outPath, ".build.lock"), log, () => {
    // Without loading TypeScript: a build another process finished while this one waited, or the
    // recorded failure of these very sources (a start reports it again rather than compile again).
    const manifest = readRecord(manifestFile);
    if (!project && manifest && isCurrent(projectDir, manifest)) {
      return { compiled: false, sources: Object.keys(manifest.files).length, ms: Date.now() - start };
    }
    const failure = readRecord<FailureRecord>(failureFile);
    if (options.reuseFailure && failure && isCurrent(projectDir, failure)) throw new BuildError(failure.message);

    project ??= readBuildProject(projectDir);
    const { roots } = project;
    if (project.outDir !== outDir) {
      throw new BuildError(`${BUILD_TSCONFIG} now compiles into ${project.outDir}/, not ${outDir}/: run npm run build`);
    }
    const beside = compiledBesideSources(projectDir, roots, outDir);
    if (beside.length > 0) {
      throw new BuildError(
        `compiled JavaScript beside the sources: ${beside.join(", ")}. Node loads x.js before x.ts, so jest ` +
          `and ts-node would run it instead of the sources and hide every edit; delete it (the build writes to ${outDir}/).`,
      );
    }
    // Hashed before compiling: a source edited while it compiles leaves the manifest stale, not wrong.
    const current: SourceRecord = {
      outDir,
      roots,
      files: hashSources(projectDir, roots, outDir, project.extraFiles),
    };
    const sources = Object.keys(current.files).length;
    const missing = missingOutputs(projectDir, current);
    if (sameRecord(manifest, current) && missing.length === 0) {
      return { compiled: false, sources, ms: Date.now() - start };
    }

    // The compiler's incremental state assumes its outputs are still there: start over when some are not.
    const buildInfo = project.parsed.options.tsBuildInfoFile;
    if (missing.length > 0 && buildInfo) fs.rmSync(buildInfo, { force: true });
    log(`compiling ${BUILD_TSCONFIG} into ${outDir}/ ...`);
    const errors = compile(project).trim();
    if (errors) {
      const message =
        `the TypeScript sources do not compile, so ${outDir}/ was not updated; the compiler says ` +
        `(as \`tsc -p ${BUILD_TSCONFIG}\` would):\n${errors}\n` +
        "Fix the sources; the next start (or `npm run build`) compiles them again.";
      writeRecord(failureFile, { ...current, message } as FailureRecord);
      throw new BuildError(message);
    }
    if (PROGRAM_SOURCE in current.files) bundleProgram(projectDir, outDir);
    pruneOrphans(projectDir, outDir);
    writeRecord(manifestFile, current);
    fs.rmSync(failureFile, { force: true });
    return { compiled: true, sources, ms: Date.now() - start };
  });
}

/**
 * Bundles the program for the Pulumi CLI: index.ts and every module it imports, in one file, with zod
 * inside it and every other package left to node_modules. Loading zod as a package costs a start
 * about 40 ms (95 files, 64 of them locales the program never shows); bundled, tree-shaken to what
 * the schema uses, it costs about 7 ms, and the program's own modules load as one file. The SDK
 * must stay outside: its runtime state (the engine connection, the stack) lives in the modules
 * cmd/run has already loaded, and a copy inside the bundle would not be connected; the provider
 * and every other package stay outside with it. It runs after the compiler has type-checked these
 * very sources; esbuild only transpiles.
 */
function bundleProgram(projectDir: string, outDir: string): void {
  let esbuild: typeof import("esbuild");
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require("esbuild") as typeof import("esbuild");
  } catch {
    throw new BuildError("bundling the program needs esbuild, a dev dependency, which is not installed: run `npm ci`");
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const external = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter((name) => name !== "zod")
    .flatMap((name) => [name, `${name}/*`]);
  try {
    esbuild.buildSync({
      entryPoints: [path.join(projectDir, PROGRAM_SOURCE)],
      outfile: path.join(projectDir, outDir, PROGRAM_BUNDLE),
      tsconfig: path.join(projectDir, BUILD_TSCONFIG),
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "es2022", // as tsconfig.json's (esbuild does not read a tsconfig's target)
      // zod's ES modules, which esbuild can tree-shake (its CommonJS build loads everything).
      mainFields: ["module", "main"],
      external,
      logLevel: "silent",
    });
  } catch (err) {
    const failure = err as { errors?: { text: string; location?: { file: string; line: number } | null }[] };
    const lines = (failure.errors ?? []).map((e) =>
      e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text,
    );
    throw new BuildError(
      `bundling ${PROGRAM_SOURCE} into ${outDir}/${PROGRAM_BUNDLE} failed: ${lines.join("; ") || err}`,
    );
  }
}

/** Outputs whose source is gone (a file renamed or deleted): nothing should find them. */
function pruneOrphans(projectDir: string, outDir: string): void {
  const outPath = path.join(projectDir, outDir);
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".")) walk(full);
        continue;
      }
      const relative = path.relative(outPath, full);
      if (dir === outPath && isBuildFile(entry.name)) continue;
      const source = relative.endsWith(".json")
        ? [relative]
        : [".ts", ".tsx", ".mts", ".cts"].map((ext) => relative.replace(/\.(m|c)?js(\.map)?$/, ext));
      if (!source.some((s) => fs.existsSync(path.join(projectDir, s)))) fs.rmSync(full);
    }
  };
  walk(outPath);
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `fn` holding a lock folder; waits for a live holder, takes over from a dead one. */
function withLock<T>(lockDir: string, log: (line: string) => void, fn: () => T): T {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder: number | undefined;
    let age = 0;
    try {
      holder = Number(fs.readFileSync(path.join(lockDir, "pid"), "utf8"));
    } catch {
      try {
        age = Date.now() - fs.statSync(lockDir).mtimeMs;
      } catch {
        continue; // released just now
      }
    }
    if (holder !== undefined ? !isAlive(holder) : age > ORPHAN_LOCK_MS) {
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new BuildError(`another build (${holder ? `pid ${holder}` : lockDir}) has held ${lockDir} for too long`);
    }
    if (!told) log(`waiting for another process to finish building (pid ${holder ?? "?"}) ...`);
    told = true;
    sleep(100);
  }
  try {
    fs.writeFileSync(path.join(lockDir, "pid"), String(process.pid));
    return fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const log = (line: string) => process.stderr.write(`build: ${line}\n`);
  try {
    const result = build({ log });
    const seconds = (result.ms / 1000).toFixed(1);
    log(
      result.compiled
        ? `compiled ${result.sources} sources in ${seconds} s`
        : `up to date with its ${result.sources} sources`,
    );
  } catch (err) {
    if (!(err instanceof BuildError)) throw err;
    process.stderr.write(`build: ${err.message}\n`);
    process.exitCode = 1;
  }
}
