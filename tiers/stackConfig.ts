/**
 * Reading the stack's config: under the Pulumi CLI from the engine, offline (tests, `check`) from the
 * stack file itself (stackFile.ts). Either way the site goes through `parseSite` before anything is declared, and
 * a provider secret in plain text stops it.
 */
import type * as pulumiSdk from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, SITE_KEY, Site } from "./config";
import { ConfigError, parseSite } from "./siteRules";
import { StackFileConfig, plainTextSecrets, readStackFile, stackFileName } from "./stackFile";

export interface StackConfig {
  site: Site;
  /** `pve-backup-tiers:adopt`: import the jobs and storages that already exist instead of creating them. */
  adopt: boolean;
}

/** The program's entry: the current stack's config, validated. Bad config throws a RunError (no stack trace). */
export function loadStackConfig(): StackConfig {
  // The SDK is loaded here, where the engine's config is read, and not with the module: the commands
  // and tests that only read stack files never pay for it (half a second).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pulumi = require("@pulumi/pulumi") as typeof pulumiSdk;
  const file = stackFileName(pulumi.getStack());
  try {
    const plain = plainTextSecrets(
      (key) => parseConfigValue(pulumi.runtime.getConfig(key)),
      (key) => isConfigSecret(key),
    );
    if (plain.length > 0) throw new ConfigError(file, plain);
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    return {
      site: parseSiteValue(config.get("site"), file),
      adopt: parseAdopt(config.get("adopt"), file),
    };
  } catch (err) {
    // Only the user's mistakes become a RunError; anything else is a bug and keeps its stack.
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
}

function isConfigSecret(key: string): boolean {
  // The SDK tracks secret keys (PULUMI_CONFIG_SECRET_KEYS) but does not export the check in its types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
  return runtimeConfig.isConfigSecret(key);
}

/** A config value as the engine hands it over (objects as JSON), parsed; a plain string stays one. */
function parseConfigValue(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** `pve-backup-tiers:site` as the engine hands it over: absent, or JSON that parseSite validates. */
function parseSiteValue(value: string | undefined, file: string): Site {
  if (value === undefined) throw new ConfigError(file, [`${SITE_KEY}: missing`]);
  return parseSite(parseConfigValue(value), file);
}

/** `pve-backup-tiers:adopt`: absent (false), true or false. */
function parseAdopt(value: string | undefined, file: string): boolean {
  if (value === undefined || value === "false") return false;
  if (value === "true") return true;
  throw new ConfigError(file, [`${CONFIG_NAMESPACE}:adopt: must be true or false (got ${JSON.stringify(value)})`]);
}

/**
 * A stack's site as the commands read it from its stack file, validated by the same `parseSite`.
 * @public
 */
export interface SiteFile extends StackFileConfig {
  site: Site;
  adopt: boolean;
}

/**
 * The validated site of a stack, from `Pulumi.<stack>.yaml` in `stackDir` (the project, or a folder
 * of stack files), for the commands that do not run the program (doctor, status, calendar, report).
 * Throws UnknownStackError, or ConfigError naming the file.
 * @public
 */
export function readSiteFile(stackDir: string, stack: string): SiteFile {
  const stackFile = readStackFile(stackDir, stack);
  return {
    ...stackFile,
    site: parseSiteValue(stackFile.config[SITE_KEY], stackFile.file),
    adopt: parseAdopt(stackFile.config[`${CONFIG_NAMESPACE}:adopt`], stackFile.file),
  };
}
