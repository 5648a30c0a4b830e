/**
 * `npm run check` as a user runs it: a process of its own through npm, its exit code and its output.
 */
import { spawnSync } from "child_process";
import { FIXTURE_STACK_DIR } from "../support/stacks";
import { PROJECT_DIR } from "../../start/sources";

test("as a user runs it: npm run check exits 0 on the home site, 2 without a stack trace on bad input", () => {
  const ok = spawnSync("npm", ["run", "--silent", "check", "--", "--stack-dir", FIXTURE_STACK_DIR], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  expect(ok.stderr).toBe("");
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain("Tier P2: weekly");
  expect(ok.stdout).toContain("  update    job backup-home-p0-daily\n            enabled: false → true");

  const bad = spawnSync(
    "npm",
    ["run", "--silent", "check", "--", "--stack-dir", FIXTURE_STACK_DIR, "--cluster", "examples/nope.json"],
    {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    },
  );
  expect(bad.status).toBe(2);
  expect(bad.stderr.trim()).toBe("error: examples/nope.json: cannot read (no such file)");
});
