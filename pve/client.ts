/**
 * The PVE API client of the commands (`doctor`, `status`); the Pulumi program keeps the provider.
 * HTTP is undici's; what is PVE's is here: API-token auth, TLS verified unless told otherwise (or
 * pinned to one CA), timeouts, bounded retries with back-off, every answer checked against the API
 * schema (pve/endpoints.json), and errors that name the endpoint and say what PVE said: 401 token
 * rejected, 403 with the privilege and path, 595 node offline.
 *
 * The token is held in a closure, sent only in the Authorization header and never put in a message,
 * an error or a log line (every text that leaves this module goes through `redactSecrets`).
 */
import * as tls from "tls";
import { Agent, Dispatcher, request } from "undici";
import { isPveTrue } from "./values";
import { redactSecrets } from "./secrets";
import type { BackupJobEntry } from "./job";
import { PVE_LIMITS, megabytes } from "./limits";
import { PathPrivileges, parsePermissionFailure } from "./privileges";
import { checkAnswer, readAnswer, resolvePath } from "./schema";

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
  /** Everything this client asks, from its creation (default `PVE_LIMITS.commandDeadlineMs`). */
  deadlineMs?: number;
  /** One line per request and retry (method, path, status, time); never the token. */
  log?: (line: string) => void;
}

/** What went wrong, in the terms a command reports. */
export type PveErrorKind =
  | "unreachable" // no connection (refused, DNS, reset before an answer)
  | "timeout" // connected or not, no answer in time
  | "tls" // the certificate is not trusted
  | "tls-name" // the certificate is trusted, but not for the endpoint's host name
  | "not-https" // the endpoint answers plain HTTP, not TLS
  | "auth" // 401: the token was rejected
  | "forbidden" // 403: a privilege is missing
  | "node-offline" // 595: the cluster cannot reach the node the request is for
  | "bad-request" // 400: PVE refused the parameters (or "No such job")
  | "server" // any other error status
  | "malformed" // the answer is not PVE's JSON
  | "shape" // the answer does not match the API schema
  | "implausible" // the answer fits the schema but cannot be right (a negative size, a backup from the future)
  | "too-large" // an answer, or a listing's pages together, over PVE_LIMITS
  | "no-progress" // a listing's page holds nothing its earlier pages did not
  | "deadline"; // the command's time with the endpoint ran out (PVE_LIMITS.commandDeadlineMs)

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

/** The names a certificate holds (`DNS:pve.example, IP Address:10.0.0.5`), from a host-name mismatch error. */
function certificateNames(err: unknown): string | undefined {
  let e = err as { cert?: { subjectaltname?: string; subject?: { CN?: string } }; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e.cert) return e.cert.subjectaltname ?? (e.cert.subject?.CN ? `CN=${e.cert.subject.CN}` : undefined);
    e = e.cause as typeof e;
  }
  return undefined;
}

/** TLS verification failures (OpenSSL's codes as Node reports them). */
function isTlsError(code: string | undefined): boolean {
  return (
    code !== undefined &&
    (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|HOSTNAME|ALTNAME/.test(code) || code.startsWith("ERR_SSL"))
  );
}

/**
 * OpenSSL's codes for a TLS handshake answered by something that does not speak TLS: a plain HTTP
 * server answers the client's hello with `HTTP/1.1 400`, which OpenSSL reads as a record of a wrong
 * version or length.
 */
function isPlainHttp(code: string | undefined): boolean {
  return code !== undefined && /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL/.test(code);
}

/** What to say of an endpoint that answers plain HTTP, for the client's errors and the doctor's probe. */
function plainHttpText(endpoint: string, code: string): string {
  return `${endpoint} answers plain HTTP, not TLS (${code}); PVE's API is https on port 8006: check the port`;
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

/** A JSON value in an error's words: a string as it is, anything else as compact JSON, cut short. */
function readable(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** An answer's `data` and the bytes of its body. */
interface Answer {
  data: unknown;
  bytes: number;
}

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
  private readonly deadlineMs: number;
  /** When everything asked of the endpoint must be done (ms since the epoch). */
  private readonly deadline: number;
  /** Whether a CA is pinned: then "pass --ca" is no advice for an untrusted certificate. */
  private readonly caPinned: boolean;
  private requestCount = 0;
  private readonly log: (line: string) => void;

  constructor(connection: PveConnection) {
    this.endpoint = normalizeEndpoint(connection.endpoint);
    this.tokenId = parseApiToken(connection.token).tokenId;
    const header = `PVEAPIToken=${connection.token.trim()}`;
    this.authorization = () => header; // a closure: not a property, so no inspect or JSON shows it
    this.timeoutMs = connection.timeoutMs ?? 15_000;
    this.retries = connection.retries ?? 2;
    this.retryDelayMs = connection.retryDelayMs ?? 300;
    this.deadlineMs = connection.deadlineMs ?? PVE_LIMITS.commandDeadlineMs;
    this.deadline = Date.now() + this.deadlineMs;
    this.caPinned = connection.ca !== undefined;
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
    return (await this.answer(method, apiPath, params)).data as T;
  }

  /** One API call with retries: PVE's answer, checked against the schema, and its size. */
  private async answer(method: string, apiPath: string, params: ApiParams): Promise<Answer> {
    const endpoint = `${method} ${apiPath}`;
    let attempt = 0;
    for (;;) {
      attempt += 1;
      const started = Date.now();
      try {
        const answer = await this.once(method, apiPath, params, endpoint, attempt);
        this.log(`${endpoint} OK ${Date.now() - started}ms`);
        return answer;
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
        const delay = this.retryDelayMs * 2 ** (attempt - 1);
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(delay, this.deadline - Date.now()))));
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

  /** The command's time is up: what it asked, and how much. */
  private deadlineError(endpoint: string, attempt: number): PveApiError {
    return new PveApiError({
      kind: "deadline",
      endpoint,
      message: `the command's time with ${this.endpoint} ran out: ${this.deadlineMs / 1000} s, in which it made ${this.requestCount} requests`,
      attempts: attempt,
    });
  }

  private async once(method: string, apiPath: string, params: ApiParams, endpoint: string, attempt: number) {
    const remaining = this.deadline - Date.now();
    if (remaining <= 0) throw this.deadlineError(endpoint, attempt);
    const encoded = encodeParams(params);
    const withBody = method === "POST" || method === "PUT";
    const url = `${this.endpoint}/api2/json${apiPath}${!withBody && encoded ? `?${encoded}` : ""}`;
    // Our own timer: undici's own timeouts are coarse (about a second) for short limits. Cut short
    // by the deadline, when that comes first.
    const byDeadline = remaining < this.timeoutMs;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new RequestTimeout()), byDeadline ? remaining : this.timeoutMs);
    try {
      return await this.exchange(method, apiPath, url, encoded, withBody, endpoint, attempt, abort.signal);
    } catch (err) {
      if (byDeadline && err instanceof PveApiError && err.kind === "timeout")
        throw this.deadlineError(endpoint, attempt);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A body, read up to `PVE_LIMITS.maxBodyBytes`: a bigger one is dropped (and its connection closed) at once. */
  private async readBody(
    body: Dispatcher.ResponseData["body"],
    declared: string | string[] | undefined,
    endpoint: string,
    status: number,
    attempt: number,
  ): Promise<{ text: string; bytes: number }> {
    const limit = PVE_LIMITS.maxBodyBytes;
    const tooLarge = (what: string) => {
      body.destroy();
      return new PveApiError({
        kind: "too-large",
        endpoint,
        status,
        message: `the answer exceeded ${megabytes(limit)} (${what}); an answer of PVE's is far smaller`,
        attempts: attempt,
      });
    };
    const length = Number(Array.isArray(declared) ? declared[0] : declared);
    if (length > limit) throw tooLarge(`Content-Length ${length}`);
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > limit) throw tooLarge("it was still going");
      chunks.push(chunk);
    }
    return { text: Buffer.concat(chunks).toString("utf8"), bytes };
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
  ): Promise<Answer> {
    let response: Dispatcher.ResponseData;
    this.requestCount += 1;
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
    const status = response.statusCode;
    let text: string;
    let bytes: number;
    try {
      ({ text, bytes } = await this.readBody(
        response.body,
        response.headers["content-length"],
        endpoint,
        status,
        attempt,
      ));
    } catch (err) {
      if (err instanceof PveApiError) throw err;
      throw this.transportError(err, endpoint, attempt, true);
    }
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
    if (!resolved || !resolved.methods[method]) return { data, bytes };
    const problems = checkAnswer(method, resolved.template, data);
    if (problems.length > 0) {
      const shown = problems.slice(0, 3).join("; ") + (problems.length > 3 ? `; and ${problems.length - 3} more` : "");
      throw new PveApiError({
        kind: "shape",
        endpoint,
        status,
        message: `the answer does not match the PVE API schema (${resolved.template}): ${shown}`,
        attempts: attempt,
      });
    }
    // PVE's JSON is Perl's: numbers may come as strings; they are read as numbers, as PVE's clients read them.
    return { data: readAnswer(method, resolved.template, data), bytes };
  }

  private transportError(err: unknown, endpoint: string, attempt: number, midAnswer: boolean): PveApiError {
    const code = errorCode(err);
    const detail = errorText(err);
    if (isPlainHttp(code)) {
      return new PveApiError({
        kind: "not-https",
        endpoint,
        message: plainHttpText(this.endpoint, code!),
        attempts: attempt,
      });
    }
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
      const names = certificateNames(err);
      return new PveApiError({
        kind: "tls-name",
        endpoint,
        message:
          `the certificate of ${this.endpoint} is not for ${new URL(this.endpoint).hostname}` +
          `${names ? `: it is for ${names}` : ` (${detail})`}; ` +
          "connect by a name the certificate holds (proxmoxve:endpoint or --endpoint)",
        attempts: attempt,
      });
    }
    if (isTlsError(code)) {
      return new PveApiError({
        kind: "tls",
        endpoint,
        message: this.caPinned
          ? `the certificate of ${this.endpoint} is not signed by the CA given with --ca (${code}: ${detail})`
          : `the certificate of ${this.endpoint} is not trusted (${code}: ${detail}); ` +
            "pin the node's CA with --ca FILE, or set proxmoxve:insecure / PROXMOX_VE_INSECURE=true",
        attempts: attempt,
      });
    }
    if (code && TIMEOUT_ERRORS.has(code)) {
      return new PveApiError({
        kind: "timeout",
        endpoint,
        message: midAnswer
          ? `the answer from ${this.endpoint} did not end within ${this.timeoutMs / 1000} s`
          : `no answer from ${this.endpoint} within ${this.timeoutMs / 1000} s`,
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
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      // 401 and 595 come with an empty body: the reason phrase is all PVE says.
    }
    // PVE's error body is {message, errors}; a broken one may hold anything there, which is shown as JSON.
    const body =
      typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
        ? (parsed as Record<string, unknown>)
        : {};
    const said = body.message === undefined || body.message === null ? "" : readable(body.message).trim();
    const pveMessage = said || reason;
    let errors: Record<string, string> | undefined;
    let errorList = "";
    if (typeof body.errors === "object" && body.errors !== null && !Array.isArray(body.errors)) {
      const entries = Object.entries(body.errors).map(([k, v]): [string, string] => [k, readable(v).trim()]);
      if (entries.length > 0) {
        errors = Object.fromEntries(entries);
        errorList = ` (${entries.map(([k, v]) => `${k}: ${v}`).join("; ")})`;
      }
    } else if (body.errors !== undefined && body.errors !== null && readable(body.errors).trim() !== "") {
      errorList = ` (${Array.isArray(body.errors) ? body.errors.map(readable).join("; ") : readable(body.errors).trim()})`;
    }
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

  /** A storage's space; a size of 0 (PVE cannot measure it) or below is refused: it would judge the space wrong. */
  async storageStatus(node: string, storage: string): Promise<StorageStatus> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/status`;
    const status = await this.call<StorageStatus>("GET", apiPath);
    const problems = (["total", "used", "avail"] as const)
      .filter((k) => status[k] !== undefined && status[k]! < 0)
      .map((k) => `its ${k} is negative (${status[k]})`);
    if (status.total === 0) {
      problems.push(
        `its size (total) is 0 bytes, so its space cannot be judged${isPveTrue(status.active) ? "" : " (PVE has it inactive)"}`,
      );
    }
    this.refuse(`GET ${apiPath}`, problems);
    return status;
  }

  /** A storage's volumes; a negative size, or a backup made after this machine's now (by more than the skew), is refused. */
  async storageContent(
    node: string,
    storage: string,
    filter: { content?: string; vmid?: number } = {},
  ): Promise<VolumeEntry[]> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/storage/${encodeURIComponent(storage)}/content`;
    const volumes = await this.call<VolumeEntry[]>("GET", apiPath, filter);
    const latest = Date.now() / 1000 + PVE_LIMITS.clockSkewSeconds;
    const problems = volumes.flatMap((v) => [
      ...(v.size < 0 ? [`${v.volid} has a negative size (${v.size})`] : []),
      ...(v.ctime !== undefined && v.ctime > latest
        ? [`${v.volid} was made in the future (ctime ${isoSeconds(v.ctime)}; now is ${isoSeconds(Date.now() / 1000)})`]
        : []),
    ]);
    this.refuse(`GET ${apiPath}`, problems);
    return volumes;
  }

  /** One page of a node's tasks; a task outside the `since`/`until` asked for is refused (PVE filters by them). */
  async nodeTasks(node: string, filter: TaskFilter = {}): Promise<TaskEntry[]> {
    return (await this.taskPage(node, filter)).data as TaskEntry[];
  }

  private async taskPage(node: string, filter: TaskFilter): Promise<Answer> {
    const apiPath = `/nodes/${encodeURIComponent(node)}/tasks`;
    const answer = await this.answer("GET", apiPath, { ...filter });
    const { since, until } = filter;
    const problems = (answer.data as TaskEntry[]).flatMap((t) => [
      ...(until !== undefined && t.starttime > until
        ? [`${t.upid} started at ${isoSeconds(t.starttime)}, after the until asked for (${isoSeconds(until)})`]
        : []),
      ...(since !== undefined && t.starttime < since
        ? [`${t.upid} started at ${isoSeconds(t.starttime)}, before the since asked for (${isoSeconds(since)})`]
        : []),
    ]);
    this.refuse(`GET ${apiPath}`, problems);
    return answer;
  }

  /** All of a node's tasks that `filter` selects, newest first, page by page (`allPages`). */
  allNodeTasks(node: string, filter: Omit<TaskFilter, "start" | "limit">, pageSize = 1000): Promise<TaskEntry[]> {
    return this.allPages<TaskEntry>(
      "task list",
      `GET /nodes/${encodeURIComponent(node)}/tasks`,
      pageSize,
      (start) => this.taskPage(node, { ...filter, start, limit: pageSize }),
      (t) => t.upid,
    );
  }

  /** One page of a task's log (PVE's default page is 50 lines). */
  taskLog(
    node: string,
    upid: string,
    page: { start?: number; limit?: number } = {},
  ): Promise<{ n: number; t: string }[]> {
    return this.call("GET", this.taskLogPath(node, upid), page);
  }

  private taskLogPath(node: string, upid: string): string {
    return `/nodes/${encodeURIComponent(node)}/tasks/${encodeURIComponent(upid)}/log`;
  }

  /** A task's whole log, page by page (`allPages`). */
  async taskLogLines(node: string, upid: string, pageSize = 500): Promise<string[]> {
    const apiPath = this.taskLogPath(node, upid);
    const lines = await this.allPages<{ n: number; t: string }>(
      "task log",
      `GET ${apiPath}`,
      pageSize,
      (start) => this.answer("GET", apiPath, { start, limit: pageSize }),
      (l) => String(l.n),
    );
    return lines.map((l) => l.t);
  }

  /**
   * Every page of a listing that pages by `start` and `limit`, bounded: at most `PVE_LIMITS.maxPages`
   * pages and `maxListingBytes` in all, and a page holding nothing that earlier pages did not ends
   * it (an endpoint that ignores `start` answers the same page for ever). `key` tells entries apart.
   */
  private async allPages<T>(
    what: string,
    endpoint: string,
    pageSize: number,
    page: (start: number) => Promise<Answer>,
    key: (item: T) => string,
  ): Promise<T[]> {
    const items: T[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    for (let start = 0, pages = 0; ; pages++) {
      if (pages === PVE_LIMITS.maxPages) {
        throw new PveApiError({
          kind: "too-large",
          endpoint,
          message: `the ${what} did not end within ${PVE_LIMITS.maxPages} pages of ${pageSize}`,
        });
      }
      const answer = await page(start);
      bytes += answer.bytes;
      if (bytes > PVE_LIMITS.maxListingBytes) {
        throw new PveApiError({
          kind: "too-large",
          endpoint,
          message: `the ${what} exceeded ${megabytes(PVE_LIMITS.maxListingBytes)} over ${pages + 1} pages`,
        });
      }
      const data = answer.data as T[];
      const fresh = data.filter((item) => !seen.has(key(item)));
      if (data.length > 0 && fresh.length === 0) {
        throw new PveApiError({
          kind: "no-progress",
          endpoint,
          message: `the ${what} did not advance: the page from start=${start} holds only entries of the pages before it`,
        });
      }
      for (const item of fresh) {
        seen.add(key(item));
        items.push(item);
      }
      if (data.length < pageSize) return items;
      start += data.length;
    }
  }

  /** Throws when an answer that fits the schema cannot be right: the problems, each naming the entry. */
  private refuse(endpoint: string, problems: string[]): void {
    if (problems.length === 0) return;
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : "";
    throw new PveApiError({
      kind: "implausible",
      endpoint,
      message: `the answer cannot be used: ${problems.slice(0, 3).join("; ")}${more}`,
    });
  }

  /** A node's clock and time zone (`timezone` is the node's /etc/timezone, e.g. Europe/Berlin). */
  nodeTime(node: string): Promise<{ timezone: string; time: number; localtime: number }> {
    return this.call("GET", `/nodes/${encodeURIComponent(node)}/time`);
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
      done({
        ok: false,
        error: redactSecrets(
          isPlainHttp(err.code)
            ? plainHttpText(normalizeEndpoint(endpoint), err.code!)
            : err.code
              ? `${err.code}: ${err.message}`
              : err.message,
        ),
      }),
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

/** Unix seconds as an ISO time, for messages. */
function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** SNI takes host names, not IP addresses. */
function tlsServerName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.includes(":");
}
