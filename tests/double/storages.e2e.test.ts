/**
 * The PVE API double's storage (double/storages.ts): NFS options fixed at creation, each node's space,
 * a server a node cannot reach, and who sees a backup, as pve-storage does.
 */
import { ClusterSnapshot } from "../../pve/snapshot";
import { apiFailure, fixtureCluster, serveHomeDay } from "../support/apiDouble";

const NOW = new Date("2026-02-12T09:00:00Z");
const served = serveHomeDay(NOW);
const as = served.as;

test("storage: NFS server and export are fixed after creation; create-base-path needs PVE 8", async () => {
  const c = as();
  const created = await c.call("POST", "/storage", {
    storage: "nas2",
    type: "nfs",
    server: "10.0.0.151",
    export: "/volume1/more",
    content: "backup",
    "create-base-path": 1,
    "prune-backups": "keep-last=3",
  });
  expect(created).toEqual({ storage: "nas2", type: "nfs" });
  expect(await c.storage("nas2")).toMatchObject({
    server: "10.0.0.151",
    path: "/mnt/pve/nas2",
    shared: 1,
    "prune-backups": "keep-last=3",
  });
  expect((await apiFailure(c.call("PUT", "/storage/nas2", { server: "10.0.0.152" }))).message).toBe(
    "PUT /storage/nas2: 500 update storage failed: can't change value of fixed parameter 'server'",
  );
  await c.call("PUT", "/storage/nas2", { "prune-backups": "keep-last=5", nodes: "pve" });
  expect(await c.storage("nas2")).toMatchObject({ "prune-backups": "keep-last=5", nodes: "pve" });
  expect(
    (await apiFailure(c.call("POST", "/storage", { storage: "nas2", type: "nfs", server: "x", export: "/y" }))).message,
  ).toMatch(/already defined/);
  await c.call("DELETE", "/storage/nas2");
  expect((await apiFailure(c.call("DELETE", "/storage/nas2"))).message).toBe(
    "DELETE /storage/nas2: 500 delete storage failed: storage 'nas2' does not exist",
  );

  const old = fixtureCluster("home-day");
  old.version = { version: "7.4.3", release: "7.4" };
  served.double.load(old);
  const err = await apiFailure(
    as().call("POST", "/storage", { storage: "nas3", type: "nfs", server: "s", export: "/e", "create-base-path": 1 }),
  );
  expect(err.errors).toEqual({
    "create-base-path": "property is not defined in schema and the schema does not allow additional properties",
  });
});

test("backups: shown with Datastore.Allocate, or AllocateSpace plus VM.Backup; silently skipped otherwise", async () => {
  const full = await as().storageContent("pve", "synology-backups", { content: "backup" });
  expect(full).toEqual([
    expect.objectContaining({
      volid: "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst",
      format: "vma.zst",
      subtype: "qemu",
      vmid: 100,
      // 03:00:04 in New York, from the file name
      ctime: Date.parse("2026-02-12T08:00:04Z") / 1000,
      notes: "home-assistant (100) - tier P0 - job backup-home-p0-daily",
    }),
    // the site's manual `vzdump 102` of 2026-02-11, made without notes
    expect.objectContaining({ vmid: 102, ctime: Date.parse("2026-02-11T13:53:32Z") / 1000, size: 3870000000 }),
    expect.objectContaining({ vmid: 102, protected: 1 }),
  ]);
  expect(await as("pulumi@pve!auditor").storageContent("pve", "synology-backups", { content: "backup" })).toEqual([]);
  const operator = await as("backup-op@pve!status").storageContent("pve", "synology-backups", { content: "backup" });
  expect(operator.map((v) => v.vmid)).toEqual([100]);
  const noAccess = await apiFailure(as("backup-op@pve!status").storageContent("pve", "local", { content: "backup" }));
  expect(noAccess.message).toMatch(
    /403 Permission check failed \(\/storage\/local, Datastore.Audit\|Datastore.AllocateSpace\)/,
  );
});

test("storage status: the snapshot's space, or 1 TiB with the backups as used", async () => {
  const c = as();
  expect(await c.storageStatus("pve", "synology-backups")).toMatchObject({
    total: 4000787030016,
    used: 1250000000000,
    avail: 2750787030016,
    active: 1,
    enabled: 1,
    shared: 1,
  });
  expect(await c.storageStatus("pve", "local")).toMatchObject({ total: 1024 ** 4, used: 524288000 });
  expect((await apiFailure(c.storageStatus("pve", "nope"))).errors).toEqual({ storage: "No such storage." });
});

/** The home cluster with a second node, `pve2`, and its NFS server's reachability per node. */
function withNfs(servers: NonNullable<ClusterSnapshot["nfsServers"]>): ClusterSnapshot {
  const day = fixtureCluster("home-day");
  day.nodes = [
    { node: "pve", status: "online" },
    { node: "pve2", status: "online" },
  ];
  const nas = day.storage.find((s) => s.storage === "synology-backups")!;
  delete nas.nodes;
  day.nfsServers = servers;
  return day;
}

test("NFS: creating an enabled storage on a server that is down fails as PVE's create does, leaving nothing", async () => {
  served.double.load(withNfs([{ server: "10.0.0.151", online: false }]));
  const c = as();
  const nas2 = { storage: "nas2", type: "nfs", server: "10.0.0.151", export: "/volume1/more", content: "backup" };
  const err = await apiFailure(c.call("POST", "/storage", nas2));
  expect([err.status, err.pveMessage]).toEqual([500, "create storage failed: storage 'nas2' is not online"]);
  expect((await c.storages()).map((s) => s.storage)).not.toContain("nas2");
  // not enabled on the node that answers (pve): PVE does not activate it, so it is created
  await c.call("POST", "/storage", { ...nas2, nodes: "pve2" });
  expect(await c.storage("nas2")).toMatchObject({ nodes: "pve2" });
  await c.call("POST", "/storage", { ...nas2, storage: "nas3", disable: 1 });
  expect(await c.storage("nas3")).toMatchObject({ disable: 1 });
});

test("NFS: a server down from one node: that node's content listing fails, its status is inactive, its resource unknown", async () => {
  served.double.load(withNfs([{ server: "10.0.0.150", node: "pve2", online: false }]));
  const c = as();
  expect(await c.storageContent("pve", "synology-backups", { content: "backup" })).not.toEqual([]);
  for (const content of [{ content: "backup" }, {}, { content: "iso" }]) {
    const err = await apiFailure(c.storageContent("pve2", "synology-backups", content));
    expect([err.status, err.pveMessage]).toEqual([500, "storage 'synology-backups' is not online"]);
  }
  // read raw: the client refuses a size of 0 as a space it cannot judge
  expect(await c.call("GET", "/nodes/pve2/storage/synology-backups/status")).toMatchObject({
    active: 0,
    enabled: 1,
    total: 0,
    used: 0,
    avail: 0,
  });
  expect(await c.storageStatus("pve", "synology-backups")).toMatchObject({ active: 1 });
  const resources = await c.call<Record<string, unknown>[]>("GET", "/cluster/resources", { type: "storage" });
  expect(resources.filter((r) => r.storage === "synology-backups").map((r) => [r.node, r.status])).toEqual([
    ["pve", "available"],
    ["pve2", "unknown"],
  ]);
  // down from every node but one: the node's own entry wins
  served.double.load(
    withNfs([
      { server: "10.0.0.150", online: false },
      { server: "10.0.0.150", node: "pve2", online: true },
    ]),
  );
  expect(await as().call("GET", "/nodes/pve/storage/synology-backups/status")).toMatchObject({ active: 0 });
  expect((await as().storageStatus("pve2", "synology-backups")).active).toBe(1);
});
