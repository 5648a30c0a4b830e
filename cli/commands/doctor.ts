/**
 * `doctor`: the checks of doctor/diagnose.ts against the stack's cluster, one line each, OK or FAIL,
 * with the fix; or `--json`. Its flags and help: cli/program.ts.
 */
import type { ConnectionSettings } from "../../pve/connection";
import { redactSecrets } from "../../pve/secrets";
import { PROJECT_DIR } from "../../start/sources";
import { diagnose } from "../../doctor/diagnose";
import type { Check } from "../../doctor/context";
import { CommandResult, plainText } from "../cli";
import { errorResult, exitCodeOf } from "../exit";
import { parseCommand } from "../program";
import { ClusterCommandOptions, readStackSite, stackConnection } from "../stack";

export async function runDoctorCommand(argv: string[], options: ClusterCommandOptions = {}): Promise<CommandResult> {
  let json = false;
  try {
    const parsed = parseCommand("doctor", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    json = flags.json === true;
    const siteFile = readStackSite(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const settings = stackConnection(siteFile, flags, options);
    const { checks, couldNotCheck } = await diagnose(siteFile, settings, { drill: flags.drill === true });
    const ok = checks.every((c) => c.ok);
    const stdout = json
      ? `${JSON.stringify({ ok: ok && !couldNotCheck, checks }, null, 2)}\n`
      : renderText(flags.stack, settings, checks, couldNotCheck);
    return { exitCode: exitCodeOf({ ok, couldNotCheck: couldNotCheck !== undefined }), stdout, stderr: "" };
  } catch (err) {
    const result = errorResult(err);
    // A --json reader gets a document too, the message in JSON's own escaping (stderr's is the terminal's).
    const error = `error: ${redactSecrets((err as Error).message)}`;
    return json ? { ...result, stdout: `${JSON.stringify({ ok: false, checks: [], error })}\n` } : result;
  }
}

function renderText(stack: string, settings: ConnectionSettings, checks: Check[], couldNotCheck: string | undefined) {
  const lines = [
    `Doctor for stack ${stack}: ${settings.endpoint} (${settings.endpointSource}) as ${settings.tokenId}`,
    "",
  ];
  for (const c of checks) {
    lines.push(`${c.ok ? "OK  " : "FAIL"} ${c.id}: ${c.message}`);
    if (c.fix) for (const line of c.fix.split("\n")) lines.push(`     fix: ${line}`);
  }
  lines.push("");
  const failed = checks.filter((c) => !c.ok).length;
  if (couldNotCheck) lines.push(`Could not check the rest: ${couldNotCheck}.`);
  else if (failed === 0)
    lines.push(`All ${checks.length} checks passed: ready for pulumi preview --policy-pack policy.`);
  else lines.push(`${failed} of ${checks.length} checks failed.`);
  return plainText(lines);
}
