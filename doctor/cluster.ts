/** The doctor's checks of the cluster the tiers need: its nodes and their time zone, the tiers' guests and storages. */
import { PveApiError } from "../pve/apiError";
import { BACKUP_CONTENT, nfsExportKey } from "../pve/storage";
import { isPveTrue, parseList } from "../pve/values";
import type { Tier } from "../tiers/config";
import { Check, DoctorContext } from "./context";

export async function nodesCheck(ctx: DoctorContext): Promise<Check> {
  const nodes = await ctx.client.nodes();
  const offline = nodes.filter((n) => n.status !== "online");
  for (const n of offline) ctx.seen.offline.add(n.node);
  if (offline.length === 0) return { id: "nodes", ok: true, message: `online: ${nodes.map((n) => n.node).join(", ")}` };
  const names = offline.map((n) => `${n.node} (${n.status})`).join(", ");
  return {
    id: "nodes",
    ok: false,
    message: `not online: ${names}; PVE answers 595 for everything on them, so the provider's reads (guests, storages) fail there and their guests' backups do not run`,
    fix: `bring ${offline.map((n) => n.node).join(", ")} back online (or remove a node that is gone for good: pvecm delnode), then run the doctor again`,
  };
}

/**
 * PVE runs a schedule on its node's wall clock, in the node's time zone; the stack, the status, the
 * calendar and the report read it in the site's. Where they differ, every run is at another hour
 * than they say.
 */
export async function timezoneCheck(ctx: DoctorContext): Promise<Check> {
  const zone = ctx.site.timezone;
  const online = (await ctx.client.nodes()).filter((n) => n.status === "online").map((n) => n.node);
  const differing: string[] = [];
  for (const node of online) {
    const { timezone } = await ctx.client.nodeTime(node);
    if (timezone !== zone) differing.push(`${node} runs on ${timezone}`);
  }
  if (differing.length === 0) {
    return { id: "timezone", ok: true, message: `the nodes run on the site's time zone, ${zone}` };
  }
  return {
    id: "timezone",
    ok: false,
    message: `${differing.join(", ")}, the site on ${zone}: PVE runs schedules on the node's clock, so every run is at another hour than the stack, the status and the calendar say`,
    fix: `set pve-backup-tiers:site.timezone in ${ctx.siteFile.file} to the nodes' zone, or on each node: timedatectl set-timezone ${zone}`,
  };
}

export async function guestsCheck(ctx: DoctorContext): Promise<Check> {
  const guests = await ctx.clusterGuests();
  const byVmid = new Map(guests.map((g) => [g.vmid, g]));
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const tier of ctx.site.tiers) {
    tier.guests.forEach((g, j) => {
      const found = byVmid.get(g.vmid);
      const at = `pve-backup-tiers:site.tiers[${ctx.site.tiers.indexOf(tier)}].guests[${j}]`;
      if (!found) {
        problems.push(`${g.kind} ${g.vmid} (${g.name}, tier ${tier.id}) does not exist`);
        fixes.push(`create guest ${g.vmid}, or remove ${at} from ${ctx.siteFile.file}`);
      } else if (found.kind !== g.kind) {
        problems.push(`${g.vmid} (${g.name}, tier ${tier.id}) is a ${found.kind}, the stack says ${g.kind}`);
        fixes.push(`set ${at}.kind to ${found.kind} in ${ctx.siteFile.file}`);
      }
    });
  }
  const count = ctx.site.tiers.reduce((n, t) => n + t.guests.length, 0);
  const hidden = ctx.seen.privilegesOk ? "" : " (the token may not see every guest: see the privileges check)";
  if (problems.length === 0) return { id: "guests", ok: true, message: `all ${count} tier guests exist` };
  return { id: "guests", ok: false, message: `${problems.join("; ")}${hidden}`, fix: fixes.join("\n") };
}

export async function storagesCheck(ctx: DoctorContext): Promise<Check> {
  const problems: string[] = [];
  const fixes: string[] = [];
  const notes: string[] = [];
  const configs = await ctx.client.storages();
  const exists = new Set(configs.map((s) => s.storage));
  const byStorage = new Map<string, Tier[]>();
  for (const t of ctx.site.tiers) byStorage.set(t.storage, [...(byStorage.get(t.storage) ?? []), t]);
  for (const [id, tiers] of byStorage) {
    const managed = ctx.site.storages.find((s) => s.id === id);
    const tierNames = tiers.map((t) => t.id).join(", ");
    if (!exists.has(id)) {
      if (managed && !ctx.siteFile.adopt) {
        notes.push(`${id} does not exist yet: pulumi up creates it (NFS ${managed.server}:${managed.export})`);
        continue;
      }
      const hidden = ctx.seen.privilegesOk ? "" : " or the token may not see it";
      problems.push(`${id} (tiers ${tierNames}) does not exist${hidden}`);
      fixes.push(
        managed
          ? `set pve-backup-tiers:adopt false so that pulumi up creates ${id} (adoption imports only what exists)`
          : `create storage ${id} on the cluster (pvesm add ...), or point tiers ${tierNames} at an existing storage in ${ctx.siteFile.file}`,
      );
      continue;
    }
    if (managed) {
      const config = await ctx.client.storage(id);
      for (const key of ["server", "export"] as const) {
        if (config[key] !== undefined && config[key] !== managed[key]) {
          problems.push(
            `${id}'s ${key} is ${config[key]} on the cluster, ${managed[key]} in the stack (PVE cannot change it)`,
          );
          fixes.push(
            `set ${key}: ${config[key]} for storage ${id} in ${ctx.siteFile.file}, or remove the storage on PVE first`,
          );
        }
      }
    }
    // Two storage ids on one NFS export hold one dump folder: each job's pruning deletes the backups
    // the other id's jobs wrote of the same guest (pve-storage PVE/Storage.pm `prune_backups` lists
    // the folder, not the id). The pack sees only the storages the stack declares; this is the cluster.
    const self = configs.find((c) => c.storage === id);
    if (self?.type === "nfs" && self.server && self.export) {
      const key = nfsExportKey(String(self.server), String(self.export));
      const twins = configs.filter(
        (c) =>
          c.storage !== id &&
          c.type === "nfs" &&
          c.server &&
          c.export &&
          nfsExportKey(String(c.server), String(c.export)) === key,
      );
      for (const twin of twins) {
        problems.push(
          `${id} and ${twin.storage} mount the same NFS export ${self.server}:${self.export}: one dump folder, so each one's jobs prune the other's backups of the same guests (tiers ${tierNames})`,
        );
        fixes.push(`pvesm remove ${twin.storage}   # after pointing its jobs at ${id}`);
      }
    }
    const nodes = [...new Set((await Promise.all(tiers.map((t) => ctx.tierNodes(t)))).flat())].sort();
    for (const node of nodes) {
      const rows = await ctx.storagesOn(node);
      if (rows instanceof PveApiError) {
        problems.push(`${id} not checked on ${node}: ${rows.message}`);
        continue;
      }
      const row = rows.find((r) => r.storage === id);
      if (!row || !isPveTrue(row.enabled)) {
        problems.push(`${id} is not enabled on node ${node}, where guests of tiers ${tierNames} run`);
        fixes.push(
          `pvesm set ${id} --disable 0 --nodes <its nodes, ${node} included>${managed ? ` (or list ${node} under the storage's nodes in ${ctx.siteFile.file})` : ""}`,
        );
      } else if (!parseList(String(row.content ?? "")).includes(BACKUP_CONTENT)) {
        problems.push(`${id} does not take backup content (content ${row.content})`);
        fixes.push(`pvesm set ${id} --content ${[...parseList(String(row.content ?? "")), BACKUP_CONTENT].join(",")}`);
      }
    }
  }
  if (problems.length === 0) {
    const ok = [...byStorage.keys()].filter((id) => exists.has(id));
    return {
      id: "storages",
      ok: true,
      message: [ok.length > 0 ? `${ok.join(", ")} exist, enabled and taking backups on the tiers' nodes` : "", ...notes]
        .filter(Boolean)
        .join("; "),
    };
  }
  return {
    id: "storages",
    ok: false,
    message: [...problems, ...notes].join("; "),
    fix: [...new Set(fixes)].join("\n"),
  };
}
