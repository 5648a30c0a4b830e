/**
 * `npm run pve-double` and `npm run doctor` as a new user runs them from the README: the double in
 * one process prints what to export and the doctor command; that command, run in a shell, passes.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DoubleProcess, startDoubleProcess } from "../support/apiDouble";
import { PROJECT_DIR } from "../../start/sources";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pve-double-"));
let double: DoubleProcess | undefined;

afterAll(() => {
  double?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("without flags, the home site's day: the doctor and the status it prints pass and judge that day", async () => {
  const caFile = path.join(tmp, "pve-root-ca.pem");
  double = startDoubleProcess(["--port", "0", "--ca-out", caFile]); // no --cluster
  const banner = await double.banner;
  expect(banner).toMatch(
    /^PVE API double on https:\/\/127\.0\.0\.1:\d+\/ \(cluster tests\/fixtures\/clusters\/home-day.json, PVE 8\.4\.1\)$/m,
  );
  expect(banner).toMatch(
    /^ {2}clock {8}2026-02-12T04:00:00-05:00 \(the hour after the cluster's newest task or backup\), running on$/m,
  );
  expect(banner).toMatch(/^ {2}certificate {2}SHA-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$/m);
  expect(banner).toMatch(/^ {2}token {8}pulumi@pve!backup-tiers=[0-9a-f-]{36}$/m);
  expect(fs.readFileSync(caFile, "utf8")).toMatch(/^-----BEGIN CERTIFICATE-----/);

  // What the docs say to do: paste the export and the doctor command into another shell.
  const commands = banner.split("\n").filter((l) => /^ {2}(export PROXMOX_VE_API_TOKEN=|npm run doctor )/.test(l));
  expect(commands).toHaveLength(2);
  const status = banner.split("\n").find((l) => l.startsWith("  npm run status "))!;
  expect(status).toMatch(/ --at 2026-02-12T09:00:00Z$/);
  const judged = spawnSync("bash", ["-c", `${commands[0].trim()}; ${status.trim()}`], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, PROXMOX_VE_API_TOKEN: "", PROXMOX_VE_ENDPOINT: "" },
    timeout: 120_000,
  });
  expect({ exit: judged.status, stderr: judged.stderr }).toEqual({ exit: 1, stderr: "" });
  expect(judged.stdout).toMatch(/\n2\/5 OK, 1 FAILED, 2 PENDING\n$/);
  const doctor = spawnSync("bash", ["-c", commands.map((c) => c.trim()).join(" && ")], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    env: { ...process.env, PROXMOX_VE_API_TOKEN: "", PROXMOX_VE_ENDPOINT: "" },
    timeout: 120_000,
  });
  expect(doctor.stderr).not.toMatch(/error/i);
  expect(doctor.status).toBe(0);
  expect(doctor.stdout).toContain("OK   certificate: trusted: signed by the CA in");
  expect(doctor.stdout).toContain("All 12 checks passed: ready for pulumi preview --policy-pack policy.");
  // the doctor never prints the secret it was given
  const secret = /pulumi@pve!backup-tiers=([0-9a-f-]{36})/.exec(banner)![1];
  expect(doctor.stdout).not.toContain(secret);
});

test("--write-env: export lines a shell sources; the doctor then runs on them alone", async () => {
  const dir = path.join(tmp, "it's here"); // a quote in the CA's path
  const envFile = path.join(dir, "double.env");
  const envDouble = startDoubleProcess(["--port", "0", "--ca-out", path.join(dir, "ca.pem"), "--write-env", envFile]);
  try {
    const banner = await envDouble.banner;
    const url = /^PVE API double on (\S+) /.exec(banner)![1];
    const token = /^ {2}token {8}(\S+)$/m.exec(banner)![1];
    expect(fs.readFileSync(envFile, "utf8")).toBe(
      `export PROXMOX_VE_ENDPOINT=${url}\n` +
        `export PROXMOX_VE_API_TOKEN='${token}'\n` +
        `export PROXMOX_VE_INSECURE=true\n` +
        `export PVE_DOUBLE_CA='${path.join(tmp, "it")}'\\''${"s here/ca.pem"}'\n`,
    );
    const run = spawnSync(
      "bash",
      [
        "-c",
        `. '${envFile.replace(/'/g, "'\\''")}' && npm run -s doctor -- --endpoint "$PROXMOX_VE_ENDPOINT" --ca "$PVE_DOUBLE_CA"`,
      ],
      { cwd: PROJECT_DIR, encoding: "utf8", env: { ...process.env, PROXMOX_VE_API_TOKEN: "" }, timeout: 120_000 },
    );
    expect({ exit: run.status, stderr: run.stderr }).toEqual({ exit: 0, stderr: "" });
    expect(run.stdout).toContain("All 12 checks passed");
  } finally {
    envDouble.stop();
  }
});

/** Whether something listens on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
  });
}

/** Whether a process is there (a zombie counts as gone: it holds no port). */
function alive(pid: number): boolean {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].startsWith("Z");
  } catch {
    return false;
  }
}

/** The processes of a process group. */
function groupMembers(pgid: number): number[] {
  return fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")[3]) === pgid && alive(pid);
      } catch {
        return false;
      }
    });
}

async function waitFor(what: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if (await what()) return true;
  }
  return what();
}

// A supervisor (a test harness, `timeout`, systemd, CI) signals npm alone, not its process group;
// SIGKILL is npm killed outright. Each time the double stops with it and frees its port.
test.each(["SIGTERM", "SIGINT", "SIGKILL"] as const)(
  "%s to npm alone stops `npm run pve-double`: no process is left and the port is free",
  async (signal) => {
    const started = startDoubleProcess(["--port", "0", "--ca-out", path.join(tmp, `ca-${signal}.pem`)]);
    try {
      const port = Number(/^PVE API double on https:\/\/127\.0\.0\.1:(\d+)\//.exec(await started.banner)![1]);
      expect(await listening(port)).toBe(true);
      process.kill(started.pid, signal);
      expect(
        await waitFor(async () => groupMembers(started.pid).length === 0 && !(await listening(port)), 10_000),
      ).toBe(true);
    } finally {
      started.stop();
    }
  },
);

test("a snapshot that is not there: one line, exit 2", () => {
  const result = spawnSync("npm", ["run", "--silent", "pve-double", "--", "--cluster", "nope.json", "--port", "0"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toBe("error: nope.json: cannot read (no such file)\n");
});

test.each([
  ["--ca-out", "/dev/full", "ENOSPC"],
  ["--write-env", "/dev/full", "ENOSPC"],
])("%s %s: one line, exit 2, and the double stops instead of listening on (issue 19)", (flag, file, code) => {
  const caOut = flag === "--ca-out" ? [] : ["--ca-out", path.join(tmp, "ca-for-env.pem")];
  const result = spawnSync("npm", ["run", "--silent", "pve-double", "--", "--port", "0", ...caOut, flag, file], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(result.signal).toBeNull(); // it ended by itself, not by the timeout
  expect(result.stderr).toBe(`error: ${flag}: cannot write ${file} (${code})\n`);
  expect(result.status).toBe(2);
});
