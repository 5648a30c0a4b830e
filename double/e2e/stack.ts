/**
 * CI helper of the end-to-end workflow (.github/workflows/e2e.yml): writes `Pulumi.<stack>.yaml`, a
 * copy of a site's stack file pointed at the PVE API double, so that the real Pulumi CLI and
 * provider run the program against it.
 *
 *   ts-node double/e2e/stack.ts --from home --stack e2e --endpoint https://127.0.0.1:8006/ [--adopt] [--stack-dir DIR]
 *
 * The double's certificate is self-signed and the provider cannot pin a CA: the copy sets
 * `proxmoxve:insecure`. The token stays out of the file: the provider reads PROXMOX_VE_API_TOKEN.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { normalizeEndpoint } from "../../pve/connection";
import {
  CommandResult,
  InputError,
  UsageError,
  parseArgs,
  readInputFile,
  runMain,
  userErrorResult,
} from "../../cli/cli";
import { PROJECT_DIR } from "../../start/sources";
import { checkStackName } from "../../cli/stack";
import { stackFileName } from "../../tiers/stackFile";

const SPEC = {
  from: { type: "string" },
  stack: { type: "string" },
  endpoint: { type: "string" },
  adopt: { type: "boolean" },
  "stack-dir": { type: "string" },
} as const;

export function runStackCommand(argv: string[]): CommandResult {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    for (const name of ["from", "stack", "endpoint"] as const) {
      if (!flags[name]) throw new UsageError(`--${name} is required`);
    }
    for (const name of ["from", "stack"] as const) checkStackName(flags[name]!, `--${name}`);
    try {
      normalizeEndpoint(flags.endpoint!);
    } catch (err) {
      throw new UsageError(`--endpoint: ${(err as Error).message}`);
    }
    const dir = flags["stack-dir"] ?? PROJECT_DIR;
    const source = path.join(dir, stackFileName(flags.from!));
    const doc = parseDocument(readInputFile(source));
    if (doc.errors.length > 0)
      throw new InputError(`${source}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    if (!doc.has("config")) throw new InputError(`${source}: no config`);
    doc.setIn(["config", "proxmoxve:endpoint"], flags.endpoint);
    doc.setIn(["config", "proxmoxve:insecure"], "true");
    doc.setIn(["config", "pve-backup-tiers:adopt"], flags.adopt === true);
    doc.deleteIn(["config", "proxmoxve:apiToken"]);
    doc.commentBefore = ` Written by double/e2e/stack.ts from ${stackFileName(flags.from!)}, pointed at the PVE API double.`;
    const target = path.join(dir, stackFileName(flags.stack!));
    fs.writeFileSync(target, doc.toString());
    return {
      exitCode: 0,
      stdout: `${target}: stack ${flags.stack} on ${flags.endpoint}${flags.adopt ? " (adopt)" : ""}\n`,
      stderr: "",
    };
  } catch (err) {
    return userErrorResult(err);
  }
}

if (require.main === module) runMain(runStackCommand);
