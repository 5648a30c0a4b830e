/**
 * `drill`: does each chosen guest's newest backup restore and boot? Runs drill/drill.ts against the
 * stack's cluster and prints a line per guest (outcome, times, PVE's reason), or `--json` the drill's
 * result; `--prometheus FILE` its metrics. Ctrl-C (SIGINT) aborts the drill, which cleans up what it
 * made before this returns. Its flags and help: cli/program.ts.
 */
import { PveApiError } from "../../pve/apiError";
import { PveGuestClient } from "../../pve/client";
import { PROJECT_DIR } from "../../start/sources";
import type { DrillDocument } from "../../drill/document";
import { runDrill } from "../../drill/drill";
import { renderDrillPrometheus } from "../../drill/prometheus";
import { InputError } from "../../tiers/input";
import { CommandResult, UsageError, plainText } from "../cli";
import { EXIT, errorResult, exitCodeOf } from "../exit";
import { writeOutputFile } from "../files";
import { parseCommand } from "../program";
import { ClusterCommandOptions, readStackSite, stackConnection } from "../stack";

export interface DrillCommandOptions extends ClusterCommandOptions {
  /** Polling and bounds of the drill (ms), for tests. */
  pollMs?: number;
  bootTimeoutMs?: number;
  /** Progress lines as they happen (the bin: stderr). */
  progress?: (line: string) => void;
}

export async function runDrillCommand(argv: string[], options: DrillCommandOptions = {}): Promise<CommandResult> {
  try {
    const parsed = parseCommand("drill", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const siteFile = readStackSite(flags.stackDir ?? options.stackDir ?? PROJECT_DIR, flags.stack);
    const site = siteFile.site;
    if (flags.tier !== undefined && !site.tiers.some((t) => t.id === flags.tier)) {
      throw new UsageError(
        `--tier: stack ${flags.stack} has no tier '${flags.tier}' (it has ${site.tiers.map((t) => t.id).join(", ")})`,
      );
    }
    const inTier = site.tiers.filter((t) => flags.tier === undefined || t.id === flags.tier);
    if (flags.guest !== undefined && !inTier.some((t) => t.guests.some((g) => g.vmid === flags.guest))) {
      throw new UsageError(
        `--guest: ${flags.guest} is in no ${flags.tier ? `guest of tier ${flags.tier}` : "tier"} of stack ${flags.stack}`,
      );
    }
    const settings = stackConnection(siteFile, flags, {
      ...options,
      // A restore takes as long as it takes: the command's deadline is the drill's own bounds.
      deadlineMs: options.deadlineMs ?? 24 * 3600_000,
    });
    const client = new PveGuestClient(settings);
    const abort = new AbortController();
    const onSigint = () => {
      options.progress?.("Ctrl-C: stopping, and cleaning up what the drill made (Ctrl-C again does not skip it)");
      abort.abort();
    };
    process.on("SIGINT", onSigint);
    let doc: DrillDocument;
    try {
      doc = await runDrill(client, site, {
        stack: flags.stack,
        tier: flags.tier,
        guest: flags.guest,
        targetStorage: flags.targetStorage,
        node: flags.node,
        dryRun: flags.dryRun,
        keepOnFailure: flags.keepOnFailure,
        signal: abort.signal,
        log: options.progress,
        pollMs: options.pollMs,
        bootTimeoutMs: options.bootTimeoutMs,
      });
    } catch (err) {
      if (err instanceof PveApiError) throw new InputError(`could not drill: ${err.message}`);
      throw err;
    } finally {
      process.removeListener("SIGINT", onSigint);
      await client.close();
    }
    if (flags.prometheus !== undefined && !flags.dryRun) writeOutputFile(flags.prometheus, renderDrillPrometheus(doc));
    const interrupted = doc.guests.some((g) => g.outcome === "INTERRUPTED");
    const stdout = flags.json ? `${JSON.stringify(doc, null, 2)}\n` : renderDrillText(doc);
    return {
      exitCode: interrupted ? EXIT.couldNotCheck : exitCodeOf({ ok: doc.ok }),
      stdout,
      stderr: "",
    };
  } catch (err) {
    return errorResult(err);
  }
}

/** A line per guest: outcome, the backup, the scratch vmid, the times; the reason below; a summary. */
function renderDrillText(doc: DrillDocument): string {
  const lines = [`Drill of stack ${doc.stack} at ${doc.at}${doc.node ? ` on node ${doc.node}` : ""}`, ""];
  for (const g of doc.guests) {
    const times = [
      g.restoreSeconds !== null ? `restore ${g.restoreSeconds} s` : undefined,
      g.bootSeconds !== null
        ? `boot ${g.bootSeconds} s (${g.bootCheck === "agent" ? "guest agent" : "running"})`
        : undefined,
    ].filter(Boolean);
    const into = g.scratchVmid !== null ? ` into ${g.scratchVmid}` : "";
    lines.push(
      `${g.outcome.padEnd(11)} ${g.kind} ${g.vmid} ${g.name} (tier ${g.tier}): ${g.volid ?? "no backup"}${into}${times.length ? `; ${times.join(", ")}` : ""}${g.scratchVmid !== null ? (g.cleanedUp ? "; removed" : "; LEFT ON THE CLUSTER") : ""}`,
    );
    if (g.reason) lines.push(`            ${g.reason}`);
  }
  const ok = doc.guests.filter((g) => g.outcome === "OK").length;
  lines.push("", `${ok}/${doc.guests.length} restored and booted`);
  return plainText(lines);
}
