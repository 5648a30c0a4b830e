/**
 * The policy tests' fixture: the home stack, built by running the real program (index.ts with
 * Pulumi.home.yaml) under Pulumi's mocks against the home cluster snapshot, then changed one
 * property per case. Jest builds it once per run (tests/support/buildHomeStack.ts) and every test file
 * reads that; a file run on its own without it builds its own.
 */
import * as fs from "fs";
import * as path from "path";
import type { Policy } from "@pulumi/policy";
import { EvaluatedResource, Violation, evaluatePolicies } from "../../offline/evaluate";
import type { PackConfig } from "../../policy/config";
import type { ClusterInventory, StackOutputs } from "../../tiers/inventory";
import { JOB_TYPE, ROOT_STACK_TYPE } from "../../tiers/names";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { FIXTURE_STACK_DIR } from "./stacks";
import { PROJECT_DIR } from "../../start/sources";

const HOME_SNAPSHOT = path.join(PROJECT_DIR, "examples", "home-cluster.json");

/** What the engine sends for a value unknown during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface TestStack {
  stack: string;
  resources: EvaluatedResource[];
  outputs: StackOutputs;
}

/** The environment variable naming the file that holds the home stack this jest run built. */
export const HOME_STACK_FILE_ENV = "PVE_BACKUP_TIERS_HOME_STACK";

let home: Promise<TestStack> | undefined;

/** The happy-path home stack (built once, then shared by the file's tests: never mutate it). */
export function homeStack(): Promise<TestStack> {
  home ??= (async () => {
    const built = process.env[HOME_STACK_FILE_ENV];
    return deepFreeze(built ? (JSON.parse(fs.readFileSync(built, "utf8")) as TestStack) : await buildHomeStack());
  })();
  return home;
}

/** Runs the program for the home stack (the SDK and the provider are loaded only here). */
export async function buildHomeStack(): Promise<TestStack> {
  const { runProgramOffline } = await import("../../offline/preview");
  const snapshot = parseClusterSnapshot(fs.readFileSync(HOME_SNAPSHOT, "utf8"), HOME_SNAPSHOT);
  const run = await runProgramOffline({ stack: "home", stackDir: FIXTURE_STACK_DIR, snapshot });
  return { stack: run.stack, resources: run.resources, outputs: run.outputs };
}

/** A copy of the stack with one change applied. */
export function change(stack: TestStack, edit: (copy: TestStack) => void): TestStack {
  const copy = structuredClone(stack) as TestStack;
  edit(copy);
  return copy;
}

/** The props of the stack job with this PVE job id (throws when there is none). */
export function jobProps(stack: TestStack, jobId: string): Record<string, unknown> {
  const job = stack.resources.find((r) => r.type === JOB_TYPE && r.props.resourceId === jobId);
  if (!job) throw new Error(`no stack job ${jobId}`);
  return job.props;
}

export function storageProps(stack: TestStack, storageId: string): Record<string, unknown> {
  const s = stack.resources.find((r) => r.type.startsWith("proxmoxve:storage/") && r.props.resourceId === storageId);
  if (!s) throw new Error(`no stack storage ${storageId}`);
  return s.props;
}

export function withJob(stack: TestStack, jobId: string, edit: (props: Record<string, unknown>) => void): TestStack {
  return change(stack, (s) => edit(jobProps(s, jobId)));
}

export function withCluster(stack: TestStack, edit: (cluster: ClusterInventory) => void): TestStack {
  return change(stack, (s) => edit(s.outputs.cluster));
}

/**
 * The URN of a top-level resource added by a test: the stack and project part of the runtime's root
 * stack URN, and no parent type (the engine leaves the root stack's type out of its children's URNs).
 */
export function topLevelUrn(stack: Pick<TestStack, "resources">, type: string, name: string): string {
  const root = stack.resources.find((r) => r.type === ROOT_STACK_TYPE);
  if (!root) throw new Error("no root stack resource");
  return `${root.urn.slice(0, root.urn.indexOf(`::${ROOT_STACK_TYPE}::`))}::${type}::${name}`;
}

/** A copy of the stack with a top-level resource added (its parent the root stack). */
export function withResource(stack: TestStack, resource: Omit<EvaluatedResource, "urn">): TestStack {
  return change(stack, (s) => {
    const root = s.resources.find((r) => r.type === ROOT_STACK_TYPE)!;
    s.resources.push({ urn: topLevelUrn(s, resource.type, resource.name), parent: root.urn, ...resource });
  });
}

/** A job on the cluster, shaped as the inventory reports it. */
export function clusterJob(
  overrides: Partial<ClusterInventory["jobs"][number]> & { id: string },
): ClusterInventory["jobs"][number] {
  return {
    storage: "synology-backups",
    enabled: true,
    schedule: "sat 02:00",
    all: false,
    vmids: [],
    excludes: [],
    pruneBackups: { "keep-last": 3 },
    mailto: [],
    ...overrides,
  };
}

/** The violations of one policy on a stack. */
export function check(stack: TestStack, policy: Policy, config?: PackConfig): Violation[] {
  return evaluatePolicies({ ...stack, policies: [policy as never], config });
}

export function messages(violations: readonly Violation[]): string[] {
  return violations.map((v) => v.message);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * The home site's real failures at once: an LXC in no tier (104 nextcloud), a hand-made job on the
 * storage that never existed (synology-nas-storage), a disabled job (P1) and keep-all retention (P0).
 */
export function withSeedCases(stack: TestStack): TestStack {
  return change(
    withJob(stack, "backup-home-p1-daily", (p) => (p.enabled = false)),
    (s) => {
      s.outputs.cluster.guests.push({
        vmid: 104,
        kind: "lxc",
        name: "nextcloud",
        node: "pve",
        status: "running",
        template: false,
      });
      s.outputs.cluster.jobs.push(
        clusterJob({ id: "backup-c1ff91b4-5175", storage: "synology-nas-storage", vmids: [104] }),
      );
      jobProps(s, "backup-home-p0-daily").pruneBackups = { "keep-all": "1" };
    },
  );
}
