/**
 * `status`: is each guest's newest backup where and when its tier says? Reads the live cluster
 * (status/gather.ts), judges it (status/judge.ts), and prints a table per tier and a summary line;
 * `--json` the status document; `--prometheus FILE` node-exporter textfile metrics, written
 * atomically. Its flags and help: cli/program.ts.
 */
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { formatPruneBackups } from "../../pve/retention";
import { PROJECT_DIR } from "../../start/sources";
import { CAPACITY_THRESHOLDS, GUEST_STATES, formatAge, formatBytes } from "../../status/document";
import { gatherStatusInput } from "../../status/gather";
import { StatusReport, judgeStatus } from "../../status/judge";
import { renderPrometheus } from "../../status/prometheus";
import { withRestores } from "../../status/restores";
import { drillDocumentSchema } from "../../drill/document";
import { formatIsoTime } from "../../tiers/calendar";
import type { Site } from "../../tiers/config";
import { InputError } from "../../tiers/input";
import { CommandResult, parseTimeFlag, plainText } from "../cli";
import { errorResult, exitCodeOf } from "../exit";
import { readJsonFile, writeOutputFile } from "../files";
import { parseCommand } from "../program";
import { ClusterCommandOptions, readStackSite, stackConnection } from "../stack";

export interface StatusOptions extends ClusterCommandOptions {
  /** The clock for a missing `--at`. */
  now?: () => Date;
}

export async function runStatusCommand(argv: string[], options: StatusOptions = {}): Promise<CommandResult> {
  try {
    const parsed = parseCommand("status", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const siteFile = readStackSite(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const now = options.now?.() ?? new Date();
    const at = flags.at === undefined ? now : parseTimeFlag("--at", flags.at, siteFile.site.timezone, now);
    const settings = stackConnection(siteFile, flags, options);
    const client = new PveClient(settings);
    let report: StatusReport;
    try {
      const drill =
        flags.drill === undefined
          ? undefined
          : readJsonFile(flags.drill, drillDocumentSchema, { what: "invalid drill result" });
      report = withRestores(
        judgeStatus(await gatherStatusInput(client, siteFile.site, flags.stack, at)),
        siteFile.site,
        drill,
      );
    } catch (err) {
      if (err instanceof PveApiError) throw new InputError(`could not check: ${err.message}`);
      throw err;
    } finally {
      await client.close();
    }
    if (flags.prometheus !== undefined) writeOutputFile(flags.prometheus, renderPrometheus(report));
    const stdout = flags.json
      ? `${JSON.stringify(report.document, null, 2)}\n`
      : renderStatusText(
          report,
          siteFile.site,
          `${settings.endpoint} (${settings.endpointSource}) as ${settings.tokenId}`,
        );
    return {
      exitCode: exitCodeOf({ ok: report.document.ok, couldNotCheck: report.couldNotCheck }),
      stdout,
      stderr: "",
    };
  } catch (err) {
    return errorResult(err);
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`.trimEnd());
}

/** The summary line: `5/5 OK`, or how many are in each other state, and the space. */
export function summaryLine(report: StatusReport): string {
  const states = report.document.guests.map((g) => g.state);
  const counts = GUEST_STATES.filter((s) => s !== "OK" && states.includes(s)).map(
    (s) => `${states.filter((x) => x === s).length} ${s}`,
  );
  const over = [...report.capacity].filter(([, l]) => l === "over").map(([id]) => id);
  const warn = [...report.capacity].filter(([, l]) => l === "warning").map(([id]) => id);
  const space = over.length
    ? `; space: ${over.join(", ")} over ${CAPACITY_THRESHOLDS.over * 100}% at full retention`
    : warn.length
      ? `; space: ${warn.join(", ")} over ${CAPACITY_THRESHOLDS.warning * 100}% at full retention`
      : "";
  const okCount = states.filter((s) => s === "OK").length;
  return `${okCount}/${states.length} OK${counts.length ? `, ${counts.join(", ")}` : ""}${space}`;
}

/** The table per tier, the guests in no tier, the space per storage and the summary line. */
export function renderStatusText(report: StatusReport, site: Site, source: string): string {
  const zone = site.timezone;
  const at = new Date(report.document.at);
  const local = (iso: string | null) => (iso ? formatIsoTime(new Date(iso), zone).slice(0, 16).replace("T", " ") : "-");
  const lines = [`Status of stack ${report.document.stack} at ${formatIsoTime(at, zone)}, from ${source}`, ""];
  for (const note of report.notes) lines.push(`Note: ${note}`, "");
  const rowsOf = (guests: typeof report.document.guests) => {
    const rows = [["GUEST", "STATE", "NEWEST", "AGE", "SIZE", "NEXT RUN"]];
    const reasons: string[][] = [];
    for (const g of guests) {
      rows.push([
        `${g.kind} ${g.vmid} ${g.name}`,
        g.state,
        g.newest ? local(g.newest.time) : "-",
        g.newest ? formatAge(at.getTime() - Date.parse(g.newest.time)) : "-",
        g.newest ? formatBytes(g.newest.size) : "-",
        local(g.nextRun),
      ]);
      const restore = g.lastRestore
        ? [
            g.lastRestore.outcome === "OK"
              ? `last verified restore ${local(g.lastRestore.at)} (restore ${g.lastRestore.restoreSeconds ?? "-"} s, boot ${g.lastRestore.bootSeconds ?? "-"} s)`
              : `last drill ${local(g.lastRestore.at)}: ${g.lastRestore.outcome}`,
          ]
        : [];
      reasons.push([...(g.reason ? [g.reason] : []), ...restore]);
    }
    const out = table(rows);
    const result = [out[0]];
    out.slice(1).forEach((line, i) => {
      result.push(line);
      for (const r of reasons[i]) result.push(`      ${r}`);
    });
    return result;
  };
  for (const tier of site.tiers) {
    const guests = report.document.guests.filter((g) => g.tier === tier.id);
    const retention = formatPruneBackups(tier.retention);
    const grace = tier.grace ? `, grace ${tier.grace}` : "";
    const lastDue = guests.find((g) => g.lastDue)?.lastDue ?? null;
    const onCluster = report.clusterSchedules.get(tier.id);
    const schedule =
      onCluster === undefined
        ? tier.schedule
        : `${onCluster} on the cluster (the stack says ${tier.schedule}: pulumi up sets it)`;
    lines.push(
      `Tier ${tier.id} (${tier.description}): job ${tier.job}, schedule ${schedule}${grace}, ${tier.storage}, ${retention}; last due run ${local(lastDue)}`,
    );
    lines.push(...rowsOf(guests), "");
  }
  const untiered = report.document.guests.filter((g) => g.tier === null);
  if (untiered.length > 0) lines.push("In no tier", ...rowsOf(untiered), "");
  for (const s of report.document.storages) {
    const share = s.total > 0 ? `${((s.needed / s.total) * 100).toFixed(1)}%` : "-";
    const level = report.capacity.get(s.id);
    const verdict =
      level === "over"
        ? "OVER its size"
        : level === "warning"
          ? `over ${CAPACITY_THRESHOLDS.warning * 100}%: WARNING`
          : "OK";
    lines.push(
      `Storage ${s.id}: the tiers need ${formatBytes(s.needed)} at full retention (newest × (keep + 1)), ${share} of ${formatBytes(s.total)}; ${formatBytes(s.avail)} free: ${verdict}`,
    );
  }
  for (const u of report.unchecked) lines.push(`Not checked: ${u}`);
  lines.push("", summaryLine(report));
  return plainText(lines);
}
