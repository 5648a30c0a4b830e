/**
 * The end-to-end workflow's check (.github/workflows/e2e.yml, `pve-backup-tiers e2e-assert-tiers`):
 * after `pulumi up`, the differences between the cluster's jobs and managed storages and what the
 * stack's tiers say (each tier's job as tiers/tierJob.ts has it).
 */
import type { StorageConfigEntry } from "../../pve/entries";
import { BackupJobEntry, JOB_DEFAULTS, readBackupJob } from "../../pve/job";
import type { Site } from "../../tiers/config";
import { tierJob } from "../../tiers/tierJob";
import { formatPruneBackups, parsePruneBackups } from "../../pve/retention";
import { parseList } from "../../pve/values";

const sameSet = (a: readonly (string | number)[], b: readonly (string | number)[]) =>
  [...a].sort().join(",") === [...b].sort().join(",");

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
    const have = readBackupJob(job);
    const want = readBackupJob(tierJob(tier));
    expect("schedule", have.schedule, want.schedule);
    expect("storage", have.storage, want.storage);
    expect("enabled", have.enabled, want.enabled);
    expect("mode", have.mode ?? JOB_DEFAULTS.mode, want.mode ?? JOB_DEFAULTS.mode);
    expect("compress", have.compress ?? JOB_DEFAULTS.compress, want.compress ?? JOB_DEFAULTS.compress);
    expect("node", have.node, want.node);
    if (!sameSet(have.vmids, want.vmids)) {
      problems.push(`${where}: backs up ${have.vmids.join(",") || "(no vmid)"}, the tier has ${want.vmids.join(",")}`);
    }
    if (have.all || have.pool !== undefined) problems.push(`${where}: backs up by all/pool, not by the tier's vmids`);
    expect("prune-backups", formatPruneBackups(have.pruneBackups ?? {}), formatPruneBackups(want.pruneBackups ?? {}));
    if (!sameSet(have.mailto, want.mailto)) {
      problems.push(
        `${where}: mails ${have.mailto.join(",") || "nobody"}, the tier says ${want.mailto.join(",") || "nobody"}`,
      );
    }
    if (want.mailnotification !== undefined) {
      expect("mailnotification", have.mailnotification ?? JOB_DEFAULTS.mailnotification, want.mailnotification);
    }
    expect("notes-template", have.notesTemplate, want.notesTemplate);
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
