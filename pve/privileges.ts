/**
 * PVE's privilege model, as pve-access-control computes it: built-in roles, ACLs that propagate down
 * the path tree (a more specific ACL replaces what a parent gave), groups, and API tokens. A token
 * with privilege separation (`--privsep 1`, the default) gets the INTERSECTION of its own and its
 * user's privileges, so a role granted to the token alone gives it nothing.
 *
 * Shared by the PVE API double (which answers 403 and filters lists with it) and by `npm run doctor`
 * (which names what the program needs and lacks, and the `pveum` commands that grant it:
 * programPrivileges.ts).
 */

/** PVE's privilege groups (AccessControl.pm `$privgroups`): each category's root, admin, user and audit privileges. */
const PRIVILEGE_GROUPS: Record<string, { root: string[]; admin: string[]; user: string[]; audit: string[] }> = {
  VM: {
    root: [],
    admin: [
      "VM.Config.Disk",
      "VM.Config.CPU",
      "VM.Config.Memory",
      "VM.Config.Network",
      "VM.Config.HWType",
      "VM.Config.Options",
      "VM.Allocate",
      "VM.Clone",
      "VM.GuestAgent.Unrestricted",
      "VM.Migrate",
      "VM.Replicate",
      "VM.Snapshot",
      "VM.Snapshot.Rollback",
    ],
    user: [
      "VM.Config.CDROM",
      "VM.Config.Cloudinit",
      "VM.Console",
      "VM.Backup",
      "VM.GuestAgent.FileRead",
      "VM.GuestAgent.FileSystemMgmt",
      "VM.GuestAgent.FileWrite",
      "VM.PowerMgmt",
    ],
    audit: ["VM.Audit", "VM.GuestAgent.Audit"],
  },
  Sys: {
    root: ["Sys.PowerMgmt", "Sys.Modify", "Sys.Incoming", "Sys.AccessNetwork"],
    admin: ["Sys.Console", "Sys.Syslog"],
    user: [],
    audit: ["Sys.Audit"],
  },
  Datastore: {
    root: [],
    admin: ["Datastore.Allocate", "Datastore.AllocateTemplate"],
    user: ["Datastore.AllocateSpace"],
    audit: ["Datastore.Audit"],
  },
  SDN: { root: [], admin: ["SDN.Allocate", "SDN.Audit"], user: ["SDN.Use"], audit: ["SDN.Audit"] },
  User: {
    root: ["Realm.Allocate"],
    admin: ["User.Modify", "Group.Allocate", "Realm.AllocateUser"],
    user: [],
    audit: [],
  },
  Pool: { root: [], admin: ["Pool.Allocate"], user: ["Pool.Audit"], audit: ["Pool.Audit"] },
  Mapping: { root: [], admin: ["Mapping.Modify"], user: ["Mapping.Use"], audit: ["Mapping.Audit"] },
};

/** Every privilege PVE knows. */
const ALL_PRIVILEGES: readonly string[] = [
  ...new Set([
    "Permissions.Modify",
    ...Object.values(PRIVILEGE_GROUPS).flatMap((g) => [...g.root, ...g.admin, ...g.user, ...g.audit]),
  ]),
].sort();

/** PVE's built-in roles (`create_roles`), by name. */
export const BUILTIN_ROLES: Readonly<Record<string, readonly string[]>> = (() => {
  const roles: Record<string, Set<string>> = { NoAccess: new Set(), Administrator: new Set(ALL_PRIVILEGES) };
  const add = (role: string, privs: string[]) => {
    roles[role] ??= new Set();
    for (const p of privs) roles[role].add(p);
  };
  for (const [cat, g] of Object.entries(PRIVILEGE_GROUPS)) {
    add(`PVE${cat}Admin`, [...g.admin, ...g.user, ...g.audit]);
    add("PVEAdmin", [...g.admin, ...g.user, ...g.audit]);
    if (g.user.length > 0) add(`PVE${cat}User`, [...g.user, ...g.audit]);
    add("PVEAuditor", g.audit);
  }
  roles.PVEAdmin.delete("Mapping.Modify");
  roles.PVETemplateUser = new Set(["VM.Clone", "VM.Audit"]);
  return Object.fromEntries(Object.entries(roles).map(([k, v]) => [k, [...v].sort()]));
})();

export const ROOT_USER = "root@pam";

/** One ACL entry (`/etc/pve/user.cfg`, `GET /access/acl`). */
interface AclEntry {
  path: string;
  type: "user" | "group" | "token";
  /** The user, group or full token id (`user@realm!tokenid`). */
  ugid: string;
  roleid: string;
  propagate: boolean;
}

interface TokenInfo {
  /** The token's own id, without the user (`backup-tiers`). */
  tokenid: string;
  privsep: boolean;
  expire?: number;
}

interface UserInfo {
  userid: string;
  enable: boolean;
  expire?: number;
  groups: string[];
  tokens: TokenInfo[];
}

/** What PVE's privilege checks read: users with their tokens, groups' members, roles, ACLs. */
export interface AccessModel {
  users: UserInfo[];
  /** Custom roles by name; the built-in ones are always there. */
  roles: Record<string, readonly string[]>;
  acl: AclEntry[];
}

/** Privileges at one path: privilege → propagate flag (as `GET /access/permissions` shows them). */
export type PathPrivileges = Record<string, boolean>;

/** `user@realm!tokenid` → `["user@realm", "tokenid"]`; undefined for a user id. */
export function splitTokenId(authid: string): [string, string] | undefined {
  const m = /^([^\s:/]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)$/.exec(authid);
  return m ? [m[1], m[2]] : undefined;
}

function findToken(model: AccessModel, authid: string): { user: UserInfo; token: TokenInfo } | undefined {
  const split = splitTokenId(authid);
  if (!split) return undefined;
  const user = model.users.find((u) => u.userid === split[0]);
  const token = user?.tokens.find((t) => t.tokenid === split[1]);
  return user && token ? { user, token } : undefined;
}

function roleDefinition(model: AccessModel, role: string): readonly string[] | undefined {
  return BUILTIN_ROLES[role] ?? model.roles[role];
}

/**
 * The roles an authid (user or token) holds at `path`, with their propagate flags: AccessControl.pm's
 * `roles`. Walking from `/` down, each level where the authid (or, for users, one of its groups) has
 * an ACL that applies there replaces what the levels above gave; a parent's role reaches a child only
 * with propagate. Pools are not modelled.
 */
function rolesAt(model: AccessModel, authid: string, path: string): Record<string, boolean> {
  const token = splitTokenId(authid);
  if (token) {
    const found = findToken(model, authid);
    if (!found) return {};
    if (!found.token.privsep) return rolesAt(model, token[0], path);
  }
  const user = token ? undefined : model.users.find((u) => u.userid === authid);
  const levels = path === "/" ? ["/"] : ["/", ...prefixes(path)];
  let roles: Record<string, boolean> = {};
  levels.forEach((level, i) => {
    const final = i === levels.length - 1;
    const applies = (e: AclEntry) => e.path === level && (final || e.propagate);
    const pick = (entries: AclEntry[]) => {
      if (entries.length === 0) return false;
      roles = {};
      for (const e of entries) roles[e.roleid] = roles[e.roleid] || e.propagate;
      return true;
    };
    const own = model.acl.filter((e) => e.type === (token ? "token" : "user") && e.ugid === authid && applies(e));
    if (pick(own)) return;
    if (!user) return;
    pick(model.acl.filter((e) => e.type === "group" && user.groups.includes(e.ugid) && applies(e)));
  });
  if (roles.NoAccess !== undefined) return { NoAccess: roles.NoAccess };
  return roles;
}

/** `/storage/nfs` → `["/storage", "/storage/nfs"]`. */
function prefixes(path: string): string[] {
  const parts = path.split("/").filter((p) => p.length > 0);
  return parts.map((_, i) => `/${parts.slice(0, i + 1).join("/")}`);
}

/**
 * The privileges an authid has at `path`: RPCEnvironment.pm's `permissions`. root@pam has all; a
 * token without privilege separation has its user's; a token with it has the privileges both it and
 * its user have (propagating only where both propagate).
 */
export function privilegesAt(model: AccessModel, authid: string, path: string): PathPrivileges {
  if (authid === ROOT_USER) return Object.fromEntries(ALL_PRIVILEGES.map((p) => [p, true]));
  const token = splitTokenId(authid);
  let userPrivileges: PathPrivileges | undefined;
  if (token) {
    const found = findToken(model, authid);
    if (!found) return {};
    userPrivileges = privilegesAt(model, token[0], path);
    if (!found.token.privsep) return userPrivileges;
  }
  const privileges: PathPrivileges = {};
  for (const [role, propagate] of Object.entries(rolesAt(model, authid, path))) {
    for (const p of roleDefinition(model, role) ?? []) privileges[p] = privileges[p] || propagate;
  }
  if (!userPrivileges) return privileges;
  const both: PathPrivileges = {};
  for (const [p, propagate] of Object.entries(privileges)) {
    if (userPrivileges[p] !== undefined) both[p] = userPrivileges[p] && propagate;
  }
  return both;
}

/** The paths `GET /access/permissions` reports without `path`: PVE's top-level paths and every ACL path. */
const TOP_LEVEL_PATHS = ["/", "/access", "/access/groups", "/nodes", "/pool", "/sdn", "/storage", "/vms"];

/** `GET /access/permissions` without `path` (`get_effective_permissions`): path → privileges, empty paths left out. */
export function effectivePermissions(model: AccessModel, authid: string): Record<string, PathPrivileges> {
  const paths = new Set([...TOP_LEVEL_PATHS, ...model.acl.map((e) => e.path)]);
  const result: Record<string, PathPrivileges> = {};
  for (const path of [...paths].sort()) {
    const privileges = privilegesAt(model, authid, path);
    if (Object.keys(privileges).length > 0) result[path] = privileges;
  }
  return result;
}

/** True when `authid` has every privilege (or, with `any`, one of them) at `path`. */
export function hasPrivileges(model: AccessModel, authid: string, path: string, privs: readonly string[], any = false) {
  const held = privilegesAt(model, authid, path);
  return any ? privs.some((p) => held[p] !== undefined) : privs.every((p) => held[p] !== undefined);
}

/** A 403's text, `Permission check failed (/storage/x, Datastore.Audit|Datastore.AllocateSpace)`, read back. */
export function parsePermissionFailure(
  message: string,
): { path: string; privileges: string[]; any: boolean } | undefined {
  const m = /Permission check failed \(([^,)]+), ([^)]+)\)/.exec(message);
  if (!m) return undefined;
  const any = m[2].includes("|");
  return { path: m[1], privileges: m[2].split(/[|,]\s*/).map((p) => p.trim()), any };
}

// ---------------------------------------------------------------------------------------------
// Who sees a backup (pve-storage Storage.pm `check_volume_access`, API2/Storage/Content.pm).

/**
 * Seeing a storage at all needs one of these on `/storage/<id>`: to find it in `/storage` or a node's
 * storage list, to list its content, to read its status.
 */
export const STORAGE_LISTING_PRIVILEGES = ["Datastore.Audit", "Datastore.AllocateSpace"] as const;

/**
 * Whether the content listing shows a backup of a guest: with Datastore.Allocate on the storage, or
 * with Datastore.AllocateSpace there and VM.Backup on `/vms/<vmid>`. Any other backup the listing
 * skips silently. `onGuest` may be left out when `onStorage` decides alone.
 */
export function seesBackup(onStorage: PathPrivileges, onGuest?: PathPrivileges): boolean {
  if (onStorage["Datastore.Allocate"] !== undefined) return true;
  return onStorage["Datastore.AllocateSpace"] !== undefined && onGuest?.["VM.Backup"] !== undefined;
}

/**
 * Why a caller cannot see the backups of guest `vmid` on `storage`, naming what it lacks; undefined
 * when it can. The listing itself needs Datastore.Audit or Datastore.AllocateSpace on the storage.
 */
export function backupVisibilityGap(
  storage: string,
  vmid: number,
  onStorage: PathPrivileges,
  onGuest?: PathPrivileges,
): string | undefined {
  if (seesBackup(onStorage, onGuest)) return undefined;
  const storagePath = `/storage/${storage}`;
  if (!STORAGE_LISTING_PRIVILEGES.some((p) => onStorage[p] !== undefined)) {
    return `lacks ${STORAGE_LISTING_PRIVILEGES.join(" or ")} on ${storagePath}, so PVE lists nothing there`;
  }
  if (onStorage["Datastore.AllocateSpace"] !== undefined) {
    return (
      `lacks VM.Backup on /vms/${vmid} (or Datastore.Allocate on ${storagePath}), ` +
      "so PVE's listing leaves this guest's backups out"
    );
  }
  return (
    `lacks Datastore.Allocate on ${storagePath} (or Datastore.AllocateSpace there and VM.Backup on /vms/${vmid}), ` +
    "so PVE's listing leaves this guest's backups out"
  );
}
