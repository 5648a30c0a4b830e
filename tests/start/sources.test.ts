/**
 * The manifest of what dist/ was built from (start/sources.ts), on a small project in a temporary
 * folder: which files it records and which edits make dist/ stale.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { changedSources, hashSources } from "../../start/sources";

let dir: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const tsconfig = (include: string[]) =>
  write(
    "tsconfig.build.json",
    `{\n  // a comment, as tsc allows\n  "compilerOptions": { "outDir": "dist" },\n  "include": ${JSON.stringify(include)}\n}\n`,
  );

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pve-sources-"));
  tsconfig(["index.ts", "tiers/**/*.ts", "policy/**/*.ts"]);
  write("index.ts", "export = 1;\n");
  write("tiers/pve.ts", "export const a = 1;\n");
  write("tiers/calendar/parse.ts", "export const b = 2;\n");
  write("tiers/data.json", "{}\n");
  write("policy/index.ts", "export {};\n");
  write("tsconfig.json", "{}\n");
  write("package-lock.json", "{}\n");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a build records every .ts and .json its include names, and the tsconfig and lock files", () => {
  write("tiers/node_modules/x/index.ts", "");
  write("tiers/.cache/y.ts", "");
  write("tiers/README.md", "");
  write("tests/pve.test.ts", "");
  expect(Object.keys(hashSources(dir))).toEqual([
    "index.ts",
    "package-lock.json",
    "policy/index.ts",
    "tiers/calendar/parse.ts",
    "tiers/data.json",
    "tiers/pve.ts",
    "tsconfig.build.json",
    "tsconfig.json",
  ]);
});

test("dist/ is stale after an edited, a new or a removed source, or a changed tsconfig or lock file", () => {
  const built = hashSources(dir);
  expect(changedSources(dir, built)).toEqual([]);
  write("tiers/notes.md", "");
  write("tests/pve.test.ts", "");
  expect(changedSources(dir, built)).toEqual([]);
  write("tiers/pve.ts", "export const a = 2;\n");
  write("tiers/calendar/search.ts", "export {};\n");
  fs.rmSync(path.join(dir, "policy/index.ts"));
  write("package-lock.json", '{"lockfileVersion": 3}\n');
  write("tsconfig.json", '{"compilerOptions": {}}\n');
  expect(changedSources(dir, built)).toEqual([
    "package-lock.json",
    "policy/index.ts",
    "tiers/calendar/search.ts",
    "tiers/pve.ts",
    "tsconfig.json",
  ]);
});

test("an include pattern it cannot follow is refused, named, rather than guessed", () => {
  tsconfig(["index.ts", "tiers/*.ts"]);
  expect(() => hashSources(dir)).toThrow(
    'tsconfig.build.json: include "tiers/*.ts" is neither "file.ts" nor "folder/**/*.ts"',
  );
});
