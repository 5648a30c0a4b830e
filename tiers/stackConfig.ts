/**
 * Reading the stack's config: under the Pulumi CLI from the engine, offline (tests, `check`) from the
 * stack file itself. Either way the site goes through `parseSite` before anything is declared.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigError, SITE_KEY, Site, parseSite } from "./config";

/** Provider config keys that must never sit in a stack file in plain text. */
export const SECRET_PROVIDER_KEYS = ["proxmoxve:apiToken", "proxmoxve:password"];

export interface StackConfig {
  site: Site;
  /** `pve-backup-tiers:adopt`: import the jobs and storages that already exist instead of creating them. */
  adopt: boolean;
}

export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** The program's entry: the current stack's config, validated. Throws a RunError (no stack trace). */
export function loadStackConfig(): StackConfig {
  const file = stackFileName(pulumi.getStack());
  try {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    for (const key of SECRET_PROVIDER_KEYS) {
      if (pulumi.runtime.getConfig(key) !== undefined && !isConfigSecret(key)) {
        throw new ConfigError(file, [
          `${key}: is stored in plain text; set it with \`pulumi config set --secret ${key}\``,
        ]);
      }
    }
    const raw = config.getObject<unknown>("site");
    if (raw === undefined) throw new ConfigError(file, [`${SITE_KEY}: missing`]);
    const adopt = config.getBoolean("adopt") ?? false;
    return { site: parseSite(raw, file), adopt };
  } catch (err) {
    if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
    throw new pulumi.RunError(`${file}: ${(err as Error).message}`);
  }
}

function isConfigSecret(key: string): boolean {
  // The SDK tracks secret keys (PULUMI_CONFIG_SECRET_KEYS) but does not export the check in its types.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
  return runtimeConfig.isConfigSecret(key);
}

/** A stack's site as the commands read it from its stack file, validated by the same `parseSite`. */
export interface SiteFile extends StackFileConfig {
  site: Site;
  adopt: boolean;
}

/**
 * The validated site of a stack, from `Pulumi.<stack>.yaml` in `projectDir`, for the commands that
 * do not run the program (doctor, status, calendar, report). Throws ConfigError naming the file.
 */
export function readSiteFile(projectDir: string, stack: string): SiteFile {
  const stackFile = readStackFile(projectDir, stack);
  const raw = stackFile.config[SITE_KEY];
  if (raw === undefined) throw new ConfigError(stackFile.file, [`${SITE_KEY}: missing`]);
  let site: unknown;
  try {
    site = JSON.parse(raw);
  } catch {
    site = raw; // a plain string: parseSite says what is wrong with it
  }
  const adopt = stackFile.config[`${CONFIG_NAMESPACE}:adopt`];
  return { ...stackFile, site: parseSite(site, stackFile.file), adopt: adopt === "true" };
}

/** A stack file's config as the engine hands it to a program: each value a string, objects as JSON. */
export interface StackFileConfig {
  file: string;
  config: Record<string, string>;
  secretKeys: string[];
}

/**
 * Reads `Pulumi.<stack>.yaml` from a project folder. Secure values cannot be decrypted offline; they
 * are passed on as their key only, flagged secret, so the program sees they are set as secrets.
 */
export function readStackFile(projectDir: string, stack: string): StackFileConfig {
  const file = stackFileName(stack);
  const full = path.join(projectDir, file);
  if (!fs.existsSync(full)) throw new ConfigError(file, [`unknown stack ${JSON.stringify(stack)}: no ${file}`]);
  let doc: unknown;
  try {
    // Loaded here, not on import: the program under Pulumi gets its config from the engine and never
    // reads a stack file, so its every start would pay for loading the YAML parser (~20 ms) for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse: parseYaml } = require("yaml") as typeof import("yaml");
    doc = parseYaml(fs.readFileSync(full, "utf8"));
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message.split("\n")[0]}`]);
  }
  const entries = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    const fullKey = key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
    if (value && typeof value === "object" && "secure" in value) {
      config[fullKey] = "[secret]";
      secretKeys.push(fullKey);
    } else {
      config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { file, config, secretKeys };
}
