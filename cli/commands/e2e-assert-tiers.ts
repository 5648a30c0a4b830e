/**
 * `e2e-assert-tiers` (hidden; a step of .github/workflows/e2e.yml): after `pulumi up`, asserts that
 * the cluster's jobs and managed storages are exactly what the stack's tiers say
 * (double/e2e/assert-tiers.ts), read through the PVE API (there: the double's), connecting as
 * `doctor` does.
 */
import { tierDifferences } from "../../double/e2e/assert-tiers";
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { PROJECT_DIR } from "../../start/sources";
import { InputError } from "../../tiers/input";
import type { CommandResult } from "../cli";
import { EXIT, errorResult } from "../exit";
import { parseCommand } from "../program";
import { ClusterCommandOptions, readStackSite, stackConnection } from "../stack";

export async function runAssertTiers(argv: string[], options: ClusterCommandOptions = {}): Promise<CommandResult> {
  try {
    const parsed = parseCommand("e2e-assert-tiers", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const siteFile = readStackSite(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const settings = stackConnection(siteFile, flags, options);
    const client = new PveClient(settings);
    try {
      const problems = tierDifferences(siteFile.site, await client.backupJobs(), await client.storages());
      const summary = `${siteFile.site.tiers.length} jobs and ${siteFile.site.storages.length} storages of stack ${flags.stack} on ${settings.endpoint}`;
      if (problems.length === 0)
        return { exitCode: EXIT.ok, stdout: `OK: ${summary} are as the tiers say\n`, stderr: "" };
      return {
        exitCode: EXIT.failed,
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
    return errorResult(err);
  }
}
