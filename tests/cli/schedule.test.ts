import { runScheduleCommand } from "../../cli/commands/schedule";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const NOW = new Date("2026-01-01T00:00:00Z");
const run = (...argv: string[]) => runScheduleCommand(argv, { now: NOW, stackDir: FIXTURE_STACK_DIR });
/** In UTC, whatever the stack's zone. */
const runUtc = (...argv: string[]) => run(...argv, "--tz", "UTC");

describe("schedule command (in-process)", () => {
  test("--json lists the next runs in UTC", () => {
    const r = runUtc("sun 04:00", "--from", "2026-01-01T00:00:00Z", "--count", "3", "--json");
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      schedule: "sun 04:00",
      valid: true,
      warnings: [],
      next: ["2026-01-04T04:00:00Z", "2026-01-11T04:00:00Z", "2026-01-18T04:00:00Z"],
    });
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
  });

  test("defaults: from now, 5 runs", () => {
    const r = runUtc("sun 04:00", "--json");
    expect(JSON.parse(r.stdout).next).toEqual([
      "2026-01-04T04:00:00Z",
      "2026-01-11T04:00:00Z",
      "2026-01-18T04:00:00Z",
      "2026-01-25T04:00:00Z",
      "2026-02-01T04:00:00Z",
    ]);
  });

  test("text output lists runs and warnings", () => {
    const r = runUtc("mon..fri 22", "--count", "2");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("is a valid PVE schedule");
    expect(r.stdout).toContain("2026-01-01T00:22:00Z");
    expect(r.stdout).toContain("2026-01-01T01:22:00Z");
    expect(r.stdout).toMatch(/warning: .*minute 22 of every hour, not at 22:00/);
  });

  test("without --tz, the stack's time zone: home's America/New_York, or --stack shop's Europe/Berlin", () => {
    const home = JSON.parse(run("sun 04:00", "--count", "1", "--json").stdout);
    expect(home.next).toEqual(["2026-01-04T04:00:00-05:00"]);
    expect(run("sun 04:00", "--count", "1").stdout).toMatch(
      /^'sun 04:00' is a valid PVE schedule \(evaluated in America\/New_York\)\n/,
    );
    const shop = JSON.parse(run("sun 04:00", "--stack", "shop", "--count", "1", "--json").stdout);
    expect(shop.next).toEqual(["2026-01-04T04:00:00+01:00"]);
    // --tz wins, and then no stack is read
    expect(run("sun 04:00", "--stack", "nope", "--tz", "UTC", "--count", "1").exitCode).toBe(0);
    expect(run("sun 04:00", "--stack", "nope").stderr).toMatch(/^error: stack 'nope' does not exist/);
  });

  test("--tz evaluates on the node's wall clock and prints the zone's offset", () => {
    const winter = JSON.parse(run("sun 04:00", "--tz", "America/New_York", "--count", "1", "--json").stdout);
    expect(winter.next).toEqual(["2026-01-04T04:00:00-05:00"]);
    const summer = JSON.parse(
      run("sun 04:00", "--from", "2026-07-01T00:00:00Z", "--tz", "America/New_York", "--count", "1", "--json").stdout,
    );
    expect(summer.next).toEqual(["2026-07-05T04:00:00-04:00"]);
    // a --from without offset is a wall-clock time in --tz
    const local = JSON.parse(
      run("04:00", "--from", "2026-01-04T04:00:00", "--tz", "America/New_York", "--count", "1", "--json").stdout,
    );
    expect(local.next).toEqual(["2026-01-05T04:00:00-05:00"]);
    // a schedule ending in UTC is evaluated in UTC whatever --tz says
    const utc = JSON.parse(run("sun 04:00 UTC", "--tz", "America/New_York", "--count", "1", "--json").stdout);
    expect(utc.next).toEqual(["2026-01-03T23:00:00-05:00"]);
  });

  test("an invalid schedule exits 2 with the reason", () => {
    const text = run("daily 03:00");
    expect(text.exitCode).toBe(2);
    expect(text.stdout).toMatch(/not a valid PVE schedule/);
    const json = run("daily 03:00", "--json");
    expect(json.exitCode).toBe(2);
    const out = JSON.parse(json.stdout);
    expect(out).toMatchObject({ schedule: "daily 03:00", valid: false, warnings: [], next: [] });
    expect(out.error).toMatch(/daily/);
  });

  test("a schedule that never fires again is valid with no runs", () => {
    const r = run("2020-01-01", "--json");
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout).next).toEqual([]);
  });

  test.each([
    [["sun 04:00", "--bogus"], /^error: unknown flag --bogus\n$/],
    [[], /^error: missing schedule expression/],
    [["sun", "04:00"], /^error: unexpected argument '04:00'/],
    [["sun 04:00", "--from", "yesterday"], /^error: --from: not a full ISO time .*'yesterday'/],
    [["sun 04:00", "--from", "2026-02-30"], /^error: --from: not a full ISO time .*'2026-02-30'/],
    [["sun 04:00", "--from", "2026-01-01"], /^error: --from: not a full ISO time \(date and time\): '2026-01-01'/],
    [["sun 04:00", "--from"], /^error: flag --from needs a value\n$/],
    [["sun 04:00", "--count", "0"], /^error: --count .*'0'/],
    [["sun 04:00", "--count", "abc"], /^error: --count .*'abc'/],
    [["sun 04:00", "--count", "1001"], /^error: --count .*'1001'/],
    [["sun 04:00", "--tz", "Mars/Olympus_Mons"], /^error: unknown time zone for --tz: 'Mars\/Olympus_Mons'/],
    [["sun 04:00", "--json=yes"], /^error: flag --json takes no value/],
  ])("bad command line %j -> one-line error, exit 2", (argv, message) => {
    const r = run(...argv);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("extreme --from dates (issue 19: schedule 03:00 --from 9999-12-31T23:59Z threw)", () => {
  test.each(["9999-12-31T23:59Z", "2200-01-01T00:00", "1900-01-01T00:00Z"])("--from %j: exit 2, one line", (from) => {
    const result = runScheduleCommand(["03:00", "--from", from]);
    expect(result).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: `error: --from: '${from}' is outside the years 1970 to 2199 (PVE's schedules name no year after 2199)\n`,
    });
  });

  test("the last year PVE's schedules name still lists its runs, and then none", () => {
    const result = runScheduleCommand(["03:00", "--from", "2199-12-30T00:00Z", "--count", "3", "--tz", "UTC"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("  2199-12-30T03:00:00Z  ");
    expect(result.stdout).toContain("  2199-12-31T03:00:00Z  ");
  });
});
