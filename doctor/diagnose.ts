/**
 * `doctor`: what a real cluster would do to the first `pulumi preview`/`up`, checked before it runs.
 * The checks run in order (`diagnose`); the endpoint, its certificate and the token come first, and
 * each failure there ends the run, for nothing further can be learnt. One verdict per check, with
 * the fix; cli/commands/doctor.ts prints them.
 */
import { PveApiError, PveErrorKind } from "../pve/apiError";
import { PveClient } from "../pve/client";
import { probeTls } from "../pve/tls";
import type { ConnectionSettings } from "../pve/connection";
import { splitTokenId } from "../pve/privileges";
import type { SiteFile } from "../tiers/stackConfig";
import { drillPrivilegesCheck, privilegesCheck, versionCheck } from "./access";
import { guestsCheck, nodesCheck, storagesCheck, timezoneCheck } from "./cluster";
import { Check, DoctorContext } from "./context";
import { adoptCheck, excludePathCheck, notificationCheck } from "./jobs";

/** The checks stop here: nothing further can be learnt from this endpoint with this token. */
class CannotCheck extends Error {}

/** An endpoint whose answers are broken (not PVE's, over the limits, or out of time) can be checked no further. */
const BROKEN_ANSWERS: readonly PveErrorKind[] = [
  "malformed",
  "shape",
  "implausible",
  "too-large",
  "no-progress",
  "deadline",
];

/** The checks after the endpoint and the token, in order. */
const CHECKS: readonly [string, (ctx: DoctorContext) => Promise<Check | Check[]>][] = [
  ["version", versionCheck],
  ["privileges", privilegesCheck],
  ["nodes", nodesCheck],
  ["timezone", timezoneCheck],
  ["guests", guestsCheck],
  ["storages", storagesCheck],
  ["exclude-path", excludePathCheck],
  ["adopt", adoptCheck],
  ["notification-mode", notificationCheck],
];

/** `doctor --drill`: also what `drill` needs of the token. */
const DRILL_CHECK: (typeof CHECKS)[number] = ["drill-privileges", drillPrivilegesCheck];

export interface Diagnosis {
  checks: Check[];
  /** Why the checks stopped before the end (the endpoint, its certificate, the token). */
  couldNotCheck?: string;
}

/** Runs the checks in order; stops when the endpoint, its certificate or the token make the rest impossible. */
export async function diagnose(
  siteFile: SiteFile,
  settings: ConnectionSettings,
  options: { drill?: boolean } = {},
): Promise<Diagnosis> {
  const checks: Check[] = [];
  const client = new PveClient(settings);
  const ctx = new DoctorContext(siteFile, settings, client);
  try {
    await endpointAndToken(ctx, checks);
    for (const [id, body] of options.drill ? [...CHECKS, DRILL_CHECK] : CHECKS) {
      // An API error a check does not handle itself becomes its FAIL line.
      try {
        const result = await body(ctx);
        checks.push(...(Array.isArray(result) ? result : [result]));
      } catch (err) {
        if (!(err instanceof PveApiError)) throw err;
        const privilege = err.kind === "forbidden" ? " (see the privileges check)" : "";
        checks.push({ id, ok: false, message: `not checked: ${err.message}${privilege}` });
        if (BROKEN_ANSWERS.includes(err.kind)) throw new CannotCheck(err.message);
      }
    }
    return { checks };
  } catch (err) {
    if (err instanceof CannotCheck) return { checks, couldNotCheck: err.message };
    throw err;
  } finally {
    await client.close();
  }
}

/** endpoint, certificate and token: each failure here ends the run (exit 2). */
async function endpointAndToken(ctx: DoctorContext, checks: Check[]): Promise<void> {
  const { endpoint, endpointSource } = ctx.settings;
  const probe = await probeTls(endpoint);
  if (!probe.ok) {
    checks.push({
      id: "endpoint",
      ok: false,
      message: `${endpoint} (${endpointSource}) cannot be reached: ${probe.error}`,
      fix: `check ${endpointSource} (https://<node>:8006/) and that this machine reaches the node's port 8006`,
    });
    throw new CannotCheck("the endpoint cannot be reached");
  }
  checks.push({ id: "endpoint", ok: true, message: `${endpoint} answers TLS (${endpointSource})` });
  const cert = probe.certificate;
  try {
    ctx.versionInfo = await ctx.client.version();
  } catch (err) {
    if (!(err instanceof PveApiError)) throw err;
    if (err.kind === "tls" && ctx.settings.caFile) {
      checks.push({
        id: "certificate",
        ok: false,
        message: `the certificate of ${endpoint} is not signed by the CA in ${ctx.settings.caFile} (it is issued by ${cert.issuer}; SHA-256 ${cert.fingerprint256})`,
        fix: "pass the CA that signed it: the node's /etc/pve/pve-root-ca.pem, copied here, with --ca FILE",
      });
      throw new CannotCheck("the certificate is not signed by the pinned CA");
    }
    if (err.kind === "tls-name") {
      checks.push({
        id: "certificate",
        ok: false,
        message: err.message.slice(err.endpoint.length + 2),
        fix: `set ${endpointSource} to a name the certificate holds (\`pvenode cert info\` on the node lists them), or give the node a certificate for this name`,
      });
      throw new CannotCheck("the certificate is not for the endpoint's host name");
    }
    if (err.kind === "tls") {
      checks.push({
        id: "certificate",
        ok: false,
        message: `the certificate of ${endpoint} is not trusted (issued by ${cert.issuer}; SHA-256 ${cert.fingerprint256})`,
        fix:
          "copy the node's CA (/etc/pve/pve-root-ca.pem) here and pass --ca FILE; or, after comparing the fingerprint " +
          "with `pvenode cert info` on the node, accept it with `pulumi config set proxmoxve:insecure true` " +
          "(PROXMOX_VE_INSECURE=true where the stack does not set it)",
      });
      throw new CannotCheck("the certificate is not trusted");
    }
    checks.push(certificateOk(ctx.settings, cert));
    if (err.kind === "auth") {
      checks.push({
        id: "token",
        ok: false,
        message: `PVE rejected the token ${ctx.settings.tokenId} (${err.pveMessage ?? err.message})`,
        fix:
          "export PROXMOX_VE_API_TOKEN='<user>@<realm>!<tokenid>=<secret>' with the secret `pveum user token add` printed; " +
          `check that the user and token exist and are not expired: pveum user token list ${splitTokenId(ctx.settings.tokenId)?.[0] ?? "<user>"}`,
      });
      throw new CannotCheck("the token was rejected");
    }
    checks.push({ id: "token", ok: false, message: `not checked: ${err.message}` });
    throw new CannotCheck(err.message);
  }
  checks.push(certificateOk(ctx.settings, cert));
  checks.push({ id: "token", ok: true, message: `${ctx.settings.tokenId} is accepted` });
}

function certificateOk(settings: ConnectionSettings, cert: { fingerprint256: string; issuer: string }): Check {
  const { insecure, insecureSource, caFile } = settings;
  if (caFile) return { id: "certificate", ok: true, message: `trusted: signed by the CA in ${caFile}` };
  if (insecure) {
    return {
      id: "certificate",
      ok: true,
      message:
        `not verified (${insecureSource} is true): SHA-256 ${cert.fingerprint256}; ` +
        "compare it with `pvenode cert info` on the node",
    };
  }
  return { id: "certificate", ok: true, message: `trusted (issued by ${cert.issuer})` };
}
