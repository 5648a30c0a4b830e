/**
 * `npm run check -- [--stack home] [--stack-dir DIR] [--cluster FILE] [--policy-config FILE] [--from ISO] [--json]`
 *
 * What a change to the tiers would do and whether the policy pack passes it, without the Pulumi CLI
 * or the cluster: the real program runs under Pulumi's mocks, its data sources answered from a
 * cluster snapshot (PVE API shapes, see pve/snapshot.ts); the resources it registers (with the
 * URNs, parents and options the runtime gives them) are planned against the snapshot
 * (offline/plan.ts), and the pack's own policy modules judge them and the stack outputs.
 * `runCheck` returns the whole report for other commands to use in process.
 *
 * Exit codes: 0 no mandatory violation; 1 a mandatory violation; 2 bad input (flags, snapshot,
 * stack config, policy config), with one line naming the file and the place; 3 an internal error.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Violation, evaluatePolicies, mandatoryViolations, PolicyConfigError } from "../../offline/evaluate";
import type { PackConfig } from "../../policy/config";
import { formatIsoTime, tryParseCalendarEvent } from "../../tiers/calendar";
import { ConfigError } from "../../tiers/siteRules";
import { JOB_TYPE } from "../../tiers/names";
import { JOB_DEFAULTS } from "../../pve/job";
import { formatPruneBackups, parsePruneBackups } from "../../pve/retention";
import type { StackOutputs, TierSummary } from "../../tiers/inventory";
import { SnapshotError, parseClusterSnapshot } from "../../pve/snapshot";
import {
  CommandResult,
  InputError,
  UsageError,
  parseArgs,
  parseTimeFlag,
  plainText,
  readInputFile,
  runMain,
  userErrorResult,
} from "../cli";
import { PROJECT_DIR } from "../../start/sources";
import { DuplicateUrnError, OfflineRun, runProgramOffline } from "../../offline/preview";
import { Plan, PlanStep, PlanValue, computePlan } from "../../offline/plan";
import { DEFAULT_STACK, readStackSite } from "../stack";

const USAGE =
  "usage: npm run check -- [--stack NAME] [--stack-dir DIR] [--cluster FILE] [--policy-config FILE] [--from ISO] [--json]\n" +
  "  --stack          the stack whose Pulumi.<stack>.yaml to check (default home)\n" +
  "  --stack-dir      the folder holding Pulumi.<stack>.yaml (default: the project)\n" +
  "  --cluster        a cluster snapshot (default examples/<stack>-cluster.json)\n" +
  "  --policy-config  a --policy-pack-config file (default: the pack's defaults)\n" +
  "  --from           list next runs after this time (default now): date and time, in the site's zone\n" +
  "                   unless it has an offset, e.g. 2026-01-01T03:00 or 2026-01-01T08:00:00Z\n" +
  "  --json           print one JSON document: resources, coverage, plan, violations\n";

const SPEC = {
  stack: { type: "string" },
  "stack-dir": { type: "string" },
  cluster: { type: "string" },
  "policy-config": { type: "string" },
  from: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** Everything `npm run check` finds out, for rendering here or in another command. */
export interface CheckReport {
  stack: string;
  /** The snapshot file the check ran against. */
  cluster: string;
  /** The program's run: the registered resources (root stack first) and the stack outputs. */
  run: OfflineRun;
  /** What `pulumi up` would do to the cluster's jobs and storages, and what it leaves untouched. */
  plan: Plan;
  /** The pack's violations, mandatory first. */
  violations: Violation[];
  /** No mandatory violation. */
  passed: boolean;
  /** The time next runs are listed from. */
  from: Date;
}

export interface CheckOptions {
  /** The stack whose `Pulumi.<stack>.yaml` to check. */
  stack: string;
  /** The folder of the stack files (the project, or a test's fixtures). */
  stackDir: string;
  /** A cluster snapshot file; default `examples/<stack>-cluster.json`. */
  cluster?: string;
  /** A `--policy-pack-config` file. */
  policyConfig?: string;
  /** `--from` as given (read in the site's time zone); default `now`. */
  from?: string;
  now: Date;
}

export async function runCheckCommand(
  argv: string[],
  options: { now?: Date; stackDir?: string } = {},
): Promise<CommandResult> {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const report = await runCheck({
      stack: flags.stack ?? DEFAULT_STACK,
      stackDir: flags["stack-dir"] ?? options.stackDir ?? PROJECT_DIR,
      cluster: flags.cluster,
      policyConfig: flags["policy-config"],
      from: flags.from,
      now: options.now ?? new Date(),
    });
    return {
      exitCode: report.passed ? 0 : 1,
      stdout: flags.json ? renderJson(report) : renderText(report),
      stderr: "",
    };
  } catch (err) {
    return userErrorResult(err);
  }
}

/**
 * The whole check in process: reads the stack file, the snapshot and the policy config, runs the
 * program, plans and judges. Throws UsageError or InputError (one line naming the file and the
 * place) on bad input, as `userErrorResult` turns into exit 2.
 */
export async function runCheck(options: CheckOptions): Promise<CheckReport> {
  const { stack, stackDir } = options;
  // The stack first: a stack that does not exist is said as such, not as its missing snapshot.
  const { site } = readStackSite(stackDir, stack);
  const from =
    options.from === undefined ? options.now : parseTimeFlag("--from", options.from, site.timezone, options.now);
  const clusterFile = options.cluster ?? path.join("examples", `${stack}-cluster.json`);
  const snapshot = inputOf(() => parseClusterSnapshot(readInputFile(clusterFile), clusterFile));
  const config = options.policyConfig === undefined ? undefined : readPolicyConfig(options.policyConfig);

  let run: OfflineRun;
  try {
    run = await runProgramOffline({ stack, stackDir, snapshot });
  } catch (err) {
    // The stack's config made two resources one URN (the engine refuses that), or the program
    // stopped on bad config with a RunError whose text lists every problem; any other error is a
    // bug (exit 3), not the user's.
    if (err instanceof DuplicateUrnError) throw new InputError(oneLine(`Pulumi.${stack}.yaml: ${err.message}`));
    if (pulumi.RunError.isInstance(err)) throw new InputError(oneLine(err.message));
    throw err;
  }
  const violations = inputOf(() => evaluatePolicies({ resources: run.resources, outputs: run.outputs, config }));
  const plan = computePlan(run.resources, snapshot);
  return {
    stack,
    cluster: clusterFile,
    run,
    plan,
    violations,
    // A step `pulumi up` would fail on (a storage's NFS export that PVE cannot change, an import of
    // what is not there) fails the check as a mandatory violation does.
    passed: mandatoryViolations(violations).length === 0 && planProblems(plan).length === 0,
    from,
  };
}

/** The plan's steps that `pulumi up` would fail on. */
function planProblems(plan: Plan): PlanStep[] {
  return plan.steps.filter((s) => s.problem !== undefined);
}

function readPolicyConfig(file: string): PackConfig {
  const text = readInputFile(file);
  try {
    return JSON.parse(text) as PackConfig;
  } catch (err) {
    throw new InputError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
}

/** Turns the known kinds of bad input into InputError with their one-line text. */
function inputOf<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw new InputError(err.oneLine());
    if (err instanceof SnapshotError) throw new InputError(err.message);
    if (err instanceof PolicyConfigError) throw new InputError(oneLine(err.message));
    throw err;
  }
}

function oneLine(message: string): string {
  const [head, ...rest] = message.split("\n").map((l) => l.trim());
  return rest.length === 0 ? head : `${head} ${rest.filter(Boolean).join("; ")}`;
}

const NEXT_RUNS = 3;

function nextRuns(tier: TierSummary, outputs: StackOutputs, from: Date): string[] {
  const parsed = tryParseCalendarEvent(tier.schedule);
  if (!parsed.ok) return [];
  const zone = parsed.event.utc ? "UTC" : outputs.timezone;
  return parsed.event.nextRuns(from, NEXT_RUNS, zone).map((d) => formatIsoTime(d, zone));
}

/** The schedule engine's warnings for a tier's schedule (valid, but not what it reads like). */
function scheduleWarnings(tier: TierSummary): string[] {
  const parsed = tryParseCalendarEvent(tier.schedule);
  return parsed.ok ? parsed.event.warnings : [];
}

function retentionText(prune: Record<string, string>): string {
  return formatPruneBackups(parsePruneBackups(prune) ?? {}) || "(none)";
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

function renderJson(report: CheckReport): string {
  const { outputs, resources } = report.run;
  const doc = {
    stack: report.stack,
    cluster: report.cluster,
    passed: report.passed,
    resources: resources.map((r) => ({
      type: r.type,
      name: r.name,
      urn: r.urn,
      ...(r.parent ? { parent: r.parent } : {}),
      protect: r.protect,
      ...(r.importId ? { import: r.importId } : {}),
      ...(r.ignoreChanges.length > 0 ? { ignoreChanges: r.ignoreChanges } : {}),
      inputs: r.props,
    })),
    tiers: outputs.tiers.map((t) => ({
      ...t,
      nextRuns: nextRuns(t, outputs, report.from),
      warnings: scheduleWarnings(t),
    })),
    offlineNodes: outputs.cluster.offlineNodes,
    coverage: outputs.coverage,
    plan: report.plan.steps,
    untouched: report.plan.untouched,
    violations: report.violations,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (require.main === module) runMain(runCheckCommand);
