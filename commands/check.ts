/**
 * `npm run check -- [--stack home] [--cluster FILE] [--policy-config FILE] [--from ISO] [--json]`
 *
 * What a change to the tiers would do and whether the policy pack passes it, without the Pulumi CLI
 * or the cluster: the real program runs under Pulumi's mocks, its data sources answered from a
 * cluster snapshot (PVE API shapes, see tiers/snapshot.ts), then the pack's own policy modules judge
 * the registered resources and stack outputs.
 *
 * Exit codes: 0 no mandatory violation; 1 a mandatory violation; 2 bad input (flags, snapshot,
 * stack config, policy config), with one line naming the file and the place; 3 an internal error.
 */
import * as path from "path";
import { Violation, evaluatePolicies, mandatoryViolations, PolicyConfigError } from "../policy/evaluate";
import type { PackConfig } from "../policy/config";
import { formatIsoTime, tryParseCalendarEvent } from "../tiers/calendar";
import { ConfigError } from "../tiers/config";
import { formatPruneBackups, parsePruneBackups } from "../tiers/pve";
import type { StackOutputs, TierSummary } from "../tiers/inventory";
import { SnapshotError, parseClusterSnapshot } from "../tiers/snapshot";
import { readStackFile } from "../tiers/stackConfig";
import { CommandResult, InputError, UsageError, parseArgs, readInputFile, runMain, userErrorResult } from "./cli";
import { PROJECT_DIR } from "../start/sources";
import { OfflineRun, runProgramOffline } from "./offline";

const USAGE =
  "usage: npm run check -- [--stack NAME] [--cluster FILE] [--policy-config FILE] [--from ISO] [--json]\n" +
  "  --stack          the stack whose Pulumi.<stack>.yaml to check (default home)\n" +
  "  --cluster        a cluster snapshot (default examples/<stack>-cluster.json)\n" +
  "  --policy-config  a --policy-pack-config file (default: the pack's defaults)\n" +
  "  --from           list next runs after this time (default now)\n" +
  "  --json           print one JSON document: planned resources, coverage, violations\n";

const SPEC = {
  stack: { type: "string" },
  cluster: { type: "string" },
  "policy-config": { type: "string" },
  from: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CheckReport {
  stack: string;
  cluster: string;
  run: OfflineRun;
  violations: Violation[];
  from: Date;
}

export async function runCheckCommand(argv: string[], options: { now?: Date } = {}): Promise<CommandResult> {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const report = await check({
      stack: flags.stack ?? "home",
      cluster: flags.cluster,
      policyConfig: flags["policy-config"],
      from: flags.from === undefined ? (options.now ?? new Date()) : parseFrom(flags.from),
    });
    const failed = mandatoryViolations(report.violations).length > 0;
    return { exitCode: failed ? 1 : 0, stdout: flags.json ? renderJson(report) : renderText(report), stderr: "" };
  } catch (err) {
    return userErrorResult(err);
  }
}

async function check(options: {
  stack: string;
  cluster?: string;
  policyConfig?: string;
  from: Date;
}): Promise<CheckReport> {
  const { stack } = options;
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new UsageError(`--stack: not a stack name: '${stack}'`);
  const clusterFile = options.cluster ?? path.join("examples", `${stack}-cluster.json`);
  const snapshot = inputOf(() => parseClusterSnapshot(readInputFile(clusterFile), clusterFile));
  const config = options.policyConfig === undefined ? undefined : readPolicyConfig(options.policyConfig);
  inputOf(() => readStackFile(PROJECT_DIR, stack));

  let run: OfflineRun;
  try {
    run = await runProgramOffline({ stack, snapshot });
  } catch (err) {
    // The program stops on bad config with a RunError whose text lists every problem.
    throw new InputError(oneLine((err as Error).message));
  }
  const violations = inputOf(() => evaluatePolicies({ resources: run.resources, outputs: run.outputs, stack, config }));
  return { stack, cluster: clusterFile, run, violations, from: options.from };
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

function parseFrom(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`--from: not an ISO time: '${value}' (e.g. 2026-01-01T00:00:00Z)`);
  }
  return date;
}

const NEXT_RUNS = 3;

function nextRuns(tier: TierSummary, outputs: StackOutputs, from: Date): string[] {
  const parsed = tryParseCalendarEvent(tier.schedule);
  if (!parsed.ok) return [];
  const zone = parsed.event.utc ? "UTC" : outputs.timezone;
  return parsed.event.nextRuns(from, NEXT_RUNS, zone).map((d) => formatIsoTime(d, zone));
}

function retentionText(prune: Record<string, string>): string {
  return formatPruneBackups(parsePruneBackups(prune) ?? {}) || "(none)";
}

function renderText(report: CheckReport): string {
  const { outputs } = report.run;
  const lines: string[] = [];
  const c = outputs.cluster;
  lines.push(
    `Stack ${report.stack} against ${report.cluster}: nodes ${c.nodes.join(", ") || "(none)"}, ` +
      `${c.guests.length} guests, ${c.storages.length} storages, ${c.jobs.length} existing jobs`,
    "",
  );
  for (const tier of outputs.tiers) {
    lines.push(`Tier ${tier.id}: ${tier.description} (priority ${tier.priority}${tier.critical ? ", critical" : ""})`);
    lines.push(`  job        ${tier.job}`);
    lines.push(`  schedule   ${tier.schedule}  next: ${nextRuns(tier, outputs, report.from).join(", ")}`);
    lines.push(`  storage    ${tier.storage}`);
    lines.push(`  retention  ${retentionText(tier.pruneBackups)}`);
    if (tier.mailto.length > 0)
      lines.push(`  mail       ${tier.mailnotification ?? "always"} to ${tier.mailto.join(", ")}`);
    lines.push(`  guests     ${tier.guests.map((g) => `${g.kind} ${g.vmid} ${g.name}`).join(", ")}`);
    lines.push("");
  }
  const uncovered = outputs.coverage.filter((g) => g.tier === null && !g.template);
  lines.push(
    `Guests in no tier: ${uncovered.length === 0 ? "none" : uncovered.map((g) => `${g.kind} ${g.vmid} ${g.name}`).join(", ")}`,
    "",
  );
  const mandatory = mandatoryViolations(report.violations);
  const advisory = report.violations.length - mandatory.length;
  if (report.violations.length > 0) {
    lines.push("Violations:");
    for (const v of report.violations) lines.push(`  [${v.level}] ${v.policy}: ${v.message}`);
    lines.push("");
  }
  lines.push(
    mandatory.length > 0
      ? `FAIL: ${mandatory.length} mandatory and ${advisory} advisory violation(s); pulumi preview --policy-pack policy would stop this change.`
      : `PASS: no mandatory violation (${advisory} advisory).`,
  );
  return `${lines.join("\n")}\n`;
}

function renderJson(report: CheckReport): string {
  const { outputs, resources } = report.run;
  const doc = {
    stack: report.stack,
    cluster: report.cluster,
    passed: mandatoryViolations(report.violations).length === 0,
    resources: resources.map((r) => ({ type: r.type, name: r.name, urn: r.urn, inputs: r.props, import: r.importId })),
    tiers: outputs.tiers.map((t) => ({ ...t, nextRuns: nextRuns(t, outputs, report.from) })),
    coverage: outputs.coverage,
    violations: report.violations,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

if (require.main === module) runMain(runCheckCommand);
