/**
 * Runs the project's real program (index.ts with a stack's config) under Pulumi's own Node.js
 * runtime in mock mode, the provider's data sources answered from a cluster snapshot. Used by the
 * `check` command, the program's tests and the policy pack's tests: no Pulumi CLI, no cluster.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT_DIR } from "../start/sources";
import type { StackOutputs } from "../tiers/inventory";
import { parseList, parsePruneBackups } from "../tiers/pve";
import { ClusterSnapshot, snapshotGuests, snapshotNodes } from "../tiers/snapshot";
import { readStackFile } from "../tiers/stackConfig";

export const PROJECT_NAME = "pve-backup-tiers";

/** A resource the program registered, with the inputs it gave it. */
export interface RegisteredResource {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** The resource's inputs (what a policy sees of it during preview). */
  props: Record<string, unknown>;
  /** The `import` id, when the program adopts an existing resource. */
  importId?: string;
}

export interface OfflineRun {
  stack: string;
  resources: RegisteredResource[];
  outputs: StackOutputs;
}

/** The answers the provider's data sources would give on the snapshot's cluster, by invoke token. */
export function providerAnswers(snapshot: ClusterSnapshot): (token: string, args: Record<string, unknown>) => unknown {
  const nodes = snapshotNodes(snapshot);
  const guests = snapshotGuests(snapshot);
  const toProviderGuest = (g: (typeof guests)[number]) => ({
    vmId: g.vmid,
    name: g.name,
    nodeName: g.node,
    status: g.status,
    tags: [],
    template: g.template,
  });
  const jobs = snapshot.backup.map((j) => ({
    id: j.id,
    // Jobs from before PVE 7 carry starttime and dow instead of a schedule.
    schedule: j.schedule ?? [j.dow, j.starttime].filter(Boolean).join(" "),
    storage: j.storage ?? "",
    enabled: j.enabled !== false,
    node: j.node ?? "",
    all: j.all === true,
    vmids: parseList(j.vmid === undefined ? undefined : String(j.vmid)),
    excludes: parseList(j.exclude === undefined ? undefined : String(j.exclude)),
    pool: j.pool ?? "",
    pruneBackups: Object.fromEntries(
      Object.entries(parsePruneBackups(j["prune-backups"]) ?? {}).map(([k, v]) => [k, String(v)]),
    ),
    mailtos: Array.isArray(j.mailto) ? j.mailto : parseList(j.mailto),
    mailnotification: j.mailnotification ?? "",
    mode: j.mode ?? "snapshot",
    compress: j.compress ?? "0",
    notesTemplate: "",
    protected: false,
    excludePaths: [],
  }));
  return (token, args) => {
    switch (token) {
      case "proxmoxve:index/getNodesLegacy:getNodesLegacy":
        return { id: "nodes", names: nodes, onlines: nodes.map(() => true) };
      case "proxmoxve:index/getVmsLegacy:getVmsLegacy":
        return { id: "vms", vms: guests.filter((g) => g.kind === "qemu").map(toProviderGuest) };
      case "proxmoxve:index/getContainersLegacy:getContainersLegacy":
        return { id: "containers", containers: guests.filter((g) => g.kind === "lxc").map(toProviderGuest) };
      case "proxmoxve:index/getDatastores:getDatastores": {
        const nodeName = String(args.nodeName);
        const datastores = snapshot.storage
          .filter((s) => s.nodes === undefined || parseList(s.nodes).includes(nodeName))
          .map((s) => ({
            id: s.storage,
            nodeName,
            type: s.type,
            contentTypes: parseList(s.content),
            enabled: s.disable !== true,
            active: s.disable !== true,
            shared: s.shared === true,
          }));
        return { nodeName, datastores };
      }
      case "proxmoxve:backup/getJobs:getJobs":
        return { id: "backup-jobs", jobs };
      default:
        throw new Error(`the offline cluster cannot answer data source ${token}`);
    }
  };
}

/**
 * Runs index.ts for `stack` against `snapshot`. `config` overrides the stack file's config (tests
 * change one key per case). Throws what the program throws (a ConfigError's RunError included).
 */
export async function runProgramOffline(options: {
  stack: string;
  snapshot: ClusterSnapshot;
  config?: Record<string, string>;
  /** Keys of `config` to treat as secrets (set with `pulumi config set --secret`). */
  secretKeys?: string[];
  dryRun?: boolean;
  /** Receives each registration as it happens, also when the program then fails. */
  sink?: RegisteredResource[];
}): Promise<OfflineRun> {
  const { stack, snapshot } = options;
  const stackFile = readStackFile(PROJECT_DIR, stack);
  const answer = providerAnswers(snapshot);
  const resources: RegisteredResource[] = options.sink ?? [];

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const id = args.id || (typeof args.inputs.resourceId === "string" ? args.inputs.resourceId : `${args.name}-id`);
        resources.push({
          type: args.type,
          name: args.name,
          urn: urnOf(stack, args.type, args.name),
          custom: args.custom !== false,
          props: args.inputs,
          importId: args.id || undefined,
        });
        return { id, state: args.inputs };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        // Through JSON, as a provider's answer would come: absent fields are absent, not undefined
        // (the SDK's serializer turns an array holding an object with an undefined field into a map).
        return JSON.parse(JSON.stringify(answer(args.token, args.inputs))) as Record<string, unknown>;
      },
    },
    PROJECT_NAME,
    stack,
    options.dryRun ?? true,
  );
  pulumi.runtime.setAllConfig({ ...stackFile.config, ...options.config }, [
    ...stackFile.secretKeys,
    ...(options.secretKeys ?? []),
  ]);

  // index.ts exports the program as a function; its result is the stack outputs. It is loaded only
  // now, after the mocks are in place, as the engine would load it; from beside this module's own
  // copy (the sources, or dist/ when the command runs compiled).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const program = require("../index") as () => Promise<Record<string, unknown>>;
  const outputs = (await resolveExports(await program())) as unknown as StackOutputs;
  await settle();
  // Registration order depends on which outputs resolve first; callers get a stable order.
  resources.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack, resources, outputs };
}

function urnOf(stack: string, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT_NAME}::${type}::${name}`;
}

/** Waits for every exported Output or Promise, the way the engine resolves stack outputs. */
async function resolveExports(exports: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(
    Object.entries(exports).map(
      ([key, value]) =>
        new Promise<[string, unknown]>((resolve) => {
          (pulumi.output(value as pulumi.Input<object>) as pulumi.Output<unknown>).apply((v) => resolve([key, v]));
        }),
    ),
  );
  return Object.fromEntries(entries);
}

/** Lets pending resource registrations finish before the caller reads `resources`. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
