/**
 * A hostile or broken PVE for tests: an HTTPS server on 127.0.0.1, with the PVE API double's
 * certificate (so `--ca` pins it as it pins the double), in front of the double. A test answers the
 * requests it wants to break itself (`answer`), or changes the double's JSON answer (`rewrite`);
 * everything else is the double's own answer, passed through.
 */
import * as http from "http";
import * as https from "https";
import type { AddressInfo } from "net";
import type { PveApiDouble } from "../../double/server";

/** A request as the hostile server sees it: the API path (without /api2/json) and the query. */
interface HostileRequest {
  method: string;
  apiPath: string;
  query: URLSearchParams;
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

export interface HostileOptions {
  /** Answers a request itself and returns true; false passes it on to the double. */
  answer?: (request: HostileRequest) => boolean;
  /** Changes the double's JSON answer (`{data: ...}`) to a request. */
  rewrite?: (request: Omit<HostileRequest, "res">, doc: { data: unknown }) => unknown;
}

export interface HostilePve {
  /** `https://127.0.0.1:PORT/`. */
  url: string;
  /** Every request it got, `METHOD /path?query`. */
  requests: string[];
  /** Bytes it wrote in bodies it answered itself. */
  bytesSent: number;
  close(): Promise<void>;
}

/** Starts a hostile server in front of `double`. */
export async function startHostilePve(double: PveApiDouble, options: HostileOptions): Promise<HostilePve> {
  const { keyPem, certPem, caPem } = double.certificates;
  const state: HostilePve = { url: "", requests: [], bytesSent: 0, close: async () => undefined };
  const server = https.createServer({ key: keyPem, cert: certPem }, (req, res) => {
    const url = new URL(req.url ?? "/", "https://pve");
    const apiPath = url.pathname.replace(/^\/api2\/json/, "");
    const request = { method: req.method ?? "GET", apiPath, query: url.searchParams, req, res };
    state.requests.push(`${request.method} ${apiPath}${url.search}`);
    const write = res.write.bind(res);
    res.write = ((chunk: string | Buffer, ...rest: never[]) => {
      state.bytesSent += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
    if (options.answer?.(request)) return;
    const upstream = https.request(
      { host: "127.0.0.1", port: double.port, method: req.method, path: req.url, headers: req.headers, ca: caPem },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (c: Buffer) => chunks.push(c));
        answer.on("end", () => {
          let body = Buffer.concat(chunks).toString("utf8");
          if (options.rewrite && answer.statusCode === 200) {
            body = JSON.stringify(options.rewrite(request, JSON.parse(body) as { data: unknown }));
          }
          res.writeHead(answer.statusCode ?? 500, answer.statusMessage, { "content-type": "application/json" });
          res.end(body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 2000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

/** Answers `{data}` as PVE does (status 200, JSON). */
export function answerJson(res: http.ServerResponse, doc: unknown, status = 200, reason = "OK"): true {
  res.writeHead(status, reason, { "content-type": "application/json" });
  res.end(typeof doc === "string" ? doc : JSON.stringify(doc));
  return true;
}

/** PVE's loosely typed JSON: the content listing's numbers (vmid, size, ctime) sent as strings. */
export const contentNumbersAsStrings: NonNullable<HostileOptions["rewrite"]> = ({ apiPath }, doc) =>
  apiPath.endsWith("/content")
    ? {
        data: (doc.data as Record<string, unknown>[]).map((v) => ({
          ...v,
          vmid: String(v.vmid),
          size: String(v.size),
          ctime: String(v.ctime),
        })),
      }
    : doc;
