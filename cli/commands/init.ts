/**
 * `init`: writes Pulumi.<stack>.yaml for a site whose backup jobs were made by hand
 * (init/stackFile.ts), from the live cluster (init/readCluster.ts, GET requests only) or from a
 * snapshot (`--cluster`), then lists what is left to decide. Never replaces a stack file without
 * `--force`; `--dry-run` prints the file instead. Its flags and help: cli/program.ts.
 */
import * as fs from "fs";
import * as path from "path";
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { readLiveCluster } from "../../init/readCluster";
import { initStackFile } from "../../init/stackFile";
import { PROJECT_DIR } from "../../start/sources";
import { InputError } from "../../tiers/input";
import { CommandResult, plainText } from "../cli";
import { errorResult } from "../exit";
import { writeOutputFile } from "../files";
import { parseCommand } from "../program";
import { ClusterCommandOptions, checkStackName, clusterConnection, readClusterSnapshot } from "../stack";

export async function runInitCommand(argv: string[], options: ClusterCommandOptions = {}): Promise<CommandResult> {
  try {
    const parsed = parseCommand("init", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    checkStackName(flags.stack);
    const file = path.join(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, `Pulumi.${flags.stack}.yaml`);
    if (!flags.dryRun && !flags.force && fs.existsSync(file)) {
      throw new InputError(
        `${file} exists: init replaces a stack file only with --force (--dry-run prints it instead)`,
      );
    }

    let snapshot: ClusterSnapshot;
    let source: string;
    let endpoint: string | undefined;
    if (flags.cluster !== undefined) {
      snapshot = readClusterSnapshot(flags.cluster);
      source = `the snapshot ${flags.cluster}`;
      endpoint = flags.endpoint ?? (options.env ?? process.env).PROXMOX_VE_ENDPOINT;
    } else {
      // No stack file yet: the flags and the environment say where the cluster is.
      const settings = clusterConnection(
        `Pulumi.${flags.stack}.yaml`,
        flags.insecure ? { "proxmoxve:insecure": "true" } : {},
        flags,
        options,
      );
      const client = new PveClient(settings);
      try {
        snapshot = await readLiveCluster(client);
      } catch (err) {
        if (err instanceof PveApiError) throw new InputError(`could not read the cluster: ${err.message}`);
        throw err;
      } finally {
        await client.close();
      }
      source = settings.endpoint;
      endpoint = settings.endpoint;
    }

    const { text, decisions } = initStackFile(snapshot, {
      stack: flags.stack,
      endpoint,
      insecure: flags.insecure,
      source,
    });
    if (flags.dryRun) return { exitCode: 0, stdout: text, stderr: "" };
    writeOutputFile(file, text);
    const lines = [`Wrote ${file} from ${source}.`];
    if (decisions.length > 0) {
      lines.push("", `Decide, in the file (each marked DECIDE), then run npm run check -- --stack ${flags.stack}:`);
      for (const d of decisions) lines.push(`  - ${d.path}: ${d.what}`);
    }
    lines.push(
      "",
      "Then set the token as a secret, and adopt what exists:",
      `  pulumi config set --secret proxmoxve:apiToken '<user>@<realm>!<tokenid>=<secret>' --stack ${flags.stack}`,
      `  pulumi up --policy-pack policy --stack ${flags.stack}   # adopt: true imports the jobs and storages`,
    );
    return { exitCode: 0, stdout: plainText(lines), stderr: "" };
  } catch (err) {
    return errorResult(err);
  }
}
