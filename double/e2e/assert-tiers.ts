/**
 * CI helper of the end-to-end workflow (.github/workflows/e2e.yml): after `pulumi up`, asserts that
 * the cluster's jobs and managed storages are exactly what the stack's tiers say (each tier's job as
 * tiers/tierJob.ts has it), read through the PVE API (here: the double's), connecting as
 * `npm run doctor` does.
 *
 *   ts-node double/e2e/assert-tiers.ts --stack e2e [--stack-dir DIR] [--ca FILE] [--endpoint URL]
 *
 * Exit codes: 0 converged; 1 a difference (each printed); 2 bad input or the API could not be read.
 */
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { StorageConfigEntry } from "../../pve/entries";
import { BackupJobEntry, JOB_DEFAULTS, readBackupJob } from "../../pve/job";
import { CommandResult, InputError, UsageError, parseArgs, runMain, userErrorResult } from "../../cli/cli";
import { PROJECT_DIR } from "../../start/sources";
import { CONNECTION_FLAGS, ClusterCommandOptions, readStackSite, stackConnection } from "../../cli/stack";
import type { Site } from "../../tiers/config";
import { tierJob } from "../../tiers/tierJob";
import { formatPruneBackups, parsePruneBackups } from "../../pve/retention";
import { parseList } from "../../pve/values";

const SPEC = {
  stack: { type: "string" },
  "stack-dir": { type: "string" },
  ...CONNECTION_FLAGS,
} as const;

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

export async function runAssertTiers(argv: string[], options: ClusterCommandOptions = {}): Promise<CommandResult> {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    if (!flags.stack) throw new UsageError("--stack is required");
    const siteFile = readStackSite(flags["stack-dir"] ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const settings = stackConnection(siteFile, flags, options);
    const client = new PveClient(settings);
    try {
      const problems = tierDifferences(siteFile.site, await client.backupJobs(), await client.storages());
      const summary = `${siteFile.site.tiers.length} jobs and ${siteFile.site.storages.length} storages of stack ${flags.stack} on ${settings.endpoint}`;
      if (problems.length === 0) return { exitCode: 0, stdout: `OK: ${summary} are as the tiers say\n`, stderr: "" };
      return {
        exitCode: 1,
        stdout: `${problems.map((p) => `FAIL ${p}`).join("\n")}\nFAIL: ${summary} differ\n`,
        stderr: "",
      };
    } catch (err) {
      if (err instanceof PveApiError) throw new InputError(err.message);
      throw err;
    } finally {
      await client.close();
    }
  } catch (err) {
    return userErrorResult(err);
  }
}

if (require.main === module) runMain((argv) => runAssertTiers(argv));
