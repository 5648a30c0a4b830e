/**
 * What this project's program needs of PVE's privileges, per path, and how to grant it: the role
 * the README creates and the `pveum` commands `npm run doctor` prints for what a token lacks.
 */
import { PathPrivileges, splitTokenId } from "./privileges";

/** A privilege the program needs at a path; `propagate` when it must reach the path's children. */
export interface PrivilegeNeed {
  path: string;
  privileges: string[];
  propagate: boolean;
  why: string;
}

/** The role the README creates, and that the doctor's fix grants. */
export const PROGRAM_ROLE = "BackupTiers";
export const PROGRAM_ROLE_PRIVILEGES = ["Sys.Audit", "Sys.Modify", "Datastore.Audit", "Datastore.Allocate", "VM.Audit"];

/**
 * The privileges `pulumi preview`/`up` need, per path, for a stack whose tiers write to `storages`
 * (PVE's permission checks: API2/Backup.pm, API2/Storage/Config.pm, the guest and storage lists).
 */
export function programPrivileges(storages: readonly string[]): PrivilegeNeed[] {
  return [
    {
      path: "/",
      privileges: ["Sys.Audit", "Sys.Modify"],
      propagate: false,
      why: "read (Sys.Audit) and create, change or delete (Sys.Modify) backup jobs: PVE checks /cluster/backup on /",
    },
    {
      path: "/storage",
      privileges: ["Datastore.Audit", "Datastore.Allocate"],
      propagate: true,
      why: "list every storage (Datastore.Audit on each /storage/<id>) and create or change the NFS storage (Datastore.Allocate on /storage)",
    },
    ...[...new Set(storages)].sort().map((id) => ({
      path: `/storage/${id}`,
      privileges: ["Datastore.Audit", "Datastore.Allocate"],
      propagate: false,
      why: `jobs writing to ${id} need Datastore.Allocate there (POST/PUT /cluster/backup), and so does reading its config`,
    })),
    {
      path: "/vms",
      privileges: ["VM.Audit"],
      propagate: true,
      why: "the guest lists show only guests with VM.Audit on /vms/<vmid>",
    },
  ];
}

/** What is missing at one path: privileges absent, and privileges present but not propagating to children. */
export interface MissingPrivileges {
  path: string;
  missing: string[];
  notPropagated: string[];
}

/** Compares what an authid has (per path, as `GET /access/permissions?path=` answers) with what is needed. */
export function missingPrivileges(
  needs: readonly PrivilegeNeed[],
  held: Record<string, PathPrivileges>,
): MissingPrivileges[] {
  const result: MissingPrivileges[] = [];
  for (const need of needs) {
    const have = held[need.path] ?? {};
    const missing = need.privileges.filter((p) => have[p] === undefined);
    const notPropagated = need.propagate ? need.privileges.filter((p) => have[p] === false) : [];
    if (missing.length > 0 || notPropagated.length > 0) result.push({ path: need.path, missing, notPropagated });
  }
  return result;
}

/** Quotes for a POSIX shell when needed (`pulumi@pve!backup-tiers` has a `!`). */
function shellQuote(text: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `pveum` commands that grant what is missing: the program's role, granted to the user AND,
 * for a token, to the token (with privilege separation it needs both). Granted on `/` (propagating)
 * when `/` lacks something; a deeper path gets a grant of its own only when `/` is fine, or when it
 * lacks a privilege that `/` holds and propagates: then an ACL further down replaces what `/` gives,
 * and a grant on `/` would not reach it.
 */
export function pveumFix(
  authid: string,
  missing: readonly MissingPrivileges[],
  rootPrivileges: PathPrivileges = {},
  role: { name: string; privileges: readonly string[] } = { name: PROGRAM_ROLE, privileges: PROGRAM_ROLE_PRIVILEGES },
): string[] {
  if (missing.length === 0) return [];
  const token = splitTokenId(authid);
  const user = token ? token[0] : authid;
  const grantRoot = missing.some((m) => m.path === "/");
  const paths = new Set<string>(grantRoot ? ["/"] : []);
  for (const m of missing) {
    if (m.path === "/") continue;
    const blocked = [...m.missing, ...m.notPropagated].some((p) => rootPrivileges[p] === true);
    if (!grantRoot || blocked) paths.add(m.path);
  }
  const lines = [
    `pveum role add ${role.name} -privs "${role.privileges.join(" ")}"   # or: pveum role modify ${role.name} -privs "..." if it exists`,
  ];
  for (const path of paths) {
    lines.push(`pveum acl modify ${path} --users ${shellQuote(user)} --roles ${role.name}`);
    if (token) lines.push(`pveum acl modify ${path} --tokens ${shellQuote(authid)} --roles ${role.name}`);
  }
  return lines;
}
