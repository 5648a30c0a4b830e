/**
 * The layout's one rule between folders: the domain (status/, drill/, doctor/, offline/, report/, tiers/,
 * pve/, double/, policy/) returns values or throws typed errors and never imports cli/, the only
 * place that knows argv, stdout, stderr and exit codes.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../start/sources";

const DOMAIN = ["status", "drill", "doctor", "offline", "report", "tiers", "pve", "double", "policy"];

/** Every TypeScript file under a folder, project-relative. */
function sources(folder: string): string[] {
  const dir = path.join(PROJECT_DIR, folder);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sources(rel);
    return entry.name.endsWith(".ts") ? [rel] : [];
  });
}

/** What a file imports or requires, resolved to project-relative paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");
  const specifiers = [
    ...text.matchAll(/\bfrom\s+["']([^"']+)["']/g),
    ...text.matchAll(/\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]);
  return specifiers
    .filter((s) => s.startsWith("."))
    .map((s) => path.relative(PROJECT_DIR, path.resolve(PROJECT_DIR, path.dirname(file), s)));
}

test("the scan sees the domain's imports (it would catch one of cli/)", () => {
  expect(importsOf("status/judge.ts")).toContain(path.join("status", "document"));
  expect(sources("doctor").length).toBeGreaterThan(0);
});

test("no module of the domain imports cli/", () => {
  const offending = DOMAIN.flatMap(sources).flatMap((file) =>
    importsOf(file)
      .filter((target) => target === "cli" || target.startsWith(`cli${path.sep}`))
      .map((target) => `${file} imports ${target}`),
  );
  expect(offending).toEqual([]);
});
