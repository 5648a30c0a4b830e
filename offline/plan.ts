/**
 * The plan against the cluster: what `pulumi up` would do to each job and storage the stack
 * declares, compared with a cluster snapshot (PVE's own records, pve/snapshot.ts), and what it
 * leaves untouched. Used by `npm run check` (text and `--json`) and by any command that shows the
 * plan (e.g. the report page).
 *
 * The check has no Pulumi state: a job or storage that exists on the cluster under the id the stack
 * gives it is taken as the stack's own (created by an earlier `pulumi up`, or adopted), so the plan
 * says `update` or `same`. Without state, a stack that never adopted it would fail with "already
 * exists" instead (README: adopting what exists); and a job the stack's state holds but its config no
 * longer declares would be deleted, where the plan lists it as untouched.
 *
 * Properties are named and written as PVE names and writes them (`vmid: "100,102"`,
 * `prune-backups: "keep-last=3"`), with PVE's defaults applied on the cluster's side; `null` is "not
 * set". Only the properties the stack sets are compared: one it leaves out is left as it is.
 */
import { JOB_TYPE, STORAGE_TYPE_PREFIX, storageTypeOf } from "../tiers/names";
import { BACKUPS_BLOCK_KEY, KEEP_OPTIONS, PruneBackups, formatPruneBackups } from "../pve/retention";
import { JOB_DEFAULTS } from "../pve/job";
import { ClusterSnapshot, PveStorage, snapshotJobs, snapshotStorages } from "../pve/snapshot";
import { PveJob, readBackupJob } from "../pve/job";
import { jobOfInputs } from "../tiers/tierJob";
import type { RegisteredResource } from "./preview";

/** @public */
export type PlanAction = "create" | "update" | "adopt" | "same";
export type PlanValue = string | boolean | null;

/** One property `pulumi up` changes: `enabled: false → true`. @public */
export interface PlanChange {
  property: string;
  from: PlanValue;
  to: PlanValue;
}

/** What `pulumi up` does to one job or storage of the stack. */
export interface PlanStep {
  urn: string;
  type: string;
  /** PVE's id of the job or storage. */
  id: string;
  /**
   * create: not on the cluster; update: on it, with `changes`; same: on it as declared; adopt: the
   * stack imports it (`pve-backup-tiers:adopt`), changing nothing yet: `changes` are what the next
   * `pulumi up` with adopt off converges.
   */
  action: PlanAction;
  /** For create: every property the stack sets, from null. */
  changes: PlanChange[];
  /** Why this step cannot go as planned, when it cannot. */
  problem?: string;
}

/** A job or storage on the cluster that the stack does not declare. @public */
export interface UntouchedItem {
  kind: "job" | "storage";
  id: string;
  /** What it is, in a few words: `storage local-lvm`, `sun 01:00 to nas, disabled`. */
  summary: string;
}

export interface Plan {
  steps: PlanStep[];
  untouched: UntouchedItem[];
}

/** Plans the stack's jobs and storages (from the run's registrations) against the snapshot. */
export function computePlan(resources: readonly RegisteredResource[], snapshot: ClusterSnapshot): Plan {
  const clusterJobs = new Map(snapshotJobs(snapshot).map((j) => [j.id, j]));
  const clusterStorages = new Map(snapshotStorages(snapshot).map((s) => [s.id, s]));
  const steps: PlanStep[] = [];
  const declaredJobs = new Set<string>();
  const declaredStorages = new Set<string>();

  for (const r of resources) {
    if (r.type === JOB_TYPE) {
      const desired = desiredJob(r.props);
      declaredJobs.add(desired.id);
      const values = given(jobValues(desired), r.props, JOB_INPUTS);
      steps.push(step(r, desired.id, values, mapOf(clusterJobs.get(desired.id), jobValues)));
    } else if (r.type.startsWith(STORAGE_TYPE_PREFIX)) {
      const id = String(r.props.resourceId);
      declaredStorages.add(id);
      const values = given(desiredStorageValues(r), r.props, STORAGE_INPUTS);
      const s = step(r, id, values, mapOf(clusterStorages.get(id), storageValues));
      const fixed = s.action === "create" ? [] : s.changes.filter((c) => FIXED_STORAGE_PROPERTIES.includes(c.property));
      if (fixed.length > 0) {
        s.problem = `PVE cannot change ${fixed.map((c) => c.property).join(" or ")} of a storage: the provider would replace it, which protect stops`;
      }
      steps.push(s);
    }
  }

  const untouched: UntouchedItem[] = [
    ...[...clusterJobs.values()]
      .filter((j) => !declaredJobs.has(j.id))
      .map((j) => ({ kind: "job" as const, id: j.id, summary: jobSummary(j) })),
    ...[...clusterStorages.values()]
      .filter((s) => !declaredStorages.has(s.id))
      .map((s) => ({
        kind: "storage" as const,
        id: s.id,
        summary: `${s.type}, ${s.content.join(",") || "no content"}`,
      })),
  ];
  return { steps, untouched };
}

/** Properties PVE fixes when a storage is created. */
const FIXED_STORAGE_PROPERTIES = ["type", "server", "export"];

type Values = Record<string, PlanValue>;

/** The provider's input behind each PVE property the plan compares (null: always compared). */
const JOB_INPUTS: Record<string, string> = {
  enabled: "enabled",
  schedule: "schedule",
  storage: "storage",
  node: "node",
  vmid: "vmids",
  all: "all",
  exclude: "excludes",
  pool: "pool",
  mode: "mode",
  compress: "compress",
  "prune-backups": "pruneBackups",
  mailto: "mailtos",
  mailnotification: "mailnotification",
  "notes-template": "notesTemplate",
};
const STORAGE_INPUTS: Record<string, string | null> = {
  type: null,
  server: "server",
  export: "export",
  content: "contents",
  nodes: "nodes",
  options: "options",
  disable: "disable",
  "prune-backups": "backups",
};

/** The values whose input the stack sets. */
function given(values: Values, props: Record<string, unknown>, inputs: Record<string, string | null>): Values {
  return Object.fromEntries(
    Object.entries(values).filter(([property]) => {
      const input = inputs[property];
      return input === null || props[input] !== undefined;
    }),
  );
}

function mapOf<T>(value: T | undefined, fn: (v: T) => Values): Values | undefined {
  return value === undefined ? undefined : fn(value);
}

function step(r: RegisteredResource, id: string, desired: Values, current: Values | undefined): PlanStep {
  const base = { urn: r.urn, type: r.type, id };
  if (r.importId !== undefined) {
    if (!current) {
      return {
        ...base,
        action: "adopt",
        changes: [],
        problem: `${id} is not on the cluster: the import fails; turn adopt off to create it`,
      };
    }
    return { ...base, action: "adopt", changes: differences(current, desired) };
  }
  if (!current) {
    return {
      ...base,
      action: "create",
      changes: Object.entries(desired)
        .filter(([, to]) => to !== null)
        .map(([property, to]) => ({ property, from: null, to })),
    };
  }
  const changes = differences(current, desired);
  return { ...base, action: changes.length > 0 ? "update" : "same", changes };
}

function differences(current: Values, desired: Values): PlanChange[] {
  return Object.keys(desired)
    .filter((property) => current[property] !== desired[property])
    .map((property) => ({ property, from: current[property] ?? null, to: desired[property] }));
}

/** A stack job's inputs (the provider's names) as the job PVE would hold after `pulumi up`. */
function desiredJob(props: Record<string, unknown>): PveJob {
  return readBackupJob(jobOfInputs(props));
}

/** A job as the plan compares it: PVE's property names and texts, PVE's defaults applied. */
function jobValues(j: PveJob): Values {
  const ids = (list: number[]) => (list.length === 0 ? null : [...list].sort((a, b) => a - b).join(","));
  return {
    enabled: j.enabled,
    schedule: j.schedule,
    storage: j.storage ?? null,
    node: j.node ?? null,
    vmid: ids(j.vmids),
    all: j.all,
    exclude: ids(j.excludes),
    pool: j.pool ?? null,
    mode: j.mode ?? JOB_DEFAULTS.mode,
    compress: j.compress ?? JOB_DEFAULTS.compress,
    "prune-backups": pruneText(j.pruneBackups),
    mailto: j.mailto.length === 0 ? null : j.mailto.join(","),
    mailnotification: j.mailnotification ?? JOB_DEFAULTS.mailnotification,
    "notes-template": j.notesTemplate ?? null,
  };
}

function jobSummary(j: PveJob): string {
  const guests = j.all ? "all guests" : j.pool ? `pool ${j.pool}` : `guests ${j.vmids.join(",") || "none"}`;
  return `${j.schedule} to ${j.storage ?? "(no storage)"}, ${guests}${j.enabled ? "" : ", disabled"}`;
}

/** A storage resource's inputs as the storage PVE would hold after `pulumi up`. */
function desiredStorageValues(r: RegisteredResource): Values {
  const p = r.props;
  const list = (v: unknown) => (Array.isArray(v) && v.length > 0 ? v.map(String).sort().join(",") : null);
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : null);
  const backups = (p.backups ?? {}) as Record<string, unknown>;
  const prune: PruneBackups = {};
  for (const k of KEEP_OPTIONS)
    if (typeof backups[BACKUPS_BLOCK_KEY[k]] === "number") prune[k] = backups[BACKUPS_BLOCK_KEY[k]] as number;
  if (backups.keepAll === true) prune["keep-all"] = 1;
  return {
    type: storageTypeOf(r.type),
    server: str(p.server),
    export: str(p.export),
    content: list(p.contents),
    nodes: list(p.nodes),
    options: str(p.options),
    disable: p.disable === true,
    "prune-backups": pruneText(prune),
  };
}

function storageValues(s: PveStorage): Values {
  return {
    type: s.type,
    server: s.server ?? null,
    export: s.export ?? null,
    content: s.content.length === 0 ? null : [...s.content].sort().join(","),
    nodes: s.nodes === undefined || s.nodes.length === 0 ? null : [...s.nodes].sort().join(","),
    options: s.options ?? null,
    disable: s.disabled,
    "prune-backups": pruneText(s.pruneBackups),
  };
}

function pruneText(prune: PruneBackups | undefined): string | null {
  return prune === undefined ? null : formatPruneBackups(prune) || null;
}
