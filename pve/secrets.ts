/**
 * Secrets out of every output: the redaction every message, error and log line goes through (API
 * tokens, private keys, URL passwords, and the literal secrets this process knows).
 */

/**
 * A PVE API token as the provider and `PROXMOX_VE_API_TOKEN` take it: `user@realm!tokenid=secret`
 * (the secret is a UUID). Anything of this shape in a message is a credential.
 */
const API_TOKEN_PATTERN = /[^\s@'"`=!,;]+@[A-Za-z][A-Za-z0-9.\-_]*![A-Za-z][A-Za-z0-9.\-_]*=[^\s'"`,;]+/g;

/** A PEM private key (the provider's `ssh.privateKey`), from its first line to its last. */
const PRIVATE_KEY_PATTERN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** What any output, error or log shows in place of a secret. */
export const REDACTED = "[secret]";

/** The password of a URL's user part (`https://root:pw@pve:8006/`): `$1` keeps the scheme and user. */
const URL_PASSWORD_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@'"`]*):[^\s/@'"`]*@/gi;

/**
 * The literal secrets this process knows (the secret of `PROXMOX_VE_API_TOKEN`, the password of an
 * endpoint URL): redacted wherever they appear, whatever their shape (a server that echoes one back).
 */
const literalSecrets = new Set<string>();

/**
 * Below this length a literal is not redacted as such: replacing every `a` of an output would make it
 * unreadable, and PVE's token secrets are UUIDs (36 characters).
 */
const MIN_LITERAL_SECRET_LENGTH = 6;

/** Adds a value (an API token's secret, a password) to what `redactSecrets` removes from any text. */
export function addLiteralSecret(value: string | undefined): void {
  const trimmed = value?.trim();
  if (trimmed && trimmed.length >= MIN_LITERAL_SECRET_LENGTH) literalSecrets.add(trimmed);
}

/** `user@realm!id=secret` → `secret`; undefined for a value of another shape. */
export function apiTokenSecret(token: string | undefined): string | undefined {
  const at = token?.indexOf("=") ?? -1;
  return token !== undefined && at >= 0 ? token.slice(at + 1) : undefined;
}

/** The token the commands and the provider read (`PROXMOX_VE_API_TOKEN`): its secret is a literal secret. */
function readEnvironmentSecrets(): void {
  const token = process.env.PROXMOX_VE_API_TOKEN;
  addLiteralSecret(token);
  addLiteralSecret(apiTokenSecret(token));
}

/**
 * Text with every secret replaced by `[secret]`: token- or key-shaped values, the password of a URL,
 * and the literal secrets this process knows (`addLiteralSecret`, `PROXMOX_VE_API_TOKEN`). What any
 * output, error or log may show.
 */
export function redactSecrets(text: string): string {
  readEnvironmentSecrets();
  let out = text
    .replace(API_TOKEN_PATTERN, REDACTED)
    .replace(PRIVATE_KEY_PATTERN, REDACTED)
    .replace(URL_PASSWORD_PATTERN, `$1:${REDACTED}@`);
  for (const secret of literalSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** What kind of secret a text holds in plain text (an API token, a private key), or undefined. */
export function plainSecretIn(text: string): string | undefined {
  if (new RegExp(API_TOKEN_PATTERN.source).test(text)) return "an API token";
  if (new RegExp(PRIVATE_KEY_PATTERN.source).test(text)) return "a private key";
  if (new RegExp(URL_PASSWORD_PATTERN.source, "i").test(text)) return "a URL with a password";
  return undefined;
}

/**
 * Whether a config key's value is a credential, wherever the key appears: the provider's secret
 * settings (`apiToken`, `password`, `authTicket`, `csrfPreventionToken`, `ssh.privateKey`,
 * `ssh.socks5Password`) and their likes in any spelling (`api_token`, `api-token`, `secret`).
 */
export function isSecretKeyName(key: string): boolean {
  return /token|passw(?:or)?d|secret|ticket|privatekey|credential/i.test(key.replace(/[-_\s]/g, ""));
}

/**
 * A value as a message may show it: anything under a secret key (`isSecretKeyName`) and any
 * token-shaped text anywhere inside it become `[secret]`. `key` is the key the value sits under.
 */
export function redactValue(value: unknown, key?: string): unknown {
  if (key !== undefined && isSecretKeyName(key) && value !== undefined && value !== null && value !== "") {
    return REDACTED;
  }
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) return value.map((v) => redactValue(v));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redactSecrets(k), redactValue(v, k)]));
  }
  return value;
}
