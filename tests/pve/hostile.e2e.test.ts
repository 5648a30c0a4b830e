/**
 * The API client against a hostile or broken PVE (tests/support/hostilePve.ts, in front of the double):
 * every answer has a byte cap, every listing a page limit and a progress check, the client a
 * deadline; error bodies of any shape read as one line; numbers as strings read as numbers, answers
 * that cannot be right refused; plain HTTP and a certificate for another name said as what they are.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { PveClient } from "../../pve/client";
import { PveConnection } from "../../pve/connection";
import { PVE_LIMITS } from "../../pve/limits";
import { generateCertificates } from "../../double/certificate";
import { PveApiDouble } from "../../double/server";
import { apiFailure, fixtureCluster } from "../support/apiDouble";
import {
  HostileOptions,
  HostilePve,
  answerJson,
  startHostilePve,
  contentNumbersAsStrings,
} from "../support/hostilePve";

let double: PveApiDouble;
const clients: PveClient[] = [];
const servers: HostilePve[] = [];

beforeAll(async () => {
  double = await PveApiDouble.start({
    cluster: fixtureCluster("home-day"),
    now: () => new Date("2026-02-12T09:00:00Z"),
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  await double.close();
});

/** A client of a hostile server in front of the double, the double's CA pinned. */
async function hostile(options: HostileOptions, overrides: Partial<PveConnection> = {}) {
  const server = await startHostilePve(double, options);
  servers.push(server);
  const client = new PveClient({
    endpoint: server.url,
    token: double.token("pulumi@pve!backup-tiers"),
    ca: double.certificates.caPem,
    retryDelayMs: 5,
    timeoutMs: 5000,
    ...overrides,
  });
  clients.push(client);
  return { server, client };
}

const TASKS = "/nodes/pve/tasks";

describe("bounded: bodies, pages, time", () => {
  test("a body that never ends is dropped at the cap, its connection closed: too-large, not retried", async () => {
    const chunk = Buffer.alloc(64 * 1024, "x");
    const { server, client } = await hostile({
      answer: ({ apiPath, res }) => {
        if (apiPath !== "/version") return false;
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"data": "');
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once("drain", pump);
        };
        pump();
        return true;
      },
    });
    const err = await apiFailure(client.version());
    expect(err.kind).toBe("too-large");
    expect(err.message).toBe(
      "GET /version: the answer exceeded 16 MB (it was still going); an answer of PVE's is far smaller",
    );
    expect(server.requests).toEqual(["GET /version"]);
    expect(server.bytesSent).toBeLessThan(PVE_LIMITS.maxBodyBytes + 8 * 1024 * 1024);
  });

  test("a body announced bigger than the cap is not read at all", async () => {
    const { client } = await hostile({
      answer: ({ apiPath, res }) => {
        if (apiPath !== "/version") return false;
        res.writeHead(200, { "content-type": "application/json", "content-length": 450 * 1024 * 1024 });
        res.write('{"data": "');
        return true;
      },
    });
    const err = await apiFailure(client.version());
    expect(err.message).toBe(
      "GET /version: the answer exceeded 16 MB (Content-Length 471859200); an answer of PVE's is far smaller",
    );
  });

  test("a body that drips and never ends: the time it may take, said as such", async () => {
    const { client } = await hostile(
      {
        answer: ({ apiPath, res }) => {
          if (apiPath !== "/version") return false;
          res.writeHead(200, { "content-type": "application/json" });
          const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(" ")), 20);
          return true;
        },
      },
      { timeoutMs: 300, retries: 0 },
    );
    const err = await apiFailure(client.version());
    expect(err.kind).toBe("timeout");
    expect(err.message).toMatch(
      /^GET \/version: the answer from https:\/\/127\.0\.0\.1:\d+ did not end within 0\.3 s$/,
    );
  });

  test("task pages that ignore `start`: the task list did not advance; two requests, not thousands", async () => {
    let first: Record<string, unknown>[] | undefined;
    const { server, client } = await hostile({
      rewrite: ({ apiPath, query }, doc) => {
        if (apiPath !== TASKS) return doc;
        // the same full page whatever `start` says
        const [task] = (first ??= doc.data as Record<string, unknown>[]);
        const page = Array.from({ length: Number(query.get("limit")) }, (_, i) => ({
          ...task,
          upid: `${String(task.upid)}${i}`,
        }));
        return { data: page };
      },
    });
    const err = await apiFailure(client.allNodeTasks("pve", { typefilter: "vzdump", source: "all" }, 50));
    expect(err.kind).toBe("no-progress");
    expect(err.message).toBe(
      "GET /nodes/pve/tasks: the task list did not advance: the page from start=50 holds only entries of the pages before it",
    );
    expect(server.requests.filter((r) => r.startsWith(`GET ${TASKS}?`))).toHaveLength(2);
  });

  test("a task log of endless full pages: it ends at the page limit", async () => {
    const { server, client } = await hostile({
      answer: ({ apiPath, query, res }) => {
        if (!apiPath.endsWith("/log")) return false;
        const start = Number(query.get("start"));
        const limit = Number(query.get("limit"));
        return answerJson(res, {
          data: Array.from({ length: limit }, (_, i) => ({ n: start + i + 1, t: "INFO: more" })),
        });
      },
    });
    const err = await apiFailure(client.taskLogLines("pve", "UPID:pve:0001:0002:0003:vzdump::root@pam:", 10));
    expect(err.kind).toBe("too-large");
    expect(err.message).toMatch(
      /^GET \/nodes\/pve\/tasks\/UPID.*\/log: the task log did not end within 100 pages of 10$/,
    );
    expect(server.requests).toHaveLength(PVE_LIMITS.maxPages);
  });

  test("the client's deadline ends what the timeouts alone would not: named as the deadline", async () => {
    const { client } = await hostile(
      {
        answer: ({ apiPath }) => apiPath === "/nodes", // never answers
      },
      { timeoutMs: 400, retries: 5, deadlineMs: 1000 },
    );
    await client.version(); // one request in the time
    const err = await apiFailure(client.nodes());
    expect(err.kind).toBe("deadline");
    expect(err.message).toMatch(
      /^GET \/nodes: the command's time with https:\/\/127\.0\.0\.1:\d+ ran out: 1 s, in which it made \d+ requests/,
    );
  });
});

describe("error bodies of any shape: one line", () => {
  test.each([
    [{ message: { evil: 1 } }, 'GET /version: 500 {"evil":1}'],
    [{ message: 5 }, "GET /version: 500 5"],
    [{ message: null, errors: "every parameter is wrong" }, "GET /version: 500 Broken (every parameter is wrong)"],
    [
      { message: "bad\n", errors: { vmid: { x: 1 }, node: ["a", "b"] } },
      'GET /version: 500 bad (vmid: {"x":1}; node: ["a","b"])',
    ],
    [[1, 2], "GET /version: 500 Broken"],
  ])("%j", async (body, message) => {
    const { client } = await hostile(
      { answer: ({ apiPath, res }) => apiPath === "/version" && answerJson(res, body, 500, "Broken") },
      { retries: 0 },
    );
    const err = await apiFailure(client.version());
    expect(err.kind).toBe("server");
    expect(err.message).toBe(message);
  });
});

describe("wrong types: read as PVE's clients read them, or refused", () => {
  test("numbers as strings are read as numbers (vmid, size, ctime)", async () => {
    const { client } = await hostile({
      rewrite: contentNumbersAsStrings,
    });
    const content = await client.storageContent("pve", "synology-backups", { content: "backup" });
    expect(content.map((v) => v.vmid)).toEqual([100, 102, 102]);
    expect(content.every((v) => typeof v.size === "number" && typeof v.ctime === "number")).toBe(true);
  });

  test("a number too large to read is named as such", async () => {
    const { client } = await hostile({
      answer: ({ apiPath, res }) =>
        apiPath.endsWith("/status") &&
        answerJson(
          res,
          '{"data": {"type": "nfs", "content": "backup", "total": 1e400, "used": 123456789012345678901}}',
        ),
    });
    const err = await apiFailure(client.storageStatus("pve", "synology-backups"));
    expect(err.kind).toBe("shape");
    expect(err.message).toBe(
      "GET /nodes/pve/storage/synology-backups/status: the answer does not match the PVE API schema " +
        "(/nodes/{node}/storage/{storage}/status): data.total: a number is too large to read (beyond 1.8e308); " +
        "data.used: 123456789012345680000 is too large to read exactly (beyond 2^53)",
    );
  });

  test.each([
    [
      "a negative size",
      (v: Record<string, unknown>, i: number) => (i === 0 ? { ...v, size: -5 } : v),
      "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst has a negative size (-5)",
    ],
    [
      "a backup from the future",
      (v: Record<string, unknown>, i: number) => (i === 0 ? { ...v, ctime: 4102444800 } : v),
      "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst was made in the future (ctime 2100-01-01T00:00:00Z; now is ",
    ],
  ])("the content listing: %s is refused", async (_, change, problem) => {
    const { client } = await hostile({
      rewrite: ({ apiPath }, doc) =>
        apiPath.endsWith("/content") ? { data: (doc.data as Record<string, unknown>[]).map(change) } : doc,
    });
    const err = await apiFailure(client.storageContent("pve", "synology-backups", { content: "backup" }));
    expect(err.kind).toBe("implausible");
    expect(err.message).toContain(
      `GET /nodes/pve/storage/synology-backups/content: the answer cannot be used: ${problem}`,
    );
  });

  test("a storage of size 0 is refused: its space cannot be judged", async () => {
    const { client } = await hostile({
      rewrite: ({ apiPath }, doc) =>
        apiPath.endsWith("/status") ? { data: { ...(doc.data as object), total: 0 } } : doc,
    });
    const err = await apiFailure(client.storageStatus("pve", "synology-backups"));
    expect(err.message).toBe(
      "GET /nodes/pve/storage/synology-backups/status: the answer cannot be used: its size (total) is 0 bytes, so its space cannot be judged",
    );
  });

  test("a task that started after the `until` asked for is refused", async () => {
    const { client } = await hostile({});
    const until = Date.parse("2026-02-12T09:00:00Z") / 1000;
    expect(await client.nodeTasks("pve", { typefilter: "vzdump", source: "all", until })).not.toHaveLength(0);
    const lying = await hostile({
      rewrite: ({ apiPath }, doc) =>
        apiPath === TASKS
          ? {
              data: (doc.data as Record<string, unknown>[]).map((t, i) =>
                i === 0 ? { ...t, starttime: until + 60 } : t,
              ),
            }
          : doc,
    });
    const err = await apiFailure(lying.client.nodeTasks("pve", { typefilter: "vzdump", source: "all", until }));
    expect(err.kind).toBe("implausible");
    expect(err.message).toMatch(
      /^GET \/nodes\/pve\/tasks: the answer cannot be used: UPID:\S+ started at 2026-02-12T09:01:00Z, after the until asked for \(2026-02-12T09:00:00Z\)$/,
    );
  });
});

describe("TLS said as what it is", () => {
  test("an https endpoint that speaks plain HTTP", async () => {
    const plain = http.createServer((_, res) => res.end("hello"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", () => resolve()));
    try {
      const port = (plain.address() as AddressInfo).port;
      const client = new PveClient({ endpoint: `https://127.0.0.1:${port}/`, token: double.token(), retries: 0 });
      clients.push(client);
      const err = await apiFailure(client.version());
      expect(err.kind).toBe("not-https");
      expect(err.message).toMatch(
        new RegExp(
          `^GET /version: https://127\\.0\\.0\\.1:${port} answers plain HTTP, not TLS \\(ERR_SSL_\\w+\\); PVE's API is https on port 8006: check the port$`,
        ),
      );
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  test("a certificate for another host name, the CA pinned: the name, not 'not trusted', not --ca", async () => {
    const certificates = await generateCertificates(["pve.example"]);
    const elsewhere = await PveApiDouble.start({ cluster: fixtureCluster("home-day"), certificates });
    try {
      const client = new PveClient({ endpoint: elsewhere.url, token: elsewhere.token(), ca: certificates.caPem });
      clients.push(client);
      const err = await apiFailure(client.version());
      expect(err.kind).toBe("tls-name");
      expect(err.message).toMatch(
        /^GET \/version: the certificate of https:\/\/127\.0\.0\.1:\d+ is not for 127\.0\.0\.1: it is for DNS:pve\.example; connect by a name the certificate holds \(proxmoxve:endpoint or --endpoint\)$/,
      );
    } finally {
      await elsewhere.close();
    }
  });

  test("a certificate the pinned CA did not sign: said so, without advising --ca", async () => {
    const other = await generateCertificates();
    const client = new PveClient({ endpoint: double.url, token: double.token(), ca: other.caPem });
    clients.push(client);
    const err = await apiFailure(client.version());
    expect(err.kind).toBe("tls");
    expect(err.message).toMatch(
      /^GET \/version: the certificate of https:\/\/127\.0\.0\.1:\d+ is not signed by the CA given with --ca \(/,
    );
    expect(err.message).not.toMatch(/--ca FILE|insecure/);
  });
});
