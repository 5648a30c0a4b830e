/**
 * `npm run schedule` as a user runs it: the command in a process of its own.
 */
import { spawnSync } from "child_process";
import { PROJECT_DIR } from "../../start/sources";

describe("schedule command (spawned)", () => {
  test("npm run schedule: done-when case and exit code 2", () => {
    const cli = (...args: string[]) =>
      spawnSync("npm", ["run", "--silent", "schedule", "--", ...args], { cwd: PROJECT_DIR, encoding: "utf8" });

    const ok = cli("sun 04:00", "--from", "2026-01-01T00:00:00Z", "--count", "3", "--tz", "UTC", "--json");
    expect(ok.stderr).toBe("");
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).next).toEqual([
      "2026-01-04T04:00:00Z",
      "2026-01-11T04:00:00Z",
      "2026-01-18T04:00:00Z",
    ]);

    const bad = cli("daily 03:00");
    expect(bad.status).toBe(2);
    expect(bad.stdout).toMatch(/not a valid PVE schedule/);
  });
});
