/**
 * The PVE API client's errors: what went wrong in the terms a command reports (`PveErrorKind`), and
 * how a failed request or an error status becomes one, naming the endpoint and saying what PVE said
 * (401 token rejected, 403 with the privilege and path, 595 node offline); never the token (every
 * message goes through `redactSecrets`).
 */
import { redactSecrets } from "./secrets";
import { parsePermissionFailure } from "./privileges";

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

/** What an error's words say of the client that made the request. */
export interface ErrorContext {
  /** `https://host:8006`. */
  endpoint: string;
  /** `user@realm!tokenid` (not the secret). */
  tokenId: string;
  /** Whether a CA is pinned: then "pass --ca" is no advice for an untrusted certificate. */
  caPinned: boolean;
  timeoutMs: number;
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
export function isPlainHttp(code: string | undefined): boolean {
  return code !== undefined && /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|UNKNOWN_PROTOCOL/.test(code);
}

/** What to say of an endpoint that answers plain HTTP, for the client's errors and the doctor's probe. */
export function plainHttpText(endpoint: string, code: string): string {
  return `${endpoint} answers plain HTTP, not TLS (${code}); PVE's API is https on port 8006: check the port`;
}

/** Errors of requests that never reached PVE (connection refused): safe to retry whatever the method. */
const NOT_SENT = new WeakSet<PveApiError>();

/** Whether a request failed before it reached PVE. */
export function wasNotSent(err: PveApiError): boolean {
  return NOT_SENT.has(err);
}

/** A JSON value in an error's words: a string as it is, anything else as compact JSON, cut short. */
function readable(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/**
 * A request that got no answer, in a command's terms: what kind of failure, said for `client`'s
 * endpoint (a CA pinned or not, its timeout). `midAnswer`: the answer had begun.
 */
export function transportError(
  client: ErrorContext,
  err: unknown,
  endpoint: string,
  attempt: number,
  midAnswer: boolean,
): PveApiError {
  const code = errorCode(err);
  const detail = errorText(err);
  if (isPlainHttp(code)) {
    return new PveApiError({
      kind: "not-https",
      endpoint,
      message: plainHttpText(client.endpoint, code!),
      attempts: attempt,
    });
  }
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
    const names = certificateNames(err);
    return new PveApiError({
      kind: "tls-name",
      endpoint,
      message:
        `the certificate of ${client.endpoint} is not for ${new URL(client.endpoint).hostname}` +
        `${names ? `: it is for ${names}` : ` (${detail})`}; ` +
        "connect by a name the certificate holds (proxmoxve:endpoint or --endpoint)",
      attempts: attempt,
    });
  }
  if (isTlsError(code)) {
    return new PveApiError({
      kind: "tls",
      endpoint,
      message: client.caPinned
        ? `the certificate of ${client.endpoint} is not signed by the CA given with --ca (${code}: ${detail})`
        : `the certificate of ${client.endpoint} is not trusted (${code}: ${detail}); ` +
          "pin the node's CA with --ca FILE, or set proxmoxve:insecure / PROXMOX_VE_INSECURE=true",
      attempts: attempt,
    });
  }
  if (code && TIMEOUT_ERRORS.has(code)) {
    return new PveApiError({
      kind: "timeout",
      endpoint,
      message: midAnswer
        ? `the answer from ${client.endpoint} did not end within ${client.timeoutMs / 1000} s`
        : `no answer from ${client.endpoint} within ${client.timeoutMs / 1000} s`,
      attempts: attempt,
    });
  }
  if (midAnswer || (code && SOCKET_ERRORS.has(code))) {
    return new PveApiError({
      kind: midAnswer ? "malformed" : "unreachable",
      endpoint,
      message: `the connection to ${client.endpoint} broke off ${midAnswer ? "in the middle of the answer" : "before an answer"} (${detail})`,
      attempts: attempt,
    });
  }
  if (code && (CONNECTION_ERRORS.has(code) || code === "ENOTFOUND")) {
    const error = new PveApiError({
      kind: "unreachable",
      endpoint,
      message: `cannot reach ${client.endpoint} (${code}: ${detail})`,
      attempts: attempt,
    });
    if (code === "ECONNREFUSED") NOT_SENT.add(error);
    return error;
  }
  return new PveApiError({
    kind: "unreachable",
    endpoint,
    message: `request to ${client.endpoint} failed (${detail})`,
    attempts: attempt,
  });
}

/** An error status PVE answered, in a command's terms, with PVE's own words (its `message` and `errors`). */
export function statusError(
  client: ErrorContext,
  status: number,
  reason: string,
  text: string,
  endpoint: string,
  attempt: number,
): PveApiError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // 401 and 595 come with an empty body: the reason phrase is all PVE says.
  }
  // PVE's error body is {message, errors}; a broken one may hold anything there, which is shown as JSON.
  const body =
    typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
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
      message: `401 the token ${client.tokenId} was rejected (${pveMessage})`,
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
