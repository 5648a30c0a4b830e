/**
 * README.md, docs/ and package.json agree: the README names every `npm run` script (and only those),
 * every `npm run` command shown in the README or docs/ exists, and every relative link of the README
 * and docs/ reaches a file and, with an anchor, a heading in it. (That the commands run as written:
 * tests/docs.e2e.test.ts.)
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../start/sources";

/** Scripts npm runs by itself (`prepare` on `npm ci`): the README says what they do, not `npm run` them. */
const LIFECYCLE = new Set(["prepare", "preinstall", "install", "postinstall"]);

const DOCS = [
  "README.md",
  ...fs
    .readdirSync(path.join(PROJECT_DIR, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
const scripts = Object.keys(JSON.parse(read("package.json")).scripts).filter((name) => !LIFECYCLE.has(name));

/** The scripts a text runs with `npm run [-s|--silent] NAME` (and `npm test`). */
function scriptsShown(text: string): string[] {
  const shown = [...text.matchAll(/npm run (?:(?:-s|--silent) )?([a-z][a-z0-9:-]*[a-z0-9])/g)].map((m) => m[1]);
  if (/\bnpm test\b/.test(text)) shown.push("test");
  return [...new Set(shown)].sort();
}

/** GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

test("every npm script appears in the README, and the README names no other", () => {
  expect(scriptsShown(read("README.md"))).toEqual([...scripts].sort());
});

test.each(DOCS)("%s runs only npm scripts that package.json has", (file) => {
  const unknown = scriptsShown(read(file)).filter((name) => !scripts.includes(name));
  expect(unknown).toEqual([]);
});

test.each(DOCS)("%s links only to files and headings that exist", (file) => {
  const text = read(file).replace(/```[\s\S]*?```/g, "");
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue; // https: and the like
    const [relative, anchor] = target.split("#");
    const linked = relative === "" ? file : path.posix.join(path.posix.dirname(file), relative);
    const absolute = path.join(PROJECT_DIR, linked);
    if (!fs.existsSync(absolute)) {
      broken.push(`${target}: no file ${linked}`);
      continue;
    }
    if (anchor === undefined) continue;
    const headings = fs
      .readFileSync(absolute, "utf8")
      .replace(/```[\s\S]*?```/g, "")
      .split("\n")
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchorOf(line.replace(/^#+ /, "")));
    if (!headings.includes(anchor)) broken.push(`${target}: no heading #${anchor} in ${linked}`);
  }
  expect(broken).toEqual([]);
});
