/**
 * The commands' shared glue (cli/cli.ts, cli/files.ts, cli/exit.ts): the input-file reader that refuses what is not a
 * small regular file before reading a byte, the output-file writer that never replaces what is not
 * a regular file, the one time parser behind every `--from`, the one-line, redacted user errors, and
 * plain text with its control characters escaped.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UsageError, escapeControls, parseTimeFlag, plainText } from "../../cli/cli";
import { errorResult } from "../../cli/exit";
import { readInputFile, writeOutputFile } from "../../cli/files";
import { InputError } from "../../tiers/input";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("readInputFile: regular files up to a size limit, refused before reading", () => {
  test("a FIFO with no writer: refused at once, not waited on", () => {
    const fifo = path.join(tmp, "cluster.fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => readInputFile(fifo)).toThrow(new InputError(`${fifo}: not a regular file`));
  });

  test("a device that never ends", () => {
    expect(() => readInputFile("/dev/zero")).toThrow(new InputError("/dev/zero: not a regular file"));
  });

  test("a directory", () => {
    expect(() => readInputFile(tmp)).toThrow(new InputError(`${tmp}: not a regular file`));
  });

  test("a 50 GB sparse file: refused by its size, nothing read", () => {
    const big = path.join(tmp, "big.json");
    fs.writeFileSync(big, "");
    fs.truncateSync(big, 50 * 1024 ** 3);
    expect(() => readInputFile(big)).toThrow(
      new InputError(`${big}: too large (53687091200 bytes; at most 67108864 are read)`),
    );
  });

  test("a missing file, and a small one that is read", () => {
    expect(() => readInputFile(path.join(tmp, "nope.json"))).toThrow(/nope\.json: cannot read \(no such file\)$/);
    const small = path.join(tmp, "small.json");
    fs.writeFileSync(small, "{}");
    expect(readInputFile(small)).toBe("{}");
    expect(() => readInputFile(small, 1)).toThrow(/too large \(2 bytes; at most 1 are read\)/);
  });
});

describe("writeOutputFile: --out and --prometheus replace regular files whole, and nothing else", () => {
  test("a regular file is replaced atomically: the new text, and no temporary file stays", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "out-"));
    const file = path.join(dir, "pve_backup_tiers.prom");
    fs.writeFileSync(file, "old\n");
    writeOutputFile(file, "new\n");
    expect(fs.readFileSync(file, "utf8")).toBe("new\n");
    expect(fs.readdirSync(dir)).toEqual(["pve_backup_tiers.prom"]);
    expect(() => writeOutputFile(path.join(dir, "no-such-dir", "x.prom"), "x")).toThrow(
      new InputError(`${path.join(dir, "no-such-dir", "x.prom")}: cannot write (ENOENT)`),
    );
  });

  test("a FIFO nobody reads: refused at once, and still a FIFO", () => {
    const fifo = path.join(tmp, "out.fifo");
    execFileSync("mkfifo", [fifo]);
    expect(() => writeOutputFile(fifo, "x")).toThrow(new InputError(`${fifo}: a FIFO nobody reads`));
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  test("a directory: refused, and still a directory", () => {
    const dir = fs.mkdtempSync(path.join(tmp, "out-dir-"));
    expect(() => writeOutputFile(dir, "x")).toThrow(new InputError(`${dir}: a directory, not replaced; name a file`));
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });

  test("a link to a device (/dev/null): the device is written in place; the link stays a link to it", () => {
    const link = path.join(tmp, "null.prom");
    fs.symlinkSync("/dev/null", link);
    writeOutputFile(link, "x\n");
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.statSync(link).isCharacterDevice()).toBe(true);
  });

  test("a link to a regular file: the file is replaced, the link stays", () => {
    const target = path.join(tmp, "target.ics");
    const link = path.join(tmp, "link.ics");
    fs.writeFileSync(target, "old");
    fs.symlinkSync(target, link);
    writeOutputFile(link, "new");
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(target, "utf8")).toBe("new");
  });
});

describe("plain text for a terminal", () => {
  test("control characters are shown as escapes; text without them is unchanged", () => {
    expect(escapeControls("guest \x1b[31mred\x1b[0m\r\n\tnext\x07\x7f\x9b\u202eevil")).toBe(
      "guest \\x1b[31mred\\x1b[0m\\r\\n\\tnext\\x07\\x7f\\x9b\\u202eevil",
    );
    expect(escapeControls("qemu 100 home-assistant: 4.5 GiB, 100% ü €")).toBe(
      "qemu 100 home-assistant: 4.5 GiB, 100% ü €",
    );
  });

  test("one line per entry: a newline inside an entry cannot start a line of its own", () => {
    expect(plainText(["FAIL nodes: a\nOK   fake", ""])).toBe("FAIL nodes: a\\nOK   fake\n\n");
  });
});

describe("parseTimeFlag: one --from for every command", () => {
  const now = new Date("2026-05-05T12:00:00Z");
  const at = (text: string, zone = "America/New_York") => parseTimeFlag("--from", text, zone, now).toISOString();

  test("without an offset: a wall-clock time in the site's zone", () => {
    expect(at("2026-01-01T03:00")).toBe("2026-01-01T08:00:00.000Z"); // EST
    expect(at("2026-07-01T03:00:30")).toBe("2026-07-01T07:00:30.000Z"); // EDT
    expect(at("2026-01-01T03:00", "Europe/Berlin")).toBe("2026-01-01T02:00:00.000Z");
    expect(at("2026-01-01 03:00:00.250")).toBe("2026-01-01T08:00:00.000Z");
  });

  test("with an offset or Z: that instant, whatever the zone", () => {
    expect(at("2026-01-01T03:00:00Z")).toBe("2026-01-01T03:00:00.000Z");
    expect(at("2026-01-01T03:00+01:00")).toBe("2026-01-01T02:00:00.000Z");
    expect(at("2026-01-01t03:00-05:30")).toBe("2026-01-01T08:30:00.000Z");
  });

  test("DST: a wall time in the spring-forward gap moves past it, as PVE's search does", () => {
    expect(at("2026-03-08T02:30")).toBe("2026-03-08T07:30:00.000Z"); // 03:30 EDT
  });

  test("now", () => {
    expect(parseTimeFlag("--from", "now", "UTC", now)).toBe(now);
  });

  test.each([
    "2026-01-01", // a date alone: midnight where?
    "2026-01-01T03",
    "yesterday",
    "2026-02-30T00:00",
    "2026-13-01T00:00",
    "2026-01-01T24:00",
    "2026-01-01T03:60",
    "2026-01-01T03:00+25:00",
    "2026-01-01T03:00Z junk",
    "1767254400",
  ])("refuses %j with a one-line usage error naming the flag", (text) => {
    expect(() => parseTimeFlag("--at", text, "Europe/Vienna", now)).toThrow(
      new UsageError(
        `--at: not a full ISO time (date and time): '${text}'; e.g. 2026-01-01T03:00 (in Europe/Vienna) or 2026-01-01T08:00:00Z`,
      ),
    );
  });
});

describe("parseTimeFlag: the years PVE's schedules reach (issue 19: status --at 9999-12-31T23:59Z threw)", () => {
  const now = new Date("2026-05-05T12:00:00Z");
  test.each([
    ["9999-12-31T23:59Z", "UTC"],
    ["2200-01-01T00:00", "UTC"],
    ["2199-12-31T23:30-05:00", "UTC"], // 2200 in UTC
    ["1969-12-31T23:59Z", "UTC"],
    ["0000-01-01T00:00", "Europe/Vienna"],
  ])("refuses %j, one line naming the flag and the range", (text, zone) => {
    expect(() => parseTimeFlag("--at", text, zone, now)).toThrow(
      new UsageError(`--at: '${text}' is outside the years 1970 to 2199 (PVE's schedules name no year after 2199)`),
    );
  });

  test("the first and the last year are taken", () => {
    expect(parseTimeFlag("--from", "2199-12-31T23:59Z", "UTC", now).toISOString()).toBe("2199-12-31T23:59:00.000Z");
    expect(parseTimeFlag("--from", "1970-01-01T00:00Z", "UTC", now).toISOString()).toBe("1970-01-01T00:00:00.000Z");
  });
});

describe("errorResult", () => {
  test("a user mistake: exit 2, one line, secrets redacted", () => {
    const result = errorResult(new InputError("Pulumi.home.yaml: token pulumi@pve!ci=0b6c3a8e-4f1d rejected"));
    expect(result).toEqual({
      exitCode: 2,
      stdout: "",
      stderr: "error: Pulumi.home.yaml: token [secret] rejected\n",
    });
  });

  test("a message with control characters (a PVE error's): one line, escaped", () => {
    expect(errorResult(new InputError("could not check: GET /version: 500 \x1b[2Jgone\nerror: fake")).stderr).toBe(
      "error: could not check: GET /version: 500 \\x1b[2Jgone\\nerror: fake\n",
    );
  });

  test("anything else is a bug: rethrown, never exit 2", () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'tiers')");
    expect(() => errorResult(bug)).toThrow(bug);
  });
});
