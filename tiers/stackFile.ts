/**
 * A stack file (`Pulumi.<stack>.yaml`) read as the engine reads it, without the Pulumi CLI: its config
 * as the engine hands it to a program (each value a string), secure values kept out, bounded in size,
 * and a secret in plain text where it belongs encrypted refused. Used offline (tests, `check`) and by
 * the commands (stackConfig.ts `readSiteFile`).
 */
import * as fs from "fs";
import * as path from "path";
import { CONFIG_NAMESPACE, SITE_KEY } from "./config";
import { ConfigError } from "./siteRules";
import { REDACTED, isSecretKeyName, plainSecretIn } from "../pve/secrets";

/**
 * The provider settings the provider itself treats as secret (`secret: true` in the
 * @muhlba91/pulumi-proxmoxve schema, `Sensitive` in bpg's provider), as config key paths: these must
 * never sit in a stack file in plain text. `proxmoxve:ssh` is an object; its secrets are nested.
 */
export const SECRET_PROVIDER_KEYS = [
  "proxmoxve:apiToken",
  "proxmoxve:authTicket",
  "proxmoxve:csrfPreventionToken",
  "proxmoxve:password",
  "proxmoxve:ssh.password",
  "proxmoxve:ssh.privateKey",
  "proxmoxve:ssh.socks5Password",
] as const;

/**
 * The secret provider settings (`SECRET_PROVIDER_KEYS`) a stack's config holds in plain text, as
 * problems naming each key path (never its value). `valueOf(key)` is the key's value, objects
 * parsed; `isSecret(key, value)` says whether a setting (the key's value, or the nested one) is
 * stored encrypted.
 */
export function plainTextSecrets(
  valueOf: (key: string) => unknown,
  isSecret: (key: string, value: unknown) => boolean,
): string[] {
  const problems: string[] = [];
  for (const keyPath of SECRET_PROVIDER_KEYS) {
    const [key, nested] = keyPath.split(".");
    const top = valueOf(key);
    const value =
      nested === undefined
        ? top
        : top !== null && typeof top === "object"
          ? (top as Record<string, unknown>)[nested]
          : undefined;
    if (value === undefined || value === null || value === "" || isSecret(key, value)) continue;
    const command = nested === undefined ? `--secret ${key}` : `--secret --path '${keyPath}'`;
    problems.push(`${keyPath}: is stored in plain text; set it with \`pulumi config set ${command}\``);
  }
  return problems;
}

/** A stack's stack file, by name. */
export function stackFileName(stack: string): string {
  return `Pulumi.${stack}.yaml`;
}

/** A stack that has no stack file. */
export class UnknownStackError extends Error {
  constructor(
    readonly stack: string,
    readonly known: string[],
  ) {
    super(
      `stack '${stack}' does not exist: no ${stackFileName(stack)}` +
        (known.length > 0 ? ` (stacks: ${known.join(", ")})` : ""),
    );
    this.name = "UnknownStackError";
  }
}

/** The stacks whose stack files are in `dir`, by name. */
function listStacks(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => /^Pulumi\.(.+)\.yaml$/.exec(n)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** A stack file's config as the engine hands it to a program: each value a string, objects as JSON. */
export interface StackFileConfig {
  file: string;
  config: Record<string, string>;
  /** Keys holding a secure value, at the top or nested (the engine counts both as secret keys). */
  secretKeys: string[];
}

/** The largest stack file read: a site of hundreds of tiers takes a few hundred kilobytes. */
const MAX_STACK_FILE_BYTES = 4 * 1024 * 1024;

/** A ciphertext as `pulumi config set --secret` writes it (`v1:<nonce>:<ciphertext>`, base64). */
const CIPHERTEXT_PATTERN = /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/;

/** `{secure: v1:...}`: a value `pulumi config set --secret` stored encrypted. */
function isSecure(value: unknown): boolean {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value;
}

/** The value with each secure value, at any depth, as `[secret]`: they cannot be decrypted offline. */
function withoutSecureValues(value: unknown): { value: unknown; secret: boolean } {
  if (isSecure(value)) return { value: REDACTED, secret: true };
  if (value === null || typeof value !== "object") return { value, secret: false };
  let secret = false;
  const strip = (v: unknown) => {
    const inner = withoutSecureValues(v);
    secret ||= inner.secret;
    return inner.value;
  };
  const stripped = Array.isArray(value)
    ? value.map(strip)
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strip(v)]));
  return { value: stripped, secret };
}

/**
 * The text of `Pulumi.<stack>.yaml` in `stackDir`, as UTF-8. Each way it cannot be read is its own
 * one-line error: no such stack (UnknownStackError), a folder that is not one, a dangling link, a file
 * that is not regular (a FIFO would hang the read), unreadable, too large, or not UTF-8 text.
 */
function readStackFileText(stackDir: string, stack: string): string {
  const file = stackFileName(stack);
  const full = path.join(stackDir, file);
  let dirStat: fs.Stats | undefined;
  try {
    dirStat = fs.statSync(stackDir);
  } catch {
    dirStat = undefined;
  }
  if (dirStat && !dirStat.isDirectory()) {
    throw new ConfigError(stackDir, [`not a folder: the stack files' folder must be one (it holds ${file})`]);
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let link: string | undefined;
    try {
      link = fs.lstatSync(full).isSymbolicLink() ? fs.readlinkSync(full) : undefined;
    } catch {
      link = undefined;
    }
    if (link !== undefined && code === "ENOENT")
      throw new ConfigError(file, [`a symbolic link to ${link}, which does not exist`]);
    if (code === "ENOENT" || code === "ENOTDIR") throw new UnknownStackError(stack, listStacks(stackDir));
    throw new ConfigError(file, [`cannot read (${code})`]);
  }
  if (!stat.isFile()) throw new ConfigError(file, ["not a regular file"]);
  if (stat.size > MAX_STACK_FILE_BYTES) {
    throw new ConfigError(file, [`too large (${stat.size} bytes; a stack file is at most ${MAX_STACK_FILE_BYTES})`]);
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(full);
  } catch (err) {
    throw new ConfigError(file, [`cannot read (${(err as NodeJS.ErrnoException).code})`]);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff) || bytes.includes(0)) {
    throw new ConfigError(file, ["not UTF-8 text (UTF-16, or binary): save it as UTF-8, as Pulumi writes it"]);
  }
  const text = bytes.toString("utf8");
  if (text.includes("\uFFFD") && !bytes.includes(Buffer.from("\uFFFD"))) {
    throw new ConfigError(file, ["not UTF-8 text: save it as UTF-8, as Pulumi writes it"]);
  }
  return text;
}

/**
 * Secrets a stack's config holds where no secret belongs: plain token- or key-shaped text under any
 * key (`{secure: ...}` values aside), a `{secure: ...}` that holds plain text rather than Pulumi's
 * ciphertext, and a secret-named key in this project's namespace (`pve-backup-tiers:apiToken`: the
 * provider reads only `proxmoxve:apiToken`, so the token would sit there unused, in plain text).
 */
function misplacedSecrets(key: string, value: unknown): string[] {
  const problems: string[] = [];
  const [namespace, name] = key.split(":", 2);
  if (namespace === CONFIG_NAMESPACE && isSecretKeyName(name)) {
    problems.push(
      `${key}: this project has no such setting; the provider's token is proxmoxve:apiToken, set with \`pulumi config set --secret proxmoxve:apiToken\``,
    );
  }
  const walk = (v: unknown, at: string): void => {
    if (isSecure(v)) {
      const inner = (v as { secure: unknown }).secure;
      if (typeof inner !== "string" || !CIPHERTEXT_PATTERN.test(inner)) {
        problems.push(
          `${at}: a secure value that is not Pulumi's ciphertext (plain text under secure:); set it with \`pulumi config set --secret\``,
        );
      }
      return;
    }
    if (typeof v === "string") {
      const kind = plainSecretIn(v);
      if (kind) {
        const fix =
          kind === "a URL with a password"
            ? "remove the password (the commands and the provider sign in with the API token)"
            : "set it with `pulumi config set --secret`";
        problems.push(`${at}: holds a secret in plain text (${kind}); ${fix}`);
      }
    } else if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${at}[${i}]`));
    else if (v !== null && typeof v === "object") for (const [k, inner] of Object.entries(v)) walk(inner, `${at}.${k}`);
  };
  walk(value, key);
  return problems;
}

/**
 * Reads `Pulumi.<stack>.yaml` from `stackDir`. Secure values cannot be decrypted offline; they are
 * passed on as `[secret]`, their keys flagged secret, so the program sees they are set as secrets.
 * A provider secret in plain text is refused here already (ConfigError), also one nested in an
 * object that holds other, encrypted values, which the engine would pass on as one secret key.
 */
export function readStackFile(stackDir: string, stack: string): StackFileConfig {
  const file = stackFileName(stack);
  const text = readStackFileText(stackDir, stack);
  let doc: unknown;
  try {
    // Loaded here, not on import: the program under Pulumi gets its config from the engine and never
    // reads a stack file, so its every start would pay for loading the YAML parser (~20 ms) for nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { parse: parseYaml } = require("yaml") as typeof import("yaml");
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [`not valid YAML: ${(err as Error).message.split("\n")[0]}`]);
  }
  const entries = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
  const fullKey = (key: string) => (key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`);
  const raw = new Map(Object.entries(entries).map(([k, v]) => [fullKey(k), v]));

  const plain = plainTextSecrets(
    (key) => raw.get(key),
    (_key, value) => isSecure(value),
  );
  // The site's own validation (parseSite) names a secret in the site by its key path; a provider
  // secret already refused above is not said twice.
  const refused = new Set(plain.map((p) => p.slice(0, p.indexOf(": "))));
  for (const [key, value] of raw) {
    if (key === SITE_KEY) continue;
    plain.push(...misplacedSecrets(key, value).filter((p) => !refused.has(p.slice(0, p.indexOf(": ")))));
  }
  if (plain.length > 0) throw new ConfigError(file, plain);

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of raw) {
    const { value: stripped, secret } = withoutSecureValues(value);
    config[key] = typeof stripped === "string" ? stripped : JSON.stringify(stripped);
    if (secret) secretKeys.push(key);
  }
  return { file, config, secretKeys };
}
