/** README.md and package.json agree: every `npm run` script is shown, and every one shown exists. */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../start/sources";

/** Scripts npm runs by itself (`prepare` on `npm ci`): the README says what they do, not `npm run` them. */
const LIFECYCLE = new Set(["prepare", "preinstall", "install", "postinstall"]);

test("every npm script appears in the README, and the README names no other", () => {
  const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")).scripts)
    .filter((name) => !LIFECYCLE.has(name))
    .sort();
  const readme = fs.readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8");
  const shown = new Set([...readme.matchAll(/npm run ([a-z][a-z0-9:-]*[a-z0-9])/g)].map((m) => m[1]));
  if (/\bnpm test\b/.test(readme)) shown.add("test");
  expect([...shown].sort()).toEqual(scripts);
});
