/**
 * The site config: what a stack file (`Pulumi.<stack>.yaml`) says under `pve-backup-tiers:site`,
 * validated before any resource is declared. One schema, used by the program, the policy pack's
 * tests and the commands; the rules across its fields, and `parseSite`: siteRules.ts.
 */
// A namespace import, as zod advises: the program's bundle (start/build.ts) then keeps only the parts
// the schema uses, where `import { z }` would pull in every one of zod's 64 locales.
import * as z from "zod";
import { PROJECT_NAME } from "./names";
import {
  BACKUP_CONTENT,
  CONTENT_TYPES,
  STORAGE_OPTIONS_PATTERN,
  STORAGE_PATH_PATTERN,
  isStorageServer,
} from "../pve/storage";
import { BACKUP_MODES, COMPRESSORS, MAIL_NOTIFICATION } from "../pve/job";
import {
  EMAIL_OR_USERNAME_PATTERN,
  GUEST_KINDS,
  JOB_ID_MAX_LENGTH,
  JOB_ID_PATTERN,
  NODE_NAME_PATTERN,
  SCHEDULE_MAX_LENGTH,
  STORAGE_ID_PATTERN,
  VMID_MAX,
  VMID_MIN,
} from "../pve/ids";
import { KEEP_OPTIONS, Retention } from "../pve/retention";

/** The Pulumi config namespace of this project (the `name` in Pulumi.yaml). */
export const CONFIG_NAMESPACE = PROJECT_NAME;
/** The key under which a stack file holds the site. */
export const SITE_KEY = `${CONFIG_NAMESPACE}:site`;

/** A duration in the site config: days, hours and minutes, largest first (`2h`, `90m`, `1h30m`, `1d`). */
const DURATION_PATTERN = /^(?=\d)(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;

/** `1h30m` → 5400 (seconds). Throws on text that is not a duration (validate with DURATION_PATTERN first). */
export function parseDuration(text: string): number {
  const m = DURATION_PATTERN.exec(text);
  if (!m) throw new Error(`not a duration: ${JSON.stringify(text)}`);
  return (Number(m[1] ?? 0) * 24 * 60 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)) * 60;
}

/**
 * The longest `grace`: a year. A run that may take longer than the longest cycle a schedule has (a
 * year) never counts as due, and larger values overflow the time arithmetic of `npm run status`.
 */
const MAX_GRACE_SECONDS = 366 * 24 * 60 * 60;

/** How long a run may take when its tier does not say (`grace`): PVE gives a run no end in advance. */
const DEFAULT_GRACE = "2h";

/** A tier's grace in seconds: its own `grace`, or DEFAULT_GRACE. */
export function graceSeconds(tier: Pick<Tier, "grace">): number {
  return parseDuration(tier.grace ?? DEFAULT_GRACE);
}

/** `grace` and `drill`: days, hours and minutes, more than none and at most a year. */
const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, "is not a duration such as 2h, 90m, 1h30m or 1d (days d, hours h, minutes m)")
  .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) > 0, "must be longer than 0 minutes")
  .refine(
    (v) => !DURATION_PATTERN.test(v) || parseDuration(v) <= MAX_GRACE_SECONDS,
    `must be at most ${MAX_GRACE_SECONDS / 86400}d (a year)`,
  );

const storageId = z.string().regex(STORAGE_ID_PATTERN, "is not a PVE storage id");
/** A node name (`pve-node`, pve-common PVE/JSONSchema.pm `pve_verify_node_name`). */
const nodeName = z.string().regex(NODE_NAME_PATTERN, "is not a PVE node name (letters, digits and -)");

/**
 * keep-* counts. keep-all is accepted by the schema only so that validation can say why it is
 * refused (PVE then keeps every backup forever), instead of a bare "unknown key".
 */
const retentionSchema = z
  .object({
    // zod's int() stops at KEEP_MAX (Number.MAX_SAFE_INTEGER) already.
    ...Object.fromEntries(KEEP_OPTIONS.map((k) => [k, z.number().int().min(0).optional()])),
    "keep-all": z.union([z.boolean(), z.number()]).optional(),
  })
  .strict();

const guestSchema = z
  .object({
    vmid: z.number().int().min(VMID_MIN).max(VMID_MAX),
    kind: z.enum(GUEST_KINDS),
    name: z.string().min(1),
  })
  .strict();

const notificationSchema = z
  .object({
    mailto: z
      .array(
        z
          .string()
          .regex(
            EMAIL_OR_USERNAME_PATTERN,
            "is not an email address or user name as PVE takes them (one an entry, e.g. admin@example.com or root)",
          ),
      )
      .default([]),
    when: z.enum(MAIL_NOTIFICATION).default("always"),
  })
  .strict();

const tierSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "must be letters, digits, - or _"),
    description: z.string().min(1),
    /** 0 is the most important tier. */
    priority: z.number().int().min(0),
    /** Critical tiers must send mail (policy critical-tiers-notify). */
    critical: z.boolean().default(false),
    job: z
      .string()
      .max(JOB_ID_MAX_LENGTH, `must be at most ${JOB_ID_MAX_LENGTH} characters`)
      .regex(JOB_ID_PATTERN, "must match PVE's ^[a-z][a-z0-9_-]+$"),
    schedule: z
      .string()
      .min(1)
      .max(SCHEDULE_MAX_LENGTH, `is longer than PVE's ${SCHEDULE_MAX_LENGTH} characters for a schedule`),
    /**
     * The tier means to run hourly or more often. Without it such a schedule (`*:*:*`, `minutely`,
     * `mon..fri 22`, which is minute 22 of every hour) is most likely a mistake; exported with the
     * tier (TierSummary) so the policy pack can tell the two apart.
     */
    frequent: z.boolean().default(false),
    /**
     * How long a run may take (`npm run status`): once this much time has passed since a scheduled
     * run's start, that run counts as due even while PVE's task history shows it still going.
     * Days, hours and minutes, largest first: `2h` (the default), `90m`, `1h30m`, `1d`.
     */
    grace: durationSchema.optional(),
    /**
     * How often the tier's newest backups must be proven to restore and boot (`drill`): `status
     * --drill FILE` says when the drill's last OK for a guest is older than this. E.g. `30d`.
     */
    drill: durationSchema.optional(),
    storage: storageId,
    /** Absent: the storage's own retention applies (it must then be a storage managed here). */
    retention: retentionSchema.optional(),
    mode: z.enum(BACKUP_MODES).default("snapshot"),
    compress: z.enum(COMPRESSORS).default("zstd"),
    /** Limit the job to one node; absent, it runs on every node that holds one of its guests. */
    node: nodeName.optional(),
    notification: notificationSchema.optional(),
    guests: z.array(guestSchema).min(1),
  })
  .strict();

const nfsStorageSchema = z
  .object({
    id: storageId,
    type: z.literal("nfs"),
    /** `pve-storage-server`: an IP address or a DNS name. */
    server: z.string().refine(isStorageServer, "is not an IP address or DNS name, as PVE takes a server"),
    /** `pve-storage-path`. */
    export: z.string().regex(STORAGE_PATH_PATTERN, "must be an absolute export path"),
    content: z.array(z.enum(CONTENT_TYPES)).min(1).default([BACKUP_CONTENT]),
    nodes: z.array(nodeName).min(1).optional(),
    /** `pve-storage-options`: the mount options as one word, e.g. `vers=4.2,soft`. */
    options: z
      .string()
      .regex(STORAGE_OPTIONS_PATTERN, "must be mount options without spaces, e.g. vers=4.2,soft")
      .optional(),
    retention: retentionSchema,
  })
  .strict();

const otherStackSchema = z
  .object({
    stack: z.string().regex(/^[A-Za-z0-9_.-]+$/, "is not a stack name"),
    vmids: z.array(z.number().int().min(VMID_MIN).max(VMID_MAX)).min(1),
  })
  .strict();

export const siteSchema = z
  .object({
    /** The IANA zone the nodes run in: PVE evaluates job schedules in the node's local time. */
    timezone: z.string().default("UTC"),
    /** NFS backup storages this stack declares and manages. */
    storages: z.array(nfsStorageSchema).default([]),
    /** Storages that exist on the cluster and are not managed here (e.g. `local`), by name. */
    existingStorages: z.array(storageId).default([]),
    /**
     * Guests on the cluster that another stack backs up (two stacks on one cluster), by stack: this
     * stack's policies and `npm run status` count them as that stack's, not as guests in no tier.
     */
    otherStacks: z.array(otherStackSchema).default([]),
    tiers: z.array(tierSchema).min(1),
  })
  .strict();

export type ParsedSite = z.output<typeof siteSchema>;
export type NfsStorage = Omit<ParsedSite["storages"][number], "retention"> & { retention: Retention };

/** A tier after validation: its retention is the one its job writes (its own, or its storage's). */
export type Tier = Omit<ParsedSite["tiers"][number], "retention"> & { retention: Retention };

export interface Site {
  timezone: string;
  storages: NfsStorage[];
  existingStorages: string[];
  /** Guests another stack backs up, by stack (config `otherStacks`). */
  otherStacks: { stack: string; vmids: number[] }[];
  tiers: Tier[];
}

/** vmid → the other stack that backs it up (config `otherStacks`). */
export function otherStackGuests(site: Pick<Site, "otherStacks">): Map<number, string> {
  return new Map(site.otherStacks.flatMap(({ stack, vmids }) => vmids.map((vmid) => [vmid, stack] as const)));
}

/** `("$", ["tiers", 0, "schedule"])` → `$.tiers[0].schedule`: how every error here names a place. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${String(p)}`), root);
}
