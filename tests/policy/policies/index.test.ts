/**
 * The pack's policy list: policy/README.md's table is the pack (names, levels and descriptions in
 * the pack's order), so the descriptions live once, in the policies, and the README cannot drift.
 */
import * as fs from "fs";
import * as path from "path";
import { policies } from "../../../policy/policies";

const README = path.join(__dirname, "../../../policy/README.md");

function readmeTable(): { name: string; level: string; description: string }[] {
  const text = fs.readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("## Policies"), text.indexOf("## What the policies read"));
  return section
    .split("\n")
    .filter((line) => /^\| `/.test(line))
    .map((line) => {
      const [name, level, description] = line
        .split("|")
        .slice(1, -1)
        .map((cell) => cell.trim());
      return { name: name.replace(/`/g, ""), level, description };
    });
}

test("policy/README.md lists every policy of the pack with its level and its own description, in order", () => {
  expect(readmeTable()).toEqual(
    policies.map((p) => ({ name: p.name, level: p.enforcementLevel, description: p.description })),
  );
});

test("mandatory policies come first, so the pack reports what stops a change before what advises", () => {
  const levels = policies.map((p) => p.enforcementLevel);
  expect(levels).toEqual([...levels].sort((a, b) => (a === "mandatory" ? 0 : 1) - (b === "mandatory" ? 0 : 1)));
});
