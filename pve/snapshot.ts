/**
 * (Over 300 lines: one schema per PVE endpoint a snapshot holds, each with what PVE means by it, and
 * the readers that turn a snapshot into PVE's records; the backup job's schema is pve/job.ts.)
 *
 * A cluster snapshot: what the PVE API returns, saved as one JSON file so the program can be run and
 * judged without the cluster (`npm run check`). Capture one on a node with:
 *
 *   echo "{\"resources\": $(pvesh get /cluster/resources --type vm --output-format json),
 *          \"storage\": $(pvesh get /storage --output-format json),
 *          \"backup\": $(pvesh get /cluster/backup --output-format json)}" > cluster.json
 *
 * The API returns more fields than these schemas name; they are kept loose on purpose and only the
 * fields the program reads are validated.
 *
 * Optional keys extend a snapshot into a whole cluster for the PVE API double (`npm run pve-double`):
 * node status, PVE version, storage space, backup volumes, task history with logs, users, tokens,
 * roles and ACLs, and per-node vzdump defaults. `npm run check` ignores them.
 */
import * as z from "zod";
import { isValidTimeZone } from "../tiers/calendar";
import { InputError, parseJsonDocument } from "../tiers/input";
import type { ClusterGuest } from "../tiers/inventory";
import { GUEST_KINDS, GuestKind, STORAGE_ID_PATTERN, VMID_MAX, VMID_MIN } from "./ids";
import { PveJob, backupJobSchema, nonEmpty, readBackupJob } from "./job";
import { PruneBackups, parsePruneBackups, pruneBackupsValue } from "./retention";
import { isPveTrue, parseList, pveBoolean } from "./values";

const vmid = z.coerce.number().int().min(VMID_MIN).max(VMID_MAX);

/** `GET /cluster/resources?type=vm`; other resource types (node, storage, sdn, ...) are ignored. */
const resourceSchema = z.looseObject({
  type: z.string(),
  vmid: vmid.optional(),
  name: z.string().optional(),
  node: z.string().optional(),
  status: z.string().optional(),
  template: pveBoolean.optional(),
  /** The pool the guest is in, if any (`/cluster/resources` lists it with each guest). */
  pool: z.string().optional(),
});

/** `GET /storage` (the storage configuration, cluster-wide). */
const storageSchema = z.looseObject({
  storage: z.string().regex(STORAGE_ID_PATTERN, "is not a PVE storage id"),
  type: z.string(),
  content: z.string().optional(),
  nodes: z.string().optional(),
  disable: pveBoolean.optional(),
  shared: pveBoolean.optional(),
  "prune-backups": pruneBackupsValue.optional(),
  server: z.string().optional(),
  export: z.string().optional(),
  options: z.string().optional(),
});

/** `GET /nodes`: a node answers only while `online` (PVE proxies requests for an offline one: 595). */
/** A node of `GET /nodes`: without a `status` it counts as online. */
const nodeSchema = z.looseObject({
  node: z.string(),
  status: z.enum(["online", "offline", "unknown"]).optional(),
  /** pvescheduler's systemd state (`GET /nodes/{node}/services/pvescheduler/state`); default `running`. */
  scheduler: z.string().optional(),
  /** The node's journal (`GET /nodes/{node}/syslog`): when (Unix time), which service, what it said. */
  journal: z.array(z.object({ time: z.number().int(), service: z.string(), text: z.string() })).optional(),
});

const bytes = z.number().int().min(0);

/** `GET /nodes/{node}/storage/{storage}/status`; without `node`, the same on every node that has the storage. */
const storageStatusSchema = z
  .object({
    storage: z.string(),
    node: z.string().optional(),
    total: bytes,
    used: bytes,
    avail: bytes,
    active: pveBoolean.optional(),
  })
  .strict();

/**
 * A backup volume, as `GET /nodes/{node}/storage/{storage}/content?content=backup` lists it. `vmid`,
 * `format` and `ctime` default to what PVE reads from the vzdump file name (ctime in the nodes' time
 * zone); `node` is needed only on storages that are not shared.
 */
const backupVolumeSchema = z
  .object({
    storage: z.string(),
    node: z.string().optional(),
    volid: z.string().regex(/^[^:]+:backup\/\S+$/, "is not a backup volume id (<storage>:backup/<file>)"),
    size: bytes,
    ctime: z.number().int().min(0).optional(),
    vmid: vmid.optional(),
    format: z.string().optional(),
    notes: z.string().optional(),
    protected: pveBoolean.optional(),
  })
  .strict();

/**
 * A task of a node's task history (`GET /nodes/{node}/tasks`), with its log (`.../tasks/{upid}/log`),
 * one string a line. `upid` is made up from the other fields when absent; `status` is absent while
 * the task runs, `OK` or the error text once it ended.
 */
const taskSchema = z
  .object({
    node: z.string(),
    type: z.string(),
    id: z.string().default(""),
    user: z.string().default("root@pam"),
    starttime: z.number().int().min(0),
    endtime: z.number().int().min(0).optional(),
    status: z.string().optional(),
    upid: z.string().optional(),
    log: z.array(z.string()).default([]),
  })
  .strict();

/** A user (`GET /access/users?full=1`) with its API tokens; `secret` is the token's UUID, which PVE never shows. */
const userSchema = z
  .object({
    userid: z.string().regex(/^[^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+$/, "is not a PVE user id (name@realm)"),
    enable: pveBoolean.default(true),
    expire: z.number().int().min(0).optional(),
    groups: z.array(z.string()).default([]),
    tokens: z
      .array(
        z
          .object({
            tokenid: z.string().regex(/^[A-Za-z][A-Za-z0-9.\-_]+$/, "is not a PVE token id"),
            privsep: pveBoolean.default(true),
            expire: z.number().int().min(0).optional(),
            secret: z.string().min(1).optional(),
            comment: z.string().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();

/** An ACL entry as `GET /access/acl` lists it. */
const aclSchema = z
  .object({
    path: z.string().startsWith("/"),
    type: z.enum(["user", "group", "token"]),
    ugid: z.string(),
    roleid: z.string(),
    propagate: pveBoolean.default(true),
  })
  .strict();

/** Users, tokens, groups, resource pools, custom roles (`GET /access/roles`: privileges comma-separated) and ACLs. */
const accessSchema = z
  .object({
    users: z.array(userSchema).default([]),
    groups: z.array(z.object({ groupid: z.string() }).strict()).default([]),
    /** `GET /pools`; a pool a guest's `pool` names exists too. */
    pools: z.array(z.object({ poolid: z.string() }).strict()).default([]),
    roles: z.array(z.object({ roleid: z.string(), privs: z.string() }).strict()).default([]),
    acl: z.array(aclSchema).default([]),
  })
  .strict();

export const clusterSnapshotSchema = z
  .object({
    resources: z.array(resourceSchema),
    storage: z.array(storageSchema),
    backup: z.array(backupJobSchema).default([]),
    /** Optional `GET /nodes`; without it the nodes are those the guests and storages name. */
    nodes: z.array(nodeSchema).optional(),
    // The keys below are optional: the PVE API double (double/) serves them; `check` ignores them.
    /** `GET /version`. */
    version: z
      .looseObject({ version: z.string(), release: z.string().optional(), repoid: z.string().optional() })
      .optional(),
    /** The nodes' IANA time zone (`GET /nodes/{node}/time`): schedules and vzdump file names use it. */
    timezone: z.string().optional(),
    storageStatus: z.array(storageStatusSchema).optional(),
    /**
     * Whether a node reaches an NFS server (pve-storage PVE/Storage/NFSPlugin.pm `check_connection`):
     * `online: false` for a server that is down or cut off, from `node` or (without it) from every
     * node. A server not listed answers.
     */
    nfsServers: z
      .array(z.object({ server: z.string(), node: z.string().optional(), online: pveBoolean }).strict())
      .optional(),
    backups: z.array(backupVolumeSchema).optional(),
    tasks: z.array(taskSchema).optional(),
    access: accessSchema.optional(),
    /** Per node, what `/etc/vzdump.conf` sets (`GET /nodes/{node}/vzdump/defaults`), e.g. `notification-mode`. */
    vzdumpDefaults: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

export type ClusterSnapshot = z.output<typeof clusterSnapshotSchema>;

/** Parses a snapshot file's text. Every problem is an InputError naming the file, the JSON path and the value. */
export function parseClusterSnapshot(text: string, file: string): ClusterSnapshot {
  const snapshot = parseJsonDocument(text, file, clusterSnapshotSchema, { what: "invalid cluster snapshot" });
  if (snapshot.timezone !== undefined && !isValidTimeZone(snapshot.timezone)) {
    throw new InputError(
      `${file}: invalid cluster snapshot: $.timezone: ${JSON.stringify(snapshot.timezone)} is not an IANA time zone`,
    );
  }
  const checkPrune = (list: { "prune-backups"?: unknown }[], key: string) =>
    list.forEach((record, i) => {
      try {
        parsePruneBackups(record["prune-backups"]);
      } catch (err) {
        throw new InputError(
          `${file}: invalid cluster snapshot: $.${key}[${i}].prune-backups: ${(err as Error).message}`,
        );
      }
    });
  // A vmid names one guest cluster-wide (pve-cluster keeps /etc/pve/.vmlist unique): the same vmid
  // twice, on two nodes or one, is a snapshot put together by hand, and would be two guests here.
  const seen = new Map<number, { index: number; node?: string }>();
  snapshot.resources.forEach((r, i) => {
    if (!(GUEST_KINDS as readonly string[]).includes(r.type) || r.vmid === undefined) return;
    const first = seen.get(r.vmid);
    if (first === undefined) {
      seen.set(r.vmid, { index: i, node: r.node });
      return;
    }
    const where =
      first.node !== undefined && r.node !== undefined && first.node !== r.node
        ? `on two nodes, ${first.node} ($.resources[${first.index}]) and ${r.node}`
        : `twice (also $.resources[${first.index}])`;
    throw new InputError(
      `${file}: invalid cluster snapshot: $.resources[${i}].vmid: vmid ${r.vmid} is ${where}; a vmid names one guest in a cluster`,
    );
  });
  checkPrune(snapshot.storage, "storage");
  checkPrune(snapshot.backup, "backup");
  return snapshot;
}

/** The nodes of a snapshot: `/nodes` when given, else every node a guest or storage names. */
export function snapshotNodes(snapshot: ClusterSnapshot): string[] {
  if (snapshot.nodes) return [...new Set(snapshot.nodes.map((n) => n.node))].sort();
  const names = new Set<string>();
  for (const r of snapshot.resources) if (r.node) names.add(r.node);
  for (const s of snapshot.storage) for (const n of parseList(s.nodes)) names.add(n);
  return [...names].sort();
}

/** The nodes of the snapshot's `/nodes` whose status is not `online` (the provider's `onlines` false). */
export function snapshotOfflineNodes(snapshot: ClusterSnapshot): string[] {
  const offline = (snapshot.nodes ?? []).filter((n) => n.status !== undefined && n.status !== "online");
  return [...new Set(offline.map((n) => n.node))].sort();
}

/** An entry of `GET /cluster/resources`, as the API client or a snapshot has it. */
interface ResourceRecord {
  type: string;
  vmid?: number | string;
  name?: string;
  node?: string;
  status?: string;
  template?: unknown;
}

/** The guests of `/cluster/resources`: its qemu and lxc entries (nodes, storages, ... ignored). */
export function guestsOfResources(resources: readonly ResourceRecord[]): ClusterGuest[] {
  return resources
    .filter(
      (r): r is ResourceRecord & { type: GuestKind; vmid: number | string } =>
        (GUEST_KINDS as readonly string[]).includes(r.type) && r.vmid !== undefined,
    )
    .map((r) => ({
      vmid: Number(r.vmid),
      kind: r.type,
      name: r.name ?? "",
      node: r.node ?? "",
      status: r.status,
      template: isPveTrue(r.template),
    }));
}

/** Each pool the snapshot's guests are in, with its guests (`GET /pools/{poolid}`'s members), by id. */
export function snapshotPools(snapshot: ClusterSnapshot): Map<string, ClusterGuest[]> {
  const guests = new Map(snapshotGuests(snapshot).map((g) => [g.vmid, g]));
  const pools = new Map<string, ClusterGuest[]>();
  for (const r of snapshot.resources) {
    const guest = r.vmid === undefined ? undefined : guests.get(r.vmid);
    if (!r.pool || !guest) continue;
    pools.set(r.pool, [...(pools.get(r.pool) ?? []), guest]);
  }
  return pools;
}

/** Guests of the snapshot. */
export function snapshotGuests(snapshot: ClusterSnapshot): ClusterGuest[] {
  return guestsOfResources(snapshot.resources);
}

/**
 * A storage of `/storage`, as PVE means the record (parseClusterSnapshot has refused a
 * prune-backups value PVE cannot read): lists split, flags as booleans, an empty
 * `prune-backups` absent. `nodes` undefined means every node.
 */
export interface PveStorage {
  id: string;
  type: string;
  content: string[];
  nodes?: string[];
  disabled: boolean;
  shared: boolean;
  pruneBackups?: PruneBackups;
  server?: string;
  export?: string;
  options?: string;
}

export function snapshotStorages(snapshot: ClusterSnapshot): PveStorage[] {
  return snapshot.storage.map((s) => ({
    id: s.storage,
    type: s.type,
    content: parseList(s.content),
    nodes: s.nodes === undefined ? undefined : parseList(s.nodes),
    disabled: s.disable === true,
    shared: s.shared === true,
    pruneBackups: nonEmpty(parsePruneBackups(s["prune-backups"])),
    server: s.server,
    export: s.export,
    options: s.options,
  }));
}

/** The snapshot's backup jobs, as PVE means them. */
export function snapshotJobs(snapshot: ClusterSnapshot): PveJob[] {
  return snapshot.backup.map(readBackupJob);
}
