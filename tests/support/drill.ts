/**
 * The home site's day with a drill token: user drill@pve and its token `drill` (privilege separation
 * on), each granted PVEAuditor on / (what the status reads) and the drill's role where it needs it
 * (drill/privileges.ts), as docs/drill.md sets it up.
 */
import { DRILL_ROLE, DRILL_ROLE_PRIVILEGES, drillPrivileges } from "../../drill/privileges";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { fixtureCluster } from "./apiDouble";

export const DRILL_TOKEN = "drill@pve!drill";

/** home-day with the drill's user, token, role and ACLs; `without` leaves a path's drill grant out. */
export function drillCluster(without?: string): ClusterSnapshot {
  const snapshot = fixtureCluster("home-day");
  const access = snapshot.access!;
  access.users.push({
    userid: "drill@pve",
    enable: true,
    groups: [],
    tokens: [{ tokenid: "drill", privsep: true, secret: "0f5b2d9c-drill-token-secret-000000000001" }],
  } as never);
  access.roles.push({ roleid: DRILL_ROLE, privs: DRILL_ROLE_PRIVILEGES.join(",") });
  for (const type of ["user", "token"] as const) {
    const ugid = type === "user" ? "drill@pve" : DRILL_TOKEN;
    access.acl.push({ path: "/", type, ugid, roleid: "PVEAuditor", propagate: true });
    for (const need of drillPrivileges()) {
      if (need.path === without) continue;
      access.acl.push({ path: need.path, type, ugid, roleid: DRILL_ROLE, propagate: true });
    }
  }
  return snapshot;
}
