/**
 * `report`: one self-contained HTML page of a site's backups (report/model.ts, laid out by
 * report/page.ts): the week's backup windows per storage, the tiers, what `pulumi up` would change
 * and the policy pack's verdict (the check, run in process), and with `--status` (the JSON of
 * `status --json`) each guest's state and each storage's space. Its flags and help: cli/program.ts.
 */
import { buildReportModel } from "../../report/model";
import { renderReportPage } from "../../report/page";
import { PROJECT_DIR } from "../../start/sources";
import { statusDocumentSchema } from "../../status/document";
import { InputError } from "../../tiers/input";
import type { CommandResult } from "../cli";
import { EXIT, errorResult } from "../exit";
import { readJsonFile, writeOutputFile } from "../files";
import { parseCommand } from "../program";
import { checkStack } from "./check";

/** What an empty --status file most likely is: `status --json > FILE` that failed before it wrote. */
const EMPTY_STATUS_HINT =
  "no status document (write one with `npm run -s status -- --json > FILE`; when the status fails, its error is on the terminal and the file stays empty)";

export async function runReportCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): Promise<CommandResult> {
  try {
    const parsed = parseCommand("report", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const { stack } = flags;
    const now = options.now ?? new Date();
    const status =
      flags.status === undefined
        ? undefined
        : {
            file: flags.status,
            doc: readJsonFile(flags.status, statusDocumentSchema, { emptyHint: EMPTY_STATUS_HINT }),
          };
    if (status && status.doc.stack !== stack) {
      throw new InputError(`${status.file}: $.stack: the status is of stack '${status.doc.stack}', not '${stack}'`);
    }
    const report = await checkStack({
      stack,
      stackDir: flags.stackDir ?? options.stackDir ?? PROJECT_DIR,
      cluster: flags.cluster,
      // The week is the status's (when it was judged), else from now.
      now: status ? new Date(status.doc.at) : now,
    });
    const model = buildReportModel({ check: report, status, now });
    writeOutputFile(flags.out, renderReportPage(model));
    const overlaps = model.timeline.storages.reduce((n, s) => n + s.overlaps.length, 0);
    const summary =
      `wrote ${flags.out}: ${model.tiers.length} tiers, ${model.timeline.storages.length} storage(s), ` +
      `${overlaps} overlap(s) in the week from ${model.timeline.from.text}` +
      (model.status ? `, ${model.status.guests.length} guest states` : "") +
      `, policy ${model.passed ? "PASS" : "FAIL"}\n`;
    const warnings = model.notices.flatMap((n) =>
      n.kind === "sources"
        ? [
            `warning: ${n.status} and ${n.cluster} are not of one cluster (${n.findings.join("; ")}); ` +
              `the page says so: give --cluster a snapshot of the cluster the status read\n`,
          ]
        : [],
    );
    return { exitCode: EXIT.ok, stdout: summary, stderr: warnings.join("") };
  } catch (err) {
    return errorResult(err);
  }
}
