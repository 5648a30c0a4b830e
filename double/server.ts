/**
 * The PVE API double: an HTTPS server that answers like a PVE node (`/api2/json/...`) for the
 * endpoints the provider, `npm run doctor` and `npm run status` use, on a cluster from a snapshot
 * (double/cluster.ts). Like PVE it authenticates API tokens, checks the schema's permissions before
 * anything else (403 "Permission check failed (/, Sys.Audit)"), answers 595 for a node that is
 * offline, validates parameters against the schema (400 "Parameter verification failed." with
 * errors per parameter), puts its message in the HTTP reason phrase and the JSON body, and answers
 * `{"data": ...}`. Faults can be injected: latency, 500, connection reset, malformed or truncated JSON.
 *
 * Tests start it in-process (`PveApiDouble.start`) on an ephemeral port with a certificate made at
 * start; `npm run pve-double` runs it standalone.
 */
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import { isPveTrue } from "../pve/values";
import { formatIsoTime } from "../tiers/calendar";
import { ClusterSnapshot } from "../pve/snapshot";
import { effectivePermissions, privilegesAt } from "../pve/privileges";
import { MethodInfo, Params, PermissionCheck, RawParams, resolvePath, validateParameters } from "../pve/schema";
import { DoubleCertificates, generateCertificates } from "./certificate";
import { DoubleCluster } from "./cluster";
import { PveError, paramError, permissionError } from "./errors";

export interface DoubleOptions {
  cluster: ClusterSnapshot;
  /** The double's clock (`next-run`, token expiry); default the real one. */
  now?: () => Date;
  /** Default 127.0.0.1: the double listens on loopback only. */
  host?: string;
  /** Default 0: an ephemeral port. */
  port?: number;
  /** Certificates to serve; made at start when absent. */
  certificates?: DoubleCertificates;
  /** PVE delays every 401 by 3 s; default 0 here so that tests stay fast. */
  unauthorizedDelayMs?: number;
}

/** A fault to inject into matching requests, `times` times (default: until cleared). */
export interface Fault {
  kind: "latency" | "error500" | "reset" | "malformed" | "truncated";
  method?: string;
  /** The API path (`/cluster/backup`), or a pattern on it. */
  path?: string | RegExp;
  /** For `latency`: how long to wait before answering (ms). */
  delayMs?: number;
  times?: number;
}

/** One request as the double saw it (never its Authorization header). */
export interface SeenRequest {
  method: string;
  path: string;
  status: number;
}

type Handler = (ctx: RequestContext) => unknown;

interface RequestContext {
  authid: string;
  params: Params;
  cluster: DoubleCluster;
  /** Set by a handler to add PVE's `total` attribute to the answer. */
  total?: number;
}

const str = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** What each endpoint does; permission checks of the schema (`check`) have run before. */
const HANDLERS: Record<string, Handler> = {
  "GET /version": ({ cluster }) => ({ ...cluster.version, console: "html5" }),
  // pve-manager PVE/API2/Nodes.pm, time: the clock, the zone (/etc/timezone: the snapshot's), and
  // `localtime`, the wall time read as UTC (timegm(localtime(time))).
  "GET /nodes/{node}/time": ({ cluster }) => {
    const now = cluster.now();
    const wall = Date.parse(`${formatIsoTime(now, cluster.timezone).slice(0, 19)}Z`);
    return { timezone: cluster.timezone, time: Math.floor(now.getTime() / 1000), localtime: Math.floor(wall / 1000) };
  },
  "GET /nodes": ({ cluster, authid }) =>
    [...cluster.nodes.values()].map((n) => ({
      node: n.node,
      status: n.status,
      type: "node",
      id: `node/${n.node}`,
      ...(n.status === "online" && cluster.can(authid, `/nodes/${n.node}`, ["Sys.Audit"])
        ? { maxcpu: 8, maxmem: 34359738368, mem: 8589934592, cpu: 0.05, uptime: 864000, level: "" }
        : {}),
    })),
  "GET /cluster/status": ({ cluster }) => {
    const nodes = [...cluster.nodes.values()];
    return [
      { type: "cluster", id: "cluster", name: "double", nodes: nodes.length, quorate: 1, version: 1 },
      ...nodes.map((n, i) => ({
        type: "node",
        id: `node/${n.node}`,
        name: n.node,
        nodeid: i + 1,
        online: n.status === "online" ? 1 : 0,
        local: i === 0 ? 1 : 0,
        ip: `127.0.0.${i + 1}`,
        level: "",
      })),
    ];
  },
  "GET /cluster/resources": ({ cluster, authid, params }) => {
    const type = str(params.type);
    const out: Record<string, unknown>[] = [];
    if (!type || type === "vm") {
      // pve-manager PVE/API2Tools.pm extract_vm_stats: `template` is always there, 0 or 1.
      for (const g of cluster.guests) {
        if (cluster.can(authid, `/vms/${g.vmid}`, ["VM.Audit"]))
          out.push({ ...g, template: isPveTrue(g.template) ? 1 : 0 });
      }
    }
    if (!type || type === "node") {
      for (const n of cluster.nodes.values()) {
        out.push({ id: `node/${n.node}`, type: "node", node: n.node, status: n.status, level: "" });
      }
    }
    if (!type || type === "storage") {
      for (const n of cluster.nodes.values()) {
        for (const s of cluster.storages.values()) {
          if (!cluster.storageEnabledOn(s, n.node)) continue;
          // pve-manager PVE/API2/Cluster.pm resources: storage entries need Datastore.Audit on the storage.
          if (!cluster.can(authid, `/storage/${s.storage}`, ["Datastore.Audit"])) continue;
          // API2Tools.pm extract_storage_stats: `available` only with fresh RRD data, which pvestatd
          // sends only for an active storage (PVE/Service/pvestatd.pm update_storage_status).
          const available = n.status === "online" && cluster.reachable(s, n.node);
          out.push({
            id: `storage/${n.node}/${s.storage}`,
            type: "storage",
            storage: s.storage,
            node: n.node,
            plugintype: s.type,
            content: s.content ?? "",
            shared: s.shared === 1 ? 1 : 0,
            status: available ? "available" : "unknown",
          });
        }
      }
    }
    return out;
  },
  "GET /cluster/backup": ({ cluster }) => cluster.listJobs(),
  "POST /cluster/backup": ({ cluster, authid, params }) => {
    cluster.createJob(authid, params);
    return null;
  },
  "GET /cluster/backup/{id}": ({ cluster, params }) => cluster.readJob(String(params.id)),
  "PUT /cluster/backup/{id}": ({ cluster, authid, params }) => {
    cluster.updateJob(authid, String(params.id), params);
    return null;
  },
  "DELETE /cluster/backup/{id}": ({ cluster, params }) => {
    cluster.deleteJob(String(params.id));
    return null;
  },
  "GET /cluster/backup-info/not-backed-up": ({ cluster, authid }) => cluster.notBackedUp(authid),
  "GET /cluster/tasks": ({ cluster, authid }) => cluster.clusterTasks(authid),
  "GET /storage": ({ cluster, authid, params }) => cluster.listStorages(authid, str(params.type)),
  "POST /storage": ({ cluster, params }) => cluster.createStorage(params),
  "GET /storage/{storage}": ({ cluster, params }) => cluster.readStorage(String(params.storage)),
  "PUT /storage/{storage}": ({ cluster, params }) => cluster.updateStorage(String(params.storage), params),
  "DELETE /storage/{storage}": ({ cluster, params }) => {
    cluster.deleteStorage(String(params.storage));
    return null;
  },
  "GET /nodes/{node}/storage": ({ cluster, authid, params }) =>
    cluster.nodeStorages(authid, String(params.node), params),
  "GET /nodes/{node}/storage/{storage}/status": ({ cluster, params }) =>
    cluster.storageStatusOf(String(params.node), String(params.storage)),
  "GET /nodes/{node}/storage/{storage}/content": ({ cluster, authid, params }) =>
    cluster.storageContent(authid, String(params.node), String(params.storage), params),
  "GET /nodes/{node}/qemu": guestsOfKind("qemu"),
  "GET /nodes/{node}/lxc": guestsOfKind("lxc"),
  "GET /nodes/{node}/tasks": (ctx) => {
    const { data, total } = ctx.cluster.nodeTasks(ctx.authid, String(ctx.params.node), ctx.params);
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/services/{service}/state": ({ cluster, params }) =>
    cluster.serviceState(String(params.node), String(params.service)),
  "GET /nodes/{node}/syslog": (ctx) => {
    const { data, total } = ctx.cluster.syslog(String(ctx.params.node), ctx.params);
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/tasks/{upid}/log": (ctx) => {
    const { data, total } = ctx.cluster.taskLog(
      ctx.authid,
      String(ctx.params.node),
      String(ctx.params.upid),
      ctx.params,
    );
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/tasks/{upid}/status": ({ cluster, authid, params }) =>
    cluster.taskStatus(authid, String(params.node), String(params.upid)),
  "GET /nodes/{node}/vzdump/defaults": ({ cluster, authid, params }) =>
    cluster.vzdumpDefaults(authid, String(params.node), str(params.storage)),
  "GET /access/permissions": ({ cluster, authid, params }) => {
    const userid = str(params.userid) ?? authid;
    const ownToken = userid.startsWith(`${authid}!`);
    if (userid !== authid && !ownToken) cluster.check(authid, "/access", ["Sys.Audit"]);
    const toFlags = (privs: Record<string, boolean>) =>
      Object.fromEntries(Object.entries(privs).map(([k, v]) => [k, v ? 1 : 0]));
    const path = str(params.path);
    if (path) return { [path]: toFlags(privilegesAt(cluster.access, userid, path)) };
    return Object.fromEntries(
      Object.entries(effectivePermissions(cluster.access, userid)).map(([p, privs]) => [p, toFlags(privs)]),
    );
  },
  "GET /access/acl": ({ cluster, authid }) =>
    cluster.access.acl
      .filter((e) => cluster.can(authid, e.path, ["Permissions.Modify"]) || cluster.can(authid, e.path, ["Sys.Audit"]))
      .map((e) => ({ path: e.path, type: e.type, ugid: e.ugid, roleid: e.roleid, propagate: e.propagate ? 1 : 0 })),
};

function guestsOfKind(kind: "qemu" | "lxc"): Handler {
  return ({ cluster, authid, params }) =>
    cluster.guests
      .filter((g) => g.type === kind && g.node === params.node)
      .filter((g) => cluster.can(authid, `/vms/${g.vmid}`, ["VM.Audit"]))
      .map((g) => ({
        vmid: Number(g.vmid),
        name: g.name,
        status: g.status ?? "stopped",
        // qemu-server PVE/QemuServer.pm vmstatus, pve-container PVE/LXC.pm vmstatus: `template => 1` for a template only
        ...(isPveTrue(g.template) ? { template: 1 } : {}),
        ...(g.tags !== undefined ? { tags: g.tags } : {}),
      }));
}

/** RPCEnvironment.pm `exec_api2_perm_check`, on the schema's `permissions.check`. */
function checkPermission(
  cluster: DoubleCluster,
  check: PermissionCheck,
  authid: string,
  params: Params,
  noerr = false,
): boolean {
  const [test, ...rest] = check as [string, ...unknown[]];
  const fail = () => {
    if (noerr) return false;
    throw permissionError();
  };
  switch (test) {
    case "and":
      return (rest as PermissionCheck[]).every((sub) => checkPermission(cluster, sub, authid, params, noerr));
    case "or":
      return (rest as PermissionCheck[]).some((sub) => checkPermission(cluster, sub, authid, params, true)) || fail();
    case "perm": {
      const [template, privs, ...options] = rest as [string, string[], ...unknown[]];
      const any = options[0] === "any" && Boolean(options[1]);
      const path = template.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? "")).replace(/\/+$/, "") || "/";
      if (cluster.can(authid, path, privs, any)) return true;
      if (noerr) return false;
      if (any) throw permissionError(`${path}, ${privs.join("|")}`); // RPCEnvironment.pm check_any
      cluster.check(authid, path, privs); // throws, naming the first privilege missing
      return true;
    }
    case "userid-param": {
      const userid = String(params.userid ?? "");
      return authid === userid || fail();
    }
    case "userid-group":
      return cluster.can(authid, "/access/groups", rest[0] as string[], true) || fail();
    case "perm-modify":
      return (
        cluster.can(
          authid,
          String(rest[0]).replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? "")),
          ["Permissions.Modify"],
        ) || fail()
      );
    default:
      return fail();
  }
}

export class PveApiDouble {
  /** The cluster it serves; `load` replaces it. */
  cluster: DoubleCluster;
  readonly certificates: DoubleCertificates;
  /** Every request answered, in order. */
  readonly requests: SeenRequest[] = [];
  private readonly server: https.Server;
  private readonly faults: Fault[] = [];
  private readonly unauthorizedDelayMs: number;

  private constructor(
    server: https.Server,
    cluster: DoubleCluster,
    certificates: DoubleCertificates,
    options: DoubleOptions,
  ) {
    this.server = server;
    this.cluster = cluster;
    this.certificates = certificates;
    this.unauthorizedDelayMs = options.unauthorizedDelayMs ?? 0;
  }

  /** Starts a double on `host:port` (default 127.0.0.1, an ephemeral port). */
  static async start(options: DoubleOptions): Promise<PveApiDouble> {
    const certificates = options.certificates ?? (await generateCertificates());
    const cluster = new DoubleCluster(options.cluster, { now: options.now });
    const server = https.createServer({ key: certificates.keyPem, cert: certificates.certPem });
    const double = new PveApiDouble(server, cluster, certificates, options);
    server.on("request", (req, res) => double.handle(req, res));
    server.keepAliveTimeout = 2000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
    return double;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `https://127.0.0.1:PORT/`, as `proxmoxve:endpoint` takes it. */
  get url(): string {
    const address = this.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `https://${host}:${address.port}/`;
  }

  /** A token's `user@realm!tokenid=secret` (default: the first). */
  token(tokenId?: string): string {
    return this.cluster.apiToken(tokenId);
  }

  /** Serves another cluster from now on (tests reuse one server for several scenarios); tokens get new secrets unless the snapshot fixes them. */
  load(snapshot: ClusterSnapshot, now?: () => Date): void {
    this.cluster = new DoubleCluster(snapshot, { now: now ?? this.cluster.now });
    this.faults.length = 0;
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(method: string, apiPath: string): Fault | undefined {
    const index = this.faults.findIndex(
      (f) =>
        (f.method === undefined || f.method === method) &&
        (f.path === undefined || (typeof f.path === "string" ? f.path === apiPath : f.path.test(apiPath))),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.times !== undefined && --fault.times <= 0) this.faults.splice(index, 1);
    return fault;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.answer(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => {
        this.send(res, req, "", new PveError(500, `internal error in the PVE API double: ${(err as Error).message}`));
      });
    });
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? "/", "https://double");
    const method = (req.method ?? "GET").toUpperCase();
    const prefix = "/api2/json";
    if (!url.pathname.startsWith(`${prefix}/`))
      return this.send(res, req, url.pathname, new PveError(501, "no such uri"));
    const apiPath = decodeURIComponent(url.pathname.slice(prefix.length)).replace(/\/+$/, "") || "/";

    const fault = this.takeFault(method, apiPath);
    if (fault?.kind === "latency") await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    if (fault?.kind === "reset") {
      this.requests.push({ method, path: apiPath, status: 0 });
      req.socket.destroy(); // no answer at all: the client sees the connection drop
      return;
    }
    if (fault?.kind === "error500") return this.send(res, req, apiPath, new PveError(500, "Internal Server Error"));

    let authid: string;
    try {
      const header = req.headers.authorization ?? "";
      const m = /^PVEAPIToken=(.*)$/.exec(header.trim());
      if (!m) throw new PveError(401, "No ticket");
      authid = this.cluster.authenticate(m[1]);
    } catch (err) {
      if (this.unauthorizedDelayMs > 0) await new Promise((r) => setTimeout(r, this.unauthorizedDelayMs));
      return this.send(res, req, apiPath, err);
    }

    const resolved = resolvePath(apiPath);
    const info: MethodInfo | undefined = resolved?.methods[method];
    const handler = resolved ? HANDLERS[`${method} ${resolved.template}`] : undefined;
    if (!resolved || !info || !handler) {
      return this.send(res, req, apiPath, new PveError(501, `Method '${method} ${apiPath}' not implemented`));
    }
    try {
      const raw: RawParams = { ...collect(url.searchParams) };
      if (method === "POST" || method === "PUT") Object.assign(raw, parseBody(body, req.headers["content-type"]));
      for (const [k, v] of Object.entries(resolved.pathParams)) {
        if (raw[k] !== undefined && String(raw[k]) !== v) {
          throw paramError({ [k]: "duplicate parameter (already defined in URI) with conflicting values!" });
        }
        raw[k] = v;
      }
      if (!info.allowtoken) throw permissionError(`URI '${apiPath}' not available with API token, need proper ticket.`);
      const asParams = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Array.isArray(v) ? v : String(v)]));
      if (info.permissions?.check) checkPermission(this.cluster, info.permissions.check, authid, asParams);
      if (info.proxyto && raw[info.proxyto] !== undefined) {
        const node = this.cluster.requireNode(String(raw[info.proxyto]));
        // The node that got the request proxies it; an offline node does not answer (AnyEvent::HTTP's 595).
        if (node.status !== "online") throw new PveError(595, "No route to host");
      }
      const { params, errors } = validateParameters(info.parameters, raw);
      if (errors) throw paramError(errors);
      const ctx: RequestContext = { authid, params, cluster: this.cluster };
      const data = handler(ctx);
      const doc: Record<string, unknown> = { data: data === undefined ? null : data };
      if (ctx.total !== undefined) doc.total = ctx.total;
      if (fault?.kind === "malformed")
        return this.sendRaw(res, req, apiPath, 200, "OK", JSON.stringify(doc).slice(0, -7) + "]]}");
      if (fault?.kind === "truncated") return this.sendTruncated(res, req, apiPath, JSON.stringify(doc));
      return this.sendRaw(res, req, apiPath, 200, "OK", JSON.stringify(doc));
    } catch (err) {
      return this.send(res, req, apiPath, err);
    }
  }

  /**
   * An error as PVE sends it: the message's first line as the reason phrase (pve-http-server
   * PVE/APIServer/AnyEvent.pm `response`) and, except for 401 and 595, a JSON body. A 401 is
   * `HTTP::Response->new(401, $err)` there (`handle_request`, no login formatter for json): no
   * body and no content type.
   */
  private send(res: http.ServerResponse, req: http.IncomingMessage, apiPath: string, err: unknown): void {
    if (!(err instanceof PveError)) throw err;
    const reason = err.message.split("\n")[0].replace(/[^\t\x20-\x7e]/g, "?");
    const body =
      err.status === 401 || err.status === 595
        ? ""
        : JSON.stringify({ data: null, message: `${err.message}\n`, ...(err.errors ? { errors: err.errors } : {}) });
    this.sendRaw(res, req, apiPath, err.status, reason, body, err.status !== 401);
  }

  private sendRaw(
    res: http.ServerResponse,
    req: http.IncomingMessage,
    apiPath: string,
    status: number,
    reason: string,
    body: string,
    json = true,
  ): void {
    this.requests.push({ method: req.method ?? "GET", path: apiPath, status });
    res.writeHead(status, reason, {
      ...(json ? { "content-type": "application/json;charset=UTF-8" } : {}),
      "content-length": Buffer.byteLength(body),
      ...(status >= 400 ? { connection: "close" } : {}),
    });
    res.end(body);
  }

  /** Declares the whole length, sends half, and drops the connection. */
  private sendTruncated(res: http.ServerResponse, req: http.IncomingMessage, apiPath: string, body: string): void {
    this.requests.push({ method: req.method ?? "GET", path: apiPath, status: 200 });
    res.writeHead(200, "OK", {
      "content-type": "application/json;charset=UTF-8",
      "content-length": Buffer.byteLength(body),
    });
    res.write(body.slice(0, Math.floor(body.length / 2)), () => req.socket.destroy());
  }
}

function collect(search: URLSearchParams): RawParams {
  const out: RawParams = {};
  for (const key of new Set(search.keys())) {
    const values = search.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

/** Form (what the provider and pvesh send) or JSON bodies. */
function parseBody(body: string, contentType: string | undefined): RawParams {
  if (!body) return {};
  if (contentType?.includes("application/json")) {
    let doc: unknown;
    try {
      doc = JSON.parse(body);
    } catch {
      throw new PveError(400, "failed to parse JSON body");
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc))
      throw new PveError(400, "JSON body must be an object");
    return doc as RawParams;
  }
  return collect(new URLSearchParams(body));
}
