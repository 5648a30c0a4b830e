/**
 * Runs the project's real program (index.ts with a stack's config) under Pulumi's own Node.js
 * runtime in mock mode, the provider's data sources answered from a cluster snapshot. Used by the
 * `check` command, the program's tests and the policy pack's tests: no Pulumi CLI, no cluster.
 *
 * What the run reports of each resource is what the engine would receive: the SDK's own
 * registration request (type, name, parent, protect, import id, ignoreChanges, inputs) and the URN
 * the runtime gives it. The program runs inside the root `pulumi:pulumi:Stack` resource, as under
 * the CLI, and its return value becomes that resource's outputs. Two things the mock monitor does
 * differently from the engine are made to match it (pkg/resource/deploy/deployment.go):
 * - the root stack's type is not part of its children's URNs (`...::proxmoxve:storage/nfs:Nfs::x`,
 *   not `...::pulumi:pulumi:Stack$proxmoxve:storage/nfs:Nfs::x`);
 * - a URN registered twice is an error, "Duplicate resource URN '<urn>'; try giving it a unique name".
 */
import * as pulumi from "@pulumi/pulumi";
import type * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { PROJECT_DIR } from "../start/sources";
import type { ClusterGuest, StackOutputs } from "../tiers/inventory";
import { PROJECT_NAME, ROOT_STACK_TYPE } from "../tiers/names";
import { JOB_DEFAULTS } from "../pve/job";
import {
  ClusterSnapshot,
  snapshotGuests,
  snapshotJobs,
  snapshotNodes,
  snapshotOfflineNodes,
  snapshotPools,
  snapshotStorages,
} from "../pve/snapshot";
import { readStackFile } from "../tiers/stackFile";

/** A resource the program registered, as the engine would receive it. */
export interface RegisteredResource {
  type: string;
  name: string;
  /** The URN the runtime gave it. */
  urn: string;
  custom: boolean;
  /** The resource's inputs (what a policy sees of it during preview). */
  props: Record<string, unknown>;
  /** The parent's URN: the root stack's for a top-level resource; none for the root stack. */
  parent?: string;
  /** The `protect` option, as the SDK resolved it (inherited from the parent when not set). */
  protect: boolean;
  /** The `import` option: the id of an existing resource the program adopts. */
  importId?: string;
  /** The `ignoreChanges` option: input properties whose differences the engine ignores. */
  ignoreChanges: string[];
}

export interface OfflineRun {
  stack: string;
  /** Every registered resource, the root stack first, then in URN order. */
  resources: RegisteredResource[];
  /** The root stack resource (also in `resources`). */
  root: RegisteredResource;
  outputs: StackOutputs;
}

/** A URN registered twice in one run: the engine refuses the deployment with this message. */
export class DuplicateUrnError extends Error {
  constructor(readonly urn: string) {
    super(`Duplicate resource URN '${urn}'; try giving it a unique name`);
    this.name = "DuplicateUrnError";
  }
}

// @pulumi/pulumi internals the runner needs: the mock monitor's registration entry point (the SDK
// calls it as it would the engine's gRPC client) and the runtime's own wait for outstanding calls.
interface RegistrationMonitor {
  registerResource(
    req: resproto.RegisterResourceRequest,
    callback: (err: Error | null, res?: resproto.RegisterResourceResponse) => void,
  ): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const runtimeSettings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

/** The answers the provider's data sources would give on the snapshot's cluster, by invoke token. */
export function providerAnswers(snapshot: ClusterSnapshot): (token: string, args: Record<string, unknown>) => unknown {
  const nodes = snapshotNodes(snapshot);
  const offline = new Set(snapshotOfflineNodes(snapshot));
  // The provider lists guests node by node and skips a node that does not answer (PVE's 595).
  const guests = snapshotGuests(snapshot).filter((g) => !offline.has(g.node));
  const storages = snapshotStorages(snapshot);
  const pools = snapshotPools(snapshot);
  const toProviderGuest = (g: ClusterGuest) => ({
    vmId: g.vmid,
    name: g.name,
    nodeName: g.node,
    status: g.status,
    tags: [],
    template: g.template,
  });
  const jobs = snapshotJobs(snapshot).map((j) => ({
    id: j.id,
    schedule: j.schedule,
    storage: j.storage ?? "",
    enabled: j.enabled,
    node: j.node ?? "",
    all: j.all,
    vmids: j.vmids.map(String),
    excludes: j.excludes.map(String),
    pool: j.pool ?? "",
    pruneBackups: Object.fromEntries(Object.entries(j.pruneBackups ?? {}).map(([k, v]) => [k, String(v)])),
    mailtos: j.mailto,
    mailnotification: j.mailnotification ?? "",
    mode: j.mode ?? JOB_DEFAULTS.mode,
    compress: j.compress ?? JOB_DEFAULTS.compress,
    notesTemplate: j.notesTemplate ?? "",
    protected: false,
    excludePaths: [],
  }));
  return (token, args) => {
    switch (token) {
      case "proxmoxve:index/getNodesLegacy:getNodesLegacy":
        return { id: "nodes", names: nodes, onlines: nodes.map((n) => !offline.has(n)) };
      case "proxmoxve:index/getVmsLegacy:getVmsLegacy":
        return { id: "vms", vms: guests.filter((g) => g.kind === "qemu").map(toProviderGuest) };
      case "proxmoxve:index/getContainersLegacy:getContainersLegacy":
        return { id: "containers", containers: guests.filter((g) => g.kind === "lxc").map(toProviderGuest) };
      case "proxmoxve:index/getDatastores:getDatastores": {
        const nodeName = String(args.nodeName);
        if (offline.has(nodeName)) throw new Error(`node '${nodeName}' is offline: no route to host (595)`);
        const datastores = storages
          .filter((s) => s.nodes === undefined || s.nodes.includes(nodeName))
          .map((s) => ({
            id: s.id,
            nodeName,
            type: s.type,
            contentTypes: s.content,
            enabled: !s.disabled,
            active: !s.disabled,
            shared: s.shared,
          }));
        return { nodeName, datastores };
      }
      case "proxmoxve:backup/getJobs:getJobs":
        return { id: "backup-jobs", jobs };
      case "proxmoxve:index/getPoolLegacy:getPoolLegacy": {
        // A snapshot knows a pool by the guests /cluster/resources lists in it; PVE answers a pool it
        // does not have with an error (pve-access-control PVE/API2/Pool.pm, read_pool: "pool '...' does not exist").
        const poolId = String(args.poolId);
        const members = pools.get(poolId);
        if (!members) throw new Error(`pool '${poolId}' does not exist`);
        return {
          id: poolId,
          poolId,
          comment: "",
          members: members.map((g) => ({
            id: `${g.kind}/${g.vmid}`,
            nodeName: g.node,
            type: g.kind,
            vmId: g.vmid,
            datastoreId: "",
          })),
        };
      }
      default:
        throw new Error(`the offline cluster cannot answer data source ${token}`);
    }
  };
}

/**
 * Runs index.ts for `stack` against `snapshot`. `config` overrides the stack file's config (tests
 * change one key per case). Throws what the program throws (a ConfigError's RunError included), and
 * DuplicateUrnError when two resources get one URN.
 */
export async function runProgramOffline(options: {
  stack: string;
  /** The folder holding `Pulumi.<stack>.yaml` (default the project; tests use their fixtures'). */
  stackDir?: string;
  snapshot: ClusterSnapshot;
  config?: Record<string, string>;
  /** Keys of `config` to treat as secrets (set with `pulumi config set --secret`). */
  secretKeys?: string[];
  dryRun?: boolean;
  /** Receives each registration as it happens, also when the program then fails. */
  sink?: RegisteredResource[];
  /** Another program than index.ts's (tests of the runner itself). */
  program?: () => Promise<Record<string, unknown>>;
}): Promise<OfflineRun> {
  const { stack, snapshot } = options;
  const stackFile = readStackFile(options.stackDir ?? PROJECT_DIR, stack);
  const answer = providerAnswers(snapshot);
  const resources: RegisteredResource[] = options.sink ?? [];

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const id = args.id || (typeof args.inputs.resourceId === "string" ? args.inputs.resourceId : `${args.name}-id`);
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
  const duplicates = recordRegistrations(resources);
  pulumi.runtime.setAllConfig({ ...stackFile.config, ...options.config }, [
    ...stackFile.secretKeys,
    ...(options.secretKeys ?? []),
  ]);

  // index.ts exports the program as a function; its result is the stack outputs. It is loaded only
  // now, after the mocks are in place, and run inside the root stack resource, as the engine runs it;
  // from beside this module's own copy (the sources, or dist/ when the command runs compiled).
  const program =
    options.program ??
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require("../index") as () => Promise<Record<string, unknown>>);
  // A failing program is caught inside the stack: the SDK would otherwise leave the rejection of the
  // stack's own output promises unhandled (the CLI's language host exits on it).
  let failure: { error: unknown } | undefined;
  const outputs = (await pulumi.runtime.runInPulumiStack(async () => {
    try {
      return await program();
    } catch (error) {
      failure = { error };
      return undefined;
    }
  })) as unknown as StackOutputs;
  await runtimeSettings.waitForRPCs();
  if (failure) throw failure.error;
  if (duplicates.length > 0) throw new DuplicateUrnError(duplicates[0]);
  const root = resources.find((r) => r.type === ROOT_STACK_TYPE);
  if (!root) throw new Error("the runtime registered no root stack resource");
  // Registration order depends on which outputs resolve first; callers get a stable order.
  resources.sort((a, b) => (a === root ? -1 : b === root ? 1 : a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack, resources, root, outputs };
}

/**
 * Records every registration the SDK sends to the (mock) monitor, with the URN the monitor answers,
 * into `resources`. Returns the URNs registered more than once (filled as the run goes).
 */
function recordRegistrations(resources: RegisteredResource[]): string[] {
  const monitor = pulumi.runtime.getMonitor() as unknown as RegistrationMonitor;
  const register = monitor.registerResource.bind(monitor);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  let rootUrn: string | undefined;
  monitor.registerResource = (req, callback) => {
    const parent = req.getParent() || undefined;
    // The engine leaves the root stack's type out of its children's URNs; the mock does not.
    if (parent !== undefined && parent === rootUrn) req.setParent("");
    register(req, (err, res) => {
      if (parent !== undefined) req.setParent(parent);
      if (err || !res) return callback(err, res);
      const urn = res.getUrn();
      if (seen.has(urn)) {
        // The engine stops the deployment here; the run ends first (failing this one registration
        // would leave the SDK's promises for it rejected with no handler) and then throws.
        duplicates.push(urn);
        return callback(null, res);
      }
      seen.add(urn);
      if (req.getType() === ROOT_STACK_TYPE && parent === undefined) rootUrn = urn;
      resources.push({
        type: req.getType(),
        name: req.getName(),
        urn,
        custom: req.getCustom(),
        props: pulumi.runtime.deserializeProperties(req.getObject()!) as Record<string, unknown>,
        ...(parent ? { parent } : {}),
        protect: req.getProtect() === true,
        ...(req.getImportid() ? { importId: req.getImportid() } : {}),
        ignoreChanges: req.getIgnorechangesList(),
      });
      callback(null, res);
    });
  };
  return duplicates;
}
