/**
 * PVE's privilege model: ACL propagation and override, groups, NoAccess, and API tokens with and
 * without privilege separation, as pve-access-control computes them; and the doctor's pveum fix.
 */
import {
  AccessModel,
  BUILTIN_ROLES,
  backupVisibilityGap,
  effectivePermissions,
  parsePermissionFailure,
  privilegesAt,
  seesBackup,
} from "../../pve/privileges";
import { missingPrivileges, programPrivileges, pveumFix } from "../../pve/programPrivileges";

const ROLE = { BackupTiers: ["Sys.Audit", "Sys.Modify", "Datastore.Audit", "Datastore.Allocate", "VM.Audit"] };

function model(acl: AccessModel["acl"], privsep = true, groups: string[] = []): AccessModel {
  return {
    users: [{ userid: "pulumi@pve", enable: true, groups, tokens: [{ tokenid: "backup-tiers", privsep }] }],
    roles: ROLE,
    acl,
  };
}

const TOKEN = "pulumi@pve!backup-tiers";
const onToken = { path: "/", type: "token" as const, ugid: TOKEN, roleid: "BackupTiers", propagate: true };
const onUser = { path: "/", type: "user" as const, ugid: "pulumi@pve", roleid: "BackupTiers", propagate: true };

test("a role on the token alone gives a privilege-separated token nothing (the README's old set-up)", () => {
  const m = model([onToken]);
  expect(privilegesAt(m, TOKEN, "/")).toEqual({});
  expect(privilegesAt(m, TOKEN, "/storage/synology-backups")).toEqual({});
  expect(effectivePermissions(m, TOKEN)).toEqual({});
});

test("with the role on the user too, the token has the intersection", () => {
  const m = model([onToken, { ...onUser, roleid: "PVEAuditor" }]);
  // BackupTiers ∩ PVEAuditor: only the audit privileges both hold
  expect(Object.keys(privilegesAt(m, TOKEN, "/vms/100")).sort()).toEqual(["Datastore.Audit", "Sys.Audit", "VM.Audit"]);
});

test("a token without privilege separation has exactly its user's privileges", () => {
  const m = model([onUser], false);
  expect(privilegesAt(m, TOKEN, "/storage/nfs")).toEqual(privilegesAt(m, "pulumi@pve", "/storage/nfs"));
  expect(privilegesAt(m, TOKEN, "/")["Sys.Modify"]).toBe(true);
});

test("a role reaches children only with propagate, and a deeper ACL replaces what the parent gave", () => {
  const m = model([
    { ...onUser, propagate: false },
    { path: "/storage", type: "user", ugid: "pulumi@pve", roleid: "BackupTiers", propagate: true },
    { path: "/storage/other", type: "user", ugid: "pulumi@pve", roleid: "PVEAuditor", propagate: true },
  ]);
  expect(privilegesAt(m, "pulumi@pve", "/")["Sys.Modify"]).toBe(false); // held here, does not propagate
  expect(privilegesAt(m, "pulumi@pve", "/nodes/pve")).toEqual({});
  expect(privilegesAt(m, "pulumi@pve", "/storage/nfs")["Datastore.Allocate"]).toBe(true);
  expect(privilegesAt(m, "pulumi@pve", "/storage/other")["Datastore.Allocate"]).toBeUndefined();
  expect(privilegesAt(m, "pulumi@pve", "/storage/other")["Datastore.Audit"]).toBe(true);
});

test("group ACLs apply to users, user ACLs win over them, and NoAccess takes everything", () => {
  const viaGroup = model([{ path: "/", type: "group", ugid: "admins", roleid: "PVEAdmin", propagate: true }], true, [
    "admins",
  ]);
  expect(privilegesAt(viaGroup, "pulumi@pve", "/vms/100")["VM.Allocate"]).toBe(true);
  const userWins = model(
    [
      { path: "/", type: "group", ugid: "admins", roleid: "PVEAdmin", propagate: true },
      { path: "/", type: "user", ugid: "pulumi@pve", roleid: "PVEAuditor", propagate: true },
    ],
    true,
    ["admins"],
  );
  expect(privilegesAt(userWins, "pulumi@pve", "/vms/100")["VM.Allocate"]).toBeUndefined();
  const denied = model([
    onUser,
    { path: "/vms/666", type: "user", ugid: "pulumi@pve", roleid: "NoAccess", propagate: true },
  ]);
  expect(privilegesAt(denied, "pulumi@pve", "/vms/666")).toEqual({});
  expect(privilegesAt(denied, "pulumi@pve", "/vms/100")["VM.Audit"]).toBe(true);
});

test("built-in roles follow PVE's privilege groups", () => {
  expect(BUILTIN_ROLES.PVEAuditor).toContain("Datastore.Audit");
  expect(BUILTIN_ROLES.PVEAuditor).not.toContain("Datastore.AllocateSpace");
  expect(BUILTIN_ROLES.PVEDatastoreUser).toEqual(["Datastore.Audit", "Datastore.AllocateSpace"].sort());
  expect(BUILTIN_ROLES.PVEAdmin).not.toContain("Sys.Modify"); // a root privilege
  expect(BUILTIN_ROLES.PVEAdmin).not.toContain("Mapping.Modify");
  expect(BUILTIN_ROLES.Administrator).toContain("Permissions.Modify");
});

test("a 403's text is read back into path and privileges", () => {
  expect(parsePermissionFailure("Permission check failed (/, Sys.Audit)")).toEqual({
    path: "/",
    privileges: ["Sys.Audit"],
    any: false,
  });
  expect(
    parsePermissionFailure("Permission check failed (/storage/x, Datastore.Audit|Datastore.AllocateSpace)"),
  ).toEqual({
    path: "/storage/x",
    privileges: ["Datastore.Audit", "Datastore.AllocateSpace"],
    any: true,
  });
});

test("the fix grants the program's role to the user and the token on / when / lacks it", () => {
  const needs = programPrivileges(["synology-backups"]);
  const missing = missingPrivileges(needs, {});
  expect(missing.map((m) => m.path)).toEqual(["/", "/storage", "/storage/synology-backups", "/vms"]);
  const fix = pveumFix(TOKEN, missing);
  expect(fix[0]).toMatch(
    /^pveum role add BackupTiers -privs "Sys.Audit Sys.Modify Datastore.Audit Datastore.Allocate VM.Audit"/,
  );
  expect(fix.slice(1)).toEqual([
    "pveum acl modify / --users pulumi@pve --roles BackupTiers",
    "pveum acl modify / --tokens 'pulumi@pve!backup-tiers' --roles BackupTiers",
  ]);
});

test("a path that lacks more than / does gets its own grant; a privilege without propagate is named", () => {
  const needs = programPrivileges(["nas"]);
  const all = {
    "Sys.Audit": true,
    "Sys.Modify": true,
    "Datastore.Audit": true,
    "Datastore.Allocate": true,
    "VM.Audit": true,
  };
  const held = {
    "/": all,
    "/storage": all,
    "/storage/nas": { "Datastore.Audit": true },
    "/vms": { "VM.Audit": false },
  };
  const missing = missingPrivileges(needs, held);
  expect(missing).toEqual([
    { path: "/storage/nas", missing: ["Datastore.Allocate"], notPropagated: [] },
    { path: "/vms", missing: [], notPropagated: ["VM.Audit"] },
  ]);
  expect(pveumFix("pulumi@pve", missing).slice(1)).toEqual([
    "pveum acl modify /storage/nas --users pulumi@pve --roles BackupTiers",
    "pveum acl modify /vms --users pulumi@pve --roles BackupTiers",
  ]);
});

test("a path below a / that holds the privilege, yet lacks it, gets its own grant as well", () => {
  const needs = programPrivileges(["nas"]);
  const held = { "/": { "Datastore.Allocate": true }, "/storage": {}, "/storage/nas": {}, "/vms": {} };
  const fix = pveumFix("pulumi@pve", missingPrivileges(needs, held), held["/"]);
  expect(fix.filter((l) => l.startsWith("pveum acl")).map((l) => l.split(" ")[3])).toEqual([
    "/",
    "/storage",
    "/storage/nas",
  ]);
});

describe("who sees a backup in the content listing (Storage.pm check_volume_access)", () => {
  const held = (...privs: string[]) => Object.fromEntries(privs.map((p) => [p, true]));
  test("Datastore.Allocate on the storage, or AllocateSpace there plus VM.Backup on the guest", () => {
    expect(seesBackup(held("Datastore.Allocate"))).toBe(true);
    expect(seesBackup(held("Datastore.AllocateSpace"), held("VM.Backup"))).toBe(true);
    expect(seesBackup(held("Datastore.AllocateSpace"), held("VM.Audit"))).toBe(false);
    expect(seesBackup(held("Datastore.Audit"), held("VM.Backup"))).toBe(false);
  });

  test("what is lacking, in the words the status uses", () => {
    expect(backupVisibilityGap("nas", 101, held("Datastore.Allocate"))).toBeUndefined();
    expect(backupVisibilityGap("nas", 101, held("Datastore.Audit"))).toBe(
      "lacks Datastore.Allocate on /storage/nas (or Datastore.AllocateSpace there and VM.Backup on /vms/101), so PVE's listing leaves this guest's backups out",
    );
    expect(backupVisibilityGap("nas", 101, held("Datastore.AllocateSpace"), held("VM.Audit"))).toBe(
      "lacks VM.Backup on /vms/101 (or Datastore.Allocate on /storage/nas), so PVE's listing leaves this guest's backups out",
    );
    expect(backupVisibilityGap("nas", 101, {})).toBe(
      "lacks Datastore.Audit or Datastore.AllocateSpace on /storage/nas, so PVE lists nothing there",
    );
  });
});
