/**
 * The PVE API client of the commands (`doctor`, `status`); the Pulumi program keeps the provider.
 * HTTP is undici's; what is PVE's is here: API-token auth, TLS verified unless told otherwise (or
 * pinned to one CA), timeouts, bounded retries with back-off, every answer checked against the API
 * schema (api/endpoints.json), and errors that name the endpoint and say what PVE said: 401 token
 * rejected, 403 with the privilege and path, 595 node offline.
 *
 * The token is held in a closure, sent only in the Authorization header and never put in a message,
 * an error or a log line (every text that leaves this module goes through `redactSecrets`).
 */
import * as tls from "tls";
import { Agent, Dispatcher, request } from "undici";
import { isPveTrue, redactSecrets } from "../tiers/pve";
import { PathPrivileges, parsePermissionFailure } from "./privileges";
import { checkAnswer, resolvePath } from "./schema";

/** Where and how to connect. */
export interface PveConnection {
  /** `https://host:8006/` (a path such as `/api2/json` is ignored, as the provider does). */
  endpoint: string;
  /** `user@realm!tokenid=secret`, as `PROXMOX_VE_API_TOKEN` holds it. */
  token: string;
  /** Accept any certificate (PVE's default one is self-signed): `proxmoxve:insecure`. */
  insecure?: boolean;
  /** PEM of the one CA to trust (e.g. the node's /etc/pve/pve-root-ca.pem); wins over `insecure`. */
  ca?: string;
  /** Per attempt: connecting, and waiting for the answer's headers and body (default 15 s). */
  timeoutMs?: number;
  /** Retries after the first attempt, on connection errors and 5xx (default 2). */
  retries?: number;
  /** The first retry's delay, doubled for each further one (default 300 ms). */
  retryDelayMs?: number;
  /** One line per request and retry (method, path, status, time); never the token. */
  log?: (line: string) => void;
}

/** What went wrong, in the terms a command reports. */
export type PveErrorKind =
  | "unreachable" // no connection (refused, DNS, reset before an answer)
  | "timeout" // connected or not, no answer in time
  | "tls" // the certificate is not trusted
  | "auth" // 401: the token was rejected
  | "forbidden" // 403: a privilege is missing
  | "node-offline" // 595: the cluster cannot reach the node the request is for
  | "bad-request" // 400: PVE refused the parameters (or "No such job")
  | "server" // any other error status
  | "malformed" // the answer is not PVE's JSON
  | "shape"; // the answer does not match the API schema

/** An API call that failed. The message names the endpoint and what PVE said; never the token. */
export class PveApiError extends Error {
  readonly kind: PveErrorKind;
  /** `GET /cluster/backup`. */
  readonly endpoint: string;
  readonly status?: number;
  /** PVE's own words (the HTTP reason, or the body's `message`). */
  readonly pveMessage?: string;
  /** PVE's per-parameter errors of a 400. */
  readonly errors?: Record<string, string>;
  /** For a 403: the path and privileges PVE checked. */
  readonly permission?: { path: string; privileges: string[]; any: boolean };
  /** How many attempts were made. */
  readonly attempts: number;

  constructor(init: {
    kind: PveErrorKind;
    endpoint: string;
    message: string;
    status?: number;
    pveMessage?: string;
    errors?: Record<string, string>;
    attempts?: number;
  }) {
    super(redactSecrets(`${init.endpoint}: ${init.message}`));
    this.name = "PveApiError";
    this.kind = init.kind;
    this.endpoint = init.endpoint;
    this.status = init.status;
    this.pveMessage = init.pveMessage === undefined ? undefined : redactSecrets(init.pveMessage);
    this.errors = init.errors;
    this.attempts = init.attempts ?? 1;
    if (init.kind === "forbidden" && init.pveMessage) this.permission = parsePermissionFailure(init.pveMessage);
  }
}

/** A token that is not `user@realm!tokenid=secret`; the message describes the shape, never the value. */
export class TokenFormatError extends Error {
  constructor(source: string) {
    super(`${source} is not an API token of the form <user>@<realm>!<tokenid>=<secret>`);
    this.name = "TokenFormatError";
  }
}

/** `user@realm!tokenid=secret` → its parts. */
export function parseApiToken(token: string, source = "the API token"): { tokenId: string; userId: string } {
  const m = /^([^\s:/=]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(\S+)$/.exec(token.trim());
  if (!m) throw new TokenFormatError(source);
  return { tokenId: `${m[1]}!${m[2]}`, userId: m[1] };
}

/** `https://pve:8006/api2/json` → `https://pve:8006` (throws a plain Error naming the value when not https). */
export function normalizeEndpoint(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(endpoint)} (e.g. https://pve.example:8006/)`);
  }
  if (url.protocol !== "https:")
    throw new Error(`not an https URL: ${JSON.stringify(endpoint)} (PVE's API is https only)`);
  return `${url.protocol}//${url.host}`;
}

/** Query or form parameters; arrays are repeated keys, booleans 1/0, undefined left out. */
export type ApiParams = Record<string, string | number | boolean | string[] | undefined>;

function encodeParams(params: ApiParams): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      search.append(key, typeof v === "boolean" ? (v ? "1" : "0") : String(v));
    }
  }
  return search.toString();
}

const CONNECTION_ERRORS = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"]);
const TIMEOUT_ERRORS = new Set([
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "ETIMEDOUT",
]);
const SOCKET_ERRORS = new Set(["UND_ERR_SOCKET", "UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "UND_ERR_CLOSED"]);

/** The error code of a failed request, looking through `cause` chains. */
function errorCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string" && e.code !== "UND_ERR") return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

function errorText(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  const parts: string[] = [];
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.join(": ") || String(err);
}

/** TLS verification failures (OpenSSL's codes as Node reports them). */
function isTlsError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|HOSTNAME|ALTNAME/.test(code) || code.startsWith("ERR_SSL"))
  );
}

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** The reason a request is aborted when it takes longer than the timeout. */
class RequestTimeout extends Error {
  readonly code = "ETIMEDOUT";
  constructor() {
    super("timed out");
  }
}

/** Errors of requests that never reached PVE (connection refused): safe to retry whatever the method. */
const NOT_SENT = new WeakSet<PveApiError>();

/** A PVE API client for one endpoint and token. */
export class PveClient {
  readonly endpoint: string;
  /** `user@realm!tokenid` (not the secret). */
  readonly tokenId: string;
  private readonly dispatcher: Dispatcher;
  private readonly authorization: () => string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly log: (line: string) => void;

  constructor(connection: PveConnection) {
    this.endpoint = normalizeEndpoint(connection.endpoint);
    this.tokenId = parseApiToken(connection.token).tokenId;
    const header = `PVEAPIToken=${connection.token.trim()}`;
    this.authorization = () => header; // a closure: not a property, so no inspect or JSON shows it
    this.timeoutMs = connection.timeoutMs ?? 15_000;
    this.retries = connection.retries ?? 2;
    this.retryDelayMs = connection.retryDelayMs ?? 300;
    this.log = (line) => connection.log?.(redactSecrets(line));
    this.dispatcher = new Agent({
      connect: {
        timeout: this.timeoutMs,
        rejectUnauthorized: connection.ca !== undefined || !connection.insecure,
        ...(connection.ca !== undefined ? { ca: connection.ca } : {}),
      },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  toJSON(): object {
    return { endpoint: this.endpoint, tokenId: this.tokenId };
  }

  /** One API call: `data` of PVE's answer, checked against the schema. */
  async call<T = unknown>(method: string, apiPath: string, params: ApiParams = {}): Promise<T> {
    const endpoint = `${method} ${apiPath}`;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const started = Date.now();
      try {
        const data = await this.once(method, apiPath, params, endpoint, attempt);
        this.log(`${endpoint} OK ${Date.now() - started}ms`);
        return data as T;
      } catch (err) {
        if (!(err instanceof PveApiError)) throw err;
        const retry = attempt <= this.retries && this.retryable(err, method);
        this.log(`${endpoint} ${err.status ?? err.kind} ${Date.now() - started}ms${retry ? ", retrying" : ""}`);
        if (!retry) {
          if (attempt === 1) throw err;
          throw new PveApiError({
            kind: err.kind,
            endpoint,
            message: `${err.message.slice(endpoint.length + 2)} (after ${attempt} attempts)`,
            status: err.status,
            pveMessage: err.pveMessage,
            errors: err.errors,
            attempts: attempt,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /**
   * Retried: failures to connect (for any method: nothing reached PVE), and for idempotent methods
   * timeouts, connections dropped mid-answer and 5xx. Never 4xx, never 595 (an offline node stays
   * offline for the next attempt too), never TLS failures.
   */
  private retryable(err: PveApiError, method: string): boolean {
    if (NOT_SENT.has(err)) return true;
    if (!IDEMPOTENT.has(method)) return false;
    if (err.kind === "timeout" || err.kind === "unreachable") return true;
    if (err.kind === "malformed" && err.status === undefined) return true; // cut off mid-answer
    return err.kind === "server" && err.status !== undefined && err.status >= 500 && err.status !== 501;
  }

  private async once(method: string, apiPath: string, params: ApiParams, endpoint: string, attempt: number) {
    const encoded = encodeParams(params);
    const withBody = method === "POST" || method === "PUT";
    const url = `${this.endpoint}/api2/json${apiPath}${!withBody && encoded ? `?${encoded}` : ""}`;
    // Our own timer: undici's own timeouts are coarse (about a second) for short limits.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new RequestTimeout()), this.timeoutMs);
    try {
      return await this.exchange(method, apiPath, url, encoded, withBody, endpoint, attempt, abort.signal);
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(
    method: string,
    apiPath: string,
    url: string,
    encoded: string,
    withBody: boolean,
    endpoint: string,
    attempt: number,
    signal: AbortSignal,
  ) {
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        signal,
        method: method as Dispatcher.HttpMethod,
        dispatcher: this.dispatcher,
        headers: {
          accept: "application/json",
          authorization: this.authorization(),
          ...(withBody ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        body: withBody ? encoded : undefined,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
    } catch (err) {
      throw this.transportError(err, endpoint, attempt, false);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (err) {
      throw this.transportError(err, endpoint, attempt, true);
    }
    const status = response.statusCode;
    const reason = response.statusText ?? "";
    if (status < 200 || status >= 300) throw this.statusError(status, reason, text, endpoint, attempt);
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new PveApiError({
        kind: "malformed",
        endpoint,
        status,
        message: `the answer is not valid JSON (${(err as Error).message})`,
        attempts: attempt,
      });
    }
    if (typeof doc !== "object" || doc === null || !("data" in doc)) {
      throw new PveApiError({
        kind: "malformed",
        endpoint,
        status,
        message: "the answer has no `data`",
        attempts: attempt,
      });
    }
    const data = (doc as { data: unknown }).data;
    const resolved = resolvePath(apiPath.split("?")[0]);
    if (resolved && resolved.methods[method]) {
      const problems = checkAnswer(method, resolved.template, data);
      if (problems.length > 0) {
        const shown =
          problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
        throw new PveApiError({
          kind: "shape",
          endpoint,
          status,
          message: `the answer does not match the PVE API schema (${resolved.template}): ${shown}`,
          attempts: attempt,
        });
      }
    }
    return data;
  }

  private transportError(err: unknown, endpoint: string, attempt: number, midAnswer: boolean): PveApiError {
    const code = errorCode(err);
    const detail = errorText(err);
    if (isTlsError(code)) {
      return new PveApiError({
        kind: "tls",
        endpoint,
        message:
          `the certificate of ${this.endpoint} is not trusted (${code}: ${detail}); ` +
          "pin the node's CA with --ca FILE, or set proxmoxve:insecure / PROXMOX_VE_INSECURE=true",
        attempts: attempt,
      });
    }
    if (code && TIMEOUT_ERRORS.has(code)) {
      return new PveApiError({
        kind: "timeout",
        endpoint,
        message: `no answer from ${this.endpoint} within ${this.timeoutMs / 1000} s`,
        attempts: attempt,
      });
    }
    if (midAnswer || (code && SOCKET_ERRORS.has(code))) {
      return new PveApiError({
        kind: midAnswer ? "malformed" : "unreachable",
        endpoint,
        message: `the connection to ${this.endpoint} broke off ${midAnswer ? "in the middle of the answer" : "before an answer"} (${detail})`,
        attempts: attempt,
      });
    }
    if (code && (CONNECTION_ERRORS.has(code) || code === "ENOTFOUND")) {
      const error = new PveApiError({
        kind: "unreachable",
        endpoint,
        message: `cannot reach ${this.endpoint} (${code}: ${detail})`,
        attempts: attempt,
      });
      if (code === "ECONNREFUSED") NOT_SENT.add(error);
      return error;
    }
    return new PveApiError({
      kind: "unreachable",
      endpoint,
      message: `request to ${this.endpoint} failed (${detail})`,
      attempts: attempt,
    });
  }

  private statusError(status: number, reason: string, text: string, endpoint: string, attempt: number): PveApiError {
    let body: { message?: string; errors?: Record<string, string> } = {};
    try {
      body = JSON.parse(text) ?? {};
    } catch {
      // 401 and 595 come with an empty body: the reason phrase is all PVE says.
    }
    const pveMessage = (body.message ?? reason).trim() || reason;
    const errors = body.errors && Object.keys(body.errors).length > 0 ? body.errors : undefined;
    const errorList = errors
      ? ` (${Object.entries(errors)
          .map(([k, v]) => `${k}: ${String(v).trim()}`)
          .join("; ")})`
      : "";
    const base = { endpoint, status, pveMessage, errors, attempts: attempt };
    if (status === 401) {
      return new PveApiError({
        ...base,
        kind: "auth",
        message: `401 the token ${this.tokenId} was rejected (${pveMessage})`,
      });
    }
    if (status === 403) {
      const permission = parsePermissionFailure(pveMessage);
      const lacks = permission
        ? `: the token lacks ${permission.privileges.join(permission.any ? " or " : " and ")} on ${permission.path}`
        : "";
      return new PveApiError({ ...base, kind: "forbidden", message: `403 ${pveMessage}${lacks}` });
    }
    if (status === 595) {
      const node = /^\/nodes\/([^/]+)/.exec(endpoint.split(" ")[1] ?? "")?.[1];
      return new PveApiError({
        ...base,
        kind: "node-offline",
        message: `595 node ${node ?? "?"} is offline: the cluster cannot reach it (${pveMessage})`,
      });
    }
    if (status === 400)
      return new PveApiError({ ...base, kind: "bad-request", message: `400 ${pveMessage}${errorList}` });
    return new PveApiError({ ...base, kind: "server", message: `${status} ${pveMessage}${errorList}` });
  }

  // -------------------------------------------------------------------------------------------
  // The endpoints the commands read, typed by what they use.

  version(): Promise<VersionInfo> {
    return this.call("GET", "/version");
  }

  nodes(): Promise<NodeEntry[]> {
    return this.call("GET", "/nodes");
  }

  clusterResources(type?: "vm" | "storage" | "node" | "sdn"): Promise<ResourceEntry[]> {
    return this.call("GET", "/cluster/resources", { type });
  }

  backupJobs(): Promise<BackupJobEntry[]> {
    return this.call("GET", "/cluster/backup");
  }

  backupJob(id: string): Promise<BackupJobEntry> {
    return this.call("GET", `/cluster/backup/${encodeURIComponent(id)}`);
  }

  notBackedUp(): Promise<{ vmid: number; type: "qemu" | "lxc"; name?: string }[]> {
    return this.call("GET", "/cluster/backup-info/not-backed-up");
  }

  storages(): Promise<StorageConfigEntry[]> {
    return this.call("GET", "/storage");
  }

  storage(id: string): Promise<StorageConfigEntry> {
    return this.call("GET", `/storage/${encodeURIComponent(id)}`);
  }

  nodeStorages(node: string, filter: { content?: string; enabled?: boolean } = {}): Promise<NodeStorageEntry[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/storage`, filter);
  }

  storageStatus(node: string, storage: string): Promise<StorageStatus> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/status`);
  }

  storageContent(
    node: string,
    storage: string,
    filter: { content?: string; vmid?: number } = {},
  ): Promise<VolumeEntry[]> {
    return this.call(
      "GET",
      `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/content`,
      filter,
    );
  }

  nodeTasks(node: string, filter: TaskFilter = {}): Promise<TaskEntry[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/tasks`, { ...filter });
  }

  /** One page of a task's log (PVE's default page is 50 lines). */
  taskLog(
    node: string,
    upid: string,
    page: { start?: number; limit?: number } = {},
  ): Promise<{ n: number; t: string }[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/log`, page);
  }

  /** A task's whole log, page by page. */
  async taskLogLines(node: string, upid: string, pageSize = 500): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const page = await this.taskLog(node, upid, { start: lines.length, limit: pageSize });
      lines.push(...page.map((l) => l.t));
      if (page.length < pageSize) return lines;
    }
  }

  /** The caller's effective privileges: path → privilege → propagates (`GET /access/permissions`). */
  async permissions(path?: string): Promise<Record<string, PathPrivileges>> {
    const raw = await this.call<Record<string, Record<string, unknown>>>("GET", "/access/permissions", { path });
    const result: Record<string, PathPrivileges> = {};
    for (const [p, privs] of Object.entries(raw ?? {})) {
      result[p] = Object.fromEntries(Object.entries(privs ?? {}).map(([k, v]) => [k, isPveTrue(v)]));
    }
    return result;
  }

  vzdumpDefaults(node: string, storage?: string): Promise<Record<string, unknown>> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/vzdump/defaults`, { storage });
  }
  /** A service's systemd state on a node, e.g. pvescheduler's (`Sys.Audit` on /nodes/{node}). */
  serviceState(node: string, service: string): Promise<ServiceState> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/services/${encodeURIComponent(service)}/state`);
  }

  /**
   * A node's journal as `journalctl -o short` prints it, a line each (`Sys.Syslog` on /nodes/{node});
   * `since` and `until` in the node's local time (`YYYY-MM-DD HH:MM:SS`). An empty journal is the one
   * line `no content` (pve-common PVE/Tools.pm `dump_journal`).
   */
  syslog(node: string, filter: SyslogFilter): Promise<{ n: number; t: string }[]> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/syslog`, { ...filter });
  }
}

/** `GET /nodes/{node}/services/{service}/state`: systemd's SubState (`running`, `dead`, ...) and ActiveState. */
export interface ServiceState {
  service: string;
  name?: string;
  desc?: string;
  state?: string;
  "active-state"?: string;
  "unit-state"?: string;
}

export interface SyslogFilter {
  since?: string;
  until?: string;
  service?: string;
  start?: number;
  limit?: number;
}

export interface VersionInfo {
  version: string;
  release: string;
  repoid: string;
}

export interface NodeEntry {
  node: string;
  status: "online" | "offline" | "unknown";
  [key: string]: unknown;
}

export interface ResourceEntry {
  id: string;
  type: string;
  vmid?: number;
  name?: string;
  node?: string;
  status?: string;
  template?: number | boolean;
  pool?: string;
  storage?: string;
  [key: string]: unknown;
}

/** A job as `GET /cluster/backup` returns it (PVE 8: prune-backups an object, exclude-path an array). */
export interface BackupJobEntry {
  id: string;
  type?: string;
  schedule?: string;
  storage?: string;
  enabled?: number | boolean | string;
  vmid?: string | number;
  all?: number | boolean | string;
  exclude?: string;
  pool?: string;
  node?: string;
  "exclude-path"?: string[] | string;
  "notification-mode"?: string;
  "prune-backups"?: Record<string, string | number>;
  "notes-template"?: string;
  "next-run"?: number;
  mailto?: string;
  mailnotification?: string;
  [key: string]: unknown;
}

export interface StorageConfigEntry {
  storage: string;
  type?: string;
  content?: string;
  nodes?: string;
  disable?: number | boolean;
  shared?: number | boolean;
  server?: string;
  export?: string;
  "prune-backups"?: string;
  [key: string]: unknown;
}

export interface NodeStorageEntry {
  storage: string;
  type: string;
  content: string;
  enabled?: number | boolean;
  active?: number | boolean;
  shared?: number | boolean;
  total?: number;
  used?: number;
  avail?: number;
}

export interface StorageStatus {
  type: string;
  content: string;
  total?: number;
  used?: number;
  avail?: number;
  active?: number | boolean;
  enabled?: number | boolean;
  shared?: number | boolean;
}

export interface VolumeEntry {
  volid: string;
  format: string;
  size: number;
  ctime?: number;
  vmid?: number;
  notes?: string;
  protected?: number | boolean;
  subtype?: string;
  content?: string;
}

export interface TaskFilter {
  typefilter?: string;
  vmid?: number;
  since?: number;
  until?: number;
  limit?: number;
  start?: number;
  errors?: boolean;
  source?: "archive" | "active" | "all";
  userfilter?: string;
}

export interface TaskEntry {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  endtime?: number;
  status?: string;
  pid: number;
  pstart: number;
}

/** The certificate a TLS endpoint presents, read without trusting it (to tell a user how to trust it). */
export interface PresentedCertificate {
  /** SHA-256 fingerprint, `AA:BB:...` as PVE's GUI shows it. */
  fingerprint256: string;
  subject: string;
  issuer: string;
  selfSigned: boolean;
  validTo: string;
}

/** Connects once without verifying: the presented certificate, or why no TLS connection could be made. */
export function probeTls(
  endpoint: string,
  timeoutMs = 5000,
): Promise<{ ok: true; certificate: PresentedCertificate } | { ok: false; error: string }> {
  const url = new URL(normalizeEndpoint(endpoint));
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port: Number(url.port || 443),
      rejectUnauthorized: false,
      ...(tlsServerName(host) ? { servername: host } : {}),
    });
    let settled = false;
    const done = (value: Awaited<ReturnType<typeof probeTls>>) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, error: `no TLS handshake within ${timeoutMs / 1000} s` }));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done({ ok: false, error: redactSecrets(err.code ? `${err.code}: ${err.message}` : err.message) }),
    );
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate(false);
      if (!cert || !cert.fingerprint256) return done({ ok: false, error: "the server presented no certificate" });
      const name = (n: object | undefined) =>
        Object.entries(n ?? {})
          .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : String(v)}`)
          .join(", ");
      done({
        ok: true,
        certificate: {
          fingerprint256: cert.fingerprint256,
          subject: name(cert.subject),
          issuer: name(cert.issuer),
          selfSigned: name(cert.subject) === name(cert.issuer),
          validTo: cert.valid_to,
        },
      });
    });
  });
}

/** SNI takes host names, not IP addresses. */
function tlsServerName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.includes(":");
}
