/**
 * The end-to-end workflow's check (.github/workflows/e2e.yml, `pve-backup-tiers e2e-assert-tiers`):
 * after `pulumi up`, the differences between the cluster's jobs and managed storages and what the
 * stack's tiers say.
 */
import type { BackupJobEntry, StorageConfigEntry } from "../../pve/client";
import type { Site } from "../../tiers/config";
import {
  JOB_DEFAULTS,
  formatPruneBackups,
  isPveTrue,
  parseList,
  parsePruneBackups,
  toPruneBackupsMap,
} from "../../pve/formats";

const sameSet = (a: string[], b: string[]) => [...a].sort().join(",") === [...b].sort().join(",");

/** The differences between the cluster and the site: empty when converged. */
export function tierDifferences(site: Site, jobs: BackupJobEntry[], storages: StorageConfigEntry[]): string[] {
  const problems: string[] = [];
  for (const tier of site.tiers) {
    const job = jobs.find((j) => j.id === tier.job);
    const where = `job ${tier.job} (tier ${tier.id})`;
    if (!job) {
      problems.push(`${where}: missing`);
      continue;
    }
    const expect = (what: string, actual: unknown, wanted: unknown) => {
      if (actual !== wanted)
        problems.push(`${where}: ${what} is ${JSON.stringify(actual)}, the tier says ${JSON.stringify(wanted)}`);
    };
    expect("schedule", job.schedule, tier.schedule);
    expect("storage", job.storage, tier.storage);
    expect("enabled", job.enabled === undefined ? JOB_DEFAULTS.enabled : isPveTrue(job.enabled), true);
    expect("mode", job.mode ?? JOB_DEFAULTS.mode, tier.mode);
    expect("compress", job.compress ?? JOB_DEFAULTS.compress, tier.compress);
    expect("node", job.node, tier.node);
    const vmids = parseList(job.vmid);
    if (
      !sameSet(
        vmids,
        tier.guests.map((g) => String(g.vmid)),
      )
    ) {
      problems.push(
        `${where}: backs up ${vmids.join(",") || "(no vmid)"}, the tier has ${tier.guests.map((g) => g.vmid).join(",")}`,
      );
    }
    if (isPveTrue(job.all) || job.pool !== undefined)
      problems.push(`${where}: backs up by all/pool, not by the tier's vmids`);
    const prune = formatPruneBackups(parsePruneBackups(job["prune-backups"]) ?? {});
    expect("prune-backups", prune, formatPruneBackups(parsePruneBackups(toPruneBackupsMap(tier.retention)) ?? {}));
    const mailto = parseList(job.mailto);
    if (!sameSet(mailto, tier.notification?.mailto ?? [])) {
      problems.push(
        `${where}: mails ${mailto.join(",") || "nobody"}, the tier says ${tier.notification?.mailto.join(",") || "nobody"}`,
      );
    }
    if (tier.notification)
      expect("mailnotification", job.mailnotification ?? JOB_DEFAULTS.mailnotification, tier.notification.when);
    if (!String(job["notes-template"] ?? "").includes(tier.job)) {
      problems.push(`${where}: notes-template ${JSON.stringify(job["notes-template"])} does not name the job`);
    }
  }
  for (const s of site.storages) {
    const found = storages.find((c) => c.storage === s.id);
    const where = `storage ${s.id}`;
    if (!found) {
      problems.push(`${where}: missing`);
      continue;
    }
    for (const [what, actual, wanted] of [
      ["type", found.type, "nfs"],
      ["server", found.server, s.server],
      ["export", found.export, s.export],
      [
        "prune-backups",
        formatPruneBackups(parsePruneBackups(found["prune-backups"]) ?? {}),
        formatPruneBackups(s.retention),
      ],
    ] as const) {
      if (actual !== wanted)
        problems.push(`${where}: ${what} is ${JSON.stringify(actual)}, the stack says ${JSON.stringify(wanted)}`);
    }
    if (!sameSet(parseList(found.content), s.content)) {
      problems.push(`${where}: content is ${found.content}, the stack says ${s.content.join(",")}`);
    }
    if (s.nodes && !sameSet(parseList(found.nodes), s.nodes)) {
      problems.push(`${where}: nodes are ${found.nodes ?? "(all)"}, the stack says ${s.nodes.join(",")}`);
    }
  }
  return problems;
}
