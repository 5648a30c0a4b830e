/**
 * The commands of README.md and docs/ run as written, where they need no cluster. Each `sh` block is
 * read as a reader would paste it, in a folder of its own that links to the project's files (so what
 * a command writes, `report.html`, `status.json`, ..., lands there and not in the clone):
 *
 * - a block that needs a real cluster or the Pulumi CLI (`pulumi`, `pveum`, `pvesh`, a token to fill in,
 *   `npm run doctor`/`status`/`drill` without the double) is not run;
 * - what CI runs itself (`npm ci`, `npm test`, lint, format, build, bench, `apt-get`) is not run here;
 * - `npm run pve-double ...` is started (on a free port: 8006 may be taken) until its banner; the block
 *   after it that reads its `--write-env` file runs against it;
 * - every other line runs, and exits 0 or the code its `# exit N` comment says; a bare code block right
 *   after a one-command block is an excerpt of that command's output, line for line.
 *
 * Whatever the commands write must be git-ignored (`.gitignore`).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DoubleProcess, startDoubleProcess } from "./support/apiDouble";
import { PROJECT_DIR } from "../start/sources";

interface Block {
  file: string;
  /** Logical lines: continuations joined, blanks and comment lines left out. */
  lines: string[];
  /** The bare code block right after this one, if any: an excerpt of its output. */
  output?: string[];
}

const DOC_FILES = [
  "README.md",
  ...fs
    .readdirSync(path.join(PROJECT_DIR, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

function blocksOf(file: string): Block[] {
  const fences = [...fs.readFileSync(path.join(PROJECT_DIR, file), "utf8").matchAll(/^```(\w*)\n([\s\S]*?)^```\n/gm)];
  const blocks: Block[] = [];
  fences.forEach((fence, i) => {
    if (fence[1] !== "sh") return;
    const lines = fence[2]
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "" && !l.startsWith("#"));
    const next = fences[i + 1];
    // The output block follows with nothing but one line of prose (or nothing) between them.
    const between = next ? next.input!.slice(fence.index! + fence[0].length, next.index) : "";
    const output =
      next && next[1] === "" && lines.length === 1 && between.trim().split("\n").length <= 1
        ? next[2].split("\n").filter((l) => l.trim() !== "")
        : undefined;
    blocks.push({ file, lines, output });
  });
  return blocks;
}

const ALL_BLOCKS = DOC_FILES.flatMap(blocksOf);

/** A real cluster, the Pulumi CLI, or a secret to fill in. */
const needsCluster = (block: Block) =>
  block.lines.some(
    (l) =>
      /^(pulumi|pveum|pvesh|\{|\*\/)/.test(l) ||
      /<[a-z ]+>/.test(l) ||
      (/npm run (-s )?(doctor|status|drill)\b/.test(l) && !block.lines.some(isEnvFromDouble)),
  );
/** What CI runs on its own (.ci/run): installing, the tests, lint, the benchmarks. */
const ranByCi = (line: string) =>
  /^(npm ci|npm test|npm run (lint|format|build|bench|test:unit|test:e2e)\b|(sudo )?apt-get )/.test(line);
const isDouble = (line: string) => /^npm run (-s )?pve-double\b/.test(line);
const isEnvFromDouble = (line: string) => /^\. \.\/\S+\.env$/.test(line);
/** The exit code a line documents with `# exit N`, else 0. */
const expectedExit = (line: string) => Number(/#\s*exit (\d)\b/.exec(line)?.[1] ?? 0);

const farm = fs.mkdtempSync(path.join(os.tmpdir(), "docs-commands-"));
const before = new Set<string>();
const doubles: DoubleProcess[] = [];

beforeAll(() => {
  // The clone as a reader sees it, but writes go to this folder (node resolves dist/ to the project).
  // Git-ignored files of the clone (a report.html of your own) stay out: a command writes its own here.
  const entries = fs.readdirSync(PROJECT_DIR).filter((e) => e !== ".git");
  const ignored = spawnSync("git", ["check-ignore", ...entries], { cwd: PROJECT_DIR, encoding: "utf8" })
    .stdout.split("\n")
    .filter((e) => e !== "dist" && e !== "node_modules");
  for (const entry of entries) {
    if (ignored.includes(entry)) continue;
    fs.symlinkSync(path.join(PROJECT_DIR, entry), path.join(farm, entry));
    before.add(entry);
  }
});

afterAll(() => {
  for (const d of doubles) d.stop();
  fs.rmSync(farm, { recursive: true, force: true });
});

function shell(script: string) {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["PROXMOX_VE_API_TOKEN", "PROXMOX_VE_ENDPOINT", "PROXMOX_VE_INSECURE", "PVE_DOUBLE_CA"])
    delete env[name];
  return spawnSync("bash", ["-c", script], { cwd: farm, encoding: "utf8", env, timeout: 120_000 });
}

function expectExcerpt(stdout: string, excerpt: string[]) {
  const lines = stdout.split("\n").map((l) => l.trimEnd());
  let at = 0;
  for (const wanted of excerpt.map((l) => l.trimEnd())) {
    const found = lines.indexOf(wanted, at);
    if (found < 0) throw new Error(`the output lacks, in this order:\n${wanted}\n\n--- output ---\n${stdout}`);
    at = found + 1;
  }
}

const offlineLines = ALL_BLOCKS.filter((b) => !needsCluster(b) && !b.lines.some(isEnvFromDouble)).flatMap((block) =>
  block.lines
    .filter((l) => !ranByCi(l) && !isDouble(l))
    .map((line) => ({ where: block.file, line, output: block.output })),
);

test("the docs show the offline commands this test runs", () => {
  const scripts = new Set(offlineLines.map(({ line }) => /^npm run (?:-s )?(\S+)/.exec(line)?.[1]));
  expect([...scripts].sort()).toEqual(["calendar", "check", "init", "report", "schedule"]);
});

test.each(offlineLines)("$where: $line", ({ line, output }) => {
  const run = shell(line);
  expect({ exit: run.status, stderr: run.stderr.includes("error:") ? run.stderr : "" }).toEqual({
    exit: expectedExit(line),
    stderr: "",
  });
  if (output) expectExcerpt(run.stdout, output);
});

describe("the PVE API double, as docs/pve-double.md runs it", () => {
  const blocks = blocksOf("docs/pve-double.md");
  const starts = blocks.flatMap((b) => b.lines.filter(isDouble));
  const withEnv = blocks.find((b) => b.lines.some(isEnvFromDouble))!;
  const homeDay = starts.find((l) => l.includes("--write-env"))!;

  test.each(starts.filter((l) => l !== homeDay))("%s starts and prints how to reach it", async (line) => {
    const double = startDoubleProcess([...argsOf(line), "--port", "0"]);
    doubles.push(double);
    const banner = await double.banner;
    double.stop();
    expect(banner).toMatch(/^PVE API double on https:\/\/127\.0\.0\.1:\d+\/ \(cluster tests\/fixtures\/clusters\//);
  });

  test("the home site's day: doctor OK, the status of docs/status.md (exit 1), then the report", async () => {
    // As written but for the port, and the env file in this test's folder (the double runs in the clone).
    const args = argsOf(homeDay).map((a) => (a === "double.env" ? path.join(farm, "double.env") : a));
    const double = startDoubleProcess([...args, "--port", "0"]);
    doubles.push(double);
    await double.banner;
    const [env, ...lines] = withEnv.lines;
    expect(env).toBe(". ./double.env");
    const runs = lines.map((line) => ({ line, run: shell(`${env}\n${line}`) }));
    for (const { line, run } of runs) {
      expect({ line, exit: run.status, stderr: run.stderr }).toEqual({ line, exit: expectedExit(line), stderr: "" });
    }
    const doctor = runs.find((r) => r.line.startsWith("npm run doctor"))!.run.stdout;
    expect(doctor).toContain("All 12 checks passed: ready for pulumi preview --policy-pack policy.");
    const status = runs.find((r) => r.line.startsWith("npm run status"))!.run.stdout;
    expectExcerpt(status.replace(/https:\/\/127\.0\.0\.1:\d+\//g, "https://127.0.0.1:8006/"), statusSample());
    const page = fs.readFileSync(path.join(farm, "report.html"), "utf8");
    expect(page).toContain("unable to create temporary directory");
    expect(JSON.parse(fs.readFileSync(path.join(farm, "status.json"), "utf8"))).toMatchObject({
      stack: "home",
      at: "2026-02-12T09:00:00Z",
      ok: false,
    });
  });
});

/** Arguments after `--` of an `npm run pve-double -- ...` line (the docs quote none). */
function argsOf(line: string): string[] {
  return line.split(" -- ")[1]?.trim().split(/\s+/) ?? [];
}

/** The status's output as docs/status.md shows it: the bare block after "The home site on its own day". */
function statusSample(): string[] {
  const text = fs.readFileSync(path.join(PROJECT_DIR, "docs/status.md"), "utf8");
  const at = text.indexOf("The home site on its own day");
  const block = /^```\n([\s\S]*?)^```\n/m.exec(text.slice(at))!;
  return block[1].split("\n").filter((l) => l.trim() !== "");
}

test("what the commands wrote is git-ignored", () => {
  const written = fs.readdirSync(farm).filter((f) => !before.has(f));
  expect(written.length).toBeGreaterThan(0);
  const check = spawnSync("git", ["check-ignore", "--no-index", "--verbose", "--non-matching", ...written], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  const notIgnored = check.stdout
    .split("\n")
    .filter((l) => l.startsWith("::"))
    .map((l) => l.split("\t")[1]);
  expect({ written: written.sort(), notIgnored }).toEqual({ written: written.sort(), notIgnored: [] });
});

test("README: without Chromium the browser test is skipped, saying so in jest's output and summary", () => {
  // The browser test, in a folder of its own, pointed at a Chromium that is not there; run beside
  // another file, in workers, as `npm test` runs it (jest drops a skipped file's console output then).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "docs-no-chromium-"));
  try {
    const source = fs
      .readFileSync(path.join(PROJECT_DIR, "tests/cli/report.e2e.test.ts"), "utf8")
      .replace(
        'const CHROMIUM = "/usr/bin/chromium";',
        `const CHROMIUM = ${JSON.stringify(path.join(dir, "chromium"))};`,
      )
      .replace(
        /from "(\.\.?\/[^"]+)"/g,
        (_, spec: string) => `from ${JSON.stringify(path.resolve(PROJECT_DIR, "tests/cli", spec))}`,
      );
    expect(source).toContain(path.join(dir, "chromium"));
    fs.writeFileSync(path.join(dir, "report.e2e.test.ts"), source);
    fs.writeFileSync(
      path.join(dir, "sum.test.ts"),
      'test("sums", () => expect([1, 2].reduce((a, b) => a + b)).toBe(3));\n',
    );
    const config = {
      rootDir: dir,
      testEnvironment: "node",
      testMatch: ["**/*.test.ts"],
      modulePaths: [path.join(PROJECT_DIR, "node_modules")],
      transform: {
        "^.+\\.ts$": [
          require.resolve("@swc/jest"),
          { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
        ],
      },
    };
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.CI;
    const jest = spawnSync(
      process.execPath,
      [
        require.resolve("jest/bin/jest"),
        "--config",
        JSON.stringify(config),
        "--maxWorkers=2",
        "--cacheDirectory",
        path.join(dir, "cache"),
      ],
      { cwd: dir, encoding: "utf8", env, timeout: 120_000 },
    );
    const said = jest.stdout + jest.stderr;
    expect(jest.status).toBe(0);
    expect(said).toContain(
      `SKIPPED report.e2e.test.ts: ${path.join(dir, "chromium")} is missing: the report's browser test needs Debian's chromium (apt-get install -y chromium)`,
    );
    expect(said).toMatch(/^Tests: +\d+ skipped, 1 todo, 1 passed, \d+ total$/m);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
