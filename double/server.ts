/**
 * The PVE API double: an HTTPS server that answers like a PVE node (`/api2/json/...`) for the
 * endpoints the provider, `npm run doctor` and `npm run status` use, on a cluster from a snapshot
 * (double/cluster.ts), by its routes (double/routes.ts). Like PVE it authenticates API tokens, checks the schema's permissions before
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
import { ClusterSnapshot } from "../pve/snapshot";
import { MethodInfo, resolvePath } from "../pve/schema";
import { RawParams, validateParameters } from "../pve/params";
import { DoubleCertificates, generateCertificates } from "./certificate";
import { DoubleCluster } from "./cluster";
import { HANDLERS, RequestContext, checkPermission } from "./routes";
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
