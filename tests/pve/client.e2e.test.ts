/**
 * The API client against the PVE API double: token auth, TLS (refused, then accepted with insecure
 * or a pinned CA), each error class, bounded retries with back-off on injected faults, and the token
 * in no captured output. One double for the whole file.
 */
import * as util from "util";
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { PveConnection } from "../../pve/connection";
import { PveApiDouble } from "../../double/server";
import { apiFailure, fixtureCluster } from "../support/apiDouble";

const snapshot = () => fixtureCluster("home-day");
const SECRET = "5d1c1e8e-0b3c-4c43-9a0f-6a3c1e9b7c21"; // pulumi@pve!backup-tiers in the fixture

let double: PveApiDouble;
const clients: PveClient[] = [];
const logLines: string[] = [];

beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: snapshot(), now: () => new Date("2026-02-12T09:00:00Z") });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await double.close();
});
afterEach(() => double.clearFaults());

function client(overrides: Partial<PveConnection> = {}): PveClient {
  const c = new PveClient({
    endpoint: double.url,
    token: double.token("pulumi@pve!backup-tiers"),
    ca: double.certificates.caPem,
    retryDelayMs: 5,
    timeoutMs: 2000,
    log: (line) => logLines.push(line),
    ...overrides,
  });
  clients.push(c);
  return c;
}

test("a valid token reads the cluster; answers match the schema", async () => {
  const c = client();
  expect((await c.version()).version).toBe("8.4.1");
  const jobs = await c.backupJobs();
  expect(jobs.map((j) => j.id)).toEqual(["backup-home-p0-daily", "backup-home-p1-daily", "backup-home-p2-weekly"]);
  // next-run: the schedule's next event after "now" (09:00Z is 04:00 in New York: P0 next runs tomorrow 03:00)
  expect(jobs[0]["next-run"]).toBe(Date.parse("2026-02-13T08:00:00Z") / 1000);
  const content = await c.storageContent("pve", "synology-backups", { content: "backup" });
  expect(content.map((v) => v.vmid)).toEqual([100, 102, 102]);
});

test("a self-signed certificate is refused by default, accepted when insecure or with the CA pinned", async () => {
  const refused = await apiFailure(client({ ca: undefined, retries: 3 }).version());
  expect(refused.kind).toBe("tls");
  expect(refused.attempts).toBe(1); // never retried
  expect(refused.message).toMatch(/^GET \/version: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted/);
  expect((await client({ ca: undefined, insecure: true }).version()).release).toBe("8.4");
  expect((await client({ ca: double.certificates.caPem }).version()).release).toBe("8.4");
  // a pinned CA wins over insecure: another CA is refused even with insecure set
  const otherCa = (await import("../../double/certificate")).generateCertificates();
  const wrongPin = await apiFailure(client({ ca: (await otherCa).caPem, insecure: true }).version());
  expect(wrongPin.kind).toBe("tls");
});

test("401: a wrong secret is rejected and named by token id, not by secret", async () => {
  const err = await apiFailure(
    client({ token: "pulumi@pve!backup-tiers=00000000-0000-0000-0000-000000000000" }).version(),
  );
  expect(err.kind).toBe("auth");
  expect(err.status).toBe(401);
  expect(err.message).toBe("GET /version: 401 the token pulumi@pve!backup-tiers was rejected (Authentication failed!)");
});

test("403: the privilege and the path PVE checked", async () => {
  const auditor = client({ token: double.token("pulumi@pve!auditor") });
  const err = await apiFailure(auditor.storage("synology-backups"));
  expect(err.kind).toBe("forbidden");
  expect(err.permission).toEqual({ path: "/storage/synology-backups", privileges: ["Datastore.Allocate"], any: false });
  expect(err.message).toBe(
    "GET /storage/synology-backups: 403 Permission check failed (/storage/synology-backups, Datastore.Allocate): " +
      "the token lacks Datastore.Allocate on /storage/synology-backups",
  );
});

test("595: a request for an offline node names the node", async () => {
  const offline = snapshot();
  offline.nodes = [{ node: "pve", status: "offline" }];
  double.load(offline);
  try {
    const err = await apiFailure(client({ retries: 2 }).nodeStorages("pve"));
    expect(err.kind).toBe("node-offline");
    expect(err.attempts).toBe(1); // an offline node is not retried
    expect(err.message).toBe(
      "GET /nodes/pve/storage: 595 node pve is offline: the cluster cannot reach it (No route to host)",
    );
  } finally {
    double.load(snapshot());
  }
});

test("400: PVE's parameter errors, e.g. a job that does not exist", async () => {
  const err = await apiFailure(client().backupJob("backup-gone"));
  expect(err.kind).toBe("bad-request");
  expect(err.errors).toEqual({ id: "No such job 'backup-gone'" });
  expect(err.message).toBe(
    "GET /cluster/backup/backup-gone: 400 Parameter verification failed. (id: No such job 'backup-gone')",
  );
});

test("5xx is retried with back-off, a bounded number of times", async () => {
  double.injectFault({ kind: "error500", path: "/cluster/backup", times: 2 });
  const before = double.requests.length;
  expect((await client({ retries: 2 }).backupJobs()).length).toBe(3);
  expect(double.requests.slice(before).map((r) => r.status)).toEqual([500, 500, 200]);

  double.injectFault({ kind: "error500", path: "/cluster/backup" });
  const start = double.requests.length;
  const err = await apiFailure(client({ retries: 2 }).backupJobs());
  expect(err.kind).toBe("server");
  expect(err.attempts).toBe(3);
  expect(err.message).toBe("GET /cluster/backup: 500 Internal Server Error (after 3 attempts)");
  expect(double.requests.length - start).toBe(3);
});

test("4xx is never retried", async () => {
  const start = double.requests.length;
  await apiFailure(client({ retries: 5 }).backupJob("nope"));
  expect(double.requests.length - start).toBe(1);
});

test("a connection reset is retried; a reset every time ends as unreachable", async () => {
  double.injectFault({ kind: "reset", path: "/nodes", times: 1 });
  expect((await client().nodes()).map((n) => n.node)).toEqual(["pve"]);
  double.injectFault({ kind: "reset", path: "/nodes" });
  const err = await apiFailure(client({ retries: 1 }).nodes());
  expect(err.kind).toBe("unreachable");
  expect(err.attempts).toBe(2);
});

test("malformed JSON and a truncated answer are errors that say so", async () => {
  double.injectFault({ kind: "malformed", path: "/version" });
  const malformed = await apiFailure(client({ retries: 0 }).version());
  expect(malformed.kind).toBe("malformed");
  expect(malformed.message).toMatch(/^GET \/version: the answer is not valid JSON/);
  double.clearFaults();
  double.injectFault({ kind: "truncated", path: "/version" });
  const truncated = await apiFailure(client({ retries: 1 }).version());
  expect(truncated.kind).toBe("malformed");
  expect(truncated.message).toMatch(/broke off in the middle of the answer/);
  expect(truncated.attempts).toBe(2); // retried once, cut off again
});

test("no answer within the timeout is a timeout, retried and bounded", async () => {
  double.injectFault({ kind: "latency", delayMs: 400, path: "/version" });
  const err = await apiFailure(client({ timeoutMs: 100, retries: 1 }).version());
  expect(err.kind).toBe("timeout");
  expect(err.message).toBe(
    "GET /version: no answer from " + double.url.replace(/\/$/, "") + " within 0.1 s (after 2 attempts)",
  );
});

test("an unreachable endpoint: connection refused, retried, then named", async () => {
  const closed = await PveApiDouble.start({ cluster: snapshot() });
  const url = closed.url;
  await closed.close();
  const err = await apiFailure(client({ endpoint: url, retries: 2 }).version());
  expect(err.kind).toBe("unreachable");
  expect(err.attempts).toBe(3);
  expect(err.message).toMatch(/^GET \/version: cannot reach https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED/);
});

test("the token's secret is in no output, error, log line or inspection", async () => {
  const captured: string[] = [];
  const spies = [
    jest.spyOn(process.stdout, "write").mockImplementation((chunk: unknown) => (captured.push(String(chunk)), true)),
    jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => (captured.push(String(chunk)), true)),
    ...(["log", "error", "warn", "info", "debug"] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => void captured.push(util.format(...args))),
    ),
  ];
  try {
    const c = client({ retries: 1 });
    captured.push(util.inspect(c, { depth: 10, showHidden: true }), JSON.stringify(c));
    const errors: PveApiError[] = [];
    double.injectFault({ kind: "error500", path: "/version" });
    errors.push(await apiFailure(c.version()));
    double.clearFaults();
    errors.push(await apiFailure(c.backupJob("nope")));
    errors.push(await apiFailure(client({ token: double.token("pulumi@pve!auditor") }).storage("synology-backups")));
    errors.push(await apiFailure(client({ ca: undefined }).version()));
    for (const e of errors)
      captured.push(e.message, e.stack ?? "", util.inspect(e, { depth: 10, showHidden: true }), JSON.stringify(e));
    await c.backupJobs();
  } finally {
    for (const s of spies) s.mockRestore();
  }
  const everything = [...captured, ...logLines].join("\n");
  expect(logLines.some((l) => l.startsWith("GET /version 500"))).toBe(true);
  expect(everything).toContain("pulumi@pve!backup-tiers");
  expect(everything).not.toContain(SECRET);
});
