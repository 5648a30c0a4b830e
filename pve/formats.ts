/**
 * Proxmox VE's own formats and limits, in one place: the program, the policy pack and the commands
 * all take them from here. Sources: the PVE API schema (pve/endpoints.json) and
 * PVE's source where the schema is silent.
 */
import { isIP } from "net";

/** Guest kinds as PVE names them in `/cluster/resources` (`type`) and in backup file names. */
export const GUEST_KINDS = ["qemu", "lxc"] as const;
export type GuestKind = (typeof GUEST_KINDS)[number];

/** vmids match `^[1-9][0-9]{2,8}$`: 100 up to 999999999. */
export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;

/** A backup job id: `^[a-z][a-z0-9_-]+$` in either case (pve-common `pve-configid`), at most 50 characters. */
export const JOB_ID_PATTERN = /^[a-z][a-z0-9_-]+$/i;
export const JOB_ID_MAX_LENGTH = 50;

/**
 * Whether two job ids name the same job: as written, case and all. PVE looks a job up by its id as
 * a hash key (pve-manager PVE/API2/Backup.pm, read_job/update_job/delete_job:
 * `$jobs_data->{ids}->{$id}`), so `Nightly` and `nightly` are two jobs.
 */
export function sameJobId(a: string, b: string): boolean {
  return a === b;
}

/** A backup job's schedule (`pve-calendar-event`) is at most 128 characters. */
export const SCHEDULE_MAX_LENGTH = 128;

/** A storage id (`pve-storage-id`). */
export const STORAGE_ID_PATTERN = /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i;

/** A DNS name as pve-common PVE/JSONSchema.pm `pve_verify_dns_name` takes it: labels joined by dots. */
const DNS_NAME_PATTERN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/**
 * An NFS storage's `server` (`pve-storage-server`): an IP address or a DNS name (pve-storage
 * PVE/Storage/Plugin.pm `verify_server`, with pve-common's `pve_verify_ip` and `pve_verify_dns_name`).
 */
export function isStorageServer(server: string): boolean {
  return isIP(server) !== 0 || DNS_NAME_PATTERN.test(server);
}

/** An NFS storage's mount `options` (`pve-storage-options`): one word, no white space (Plugin.pm `verify_options`). */
export const STORAGE_OPTIONS_PATTERN = /^\S+$/;

/**
 * An NFS `export` (`pve-storage-path`): absolute, and what follows the first `/` starts with a
 * character other than `;`, `(` or `)` (Plugin.pm `verify_path`: `m|^/[^;\(\)]+|`).
 */
export const STORAGE_PATH_PATTERN = /^\/[^;()]/;

/**
 * How two NFS storages' exports compare: PVE mounts `server:export`, and `/volume1/backups/` is the
 * folder `/volume1/backups` is; a server's name compares without case.
 */
export function nfsExportKey(server: string, exportPath: string): string {
  const path = exportPath.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  return `${server.toLowerCase()}:${path}`;
}

/** Backup modes and compressors a vzdump job accepts. */
export const BACKUP_MODES = ["snapshot", "suspend", "stop"] as const;
export const COMPRESSORS = ["0", "1", "gzip", "lzo", "zstd"] as const;
export const MAIL_NOTIFICATION = ["always", "failure"] as const;

/** What PVE assumes for a backup job option the job does not set (`/cluster/backup` defaults). */
export const JOB_DEFAULTS = {
  enabled: true,
  mode: "snapshot",
  compress: "0",
  mailnotification: "always",
} as const;

/** A PVE boolean as the API returns it: 1 or 0, "1" or "0", and true or false in newer versions. */
export function isPveTrue(value: unknown): boolean {
  return value === true || value === 1 || value === "1";
}

/**
 * Storage types PVE counts as shared whatever their `shared` flag says: every node reaches the same
 * volumes (pve-storage PVE/Storage/Plugin.pm `@SHARED_STORAGE`, applied when the config is read).
 */
export const SHARED_STORAGE_TYPES: readonly string[] = [
  "iscsi",
  "nfs",
  "cifs",
  "rbd",
  "cephfs",
  "iscsidirect",
  "zfs",
  "drbd",
  "pbs",
];

/** Storage content types (`pve-storage-content-list`); vzdump writes `backup`. */
export const CONTENT_TYPES = ["backup", "images", "import", "iso", "rootdir", "snippets", "vztmpl"] as const;
export const BACKUP_CONTENT = "backup";

/**
 * The keep-* options of `prune-backups`, in PVE's order. `keep-all` is deliberately absent from what
 * this project writes: it keeps every backup forever, which is the failure this project exists to stop.
 */
export const KEEP_OPTIONS = [
  "keep-last",
  "keep-hourly",
  "keep-daily",
  "keep-weekly",
  "keep-monthly",
  "keep-yearly",
] as const;
export type KeepOption = (typeof KEEP_OPTIONS)[number];

/**
 * The largest keep-* count written. PVE takes any integer from 0 (pve-storage PVE/Storage/Plugin.pm
 * `%prune_option`: `type => 'integer', minimum => '0'`), as decimal digits (pve-common
 * PVE/JSONSchema.pm `is_integer`: `^[+-]?\d+$`); past 2^53 - 1 JavaScript writes a number as
 * `1e+21`, which PVE refuses, or rounds it.
 */
const KEEP_MAX = Number.MAX_SAFE_INTEGER;

/** A bounded retention: how many backups each keep-* option keeps. */
export type Retention = Partial<Record<KeepOption, number>>;

/** What a `prune-backups` value says, as PVE reads it. */
export type PruneBackups = Partial<Record<KeepOption | "keep-all" | "max-protected-backups", number>>;

/**
 * Whether retention is bounded. PVE keeps everything when keep-all is set, and also when every
 * keep-* option is 0 or absent (it then falls back to keep-all=1).
 */
export function isBounded(prune: PruneBackups): boolean {
  if (prune["keep-all"]) return false;
  return KEEP_OPTIONS.some((k) => (prune[k] ?? 0) > 0);
}

/** How many backups a retention keeps at most: PVE's pruning keeps each backup for one keep-* option at most. */
export function maxBackupsKept(retention: Retention): number {
  return KEEP_OPTIONS.reduce((n, k) => n + (retention[k] ?? 0), 0);
}

/** The provider's name for each keep-* option in a storage's `backups` block (`keep-last` → `keepLast`). */
export const BACKUPS_BLOCK_KEY: Record<KeepOption, string> = {
  "keep-last": "keepLast",
  "keep-hourly": "keepHourly",
  "keep-daily": "keepDaily",
  "keep-weekly": "keepWeekly",
  "keep-monthly": "keepMonthly",
  "keep-yearly": "keepYearly",
};

/** `{"keep-last": 3}` → `{keepLast: 3}`, a storage's `backups` block for the provider. */
export function toBackupsBlock(retention: Retention): Record<string, number> {
  const block: Record<string, number> = {};
  for (const k of KEEP_OPTIONS) {
    const n = retention[k];
    if (n !== undefined) block[BACKUPS_BLOCK_KEY[k]] = n;
  }
  return block;
}

/** `{"keep-last": 3}` → `{"keep-last": "3"}`, the provider's `pruneBackups` map (values are strings). */
export function toPruneBackupsMap(retention: Retention): Record<string, string> {
  const map: Record<string, string> = {};
  for (const k of KEEP_OPTIONS) {
    const n = retention[k];
    if (n !== undefined && n > 0) map[k] = String(n);
  }
  return map;
}

/** `{"keep-last": 3, "keep-weekly": 2}` → `keep-last=3,keep-weekly=2`, as PVE prints it. */
export function formatPruneBackups(prune: PruneBackups): string {
  const keys = [...KEEP_OPTIONS, "keep-all", "max-protected-backups"] as const;
  return keys
    .filter((k) => prune[k] !== undefined)
    .map((k) => `${k}=${prune[k]}`)
    .join(",");
}

/**
 * Reads a `prune-backups` value in any of the shapes PVE and the provider use: the property string
 * `keep-last=3,keep-weekly=2`, PVE's JSON object (numbers or strings), or the provider's map of strings.
 * Returns undefined for an absent value and throws on one that is not a prune-backups value.
 */
export function parsePruneBackups(value: unknown): PruneBackups | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const entries: [string, unknown][] =
    typeof value === "string"
      ? value.split(",").map((part) => {
          const [k, v] = part.split("=");
          return [k.trim(), v?.trim()];
        })
      : typeof value === "object" && !Array.isArray(value)
        ? Object.entries(value as Record<string, unknown>)
        : [["", value]];
  const prune: PruneBackups = {};
  for (const [key, raw] of entries) {
    const known = [...KEEP_OPTIONS, "keep-all", "max-protected-backups"] as string[];
    if (!known.includes(key)) throw new Error(`unknown prune-backups option ${JSON.stringify(key)}`);
    // PVE reads a count as decimal digits (PVE/JSONSchema.pm `is_integer`), from 0 (`%prune_option`):
    // `1e21`, `0x10` and ` 3` are not counts to it, and JavaScript cannot hold one past KEEP_MAX exactly.
    const digits = typeof raw === "string" ? /^\+?\d+$/.test(raw) : typeof raw === "number" || typeof raw === "boolean";
    const n = Number(raw);
    if (!digits || !Number.isInteger(n) || n < 0 || n > KEEP_MAX) {
      throw new Error(
        `prune-backups ${key} must be a whole number from 0 to ${KEEP_MAX}, as PVE reads one, not ${JSON.stringify(raw)}`,
      );
    }
    prune[key as keyof PruneBackups] = n;
  }
  return prune;
}

/**
 * `backup,iso` → `["backup", "iso"]`: a PVE list (content types, nodes, vmids, mail recipients) as
 * pve-common's `split_list` reads it, items separated by commas, semicolons, white space or NULs. A
 * list that is already an array has its items trimmed; absent is empty.
 */
export function parseList(value: string | number | readonly string[] | undefined | null): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value : String(value).split(/[,;\s\0]+/);
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * A job's `notes-template`: PVE writes it, variables filled in, as the notes of each backup. PVE
 * (pve-manager `PVE/VZDump.pm`, `verify_notes_template`) checks it when a job is created or changed
 * and again at every run: at most 1024 characters, one line, backslash escapes only `\n` and `\\`,
 * variables only `{{cluster}}`, `{{guestname}}`, `{{node}}` and `{{vmid}}`.
 */
export const NOTES_TEMPLATE_MAX_LENGTH = 1024;
export const NOTES_TEMPLATE_VARIABLES = ["cluster", "guestname", "node", "vmid"] as const;
export type NotesTemplateVariable = (typeof NOTES_TEMPLATE_VARIABLES)[number];

/**
 * Why PVE would reject a notes-template, one reason an entry; empty when it accepts it. Stricter than
 * PVE in one way: PVE passes a `{{` that opens no `{{name}}` through as text, but it may add variables
 * (its documentation says so), so any `{{` that does not open one of its variables is refused here.
 */
export function notesTemplateProblems(template: string): string[] {
  const problems: string[] = [];
  const length = [...template].length; // PVE counts characters, not UTF-16 units
  if (length > NOTES_TEMPLATE_MAX_LENGTH) {
    problems.push(`it would be ${length} characters long; PVE allows at most ${NOTES_TEMPLATE_MAX_LENGTH}`);
  }
  if (/[\r\n]/.test(template)) problems.push("it would contain a line break; PVE takes one line");
  const escapes = new Set<string>();
  for (const m of template.matchAll(/\\([^\r\n])/g)) if (m[1] !== "n" && m[1] !== "\\") escapes.add(`\\${m[1]}`);
  if (escapes.size > 0) {
    problems.push(`backslash escape ${[...escapes].map((e) => `'${e}'`).join(", ")}: PVE knows only \\n and \\\\`);
  }
  const variable = new RegExp(`^\\{\\{(${NOTES_TEMPLATE_VARIABLES.join("|")})\\}\\}`);
  for (let at = template.indexOf("{{"); at >= 0; at = template.indexOf("{{", at + 2)) {
    const match = variable.exec(template.slice(at));
    if (!match) {
      problems.push(
        `'{{' that opens none of PVE's variables (${NOTES_TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")})`,
      );
      break;
    }
    at += match[0].length - 2;
  }
  return problems;
}

/**
 * PVE's own verdict on a `notes-template`, in its own words (VZDump.pm `$verify_notes_template`, on
 * create, update and again at run time): a line feed, escapes other than `\n` and `\\`, unknown
 * `{{variables}}`. Returns PVE's message, or undefined when PVE accepts the template. The PVE API
 * double answers with it; the site's validation uses the stricter `notesTemplateProblems` above.
 */
export function notesTemplateProblem(template: string): string | undefined {
  if (template.includes("\n")) return "contains a line feed";
  const problems: string[] = [];
  for (const m of template.matchAll(/\\(.)/g)) {
    if (!/^[n\\]$/.test(m[1])) problems.push(`escape sequence '\\${m[1]}' at char ${m.index}`);
  }
  for (const m of template.matchAll(/\{\{([^\s{}]+)\}\}/g)) {
    if (!(NOTES_TEMPLATE_VARIABLES as readonly string[]).includes(m[1])) {
      problems.push(`variable '${m[1]}' at char ${m.index! + 2}`);
    }
  }
  return problems.length > 0 ? `found unknown: ${problems.join(", ")}` : undefined;
}

/**
 * One mail recipient of a job (`mailto`, format `email-or-username-list`): an email address or a
 * user name, exactly as pve-common checks them (`PVE::JSONSchema::pve_verify_email_or_username`
 * with `$PVE::ParseUtils::EMAIL_RE` / `EMAIL_USER_RE`), one recipient an entry (PVE splits the list
 * at commas, semicolons and spaces). Perl's `\w` is read as ASCII here.
 */
export const EMAIL_OR_USERNAME_PATTERN = /^[\w+~-]+(?:\.[\w+~-]+)*(?:@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)?$/;

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

/** A vmid as PVE's `pve-vmid` format takes it (no leading zero, 3 to 9 digits). */
export const VMID_PATTERN = /^[1-9][0-9]{2,8}$/;

/** A node name (`pve-node`): a host name label. */
export const NODE_NAME_PATTERN = /^(?=.{1,63}$)[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/**
 * The `notification-mode`s (of a job, or a node's default) under which PVE honours a job's `mailto`;
 * under the third, `notification-system`, its notification matchers and targets decide instead.
 */
export const MAIL_HONOURING_MODES: readonly string[] = ["auto", "legacy-sendmail"];

/**
 * A vzdump archive name, `vzdump-{qemu|lxc}-<vmid>-YYYY_MM_DD-HH_MM_SS.{vma|tar}[.{zst|gz|lzo}]`
 * (Storage.pm `archive_info`); the time is the node's local wall clock.
 */
const VZDUMP_FILE_NAME =
  /^vzdump-(qemu|lxc|openvz)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)$/;

/** A backup volume's file name: `synology-backups:backup/vzdump-...vma.zst` → `vzdump-...vma.zst`. */
export function backupFileName(volid: string): string {
  return volid.slice(volid.indexOf(":") + 1).replace(/^backup\//, "");
}

/** A vzdump archive name read as PVE reads it, or undefined when it is not one. */
export function parseVzdumpFileName(name: string):
  | {
      kind: string;
      vmid: number;
      wall: { year: number; month: number; day: number; hour: number; minute: number; second: number };
      format: string;
    }
  | undefined {
  const m = VZDUMP_FILE_NAME.exec(name);
  if (!m) return undefined;
  return {
    kind: m[1],
    vmid: Number(m[2]),
    wall: { year: +m[3], month: +m[4], day: +m[5], hour: +m[6], minute: +m[7], second: +m[8] },
    format: m[9],
  };
}

// ---------------------------------------------------------------------------------------------
// vzdump's task log: what a backup run writes, a line each, as `GET /nodes/{node}/tasks/{upid}/log`
// returns it (pve-manager PVE/VZDump.pm `exec_backup` and `exec_backup_task`, pve-guest-common
// PVE/VZDump/Common.pm `command_line` and Plugin.pm `debugmsg`: `INFO: ` or `ERROR: ` before each).

/**
 * A scheduled run in a node's task list: pvescheduler starts each job's run as root@pam, a task of
 * type `vzdump` on each node the job has guests on (pve-manager PVE/API2/VZDump.pm `fork_worker`).
 */
export const SCHEDULED_RUN_TASK = { type: "vzdump", user: "root@pam" } as const;

/** A vzdump task's id: the vmid when the run backs up exactly one guest of its node, else empty (API2/VZDump.pm). */
export function vzdumpTaskId(localVmids: readonly number[]): string {
  return localVmids.length === 1 ? String(localVmids[0]) : "";
}

/** The first line of every run: `INFO: starting new backup job: vzdump 100 102 --storage nas ...`. */
export const VZDUMP_JOB_START = "INFO: starting new backup job: ";

/** The options `command_line` leaves out of that line (a job's id among them: the log never names its job). */
const COMMAND_LINE_SKIPPED = new Set(["id", "vmid", "starttime", "dow", "stdout", "enabled", "job-id"]);

/** String::ShellQuote's `shell_quote`, which PVE applies to each option value of the line (and to each word of a command it reports failed). */
export function shellQuote(value: string): string {
  if (value === "") return "''";
  if (!/[^\w!%+,\-./:@^]/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`.replace(/^''/, "").replace(/''$/, "");
}

/**
 * The command line a run logs for its parameters (`command_line`): `vzdump`, the vmids, then
 * ` --key value` per parameter in the order given (Perl's hash order on PVE: any order), mailto
 * joined by commas, `exclude-path` repeated. A scheduled run's parameters are its job's plus
 * `quiet 1` (PVE/Jobs/VZDump.pm), and `job-id`, which the line leaves out.
 */
export function vzdumpCommandLine(params: Record<string, string | number | string[] | undefined>): string {
  let line = "vzdump";
  if (params.vmid !== undefined) line += ` ${parseList(String(params.vmid)).join(" ")}`;
  for (const [key, value] of Object.entries(params)) {
    if (COMMAND_LINE_SKIPPED.has(key) || value === undefined) continue;
    if (key === "exclude-path") {
      for (const p of Array.isArray(value) ? value : [String(value)]) line += ` --${key} ${shellQuote(p)}`;
      continue;
    }
    const text = key === "mailto" ? parseList(value as string | string[]).join(",") : String(value);
    if (text !== "") line += ` --${key} ${shellQuote(text)}`;
  }
  return line;
}

/** POSIX shell words: single quotes, double quotes and backslashes, as Text::ParseWords reads them. */
function shellWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? "") + text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let part = "";
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === "\\" && j + 1 < text.length && '"\\$`'.includes(text[j + 1])) j++;
        part += text[j];
      }
      if (j >= text.length) return undefined;
      word = (word ?? "") + part;
      i = j;
    } else if (c === "\\" && i + 1 < text.length) {
      word = (word ?? "") + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** A run's first line read back: the vmids it names and each `--key`'s values, in order. */
export interface VzdumpJobStart {
  vmids: number[];
  options: Map<string, string[]>;
}

/** Reads a run's first line (`VZDUMP_JOB_START`...); undefined when the line is not one. */
export function parseVzdumpJobStart(line: string): VzdumpJobStart | undefined {
  if (!line.startsWith(VZDUMP_JOB_START)) return undefined;
  const words = shellWords(line.slice(VZDUMP_JOB_START.length));
  if (!words || words[0] !== "vzdump") return undefined;
  const vmids: number[] = [];
  const options = new Map<string, string[]>();
  let i = 1;
  for (; i < words.length && !words[i].startsWith("--"); i++) {
    if (!VMID_PATTERN.test(words[i])) return undefined;
    vmids.push(Number(words[i]));
  }
  for (; i < words.length; i += 2) {
    if (!words[i].startsWith("--") || i + 1 >= words.length) return undefined;
    const key = words[i].slice(2);
    options.set(key, [...(options.get(key) ?? []), words[i + 1]]);
  }
  return { vmids, options };
}

/** A wall-clock time as vzdump logs it (`%F %H:%M:%S`, the node's local time). */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** What one run's log says of one guest. */
export interface VzdumpGuestLog {
  vmid: number;
  /** `running`: started, and neither finished nor failed (yet). */
  result: "ok" | "failed" | "running";
  /** For `failed`: vzdump's reason, after `failed - `. */
  reason?: string;
  /** For `ok`: the time vzdump reports in `Finished Backup of VM <vmid> (HH:MM:SS)`. */
  seconds?: number;
  /** `Backup started at ...` and `Failed at ...` / `Backup finished at ...`, when logged. */
  started?: WallTime;
  ended?: WallTime;
}

const LOG_STARTING = /^INFO: Starting Backup of VM (\d+) \((?:qemu|lxc|openvz)\)$/;
const LOG_FINISHED = /^INFO: Finished Backup of VM (\d+) \((\d+):(\d{2}):(\d{2})\)$/;
const LOG_FAILED = /^ERROR: Backup of VM (\d+) failed - (.*)$/;
const LOG_STARTED_AT = /^INFO: Backup started at (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const LOG_ENDED_AT = /^INFO: (?:Failed|Backup finished) at (\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
/** How a run ends when some of its guests failed (`die "job errors\n"`): not an error of the run as a whole. */
export const VZDUMP_GUEST_ERRORS = "job errors";
/** A run that failed as a whole (e.g. its storage could not be activated), before or between guests. */
const LOG_JOB_FAILED = /^(?:ERROR: Backup job failed - |TASK ERROR: )(.*)$/;
/**
 * Before its job line a run logs only what `PVE::VZDump->new` and `getlock` say (pve-manager
 * PVE/VZDump.pm, `debugmsg`): the hook's output, the lock wait, and the error that ends it when the
 * lock times out (`LOG_LOCK_FAILED`'s, with no `TASK` line after it), or its `TASK ERROR`.
 */
const LOG_EARLY_ERROR = /^ERROR: (.*)$/;
/** A storage an early error names: `could not activate storage 'X': ...` (PVE/VZDump.pm `new`). */
const STORAGE_NAMED = /storage '([^']+)'/;

/**
 * What a run writes when the node's global vzdump lock is taken (another backup runs there):
 * pve-manager PVE/VZDump.pm `getlock` logs the wait, then either the lock or why it got none. A
 * run that gets no lock ends at once (`exit(-1)` in PVE/API2/VZDump.pm `vzdump`'s worker), so no
 * `TASK ...` line follows and PVE reports the task's status as `TASK_UNEXPECTED_STATUS`.
 */
export const VZDUMP_LOCK_FILE = "/var/run/vzdump.lock";
export const VZDUMP_LOCK_WAITING = "INFO: trying to get global lock - waiting...";
export const VZDUMP_LOCK_ACQUIRED = "INFO: got global lock";
// The failure is `ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout` (or `(wait = 0)` for
// `lockwait 0`): an error before the job line, which `readVzdumpLog` takes as the run's.
/** How long a run waits for that lock unless its job sets `lockwait` (minutes; pve-guest-common PVE/VZDump/Common.pm). */
export const VZDUMP_LOCKWAIT_DEFAULT_MINUTES = 180;

/**
 * A task's status when its log's last line is no `TASK OK`, `TASK ERROR: ...` or `TASK WARNINGS: n`
 * (pve-common PVE/UPID.pm `read_status`).
 */
export const TASK_UNEXPECTED_STATUS = "unexpected status";
/** A task still running, as `GET /nodes/{node}/tasks` lists it (pve-manager PVE/API2/Tasks.pm `node_tasks`). */
export const TASK_RUNNING_STATUS = "RUNNING";

function wallOf(m: RegExpExecArray): WallTime {
  return { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: +m[6] };
}

/** What one run's log says: each guest it names, and of the run as a whole. */
export interface VzdumpRunLog {
  guests: Map<number, VzdumpGuestLog>;
  /** The run's own error, when it failed as a whole (before its job line, or between guests). */
  jobError?: string;
  /** It logged its job line (`VZDUMP_JOB_START`): it got past `new` and the lock. */
  jobStarted: boolean;
  /** It waits, or waited, for the global lock (`VZDUMP_LOCK_WAITING`) and has not logged getting it. */
  waitingForLock: boolean;
  /** The storage its error before the job line names, e.g. the one it could not activate. */
  storageNamed?: string;
}

/** Each guest a run's log names, with what it says of it, and what it says of the run as a whole. */
export function readVzdumpLog(log: readonly string[]): VzdumpRunLog {
  const guests = new Map<number, VzdumpGuestLog>();
  let current: VzdumpGuestLog | undefined;
  let jobError: string | undefined;
  let jobStarted = false;
  let waitingForLock = false;
  let storageNamed: string | undefined;
  for (const line of log) {
    let m: RegExpExecArray | null;
    if (!jobStarted) {
      if (line.startsWith(VZDUMP_JOB_START)) jobStarted = true;
      else if (line === VZDUMP_LOCK_WAITING) waitingForLock = true;
      else if (line === VZDUMP_LOCK_ACQUIRED) waitingForLock = false;
      else if ((m = LOG_EARLY_ERROR.exec(line) ?? LOG_JOB_FAILED.exec(line))) {
        jobError ??= m[1].trim();
        storageNamed ??= STORAGE_NAMED.exec(m[1])?.[1];
      }
      continue;
    }
    if ((m = LOG_STARTING.exec(line))) {
      current = { vmid: Number(m[1]), result: "running" };
      guests.set(current.vmid, current);
    } else if ((m = LOG_STARTED_AT.exec(line)) && current) {
      current.started = wallOf(m);
    } else if ((m = LOG_FINISHED.exec(line))) {
      const entry = guests.get(Number(m[1])) ?? { vmid: Number(m[1]), result: "running" };
      entry.result = "ok";
      entry.seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
      guests.set(entry.vmid, entry);
      current = entry;
    } else if ((m = LOG_FAILED.exec(line))) {
      // "unable to find VM" fails a guest before its Starting line
      const entry = guests.get(Number(m[1])) ?? { vmid: Number(m[1]), result: "running" };
      entry.result = "failed";
      entry.reason = m[2].trim();
      guests.set(entry.vmid, entry);
      current = entry;
    } else if ((m = LOG_ENDED_AT.exec(line)) && current) {
      current.ended = wallOf(m);
    } else if ((m = LOG_JOB_FAILED.exec(line)) && m[1].trim() !== VZDUMP_GUEST_ERRORS) {
      jobError ??= m[1].trim();
    }
  }
  return { guests, jobError, jobStarted, waitingForLock, storageNamed };
}
