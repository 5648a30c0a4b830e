/**
 * Where the commands connect, decided as the provider decides it: the stack's `proxmoxve:endpoint`
 * and `proxmoxve:insecure` win over `PROXMOX_VE_ENDPOINT` and `PROXMOX_VE_INSECURE` (bpg's provider
 * reads the variables only for settings the config leaves unset). The token comes from
 * `PROXMOX_VE_API_TOKEN`: a stack's `proxmoxve:apiToken` is encrypted and only the Pulumi CLI can
 * read it. `--ca FILE` pins a CA; `--endpoint URL` points a command elsewhere (e.g. at the PVE API
 * double) and says so.
 */
import { X509Certificate } from "crypto";
import { addLiteralSecret, apiTokenSecret, redactSecrets } from "./secrets";
import { TokenFormatError } from "./apiError";

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

/** A setting that is missing or malformed; the message names where it came from, never a secret. */
export class ConnectionSettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConnectionSettingsError";
  }
}

export interface ConnectionSettings extends PveConnection {
  /** Where the endpoint came from, for messages: `proxmoxve:endpoint in Pulumi.home.yaml`. */
  endpointSource: string;
  /** Where `insecure` came from, when set. */
  insecureSource?: string;
  /** The pinned CA's file. */
  caFile?: string;
  /** `user@realm!tokenid`. */
  tokenId: string;
}

export interface ConnectionInputs {
  /** The stack file's config (`readSiteFile(...).config`) and its file name. */
  stackConfig: Record<string, string>;
  stackFile: string;
  env: Record<string, string | undefined>;
  /** `--endpoint`: overrides the stack and the environment. */
  endpoint?: string;
  /** `--ca`: the file and its text (read by the command, which owns input files). */
  ca?: { file: string; text: string };
}

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

function parseBool(value: string, source: string): boolean {
  if (TRUE.test(value.trim())) return true;
  if (FALSE.test(value.trim())) return false;
  throw new ConnectionSettingsError(`${source}: not true or false: ${JSON.stringify(value)}`);
}

/** The connection the provider would use for this stack, with `--endpoint`/`--ca` applied. */
export function resolveConnection(inputs: ConnectionInputs): ConnectionSettings {
  const { stackConfig, stackFile, env } = inputs;
  const configured = stackConfig["proxmoxve:endpoint"];
  const [endpoint, endpointSource] =
    inputs.endpoint !== undefined
      ? [inputs.endpoint, "--endpoint"]
      : configured !== undefined && configured !== ""
        ? [configured, `proxmoxve:endpoint in ${stackFile}`]
        : [env.PROXMOX_VE_ENDPOINT, "PROXMOX_VE_ENDPOINT"];
  if (endpoint === undefined || endpoint === "") {
    throw new ConnectionSettingsError(
      `no PVE endpoint: set proxmoxve:endpoint in ${stackFile} or export PROXMOX_VE_ENDPOINT=https://<node>:8006/`,
    );
  }
  try {
    normalizeEndpoint(endpoint);
  } catch (err) {
    throw new ConnectionSettingsError(`${endpointSource}: ${redactSecrets((err as Error).message)}`);
  }
  const password = new URL(endpoint).password;
  if (password !== "") {
    addLiteralSecret(decodeURIComponent(password));
    throw new ConnectionSettingsError(
      `${endpointSource}: ${redactSecrets(endpoint)} holds a password: remove it (PVE's API is signed in to with the token, PROXMOX_VE_API_TOKEN)`,
    );
  }

  const token = env.PROXMOX_VE_API_TOKEN;
  // Whatever shape it has, the token's secret is never printed: not even when a server echoes it.
  addLiteralSecret(token);
  addLiteralSecret(apiTokenSecret(token));
  if (token === undefined || token.trim() === "") {
    throw new ConnectionSettingsError(
      "PROXMOX_VE_API_TOKEN is not set: export it as '<user>@<realm>!<tokenid>=<secret>' " +
        `(${stackFile}'s proxmoxve:apiToken is encrypted; only the Pulumi CLI reads it)`,
    );
  }
  let tokenId: string;
  try {
    tokenId = parseApiToken(token, "PROXMOX_VE_API_TOKEN").tokenId;
  } catch (err) {
    if (err instanceof TokenFormatError) throw new ConnectionSettingsError(err.message);
    throw err;
  }

  let insecure = false;
  let insecureSource: string | undefined;
  const configuredInsecure = stackConfig["proxmoxve:insecure"];
  if (configuredInsecure !== undefined) {
    insecureSource = `proxmoxve:insecure in ${stackFile}`;
    insecure = parseBool(configuredInsecure, insecureSource);
  } else if (env.PROXMOX_VE_INSECURE !== undefined && env.PROXMOX_VE_INSECURE !== "") {
    insecureSource = "PROXMOX_VE_INSECURE";
    insecure = parseBool(env.PROXMOX_VE_INSECURE, insecureSource);
  }

  let ca: string | undefined;
  if (inputs.ca) {
    try {
      new X509Certificate(inputs.ca.text);
    } catch {
      throw new ConnectionSettingsError(
        `${inputs.ca.file}: not a PEM certificate (e.g. the node's /etc/pve/pve-root-ca.pem)`,
      );
    }
    ca = inputs.ca.text;
  }
  return {
    endpoint,
    endpointSource,
    token,
    tokenId,
    insecure: ca === undefined && insecure,
    insecureSource,
    ca,
    caFile: inputs.ca?.file,
  };
}
