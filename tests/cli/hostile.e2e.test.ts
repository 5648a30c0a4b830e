/**
 * `npm run status` and `npm run doctor` against a hostile or broken PVE (tests/support/hostilePve.ts, in
 * front of the double serving the home site on its own day), in-process: each ends within its bounds
 * with one line and exit 2 naming the endpoint and what was wrong, reads PVE's loosely typed JSON as
 * PVE's clients do, shows what PVE says with its control characters escaped, and never replaces an
 * output path that is not a regular file.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as http from "http";
import type { AddressInfo } from "net";
import { runDoctorCommand } from "../../cli/commands/doctor";
import { runStatusCommand } from "../../cli/commands/status";
import { generateCertificates } from "../../double/certificate";
import { PveApiDouble } from "../../double/server";
import { fixtureCluster } from "../support/apiDouble";
import {
  HostileOptions,
  HostilePve,
  answerJson,
  startHostilePve,
  contentNumbersAsStrings,
} from "../support/hostilePve";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const AT = "2026-02-12T09:00:00Z";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-"));
const caFile = path.join(tmp, "pve-root-ca.pem");
let double: PveApiDouble;
const servers: HostilePve[] = [];

beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: fixtureCluster("home-day") });
  fs.writeFileSync(caFile, double.certificates.caPem);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hostile(options: HostileOptions): Promise<HostilePve> {
  const server = await startHostilePve(double, options);
  servers.push(server);
  return server;
}

/** `npm run status -- --stack-dir <fixtures> --endpoint <endpoint> --ca <the double's CA> --at AT ...`. */
function status(endpoint: string, args: string[] = []) {
  return runStatusCommand(
    ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", endpoint, "--ca", caFile, "--at", AT, ...args],
    {
      env: { PROXMOX_VE_API_TOKEN: double.token() },
      retryDelayMs: 5,
      timeoutMs: 5000,
    },
  );
}

function doctor(endpoint: string, ca = caFile) {
  return runDoctorCommand(["--endpoint", endpoint, "--ca", ca], {
    stackDir: FIXTURE_STACK_DIR,
    env: { PROXMOX_VE_API_TOKEN: double.token() },
    retryDelayMs: 5,
    timeoutMs: 3000,
  });
}

describe("status: bounded, one line, exit 2", () => {
  test("task pages that ignore `start`: the task list did not advance, after two pages", async () => {
    let first: Record<string, unknown>[] | undefined;
    const server = await hostile({
      rewrite: ({ apiPath }, doc) => {
        if (apiPath !== "/nodes/pve/tasks") return doc;
        const [task] = (first ??= doc.data as Record<string, unknown>[]);
        return { data: Array.from({ length: 1000 }, (_, i) => ({ ...task, upid: `${String(task.upid)}${i}` })) };
      },
    });
    const result = await status(server.url);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "error: could not check: GET /nodes/pve/tasks: the task list did not advance: the page from start=1000 holds only entries of the pages before it\n",
    );
    expect(server.requests.filter((r) => r.startsWith("GET /nodes/pve/tasks?"))).toHaveLength(2);
  });

  test("an error whose message is not a string: one line naming the endpoint, exit 2 (not a trace)", async () => {
    const server = await hostile({
      answer: ({ apiPath, res }) =>
        apiPath === "/cluster/resources" && answerJson(res, { message: { evil: 1 } }, 500, "Internal Server Error"),
    });
    const result = await status(server.url);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('error: could not check: GET /cluster/resources: 500 {"evil":1} (after 3 attempts)\n');
  });

  test("PVE's error message with escape sequences and newlines: shown escaped, on one line", async () => {
    const server = await hostile({
      answer: ({ apiPath, res }) =>
        apiPath === "/cluster/resources" &&
        answerJson(res, { message: "\x1b[2J\x1b[Hdisk full\nerror: everything is fine\r" }, 400, "Bad Request"),
    });
    const result = await status(server.url);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      "error: could not check: GET /cluster/resources: 400 \\x1b[2J\\x1b[Hdisk full\\nerror: everything is fine\n",
    );
  });

  test("a storage of size 0: its space not checked, naming the storage's endpoint, never OVER; exit 2", async () => {
    const server = await hostile({
      rewrite: ({ apiPath }, doc) =>
        apiPath.endsWith("/status") ? { data: { ...(doc.data as object), total: 0 } } : doc,
    });
    const result = await status(server.url);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(
      "Not checked: the space of synology-backups could not be read: GET /nodes/pve/storage/synology-backups/status: the answer cannot be used: its size (total) is 0 bytes, so its space cannot be judged\n",
    );
    expect(result.stdout).not.toContain("OVER");
  });
});

describe("status: PVE's loosely typed JSON", () => {
  test("vmid, size and ctime as strings in the content listing: the backups that exist are OK, not MISSING", async () => {
    const plain = await status(double.url, ["--json"]);
    const server = await hostile({
      rewrite: contentNumbersAsStrings,
    });
    const stringly = await status(server.url, ["--json"]);
    expect(stringly.stderr).toBe("");
    const states = (stdout: string) =>
      (JSON.parse(stdout) as { guests: { vmid: number; state: string }[] }).guests.map((g) => [g.vmid, g.state]);
    expect(states(stringly.stdout)).toEqual(states(plain.stdout));
    expect(states(stringly.stdout)).toContainEqual([100, "OK"]);
  });
});

describe("status: a node on another time zone than the site", () => {
  test("a note above the tables names both zones", async () => {
    const server = await hostile({
      rewrite: ({ apiPath }, doc) =>
        apiPath === "/nodes/pve/time" ? { data: { ...(doc.data as object), timezone: "Europe/Berlin" } } : doc,
    });
    const result = await status(server.url);
    expect(result.stdout).toContain(
      "\n\nNote: node pve runs on Europe/Berlin, the site on America/New_York: PVE runs the schedules on the node's clock, so its runs are at another hour than judged here (npm run doctor)\n\n",
    );
    expect((await status(double.url)).stdout).not.toContain("Note: node pve runs on");
  });
});

describe("status --prometheus: never replaces what is not a regular file", () => {
  test("a FIFO nobody reads: one line, exit 2, still a FIFO", async () => {
    const fifo = path.join(tmp, "metrics.fifo");
    execFileSync("mkfifo", [fifo]);
    const result = await status(double.url, ["--prometheus", fifo]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`error: ${fifo}: a FIFO nobody reads\n`);
    expect(fs.statSync(fifo).isFIFO()).toBe(true);
  });

  test("a directory: one line, exit 2, still a directory", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "textfile-"));
    const result = await status(double.url, ["--prometheus", dir]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(`error: ${dir}: a directory, not replaced; name a file\n`);
    expect(fs.statSync(dir).isDirectory()).toBe(true);
  });
});

describe("doctor: what it cannot check is exit 2, said as what it is", () => {
  test("`/nodes` answering data: null", async () => {
    const server = await hostile({
      answer: ({ apiPath, res }) => apiPath === "/nodes" && answerJson(res, { data: null }),
    });
    const result = await doctor(server.url);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(
      "FAIL nodes: not checked: GET /nodes: the answer does not match the PVE API schema (/nodes): data: expected an array, got null\n",
    );
    expect(result.stdout).toContain(
      "Could not check the rest: GET /nodes: the answer does not match the PVE API schema (/nodes): data: expected an array, got null.\n",
    );
  });

  test("an https endpoint that speaks plain HTTP", async () => {
    const plain = http.createServer((_, res) => res.end("hello"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (plain.address() as AddressInfo).port;
      const result = await doctor(`https://127.0.0.1:${port}/`);
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toMatch(
        new RegExp(
          `\\nFAIL endpoint: https://127\\.0\\.0\\.1:${port}/ \\(--endpoint\\) cannot be reached: https://127\\.0\\.0\\.1:${port} answers plain HTTP, not TLS \\(ERR_SSL_\\w+\\); PVE's API is https on port 8006: check the port\\n`,
        ),
      );
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  test("a certificate for another name, its CA pinned: the name mismatch, and no advice to pass --ca", async () => {
    const certificates = await generateCertificates(["pve.example"]);
    const elsewhere = await PveApiDouble.start({ cluster: fixtureCluster("home-day"), certificates });
    const ca = path.join(tmp, "elsewhere-ca.pem");
    fs.writeFileSync(ca, certificates.caPem);
    try {
      const result = await runDoctorCommand(["--endpoint", elsewhere.url, "--ca", ca], {
        stackDir: FIXTURE_STACK_DIR,
        env: { PROXMOX_VE_API_TOKEN: elsewhere.token() },
        retryDelayMs: 5,
      });
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toMatch(
        /\nFAIL certificate: the certificate of https:\/\/127\.0\.0\.1:\d+ is not for 127\.0\.0\.1: it is for DNS:pve\.example; connect by a name the certificate holds \(proxmoxve:endpoint or --endpoint\)\n {5}fix: set --endpoint to a name the certificate holds/,
      );
      expect(result.stdout).not.toContain("not trusted");
      expect(result.stdout).not.toContain("--ca FILE");
    } finally {
      await elsewhere.close();
    }
  });

  test("a certificate the pinned CA did not sign: said so", async () => {
    const other = path.join(tmp, "other-ca.pem");
    fs.writeFileSync(other, (await generateCertificates()).caPem);
    const result = await doctor(double.url, other);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toMatch(
      new RegExp(
        `\\nFAIL certificate: the certificate of https://127\\.0\\.0\\.1:\\d+/ is not signed by the CA in ${other} \\(it is issued by `,
      ),
    );
    expect(result.stdout).not.toContain("not trusted");
  });
});
