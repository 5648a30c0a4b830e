/**
 * The PVE API double's cluster, its ground floor: the time it answers for, the PVE version, the
 * nodes and guests a cluster snapshot (pve/snapshot.ts) describes, and who may do what (users,
 * tokens, roles and ACLs, pools). Each PVE area builds on it: jobs.ts, storages.ts, tasks.ts, and
 * cluster.ts the whole.
 */
import { randomUUID } from "crypto";
import { AccessModel, ROOT_USER, hasPrivileges, splitTokenId } from "../pve/privileges";
import { PROGRAM_ROLE, PROGRAM_ROLE_PRIVILEGES } from "../pve/programPrivileges";
import { parseList } from "../pve/values";
import { ClusterSnapshot, snapshotNodes } from "../pve/snapshot";
import { PveError, permissionError } from "./errors";

export interface DoubleNode {
  node: string;
  status: "online" | "offline" | "unknown";
  /** pvescheduler's systemd SubState. */
  scheduler: string;
  journal: { time: number; service: string; text: string }[];
}

const DEFAULT_VERSION = { version: "8.4.1", release: "8.4", repoid: "2a5fa54a8503f96d" };

export interface ClusterOptions {
  /** The time the double answers for (`next-run`); default: the real clock. */
  now?: () => Date;
}

export class ClusterBase {
  readonly timezone: string;
  readonly version: { version: string; release: string; repoid: string };
  readonly nodes = new Map<string, DoubleNode>();
  /** `/cluster/resources` guest entries, as the snapshot gave them. */
  readonly guests: Record<string, unknown>[] = [];
  readonly access: AccessModel;
  /** Resource pools (user.cfg's): the snapshot's `access.pools` and every pool a guest names. */
  readonly pools = new Set<string>();
  /** API token secrets by full token id. */
  readonly tokenSecrets = new Map<string, string>();
  readonly now: () => Date;

  constructor(snapshot: ClusterSnapshot, options: ClusterOptions = {}) {
    this.now = options.now ?? (() => new Date());
    this.timezone = snapshot.timezone ?? "UTC";
    this.version = { ...DEFAULT_VERSION, ...(snapshot.version ?? {}) } as typeof DEFAULT_VERSION;
    const nodeOf = new Map((snapshot.nodes ?? []).map((n) => [n.node, n]));
    for (const node of snapshotNodes(snapshot)) {
      const n = nodeOf.get(node);
      this.nodes.set(node, {
        node,
        status: n?.status ?? "online",
        scheduler: n?.scheduler ?? "running",
        journal: [...(n?.journal ?? [])].sort((a, b) => a.time - b.time),
      });
    }
    for (const r of snapshot.resources) {
      if (r.type !== "qemu" && r.type !== "lxc") continue;
      this.guests.push({ ...r, id: (r as { id?: string }).id ?? `${r.type}/${r.vmid}` });
    }
    this.access = {
      users: (snapshot.access?.users ?? defaultAccess().users).map((u) => ({
        userid: u.userid,
        enable: u.enable,
        expire: u.expire,
        groups: u.groups,
        tokens: u.tokens.map((t) => ({ tokenid: t.tokenid, privsep: t.privsep, expire: t.expire })),
      })),
      roles: Object.fromEntries(
        (snapshot.access?.roles ?? defaultAccess().roles).map((r) => [r.roleid, parseList(r.privs)]),
      ),
      acl: snapshot.access?.acl ?? defaultAccess().acl,
    };
    for (const pool of snapshot.access?.pools ?? []) this.pools.add(pool.poolid);
    for (const g of this.guests) if (typeof g.pool === "string") this.pools.add(g.pool);
    for (const u of snapshot.access?.users ?? defaultAccess().users) {
      for (const t of u.tokens) this.tokenSecrets.set(`${u.userid}!${t.tokenid}`, t.secret ?? randomUUID());
    }
  }

  // -------------------------------------------------------------------------------------------
  // Authentication and privileges.

  /** The authid a `PVEAPIToken=user@realm!tokenid=secret` value stands for; throws 401 like PVE otherwise. */
  authenticate(apiToken: string | undefined): string {
    const fail = () => new PveError(401, "Authentication failed!");
    const m = /^(.*)=(.*)$/.exec(apiToken ?? "");
    if (!m) throw fail();
    const [tokenId, secret] = [m[1], m[2]];
    const split = splitTokenId(tokenId);
    if (!split) throw fail();
    const user = this.access.users.find((u) => u.userid === split[0]);
    const token = user?.tokens.find((t) => t.tokenid === split[1]);
    const now = this.now().getTime() / 1000;
    if (!user || !user.enable || (user.expire && user.expire < now)) throw fail();
    if (!token || (token.expire && token.expire < now)) throw fail();
    if (this.tokenSecrets.get(tokenId) !== secret) throw fail();
    return tokenId;
  }

  /** The full `user@realm!tokenid=secret` of a token, for tests and the standalone double's banner. */
  apiToken(tokenId?: string): string {
    const id = tokenId ?? [...this.tokenSecrets.keys()][0];
    const secret = this.tokenSecrets.get(id);
    if (secret === undefined) throw new Error(`the double has no token ${id}`);
    return `${id}=${secret}`;
  }

  can(authid: string, path: string, privs: readonly string[], any = false): boolean {
    return authid === ROOT_USER || hasPrivileges(this.access, authid, path, privs, any);
  }

  /** RPCEnvironment.pm `check`: each privilege in turn, the error naming the first one missing. */
  check(authid: string, path: string, privs: readonly string[]): void {
    const missing = privs.find((p) => !this.can(authid, path, [p]));
    if (missing !== undefined) throw permissionError(`${path}, ${missing}`);
  }

  protected checkAny(authid: string, path: string, privs: readonly string[]): void {
    if (!this.can(authid, path, privs, true)) throw permissionError(`${path}, ${privs.join("|")}`);
  }

  // -------------------------------------------------------------------------------------------
  // Nodes and guests.

  requireNode(node: string): DoubleNode {
    const found = this.nodes.get(node);
    // PVE cannot resolve a node it does not know: the proxy step fails.
    if (!found) {
      throw new PveError(
        500,
        `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
      );
    }
    return found;
  }

  protected guestNode(vmid: number): string | undefined {
    return this.guests.find((g) => Number(g.vmid) === vmid)?.node as string | undefined;
  }
}

/**
 * Access when the snapshot names none: the README's token set-up that works. User `pulumi@pve` and
 * its token `backup-tiers` (privilege separation on), each granted the program's role on `/`.
 */
function defaultAccess(): NonNullable<ClusterSnapshot["access"]> {
  return {
    users: [{ userid: "pulumi@pve", enable: true, groups: [], tokens: [{ tokenid: "backup-tiers", privsep: true }] }],
    groups: [],
    pools: [],
    roles: [{ roleid: PROGRAM_ROLE, privs: PROGRAM_ROLE_PRIVILEGES.join(",") }],
    acl: [
      { path: "/", type: "user", ugid: "pulumi@pve", roleid: PROGRAM_ROLE, propagate: true },
      { path: "/", type: "token", ugid: "pulumi@pve!backup-tiers", roleid: PROGRAM_ROLE, propagate: true },
    ],
  };
}
