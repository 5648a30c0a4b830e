/**
 * `e2e-stack` (hidden; a step of .github/workflows/e2e.yml): writes `Pulumi.<stack>.yaml`, a copy of
 * a site's stack file pointed at the PVE API double, so that the real Pulumi CLI and provider run the
 * program against it. The double's certificate is self-signed and the provider cannot pin a CA: the
 * copy sets `proxmoxve:insecure`. The token stays out of the file: the provider reads
 * PROXMOX_VE_API_TOKEN.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { normalizeEndpoint } from "../../pve/connection";
import { PROJECT_DIR } from "../../start/sources";
import { InputError } from "../../tiers/input";
import { stackFileName } from "../../tiers/stackFile";
import { CommandResult, UsageError } from "../cli";
import { EXIT, errorResult } from "../exit";
import { readInputFile } from "../files";
import { parseCommand } from "../program";
import { checkStackName } from "../stack";

export function runStackCommand(argv: string[]): CommandResult {
  try {
    const parsed = parseCommand("e2e-stack", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    checkStackName(flags.fromStack, "--from-stack");
    checkStackName(flags.stack);
    try {
      normalizeEndpoint(flags.endpoint);
    } catch (err) {
      throw new UsageError(`--endpoint: ${(err as Error).message}`);
    }
    const dir = flags.stackDir ?? PROJECT_DIR;
    const source = path.join(dir, stackFileName(flags.fromStack));
    const doc = parseDocument(readInputFile(source));
    if (doc.errors.length > 0)
      throw new InputError(`${source}: not valid YAML: ${doc.errors[0].message.split("\n")[0]}`);
    if (!doc.has("config")) throw new InputError(`${source}: no config`);
    doc.setIn(["config", "proxmoxve:endpoint"], flags.endpoint);
    doc.setIn(["config", "proxmoxve:insecure"], "true");
    doc.setIn(["config", "pve-backup-tiers:adopt"], flags.adopt === true);
    doc.deleteIn(["config", "proxmoxve:apiToken"]);
    doc.commentBefore = ` Written by pve-backup-tiers e2e-stack from ${stackFileName(flags.fromStack)}, pointed at the PVE API double.`;
    const target = path.join(dir, stackFileName(flags.stack));
    fs.writeFileSync(target, doc.toString());
    return {
      exitCode: EXIT.ok,
      stdout: `${target}: stack ${flags.stack} on ${flags.endpoint}${flags.adopt ? " (adopt)" : ""}\n`,
      stderr: "",
    };
  } catch (err) {
    return errorResult(err);
  }
}
