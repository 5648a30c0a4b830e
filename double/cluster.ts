/**
 * The PVE API double's cluster: the state a cluster snapshot (pve/snapshot.ts, with its optional
 * extensions) describes, and PVE's own semantics for reading and changing it, one PVE area a layer:
 * nodes, guests and access (clusterBase.ts), backup jobs (jobs.ts), storage and backup volumes
 * (storages.ts), tasks, services and the journal (tasks.ts), guests that run and tasks that take
 * time (guests.ts), restores (restore.ts), and here per-node vzdump defaults.
 *
 * Errors are thrown as PveError (errors.ts) with PVE's status, message and per-parameter errors,
 * taken from PVE's source (pve-manager API2/Backup.pm, pve-storage API2/Storage/*.pm, JSONSchema.pm).
 */
import { STORAGE_LISTING_PRIVILEGES } from "../pve/privileges";
import { methodInfo } from "../pve/schema";
import { parseList } from "../pve/values";
import type { ClusterSnapshot } from "../pve/snapshot";
import type { ClusterOptions } from "./clusterBase";
import { PveError } from "./errors";
import { ClusterRestores } from "./restore";

export class DoubleCluster extends ClusterRestores {
  private readonly vzdumpConf: Record<string, Record<string, unknown>>;

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    super(snapshot, options);
    this.vzdumpConf = snapshot.vzdumpDefaults ?? {};
  }

  // -------------------------------------------------------------------------------------------
  // vzdump defaults (pve-manager PVE/API2/VZDump.pm `defaults`).

  vzdumpDefaults(authid: string, node: string, storageParamValue?: string): Record<string, unknown> {
    const returns = methodInfo("GET", "/nodes/{node}/vzdump/defaults").returns.properties ?? {};
    const result: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(returns)) {
      if (schema.default !== undefined && key !== "prune-backups") result[key] = schema.default;
    }
    Object.assign(result, this.vzdumpConf[node] ?? {});
    if (storageParamValue !== undefined) result.storage = storageParamValue;
    if (result.dumpdir === undefined && result.storage === undefined) result.storage = "local";
    if (typeof result.storage === "string") {
      this.checkAny(authid, `/storage/${result.storage}`, STORAGE_LISTING_PRIVILEGES);
      const s = this.storages.get(result.storage);
      if (!s) throw new PveError(500, `storage '${result.storage}' does not exist`);
      if (!parseList(String(s.content ?? "")).includes("backup")) {
        throw new PveError(500, `can't use storage '${result.storage}' for backups - wrong content type`);
      }
      if (s.path !== undefined) result.dumpdir = `${s.path}/dump`;
      if (s["prune-backups"] !== undefined) result["prune-backups"] = String(s["prune-backups"]);
    }
    if (Array.isArray(result["exclude-path"])) result["exclude-path"] = (result["exclude-path"] as string[]).join(",");
    if (!this.can(authid, `/nodes/${node}`, ["Sys.Audit"])) {
      for (const key of ["mailto", "tmpdir", "dumpdir", "script", "ionice"]) delete result[key];
    }
    return result;
  }
}
