/**
 * The HTTP side of the PVE API client (client.ts): HTTP is undici's; what is PVE's is here: API-token
 * auth, TLS verified unless told otherwise (or pinned to one CA), timeouts, bounded retries with
 * back-off, answers bounded in size and checked against the API schema (pve/endpoints.json), and
 * listings read page by page within bounds. Errors: apiError.ts.
 *
 * The token is held in a closure, sent only in the Authorization header and never put in a message,
 * an error or a log line (every text that leaves this module goes through `redactSecrets`).
 */
import { Agent, Dispatcher, request } from "undici";
import { ErrorContext, PveApiError, statusError, transportError, wasNotSent } from "./apiError";
import { PveConnection, normalizeEndpoint, parseApiToken } from "./connection";
import { PVE_LIMITS, megabytes } from "./limits";
import { redactSecrets } from "./secrets";
import { checkAnswer, readAnswer, resolvePath } from "./schema";

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

const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);

/** The reason a request is aborted when it takes longer than the timeout. */
class RequestTimeout extends Error {
  readonly code = "ETIMEDOUT";
  constructor() {
    super("timed out");
  }
}

/** An answer's `data` and the bytes of its body. */
export interface Answer {
  data: unknown;
  bytes: number;
}

/** The HTTP side of a PVE API client for one endpoint and token: requests, retries, limits and errors. */
export class PveTransport {
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
  protected async answer(method: string, apiPath: string, params: ApiParams): Promise<Answer> {
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
    if (wasNotSent(err)) return true;
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
      throw transportError(this.errorContext(), err, endpoint, attempt, false);
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
      throw transportError(this.errorContext(), err, endpoint, attempt, true);
    }
    const reason = response.statusText ?? "";
    if (status < 200 || status >= 300) throw statusError(this.errorContext(), status, reason, text, endpoint, attempt);
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

  /** What this client's errors say of it. */
  private errorContext(): ErrorContext {
    return { endpoint: this.endpoint, tokenId: this.tokenId, caPinned: this.caPinned, timeoutMs: this.timeoutMs };
  }
}
