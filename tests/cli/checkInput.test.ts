/**
 * `npm run check` on bad input: every case exit 2 with one line naming the place, at once (no
 * input is read before it is known to be a small regular file), no secret ever printed; a bug in
 * the program is not the user's mistake (exit 3 by runMain, never 2); `--from` means what it means
 * for `npm run schedule`.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCheckCommand } from "../../cli/commands/check";
import * as offline from "../../offline/preview";
import { runScheduleCommand } from "../../cli/commands/schedule";
import { FIXTURE_STACK_DIR } from "../support/stacks";
import { PROJECT_DIR } from "../../start/sources";

// The real runner, replaceable per test (a module's exports cannot be spied on once compiled).
jest.mock("../../offline/preview", () => {
  const actual = jest.requireActual("../../offline/preview");
  return { ...actual, runProgramOffline: jest.fn(actual.runProgramOffline) };
});

const HOME_SNAPSHOT = path.join(PROJECT_DIR, "examples/home-cluster.json");
const TOKEN = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-input-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const check = (...argv: string[]) => runCheckCommand(argv, { stackDir: FIXTURE_STACK_DIR });

/** A FIFO nobody writes to, a device that never ends, and a 50 GB sparse file. */
function hostileFiles(): [string, string][] {
  const fifo = path.join(tmp, "fifo.json");
  if (!fs.existsSync(fifo)) execFileSync("mkfifo", [fifo]);
  const big = path.join(tmp, "big.json");
  fs.writeFileSync(big, "");
  fs.truncateSync(big, 50 * 1024 ** 3);
  return [
    [fifo, `${fifo}: not a regular file`],
    ["/dev/zero", "/dev/zero: not a regular file"],
    [big, `${big}: too large (53687091200 bytes; at most 67108864 are read)`],
  ];
}

/** A stack folder: the home fixture with `edit` applied to its text. */
function stackDirWith(name: string, edit: (text: string) => string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  const text = fs.readFileSync(path.join(FIXTURE_STACK_DIR, "Pulumi.home.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.home.yaml"), edit(text));
  return dir;
}

async function expectUserError(result: Promise<{ exitCode: number; stdout: string; stderr: string }>) {
  const r = await result;
  expect(r.exitCode).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  return r.stderr.trimEnd();
}

describe("--cluster and --policy-config read only small regular files", () => {
  test.each(["--cluster", "--policy-config"])("%s: a FIFO, /dev/zero, a 50 GB file: exit 2 at once", async (flag) => {
    for (const [file, message] of hostileFiles()) {
      expect(await expectUserError(check(flag, file))).toBe(`error: ${message}`);
    }
  });
});

describe("--stack", () => {
  test("a stack that does not exist says so, before looking for its snapshot", async () => {
    expect(await expectUserError(check("--stack", "nope"))).toBe(
      "error: stack 'nope' does not exist: no Pulumi.nope.yaml (stacks: home, nas-by-hand, shop)",
    );
  });

  test("not a stack name", async () => {
    expect(await expectUserError(check("--stack", "../etc"))).toBe("error: --stack: not a stack name: '../etc'");
  });
});

describe("--from: a full ISO time, offset-less in the site's zone, as in npm run schedule", () => {
  test("the home site (America/New_York): 03:00 is the nodes' 03:00, and the next P0 run is the next day's", async () => {
    const r = await check("--from", "2026-01-01T03:00", "--json");
    expect(r.exitCode).toBe(0);
    const p0 = JSON.parse(r.stdout).tiers.find((t: any) => t.id === "P0");
    expect(p0.nextRuns).toEqual([
      "2026-01-02T03:00:00-05:00",
      "2026-01-03T03:00:00-05:00",
      "2026-01-04T03:00:00-05:00",
    ]);
    const schedule = runScheduleCommand([
      "03:00",
      "--from",
      "2026-01-01T03:00",
      "--tz",
      "America/New_York",
      "--count",
      "3",
      "--json",
    ]);
    expect(JSON.parse(schedule.stdout).next).toEqual(p0.nextRuns);
  });

  test("the shop site (Europe/Berlin) reads the same text in its own zone", async () => {
    const r = await runCheckCommand(["--stack", "shop", "--from", "2026-01-01T00:30", "--json"], {
      stackDir: FIXTURE_STACK_DIR,
    });
    const p0 = JSON.parse(r.stdout).tiers.find((t: any) => t.id === "P0");
    expect(p0.nextRuns[0]).toBe("2026-01-01T01:00:00+01:00");
  });

  test.each(["2026-01-01", "2026-01-01T25:00", "tomorrow"])("%j is refused", async (text) => {
    expect(await expectUserError(check("--from", text))).toBe(
      `error: --from: not a full ISO time (date and time): '${text}'; e.g. 2026-01-01T03:00 (in America/New_York) or 2026-01-01T08:00:00Z`,
    );
  });
});

describe("secrets in the stack file: refused, never printed", () => {
  test("an API token in plain text", async () => {
    const dir = stackDirWith("plain-token", (t) => t.replace("config:\n", `config:\n  proxmoxve:apiToken: ${TOKEN}\n`));
    expect(await expectUserError(check("--stack-dir", dir))).toBe(
      "error: Pulumi.home.yaml: invalid config: proxmoxve:apiToken: is stored in plain text; " +
        "set it with `pulumi config set --secret proxmoxve:apiToken`",
    );
  });

  test("a token and a password indented under site: by mistake", async () => {
    const dir = stackDirWith("token-in-site", (t) =>
      t.replace(
        "    timezone: America/New_York\n",
        `    timezone: America/New_York\n    apiToken: ${TOKEN}\n    password: hunter2\n`,
      ),
    );
    const line = await expectUserError(check("--stack-dir", dir));
    expect(line).toBe(
      'error: Pulumi.home.yaml: invalid config: pve-backup-tiers:site.apiToken: unknown key (got "[secret]"); ' +
        'pve-backup-tiers:site.password: unknown key (got "[secret]")',
    );
  });

  test("a secure token, as the README says to set it: the check passes", async () => {
    const dir = stackDirWith("secure-token", (t) =>
      t.replace(
        "config:\n",
        "config:\n  proxmoxve:apiToken:\n    secure: v1:Qx3jv0KXbQ8Vb1sG:4hQj3XyBr0rWw9gT7lZkEw==\n",
      ),
    );
    const r = await check("--stack-dir", dir, "--cluster", HOME_SNAPSHOT);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });
});

describe("a bug is not the user's mistake", () => {
  test("an error inside the program run is rethrown (runMain: exit 3), not reported as bad input", async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'vmid')");
    jest.mocked(offline.runProgramOffline).mockRejectedValueOnce(bug);
    await expect(check()).rejects.toThrow(bug);
  });
});
