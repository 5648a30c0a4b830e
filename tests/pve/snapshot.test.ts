/**
 * The cluster snapshot format, extended for the PVE API double: existing snapshots stay valid, the
 * optional keys take PVE's defaults, and a bad value is named by file and JSON path.
 */
import * as fs from "fs";
import * as path from "path";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { PROJECT_DIR } from "../../start/sources";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_DIR, file), "utf8");

test("the example snapshots parse as before, without any of the new keys", () => {
  for (const file of ["examples/home-cluster.json", "examples/shop-cluster.json"]) {
    const snapshot = parseClusterSnapshot(read(file), file);
    expect(snapshot.access).toBeUndefined();
    expect(snapshot.tasks).toBeUndefined();
    expect(snapshot.resources.length).toBeGreaterThan(0);
  }
});

test("a whole cluster: nodes' status, space, backups, tasks with logs, access and vzdump defaults", () => {
  const file = "tests/fixtures/clusters/home-day.json";
  const snapshot = parseClusterSnapshot(read(file), file);
  expect(snapshot.timezone).toBe("America/New_York");
  expect(snapshot.nodes).toEqual([{ node: "pve", status: "online" }]);
  expect(snapshot.storageStatus?.[0]).toMatchObject({ storage: "synology-backups", active: true });
  expect(snapshot.backups?.[1]).toMatchObject({ storage: "synology-backups", protected: true });
  expect(snapshot.backups?.[1].vmid).toBeUndefined(); // the double reads it from the file name, as PVE does
  expect(snapshot.tasks?.[1]).toMatchObject({ id: "103", user: "root@pam", status: "job errors" });
  expect(snapshot.access?.users[0].tokens[0]).toMatchObject({ tokenid: "backup-tiers", privsep: true });
  expect(snapshot.access?.users[0].enable).toBe(true); // PVE's default
  expect(snapshot.access?.acl[0].propagate).toBe(true);
  expect(snapshot.vzdumpDefaults?.pve["notification-mode"]).toBe("auto");
});

test("NFS servers down from a node or from all, and resource pools", () => {
  const snapshot = parseClusterSnapshot(
    JSON.stringify({
      resources: [],
      storage: [],
      nfsServers: [
        { server: "10.0.0.150", online: 0 },
        { server: "10.0.0.150", node: "pve2", online: true },
      ],
      access: { pools: [{ poolid: "home" }] },
    }),
    "c.json",
  );
  expect(snapshot.nfsServers).toEqual([
    { server: "10.0.0.150", online: false },
    { server: "10.0.0.150", node: "pve2", online: true },
  ]);
  expect(snapshot.access?.pools).toEqual([{ poolid: "home" }]);
});

test("bad values of the new keys are named by file and path", () => {
  const bad = (extra: object) => () =>
    parseClusterSnapshot(JSON.stringify({ resources: [], storage: [], ...extra }), "c.json");
  expect(bad({ backups: [{ storage: "nas", volid: "nas:iso/x.iso", size: 1 }] })).toThrow(
    "c.json: invalid cluster snapshot: $.backups[0].volid: is not a backup volume id (<storage>:backup/<file>)",
  );
  expect(bad({ nodes: [{ node: "pve", status: "sleeping" }] })).toThrow(
    /^c\.json: invalid cluster snapshot: \$\.nodes\[0\]\.status: /,
  );
  expect(bad({ access: { users: [{ userid: "nobody" }] } })).toThrow(
    "c.json: invalid cluster snapshot: $.access.users[0].userid: is not a PVE user id (name@realm)",
  );
  expect(bad({ nfsServers: [{ server: "10.0.0.150", online: "down" }] })).toThrow(
    /^c\.json: invalid cluster snapshot: \$\.nfsServers\[0\]\.online: /,
  );
  expect(bad({ nfsServers: [{ server: "10.0.0.150", nodes: ["pve"], online: false }] })).toThrow(
    'c.json: invalid cluster snapshot: $.nfsServers[0]: Unrecognized key: "nodes" nodes',
  );
  expect(bad({ access: { pools: [{ pool: "home" }] } })).toThrow(
    /^c\.json: invalid cluster snapshot: \$\.access\.pools\[0\]/,
  );
  expect(bad({ timezone: "Europe/Nowhere" })).toThrow(
    'c.json: invalid cluster snapshot: $.timezone: "Europe/Nowhere" is not an IANA time zone',
  );
});

test("a vmid on two nodes is named as such (issue 19), and twice on one node too", () => {
  const snapshot = JSON.parse(read("examples/home-cluster.json"));
  snapshot.resources.push({ id: "lxc/101", type: "lxc", vmid: 101, name: "copy", node: "pve2", status: "running" });
  expect(() => parseClusterSnapshot(JSON.stringify(snapshot), "x.json")).toThrow(
    `x.json: invalid cluster snapshot: $.resources[${snapshot.resources.length - 1}].vmid: vmid 101 is on two nodes, pve ($.resources[1]) and pve2; a vmid names one guest in a cluster`,
  );
  snapshot.resources[snapshot.resources.length - 1].node = "pve";
  expect(() => parseClusterSnapshot(JSON.stringify(snapshot), "x.json")).toThrow(
    `$.resources[${snapshot.resources.length - 1}].vmid: vmid 101 is twice (also $.resources[1]); a vmid names one guest in a cluster`,
  );
});
