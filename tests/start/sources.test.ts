/**
 * The manifest of what dist/ was built from (start/sources.ts), on a small project in a temporary
 * folder: which edits make dist/ stale, which outputs a build must have written, and compiled
 * JavaScript beside the sources.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  PROGRAM_BUNDLE,
  SourceRecord,
  SourceRoot,
  changedSources,
  compiledBesideSources,
  hashSources,
  missingOutputs,
} from "../../start/sources";

const ROOTS: SourceRoot[] = [
  { path: "tiers", folder: true, recursive: true },
  { path: "policy", folder: true, recursive: false },
  { path: "index.ts", folder: false, recursive: false },
];
const EXTRA = ["tsconfig.build.json", "package-lock.json"];

let dir: string;
const write = (file: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
};
const record = (): SourceRecord => ({ outDir: "dist", roots: ROOTS, files: hashSources(dir, ROOTS, "dist", EXTRA) });

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pve-sources-"));
  write("index.ts", "export = 1;\n");
  write("tiers/pve.ts", "export const a = 1;\n");
  write("tiers/calendar/parse.ts", "export const b = 2;\n");
  write("tiers/data.json", "{}\n");
  write("policy/index.ts", "export {};\n");
  write("tsconfig.build.json", "{}\n");
  write("package-lock.json", "{}\n");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the sources a build records", () => {
  it("are every .ts and .json under the included folders, the included files and the compile's inputs", () => {
    write("policy/policies/one.ts", "export {};\n"); // policy/ is included without its subfolders
    write("tiers/node_modules/x/index.ts", "");
    write("tiers/.cache/y.ts", "");
    write("tiers/README.md", "");
    expect(Object.keys(record().files)).toEqual([
      "index.ts",
      "package-lock.json",
      "policy/index.ts",
      "tiers/calendar/parse.ts",
      "tiers/data.json",
      "tiers/pve.ts",
      "tsconfig.build.json",
    ]);
  });
});

describe("changedSources: what makes dist/ stale", () => {
  it("nothing, right after the build", () => {
    expect(changedSources(dir, record())).toEqual([]);
  });

  it("an edited source, a new one, a removed one, a changed tsconfig or lock file", () => {
    const built = record();
    write("tiers/pve.ts", "export const a = 2;\n");
    write("tiers/calendar/search.ts", "export {};\n");
    fs.rmSync(path.join(dir, "policy/index.ts"));
    write("package-lock.json", '{"lockfileVersion": 3}\n');
    expect(changedSources(dir, built)).toEqual([
      "package-lock.json",
      "policy/index.ts",
      "tiers/calendar/search.ts",
      "tiers/pve.ts",
    ]);
  });

  it("not a file the build does not read", () => {
    const built = record();
    write("tiers/notes.md", "");
    write("tests/pve.test.ts", "");
    write("policy/policies/one.ts", "");
    expect(changedSources(dir, built)).toEqual([]);
  });
});

describe("missingOutputs", () => {
  it("the compiled file of each TypeScript source under the roots, and the program's bundle, when not in dist/", () => {
    write("tiers/types.d.ts", "export type T = 1;\n");
    write("dist/tiers/pve.js", "");
    write("dist/index.js", "");
    expect(missingOutputs(dir, record())).toEqual([
      path.join("dist", "policy", "index.js"),
      path.join("dist", "tiers", "calendar", "parse.js"),
      path.join("dist", PROGRAM_BUNDLE),
    ]);
    write(`dist/${PROGRAM_BUNDLE}`, "");
    expect(missingOutputs(dir, record())).not.toContain(path.join("dist", PROGRAM_BUNDLE));
  });
});

describe("compiledBesideSources", () => {
  it("JavaScript next to a TypeScript source of the same name, which Node would load first", () => {
    write("tiers/pve.js", "");
    write("index.js", "");
    write("tiers/standalone.js", ""); // no .ts twin: a file of its own, not a compile
    expect(compiledBesideSources(dir, ROOTS, "dist")).toEqual(["index.js", "tiers/pve.js"]);
  });
});
