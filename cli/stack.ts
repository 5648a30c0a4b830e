/**
 * The stack a command works on, and the cluster it reaches. `--stack NAME` (default home) is read
 * from `Pulumi.<stack>.yaml` and validated by the same schema as the program; a command that reads
 * the live cluster connects as the provider would for that stack (pve/connection.ts), `--endpoint`
 * and `--ca` applied. Every command goes through here, so a bad name, a missing stack file, a bad
 * site or a missing token is one and the same one-line error (exit 2).
 */
import { ConnectionSettings, ConnectionSettingsError, resolveConnection } from "../pve/connection";
import { ClusterSnapshot, parseClusterSnapshot } from "../pve/snapshot";
import { ConfigError } from "../tiers/siteRules";
import { InputError } from "../tiers/input";
import { SiteFile, readSiteFile } from "../tiers/stackConfig";
import { UnknownStackError } from "../tiers/stackFile";
import { UsageError } from "./cli";
import { readInputFile } from "./files";

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

/** Reads and validates a cluster snapshot file (`--cluster`). */
export function readClusterSnapshot(file: string): ClusterSnapshot {
  return parseClusterSnapshot(readInputFile(file), file);
}

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
  return clusterConnection(siteFile.file, siteFile.config, flags, options);
}

/**
 * Where a command connects when the stack file says it (`stackConfig`), or does not exist yet
 * (`init`: `{}`, or only what its flags say): the environment and the flags, as above.
 */
export function clusterConnection(
  stackFile: string,
  stackConfig: Record<string, string>,
  flags: { ca?: string; endpoint?: string },
  options: ClusterCommandOptions,
): ConnectionSettings {
  const ca = flags.ca === undefined ? undefined : { file: flags.ca, text: readInputFile(flags.ca, MAX_CA_BYTES) };
  try {
    const settings = resolveConnection({
      stackConfig,
      stackFile,
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
