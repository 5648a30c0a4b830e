/**
 * A site validated: the schema (config.ts), then the rules across its fields (storages declared
 * once, no two on one NFS export, ids that differ in more than case, a tier's storage known and
 * taking backups, retention bounded, a vmid in one tier only, no secret in plain text), every
 * problem in one ConfigError naming the file, the key path and the value.
 */
import { isValidTimeZone, tryParseCalendarEvent } from "./calendar";
import { ParsedSite, SITE_KEY, Site, Tier, formatPath, otherStackGuests, siteSchema } from "./config";
import { jobNotesTemplate } from "./tierJob";
import { BACKUP_CONTENT, nfsExportKey } from "../pve/storage";
import { Retention, isBounded } from "../pve/retention";
import { isSecretKeyName, plainSecretIn, redactSecrets, redactValue } from "../pve/secrets";
import { notesTemplateProblems } from "../pve/notes";

/**
 * Bad config: every problem, one a line, each naming the file, the key path and the value. Secrets
 * never reach the message: token-shaped text in a problem is redacted here.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(
    readonly file: string,
    problems: string[],
  ) {
    problems = problems.map(redactSecrets);
    super(`${file}: invalid config:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "ConfigError";
    this.problems = problems;
  }

  /** The whole error on one line, for commands that print one line. */
  oneLine(): string {
    return `${this.file}: invalid config: ${this.problems.join("; ")}`;
  }
}

/** `["tiers", 0, "schedule"]` → `pve-backup-tiers:site.tiers[0].schedule`. */
function keyPath(path: readonly PropertyKey[]): string {
  return formatPath(SITE_KEY, path);
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The value at a key path as an error shows it: secrets redacted first, then cut short. */
function describe(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return "missing";
  const secretKey = path.find((p): p is string => typeof p === "string" && isSecretKeyName(p));
  const s = JSON.stringify(redactValue(value, secretKey));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * Validates a site and resolves each tier's retention. Throws one ConfigError listing every
 * problem; nothing may be declared from a site that did not pass.
 */
export function parseSite(raw: unknown, file: string): Site {
  const problems: string[] = [];
  const report = (path: readonly PropertyKey[], message: string) =>
    problems.push(`${keyPath(path)}: ${message} (got ${describe(valueAt(raw, path), path)})`);

  // jitless: a site is parsed once per run, and compiling zod's fast path for it costs the program's
  // start more than the one parse it would speed up.
  const parsed = siteSchema.safeParse(raw, { jitless: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) report([...issue.path, key], "unknown key");
      } else {
        report(issue.path, issue.message);
      }
    }
    throw new ConfigError(file, problems);
  }
  const site = parsed.data;

  // A secret in plain text would reach the job's notes-template, the calendar and the report page.
  for (const { path, kind } of plainSecrets(raw, [])) {
    report(path, `holds a secret in plain text (${kind}): no secret belongs in the site config`);
  }

  if (!isValidTimeZone(site.timezone)) report(["timezone"], "is not an IANA time zone");

  const managed = new Map<string, ParsedSite["storages"][number]>();
  const exports = new Map<string, string>();
  site.storages.forEach((s, i) => {
    if (managed.has(s.id)) report(["storages", i, "id"], "storage declared twice");
    managed.set(s.id, s);
    const mount = nfsExportKey(s.server, s.export);
    const same = exports.get(mount);
    if (same !== undefined && same !== s.id) {
      report(
        ["storages", i, "export"],
        `storage ${same} mounts the same NFS export ${s.server}:${s.export}: both would hold one dump folder, and each job's pruning would delete the other's backups`,
      );
    } else exports.set(mount, s.id);
    checkRetention(s.retention, ["storages", i, "retention"], report);
  });
  site.existingStorages.forEach((id, i) => {
    if (managed.has(id)) report(["existingStorages", i], "is also declared under storages");
  });

  // By lower case: a tier's resources are named after its id in lower case (tier-p0). PVE keeps job
  // ids that differ only in case apart, but whoever reads the cluster would take them for one job.
  const others = otherStackGuests(site);
  const tierIds = new Map<string, number>();
  const jobIds = new Map<string, number>();
  const vmidTier = new Map<number, string>();
  const tiers: Tier[] = [];
  site.tiers.forEach((tier, i) => {
    const at = (...rest: PropertyKey[]) => ["tiers", i, ...rest];
    const sameTier = tierIds.get(tier.id.toLowerCase());
    if (sameTier !== undefined) {
      const other = site.tiers[sameTier].id;
      report(
        at("id"),
        other === tier.id
          ? `duplicate tier id (also tiers[${sameTier}])`
          : `differs from tiers[${sameTier}].id ${JSON.stringify(other)} only in case: ` +
              `both tiers' resources would be named tier-${tier.id.toLowerCase()}`,
      );
    } else tierIds.set(tier.id.toLowerCase(), i);
    const sameJob = jobIds.get(tier.job.toLowerCase());
    if (sameJob !== undefined) {
      const other = site.tiers[sameJob].job;
      report(
        at("job"),
        other === tier.job
          ? `duplicate job id (also tiers[${sameJob}])`
          : `differs from tiers[${sameJob}].job ${JSON.stringify(other)} only in case: job ids must differ in more than case`,
      );
    } else jobIds.set(tier.job.toLowerCase(), i);

    const notes = notesTemplateProblems(jobNotesTemplate(tier));
    if (notes.length > 0) {
      report(at("description"), `PVE would reject the job's notes-template, which holds it: ${notes.join(", ")}`);
    }

    const schedule = tryParseCalendarEvent(tier.schedule);
    if (!schedule.ok) report(at("schedule"), `PVE rejects this schedule: ${schedule.error}`);

    const storage = managed.get(tier.storage);
    if (!storage && !site.existingStorages.includes(tier.storage)) {
      report(at("storage"), "is neither declared under storages nor named in existingStorages");
    } else if (storage && !storage.content.includes(BACKUP_CONTENT)) {
      report(at("storage"), `storage ${tier.storage} does not accept backup content`);
    }

    if (tier.retention) checkRetention(tier.retention, at("retention"), report);
    else if (!storage) {
      report(at("retention"), `is required: storage ${tier.storage} is not managed here, so its retention is unknown`);
    }

    if (tier.notification && tier.notification.mailto.length === 0) {
      report(at("notification", "mailto"), "mail notification needs at least one recipient");
    }

    tier.guests.forEach((g, j) => {
      const other = vmidTier.get(g.vmid);
      if (other !== undefined) report(at("guests", j, "vmid"), `vmid ${g.vmid} is already in tier ${other}`);
      vmidTier.set(g.vmid, tier.id);
      const stack = others.get(g.vmid);
      if (stack !== undefined) {
        report(at("guests", j, "vmid"), `vmid ${g.vmid} is listed under otherStacks as stack ${stack}'s`);
      }
    });

    tiers.push({ ...tier, retention: (tier.retention ?? storage?.retention ?? {}) as Retention });
  });

  if (problems.length > 0) throw new ConfigError(file, problems);
  return {
    timezone: site.timezone,
    storages: site.storages.map((s) => ({ ...s, retention: s.retention as Retention })),
    existingStorages: site.existingStorages,
    otherStacks: site.otherStacks,
    tiers,
  };
}

/** Every string in the raw site (values and keys) that holds a secret in plain text, with its key path. */
function plainSecrets(value: unknown, path: PropertyKey[]): { path: PropertyKey[]; kind: string }[] {
  if (typeof value === "string") {
    const kind = plainSecretIn(value);
    return kind ? [{ path, kind }] : [];
  }
  if (value === null || typeof value !== "object") return [];
  if (Array.isArray(value)) return value.flatMap((v, i) => plainSecrets(v, [...path, i]));
  return Object.entries(value).flatMap(([k, v]) => {
    const kind = plainSecretIn(k);
    return [...(kind ? [{ path: [...path, k], kind }] : []), ...plainSecrets(v, [...path, k])];
  });
}

function checkRetention(
  retention: NonNullable<ParsedSite["tiers"][number]["retention"]>,
  path: PropertyKey[],
  report: (path: readonly PropertyKey[], message: string) => void,
): void {
  if (retention["keep-all"] !== undefined) {
    report([...path, "keep-all"], "keep-all keeps every backup forever; set keep-last and friends instead");
  } else if (!isBounded(retention as Retention)) {
    report(
      path,
      "keeps nothing, which PVE turns into keep-all (every backup forever); set keep-last or another keep-*",
    );
  }
}
