/** The doctor's checks of what the token may do: PVE's version, and the privileges the program needs. */
import { PathPrivileges, splitTokenId } from "../pve/privileges";
import { PrivilegeNeed, missingPrivileges, programPrivileges, pveumFix } from "../pve/programPrivileges";
import { DRILL_ROLE, DRILL_ROLE_PRIVILEGES, drillPrivileges } from "../drill/privileges";
import { Check, DoctorContext } from "./context";

export async function versionCheck(ctx: DoctorContext): Promise<Check> {
  const version = ctx.versionInfo?.version ?? (await ctx.client.version()).version;
  const major = Number(/^(\d+)/.exec(version)?.[1] ?? "0");
  if (major >= 8) return { id: "version", ok: true, message: `PVE ${version}` };
  return {
    id: "version",
    ok: false,
    message: `PVE ${version}: the provider's NFS storage create sends create-base-path, which PVE knows only from 8.0`,
    fix: "upgrade the node to PVE 8 (pve7to8), or create the storage by hand and adopt it",
  };
}

export async function privilegesCheck(ctx: DoctorContext): Promise<Check> {
  return heldCheck(ctx, "privileges", programPrivileges(ctx.storageIds()));
}

/** `doctor --drill`: the privileges of the drill's role (drill/privileges.ts), and the pveum that grants them. */
export async function drillPrivilegesCheck(ctx: DoctorContext): Promise<Check> {
  return heldCheck(ctx, "drill-privileges", drillPrivileges(), { name: DRILL_ROLE, privileges: DRILL_ROLE_PRIVILEGES });
}

/** Whether the token holds `needs` (`GET /access/permissions` per path); else what it lacks and the pveum fix. */
async function heldCheck(
  ctx: DoctorContext,
  id: string,
  needs: PrivilegeNeed[],
  role?: { name: string; privileges: readonly string[] },
): Promise<Check> {
  const held: Record<string, PathPrivileges> = {};
  for (const need of needs) Object.assign(held, await ctx.client.permissions(need.path));
  const missing = missingPrivileges(needs, held);
  if (missing.length === 0) {
    return {
      id,
      ok: true,
      message: `${ctx.settings.tokenId} holds ${needs.map((n) => `${n.privileges.join(", ")} on ${n.path}`).join("; ")}`,
    };
  }
  if (id === "privileges") ctx.seen.privilegesOk = false;
  const nothing = Object.values(held).every((privs) => Object.keys(privs).length === 0);
  const parts = missing.map((m) => {
    const notProp = m.notPropagated.length > 0 ? ` (${m.notPropagated.join(", ")} granted without propagate)` : "";
    return `${m.path}: ${m.missing.join(", ") || "-"}${notProp}`;
  });
  const isToken = splitTokenId(ctx.settings.tokenId) !== undefined;
  const privsep = isToken
    ? nothing
      ? `; the token has no privileges at all: with privilege separation (pveum user token add ... --privsep 1, PVE's default) a token gets only what BOTH it and its user ${splitTokenId(ctx.settings.tokenId)![0]} are granted`
      : "; a token with privilege separation (the default) has only what both it and its user are granted"
    : "";
  return {
    id,
    ok: false,
    message: `${ctx.settings.tokenId} lacks ${parts.join("; ")}${privsep}`,
    fix: [
      ...pveumFix(ctx.settings.tokenId, missing, held["/"], role),
      ...(isToken ? ["(or recreate the token with --privsep 0, so that it has exactly its user's privileges)"] : []),
    ].join("\n"),
  };
}
