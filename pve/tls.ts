/** A TLS endpoint's certificate, read without trusting it: to tell a user how to trust it (`doctor`). */
import * as tls from "tls";
import { isPlainHttp, plainHttpText } from "./apiError";
import { normalizeEndpoint } from "./connection";
import { redactSecrets } from "./secrets";

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

/** SNI takes host names, not IP addresses. */
function tlsServerName(host: string): boolean {
  return !/^[\d.]+$/.test(host) && !host.includes(":");
}
