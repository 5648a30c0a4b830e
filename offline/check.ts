/**
 * The check: what a change to the tiers would do and whether the policy pack passes it, without the
 * Pulumi CLI or the cluster. The real program runs under Pulumi's mocks, its data sources answered
 * from a cluster snapshot (offline/preview.ts); the resources it registers are planned against the
 * snapshot (offline/plan.ts), and the pack's own policy modules judge them and the stack outputs
 * (offline/evaluate.ts). `runCheck` returns the whole report, for `check` and `report` to render.
 */
import * as pulumi from "@pulumi/pulumi";
import type { PackConfig } from "../policy/config";
import type { ClusterSnapshot } from "../pve/snapshot";
import { formatPruneBackups, parsePruneBackups } from "../pve/retention";
import { formatIsoTime, tryParseCalendarEvent } from "../tiers/calendar";
import { ConfigError } from "../tiers/siteRules";
import { InputError } from "../tiers/input";
import type { StackOutputs, TierSummary } from "../tiers/inventory";
import { PolicyConfigError, Violation, evaluatePolicies, mandatoryViolations } from "./evaluate";
import { Plan, PlanStep, computePlan } from "./plan";
import { DuplicateUrnError, OfflineRun, runProgramOffline } from "./preview";

/** Everything the check finds out, for rendering as text, JSON or a page. */
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
  /** No mandatory violation and no plan step `pulumi up` would fail on. */
  passed: boolean;
  /** The time next runs are listed from. */
  from: Date;
}

export interface CheckInputs {
  /** The stack whose `Pulumi.<stack>.yaml` the program reads. */
  stack: string;
  /** The folder of the stack files (the project, or a test's fixtures). */
  stackDir: string;
  /** The cluster snapshot, and the file it was read from. */
  cluster: { file: string; snapshot: ClusterSnapshot };
  /** A `--policy-pack-config` document. */
  policyConfig?: PackConfig;
  /** The time next runs are listed from. */
  from: Date;
}

/**
 * Runs the program, plans and judges. Bad input (the stack's config, the policy config, two
 * resources of one URN) is an InputError with one line naming the file and the place.
 */
export async function runCheck(inputs: CheckInputs): Promise<CheckReport> {
  const { stack, stackDir, cluster, policyConfig, from } = inputs;
  let run: OfflineRun;
  try {
    run = await runProgramOffline({ stack, stackDir, snapshot: cluster.snapshot });
  } catch (err) {
    // The stack's config made two resources one URN (the engine refuses that), or the program
    // stopped on bad config with a RunError whose text lists every problem; any other error is a
    // bug (exit 3), not the user's.
    if (err instanceof DuplicateUrnError) throw new InputError(oneLine(`Pulumi.${stack}.yaml: ${err.message}`));
    if (pulumi.RunError.isInstance(err)) throw new InputError(oneLine(err.message));
    if (err instanceof ConfigError) throw new InputError(err.oneLine());
    throw err;
  }
  let violations: Violation[];
  try {
    violations = evaluatePolicies({ resources: run.resources, outputs: run.outputs, config: policyConfig });
  } catch (err) {
    if (err instanceof PolicyConfigError) throw new InputError(oneLine(err.message));
    if (err instanceof ConfigError) throw new InputError(err.oneLine());
    throw err;
  }
  const plan = computePlan(run.resources, cluster.snapshot);
  return {
    stack,
    cluster: cluster.file,
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
export function planProblems(plan: Plan): PlanStep[] {
  return plan.steps.filter((s) => s.problem !== undefined);
}

function oneLine(message: string): string {
  const [head, ...rest] = message.split("\n").map((l) => l.trim());
  return rest.length === 0 ? head : `${head} ${rest.filter(Boolean).join("; ")}`;
}

const NEXT_RUNS = 3;

/** A tier's next runs after `from`, in its schedule's zone. */
export function nextRuns(tier: TierSummary, outputs: StackOutputs, from: Date): string[] {
  const parsed = tryParseCalendarEvent(tier.schedule);
  if (!parsed.ok) return [];
  const zone = parsed.event.utc ? "UTC" : outputs.timezone;
  return parsed.event.nextRuns(from, NEXT_RUNS, zone).map((d) => formatIsoTime(d, zone));
}

/** The schedule engine's warnings for a tier's schedule (valid, but not what it reads like). */
export function scheduleWarnings(tier: TierSummary): string[] {
  const parsed = tryParseCalendarEvent(tier.schedule);
  return parsed.ok ? parsed.event.warnings : [];
}

/** A tier's retention as PVE writes it, or `(none)`. */
export function retentionText(prune: Record<string, string>): string {
  return formatPruneBackups(parsePruneBackups(prune) ?? {}) || "(none)";
}

/** The check's JSON document (`check --json`): resources, tiers with their next runs, coverage, plan, violations. */
export function checkDocument(report: CheckReport): Record<string, unknown> {
  const { outputs, resources } = report.run;
  return {
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
}
