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
import { PveConnection, TokenFormatError, normalizeEndpoint, parseApiToken } from "./client";

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
