/**
 * `check`: what a change to the tiers would do and whether the policy pack passes it
 * (offline/check.ts), as text or `--json`. Its flags and help: cli/program.ts.
 */
import * as path from "path";
import * as z from "zod";
import { mandatoryViolations } from "../../offline/evaluate";
import {
  CheckReport,
  checkDocument,
  nextRuns,
  planProblems,
  retentionText,
  runCheck,
  scheduleWarnings,
} from "../../offline/check";
import { Plan, PlanStep, PlanValue } from "../../offline/plan";
import type { PackConfig } from "../../policy/config";
import { JOB_DEFAULTS } from "../../pve/job";
import { PROJECT_DIR } from "../../start/sources";
import { JOB_TYPE } from "../../tiers/names";
import { CommandResult, parseTimeFlag, plainText } from "../cli";
import { exitCodeOf, errorResult } from "../exit";
import { readJsonFile } from "../files";
import { parseCommand } from "../program";
import { readClusterSnapshot, readStackSite } from "../stack";

export async function runCheckCommand(
  argv: string[],
  options: { now?: Date; /** Where the stack files are (tests use fixtures). */ stackDir?: string } = {},
): Promise<CommandResult> {
  try {
    const parsed = parseCommand("check", argv);
    if ("exitCode" in parsed) return parsed;
    const { flags } = parsed;
    const report = await checkStack({
      stack: flags.stack,
      stackDir: flags.stackDir ?? options.stackDir ?? PROJECT_DIR,
      cluster: flags.cluster,
      policyConfig: flags.policyConfig,
      from: flags.from,
      now: options.now ?? new Date(),
    });
    return {
      exitCode: exitCodeOf({ ok: report.passed }),
      stdout: flags.json ? `${JSON.stringify(checkDocument(report), null, 2)}\n` : renderText(report),
      stderr: "",
    };
  } catch (err) {
    return errorResult(err);
  }
}

/**
 * The check of a stack as the flags name it (`check`, and `report` for its page): the stack file
 * first (a stack that does not exist is said as such, not as its missing snapshot), then `--from`
 * in its site's zone, the snapshot (default examples/<stack>-cluster.json) and the policy config.
 */
export async function checkStack(options: {
  stack: string;
  stackDir: string;
  cluster?: string;
  policyConfig?: string;
  from?: string;
  now: Date;
}): Promise<CheckReport> {
  const { stack, stackDir, now } = options;
  const { site } = readStackSite(stackDir, stack);
  const from = options.from === undefined ? now : parseTimeFlag("--from", options.from, site.timezone, now);
  const clusterFile = options.cluster ?? path.join("examples", `${stack}-cluster.json`);
  const snapshot = readClusterSnapshot(clusterFile);
  const policyConfig =
    options.policyConfig === undefined ? undefined : (readJsonFile(options.policyConfig, z.unknown()) as PackConfig);
  return runCheck({ stack, stackDir, cluster: { file: clusterFile, snapshot }, policyConfig, from });
}

function renderText(report: CheckReport): string {
  const { outputs } = report.run;
  const lines: string[] = [];
  const c = outputs.cluster;
  const offline = c.offlineNodes.length > 0 ? ` (offline: ${c.offlineNodes.join(", ")}; their guests are unknown)` : "";
  lines.push(
    `Stack ${report.stack} against ${report.cluster}: nodes ${c.nodes.join(", ") || "(none)"}${offline}, ` +
      `${c.guests.length} guests, ${c.storages.length} storages, ${c.jobs.length} existing jobs`,
    "",
  );
  for (const tier of outputs.tiers) {
    lines.push(`Tier ${tier.id}: ${tier.description} (priority ${tier.priority}${tier.critical ? ", critical" : ""})`);
    lines.push(`  job        ${tier.job}`);
    lines.push(`  schedule   ${tier.schedule}  next: ${nextRuns(tier, outputs, report.from).join(", ") || "never"}`);
    for (const warning of scheduleWarnings(tier)) lines.push(`  warning    ${warning}`);
    lines.push(`  storage    ${tier.storage}`);
    lines.push(`  retention  ${retentionText(tier.pruneBackups)}`);
    if (tier.mailto.length > 0)
      lines.push(`  mail       ${tier.mailnotification ?? JOB_DEFAULTS.mailnotification} to ${tier.mailto.join(", ")}`);
    lines.push(`  guests     ${tier.guests.map((g) => `${g.kind} ${g.vmid} ${g.name}`).join(", ")}`);
    lines.push("");
  }
  const uncovered = outputs.coverage.filter((g) => g.tier === null && !g.template);
  lines.push(
    `Guests in no tier: ${uncovered.length === 0 ? "none" : uncovered.map((g) => `${g.kind} ${g.vmid} ${g.name}`).join(", ")}`,
    "",
  );
  lines.push(...renderPlan(report.plan), "");
  const mandatory = mandatoryViolations(report.violations);
  const advisory = report.violations.length - mandatory.length;
  if (report.violations.length > 0) {
    lines.push("Violations:");
    for (const v of report.violations) lines.push(`  [${v.level}] ${v.policy}: ${v.message}`);
    lines.push("");
  }
  const problems = planProblems(report.plan);
  lines.push(
    mandatory.length > 0
      ? `FAIL: ${mandatory.length} mandatory and ${advisory} advisory violation(s); pulumi preview --policy-pack policy would stop this change.`
      : problems.length > 0
        ? `FAIL: ${problems.length} plan step(s) pulumi up would fail on (${problems.map((s) => s.id).join(", ")}); see "problem" above.`
        : `PASS: no mandatory violation (${advisory} advisory).`,
  );
  return plainText(lines);
}

/** `'03:00'`, `true`, `(none)`. */
function planValue(v: PlanValue): string {
  return v === null ? "(none)" : typeof v === "string" ? JSON.stringify(v) : String(v);
}

const KIND_OF: Record<string, string> = { create: "create", update: "update", adopt: "adopt", same: "no change" };

function renderPlan(plan: Plan): string[] {
  const lines = ["Plan (what pulumi up would do on the cluster):"];
  const what = (s: PlanStep) => `${s.type === JOB_TYPE ? "job" : "storage"} ${s.id}`;
  const width = Math.max(0, ...plan.steps.map((s) => what(s).length));
  for (const s of plan.steps) {
    lines.push(`  ${KIND_OF[s.action].padEnd(9)} ${what(s).padEnd(width)}`.trimEnd());
    if (s.action === "adopt" && s.changes.length > 0) lines.push("            then, with adopt off:");
    for (const c of s.changes) {
      const from = s.action === "create" ? "" : `${planValue(c.from)} → `;
      lines.push(`            ${c.property}: ${from}${planValue(c.to)}`);
    }
    if (s.problem) lines.push(`            problem: ${s.problem}`);
  }
  lines.push(
    `Untouched on the cluster: ${
      plan.untouched.length === 0 ? "none" : plan.untouched.map((u) => `${u.kind} ${u.id} (${u.summary})`).join(", ")
    }`,
  );
  return lines;
}
