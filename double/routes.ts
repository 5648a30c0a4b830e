/**
 * The PVE API double's routes: what each endpoint does on the cluster (`HANDLERS`, keyed
 * `METHOD /template` as pve/endpoints.json names it), and the schema's permission checks as PVE's
 * RPCEnvironment.pm runs them before any handler. The HTTPS server around them: server.ts.
 */
import { isPveTrue } from "../pve/values";
import { formatIsoTime } from "../tiers/calendar";
import { effectivePermissions, privilegesAt } from "../pve/privileges";
import type { PermissionCheck } from "../pve/schema";
import type { Params } from "../pve/params";
import type { DoubleCluster } from "./cluster";
import { PveError, permissionError } from "./errors";

export type Handler = (ctx: RequestContext) => unknown;

export interface RequestContext {
  authid: string;
  params: Params;
  cluster: DoubleCluster;
  /** Set by a handler to add PVE's `total` attribute to the answer. */
  total?: number;
}

const str = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** What each endpoint does; permission checks of the schema (`check`) have run before. */
export const HANDLERS: Record<string, Handler> = {
  "GET /version": ({ cluster }) => ({ ...cluster.version, console: "html5" }),
  // pve-manager PVE/API2/Nodes.pm, time: the clock, the zone (/etc/timezone: the snapshot's), and
  // `localtime`, the wall time read as UTC (timegm(localtime(time))).
  "GET /nodes/{node}/time": ({ cluster }) => {
    const now = cluster.now();
    const wall = Date.parse(`${formatIsoTime(now, cluster.timezone).slice(0, 19)}Z`);
    return { timezone: cluster.timezone, time: Math.floor(now.getTime() / 1000), localtime: Math.floor(wall / 1000) };
  },
  "GET /nodes": ({ cluster, authid }) =>
    [...cluster.nodes.values()].map((n) => ({
      node: n.node,
      status: n.status,
      type: "node",
      id: `node/${n.node}`,
      ...(n.status === "online" && cluster.can(authid, `/nodes/${n.node}`, ["Sys.Audit"])
        ? { maxcpu: 8, maxmem: 34359738368, mem: 8589934592, cpu: 0.05, uptime: 864000, level: "" }
        : {}),
    })),
  "GET /cluster/status": ({ cluster }) => {
    const nodes = [...cluster.nodes.values()];
    return [
      { type: "cluster", id: "cluster", name: "double", nodes: nodes.length, quorate: 1, version: 1 },
      ...nodes.map((n, i) => ({
        type: "node",
        id: `node/${n.node}`,
        name: n.node,
        nodeid: i + 1,
        online: n.status === "online" ? 1 : 0,
        local: i === 0 ? 1 : 0,
        ip: `127.0.0.${i + 1}`,
        level: "",
      })),
    ];
  },
  "GET /cluster/resources": ({ cluster, authid, params }) => {
    const type = str(params.type);
    const out: Record<string, unknown>[] = [];
    if (!type || type === "vm") {
      // pve-manager PVE/API2Tools.pm extract_vm_stats: `template` is always there, 0 or 1.
      for (const g of cluster.guests) {
        if (cluster.can(authid, `/vms/${g.vmid}`, ["VM.Audit"]))
          out.push({ ...g, template: isPveTrue(g.template) ? 1 : 0 });
      }
    }
    if (!type || type === "node") {
      for (const n of cluster.nodes.values()) {
        out.push({ id: `node/${n.node}`, type: "node", node: n.node, status: n.status, level: "" });
      }
    }
    if (!type || type === "storage") {
      for (const n of cluster.nodes.values()) {
        for (const s of cluster.storages.values()) {
          if (!cluster.storageEnabledOn(s, n.node)) continue;
          // pve-manager PVE/API2/Cluster.pm resources: storage entries need Datastore.Audit on the storage.
          if (!cluster.can(authid, `/storage/${s.storage}`, ["Datastore.Audit"])) continue;
          // API2Tools.pm extract_storage_stats: `available` only with fresh RRD data, which pvestatd
          // sends only for an active storage (PVE/Service/pvestatd.pm update_storage_status).
          const available = n.status === "online" && cluster.reachable(s, n.node);
          out.push({
            id: `storage/${n.node}/${s.storage}`,
            type: "storage",
            storage: s.storage,
            node: n.node,
            plugintype: s.type,
            content: s.content ?? "",
            shared: s.shared === 1 ? 1 : 0,
            status: available ? "available" : "unknown",
          });
        }
      }
    }
    return out;
  },
  "GET /cluster/backup": ({ cluster }) => cluster.listJobs(),
  "POST /cluster/backup": ({ cluster, authid, params }) => {
    cluster.createJob(authid, params);
    return null;
  },
  "GET /cluster/backup/{id}": ({ cluster, params }) => cluster.readJob(String(params.id)),
  "PUT /cluster/backup/{id}": ({ cluster, authid, params }) => {
    cluster.updateJob(authid, String(params.id), params);
    return null;
  },
  "DELETE /cluster/backup/{id}": ({ cluster, params }) => {
    cluster.deleteJob(String(params.id));
    return null;
  },
  "GET /cluster/backup-info/not-backed-up": ({ cluster, authid }) => cluster.notBackedUp(authid),
  "GET /cluster/tasks": ({ cluster, authid }) => cluster.clusterTasks(authid),
  "GET /storage": ({ cluster, authid, params }) => cluster.listStorages(authid, str(params.type)),
  "POST /storage": ({ cluster, params }) => cluster.createStorage(params),
  "GET /storage/{storage}": ({ cluster, params }) => cluster.readStorage(String(params.storage)),
  "PUT /storage/{storage}": ({ cluster, params }) => cluster.updateStorage(String(params.storage), params),
  "DELETE /storage/{storage}": ({ cluster, params }) => {
    cluster.deleteStorage(String(params.storage));
    return null;
  },
  "GET /nodes/{node}/storage": ({ cluster, authid, params }) =>
    cluster.nodeStorages(authid, String(params.node), params),
  "GET /nodes/{node}/storage/{storage}/status": ({ cluster, params }) =>
    cluster.storageStatusOf(String(params.node), String(params.storage)),
  "GET /nodes/{node}/storage/{storage}/content": ({ cluster, authid, params }) =>
    cluster.storageContent(authid, String(params.node), String(params.storage), params),
  "GET /nodes/{node}/qemu": guestsOfKind("qemu"),
  "GET /nodes/{node}/lxc": guestsOfKind("lxc"),
  "GET /nodes/{node}/tasks": (ctx) => {
    const { data, total } = ctx.cluster.nodeTasks(ctx.authid, String(ctx.params.node), ctx.params);
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/services/{service}/state": ({ cluster, params }) =>
    cluster.serviceState(String(params.node), String(params.service)),
  "GET /nodes/{node}/syslog": (ctx) => {
    const { data, total } = ctx.cluster.syslog(String(ctx.params.node), ctx.params);
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/tasks/{upid}/log": (ctx) => {
    const { data, total } = ctx.cluster.taskLog(
      ctx.authid,
      String(ctx.params.node),
      String(ctx.params.upid),
      ctx.params,
    );
    ctx.total = total;
    return data;
  },
  "GET /nodes/{node}/tasks/{upid}/status": ({ cluster, authid, params }) =>
    cluster.taskStatus(authid, String(params.node), String(params.upid)),
  "GET /cluster/nextid": ({ cluster, params }) =>
    cluster.nextId(params.vmid === undefined ? undefined : Number(params.vmid)),
  "GET /nodes/{node}/vzdump/extractconfig": ({ cluster, authid, params }) =>
    cluster.extractConfig(authid, String(params.volume)),
  "POST /nodes/{node}/qemu": ({ cluster, authid, params }) => {
    // Qemu.pm create_vm: the double restores; creating a VM from nothing is not modelled.
    if (params.archive === undefined) throw new PveError(501, "the double creates VMs only by restore (archive)");
    return cluster.restore(authid, String(params.node), "qemu", params);
  },
  "POST /nodes/{node}/lxc": ({ cluster, authid, params }) =>
    cluster.restore(authid, String(params.node), "lxc", params),
  ...guestRoutes("qemu"),
  ...guestRoutes("lxc"),
  "POST /nodes/{node}/qemu/{vmid}/agent/ping": ({ cluster, params }) =>
    cluster.agentPing(String(params.node), Number(params.vmid)),
  "DELETE /nodes/{node}/tasks/{upid}": ({ cluster, authid, params }) =>
    cluster.stopTask(authid, String(params.node), String(params.upid)),
  "GET /nodes/{node}/vzdump/defaults": ({ cluster, authid, params }) =>
    cluster.vzdumpDefaults(authid, String(params.node), str(params.storage)),
  "GET /access/permissions": ({ cluster, authid, params }) => {
    const userid = str(params.userid) ?? authid;
    const ownToken = userid.startsWith(`${authid}!`);
    if (userid !== authid && !ownToken) cluster.check(authid, "/access", ["Sys.Audit"]);
    const toFlags = (privs: Record<string, boolean>) =>
      Object.fromEntries(Object.entries(privs).map(([k, v]) => [k, v ? 1 : 0]));
    const path = str(params.path);
    if (path) return { [path]: toFlags(privilegesAt(cluster.access, userid, path)) };
    return Object.fromEntries(
      Object.entries(effectivePermissions(cluster.access, userid)).map(([p, privs]) => [p, toFlags(privs)]),
    );
  },
  "GET /access/acl": ({ cluster, authid }) =>
    cluster.access.acl
      .filter((e) => cluster.can(authid, e.path, ["Permissions.Modify"]) || cluster.can(authid, e.path, ["Sys.Audit"]))
      .map((e) => ({ path: e.path, type: e.type, ugid: e.ugid, roleid: e.roleid, propagate: e.propagate ? 1 : 0 })),
};

/** A guest's status, start, stop and destroy (qemu-server PVE/API2/Qemu.pm, pve-container PVE/API2/LXC.pm). */
function guestRoutes(kind: "qemu" | "lxc"): Record<string, Handler> {
  const base = `/nodes/{node}/${kind}/{vmid}`;
  const at = (params: Params) => [String(params.node), Number(params.vmid)] as const;
  return {
    [`GET ${base}/status/current`]: ({ cluster, params }) => cluster.guestStatus(...at(params), kind),
    [`POST ${base}/status/start`]: ({ cluster, authid, params }) => cluster.startGuest(authid, ...at(params), kind),
    [`POST ${base}/status/stop`]: ({ cluster, authid, params }) => cluster.stopGuest(authid, ...at(params), kind),
    [`DELETE ${base}`]: ({ cluster, authid, params }) => cluster.destroyGuest(authid, ...at(params), kind, params),
  };
}

function guestsOfKind(kind: "qemu" | "lxc"): Handler {
  return ({ cluster, authid, params }) =>
    cluster.guests
      .filter((g) => g.type === kind && g.node === params.node)
      .filter((g) => cluster.can(authid, `/vms/${g.vmid}`, ["VM.Audit"]))
      .map((g) => ({
        vmid: Number(g.vmid),
        name: g.name,
        status: g.status ?? "stopped",
        // qemu-server PVE/QemuServer.pm vmstatus, pve-container PVE/LXC.pm vmstatus: `template => 1` for a template only
        ...(isPveTrue(g.template) ? { template: 1 } : {}),
        ...(g.tags !== undefined ? { tags: g.tags } : {}),
      }));
}

/** RPCEnvironment.pm `exec_api2_perm_check`, on the schema's `permissions.check`. */
export function checkPermission(
  cluster: DoubleCluster,
  check: PermissionCheck,
  authid: string,
  params: Params,
  noerr = false,
): boolean {
  const [test, ...rest] = check as [string, ...unknown[]];
  const fail = () => {
    if (noerr) return false;
    throw permissionError();
  };
  switch (test) {
    case "and":
      return (rest as PermissionCheck[]).every((sub) => checkPermission(cluster, sub, authid, params, noerr));
    case "or":
      return (rest as PermissionCheck[]).some((sub) => checkPermission(cluster, sub, authid, params, true)) || fail();
    case "perm": {
      const [template, privs, ...options] = rest as [string, string[], ...unknown[]];
      const any = options[0] === "any" && Boolean(options[1]);
      const path = template.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? "")).replace(/\/+$/, "") || "/";
      if (cluster.can(authid, path, privs, any)) return true;
      if (noerr) return false;
      if (any) throw permissionError(`${path}, ${privs.join("|")}`); // RPCEnvironment.pm check_any
      cluster.check(authid, path, privs); // throws, naming the first privilege missing
      return true;
    }
    case "userid-param": {
      const userid = String(params.userid ?? "");
      return authid === userid || fail();
    }
    case "userid-group":
      return cluster.can(authid, "/access/groups", rest[0] as string[], true) || fail();
    case "perm-modify":
      return (
        cluster.can(
          authid,
          String(rest[0]).replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? "")),
          ["Permissions.Modify"],
        ) || fail()
      );
    default:
      return fail();
  }
}
