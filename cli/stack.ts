/**
 * The stack a command works on, and the cluster it reaches. `--stack NAME` (default home) is read
 * from `Pulumi.<stack>.yaml` and validated by the same schema as the program; a command that reads
 * the live cluster connects as the provider would for that stack (pve/connection.ts), `--endpoint`
 * and `--ca` applied. Every command goes through here, so a bad name, a missing stack file, a bad
 * site or a missing token is one and the same one-line error (exit 2).
 */
import { ConnectionSettings, ConnectionSettingsError, resolveConnection } from "../pve/connection";
import { ConfigError } from "../tiers/siteRules";
import { SiteFile, readSiteFile } from "../tiers/stackConfig";
import { UnknownStackError } from "../tiers/stackFile";
import { InputError, UsageError, readInputFile } from "./cli";

export const DEFAULT_STACK = "home";

/** Refuses what cannot name a stack (and its file, `Pulumi.<stack>.yaml`); `flag` says where it was given. */
export function checkStackName(stack: string, flag = "--stack"): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`${flag}: not a stack name: '${stack}'`);
}

/** Reads and validates a stack's site from `stackDir` (the project folder, or a test's fixtures). */
export function readStackSite(stackDir: string, stack: string): SiteFile {
  checkStackName(stack);
  try {
    return readSiteFile(stackDir, stack);
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.oneLine());
    if (err instanceof UnknownStackError) throw new InputError(err.message);
    throw err;
  }
}

/** The flags of a command that reads the stack's cluster (its usage explains them). */
export const CONNECTION_FLAGS = {
  /** A CA certificate (PEM) to trust alone, e.g. the node's /etc/pve/pve-root-ca.pem. */
  ca: { type: "string" },
  /** Another endpoint than the stack's `proxmoxve:endpoint` (e.g. the PVE API double). */
  endpoint: { type: "string" },
} as const;

/** How a command that reads the cluster runs in process (tests): its environment, stack folder and timing. */
export interface ClusterCommandOptions {
  /** The environment (PROXMOX_VE_*); default process.env. */
  env?: Record<string, string | undefined>;
  /** Where the Pulumi.<stack>.yaml files are; default the project (a `--stack-dir` flag wins). */
  stackDir?: string;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
  /** Everything the command asks of the endpoint; default `PVE_LIMITS.commandDeadlineMs`. */
  deadlineMs?: number;
}

/** A CA certificate is small: a bigger file is not one. */
const MAX_CA_BYTES = 1024 * 1024;

/**
 * Where a command connects for a stack: the provider's settings for it (pve/connection.ts), with
 * `--ca` read and `--endpoint` applied, and the options' timing. A setting that is missing or
 * malformed is an InputError naming where it came from.
 */
export function stackConnection(
  siteFile: SiteFile,
  flags: { ca?: string; endpoint?: string },
  options: ClusterCommandOptions,
): ConnectionSettings {
  const ca = flags.ca === undefined ? undefined : { file: flags.ca, text: readInputFile(flags.ca, MAX_CA_BYTES) };
  try {
    const settings = resolveConnection({
      stackConfig: siteFile.config,
      stackFile: siteFile.file,
      env: options.env ?? process.env,
      endpoint: flags.endpoint,
      ca,
    });
    const { timeoutMs, retries, retryDelayMs, deadlineMs } = options;
    return { ...settings, timeoutMs, retries, retryDelayMs, deadlineMs };
  } catch (err) {
    if (err instanceof ConnectionSettingsError) throw new InputError(err.message);
    throw err;
  }
}
