/**
 * The PVE API double: its answers match the API schema (pve/endpoints.json), and it behaves as PVE
 * does for jobs, storage, backups, tasks and privileges. One double for the file; `load` swaps the
 * cluster between scenarios.
 */
import * as https from "https";
import { PveClient } from "../../pve/client";
import { checkAnswer, resolvePath } from "../../pve/schema";
import { PveApiDouble } from "../../double/server";
import { scheduledRun } from "../../double/vzdump";
import { ClusterSnapshot } from "../../pve/snapshot";
import { apiFailure, fixtureCluster } from "../support/apiDouble";
const NOW = new Date("2026-02-12T09:00:00Z");

let double: PveApiDouble;
const clients: PveClient[] = [];

beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: fixtureCluster("home-day"), now: () => NOW });
});
beforeEach(() => double.load(fixtureCluster("home-day")));
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await double.close();
});

function as(tokenId = "pulumi@pve!backup-tiers"): PveClient {
  const c = new PveClient({
    endpoint: double.url,
    token: double.token(tokenId),
    ca: double.certificates.caPem,
    retries: 0,
  });
  clients.push(c);
  return c;
}

test("every GET the provider, doctor and status use answers in the schema's shape", async () => {
  const c = as();
  const [task] = await c.nodeTasks("pve", { typefilter: "vzdump" });
  const paths = [
    "/version",
    "/nodes",
    "/cluster/status",
    "/cluster/resources",
    "/cluster/resources?type=vm",
    "/cluster/backup",
    "/cluster/backup/backup-home-p0-daily",
    "/cluster/backup-info/not-backed-up",
    "/cluster/tasks",
    "/storage",
    "/storage/synology-backups",
    "/nodes/pve/storage",
    "/nodes/pve/storage/synology-backups/status",
    "/nodes/pve/storage/synology-backups/content?content=backup",
    "/nodes/pve/qemu",
    "/nodes/pve/lxc",
    "/nodes/pve/tasks?typefilter=vzdump",
    `/nodes/pve/tasks/${encodeURIComponent(task.upid)}/log`,
    `/nodes/pve/tasks/${encodeURIComponent(task.upid)}/status`,
    "/nodes/pve/vzdump/defaults",
    "/access/permissions",
    "/access/permissions?path=/storage",
    "/access/acl",
  ];
  for (const p of paths) {
    const [apiPath, query] = p.split("?");
    const data = await c.call("GET", apiPath, Object.fromEntries(new URLSearchParams(query ?? "")));
    const template = resolvePath(decodeURIComponent(apiPath))!.template;
    expect({ path: p, problems: checkAnswer("GET", template, data) }).toEqual({ path: p, problems: [] });
  }
});

test("jobs: created with PVE's semantics, read back with exclude-path a list, prune-backups an object and next-run from now", async () => {
  const c = as();
  await c.call("POST", "/cluster/backup", {
    id: "backup-extra",
    schedule: "sat 23:00",
    storage: "synology-backups",
    vmid: "103",
    "exclude-path": ["/var/cache/*", "/tmp/*"],
    "prune-backups": "keep-last=2,keep-weekly=1",
    "notes-template": "{{guestname}} - {{vmid}}\\n{{node}}",
  });
  const job = await c.backupJob("backup-extra");
  expect(job).toMatchObject({
    id: "backup-extra",
    type: "vzdump",
    enabled: 1,
    "exclude-path": ["/var/cache/*", "/tmp/*"],
    "prune-backups": { "keep-last": "2", "keep-weekly": "1" },
  });
  expect(job["next-run"]).toBeUndefined(); // only the list computes it
  const listed = (await c.backupJobs()).find((j) => j.id === "backup-extra")!;
  // Saturday 23:00 in New York after Thursday 2026-02-12 09:00Z: 2026-02-15 04:00Z
  expect(listed["next-run"]).toBe(Date.parse("2026-02-15T04:00:00Z") / 1000);

  expect(
    (await apiFailure(c.call("POST", "/cluster/backup", { id: "backup-extra", schedule: "03:00", vmid: "100" })))
      .message,
  ).toBe("POST /cluster/backup: 500 Job 'backup-extra' already exists");
});

test("jobs: PVE's own rules on id, vmid/all, notes-template and schedule, with its messages", async () => {
  const c = as();
  const post = (params: Record<string, string>) =>
    apiFailure(c.call("POST", "/cluster/backup", { storage: "synology-backups", ...params }));
  expect((await post({ id: "9lives", schedule: "03:00", vmid: "100" })).errors).toEqual({
    id: "invalid format - invalid configuration ID '9lives'",
  });
  expect((await post({ id: `j${"x".repeat(50)}`, schedule: "03:00", vmid: "100" })).errors).toEqual({
    id: "value may only be 50 characters long",
  });
  expect((await post({ id: "nosched", vmid: "100" })).errors).toEqual({
    schedule: "neither 'starttime' nor 'schedule' were set",
  });
  expect(
    (await post({ id: "badkeep", schedule: "03:00", vmid: "100", "prune-backups": "keep-all=1,keep-last=2" })).errors,
  ).toEqual({
    "prune-backups": "invalid format - keep-all cannot be set together with other options.",
  });
});

test("jobs: what Backup.pm raises inside cfs_lock_file comes back as 500 with the exception's text", async () => {
  const c = as();
  const post = (params: Record<string, string>) =>
    apiFailure(c.call("POST", "/cluster/backup", { storage: "synology-backups", ...params }));
  const failures = [
    await post({ id: "both", schedule: "03:00", vmid: "100", all: "1" }),
    await post({ id: "tmpl", schedule: "03:00", vmid: "100", "notes-template": "{{name}} \\t" }),
    await post({ id: "noguests", schedule: "03:00" }),
    await apiFailure(c.call("PUT", "/cluster/backup/backup-home-p0-daily", { delete: "nonsense" })),
    await apiFailure(c.call("PUT", "/cluster/backup/backup-home-p0-daily", { delete: "schedule" })),
    await apiFailure(c.call("PUT", "/cluster/backup/backup-home-p0-daily", { all: "1", vmid: "100" })),
    await apiFailure(c.call("DELETE", "/cluster/backup/gone")),
  ];
  expect(failures.map((f) => [f.status, f.pveMessage, f.errors])).toEqual([
    [500, "400 Parameter verification failed.\nall: option conflicts with option 'vmid'", undefined],
    [
      500,
      "400 Parameter verification failed.\nnotes-template: found unknown: escape sequence '\\t' at char 9, variable 'name' at char 2",
      undefined,
    ],
    [500, "400 Parameter verification failed.\nvmid: property is missing", undefined],
    [500, "400 Parameter verification failed.\ndelete: unknown option 'nonsense'", undefined],
    [500, "400 Parameter verification failed.\ndelete: unknown option 'schedule'", undefined],
    [500, "400 Parameter verification failed.\nall: option conflicts with option 'vmid'", undefined],
    [500, "400 Parameter verification failed.\nid: No such job 'gone'", undefined],
  ]);
  // the reason phrase is the first line
  expect(failures[0].message).toMatch(/^POST \/cluster\/backup: 500 400 Parameter verification failed\./);
  expect(await c.backupJobs()).not.toContainEqual(expect.objectContaining({ id: "both" }));
});

test("jobs: a pool job needs the pool and VM.Backup on it, checked before the lock (403)", async () => {
  const day = fixtureCluster("home-day");
  day.access!.pools = [{ poolid: "home" }];
  day.access!.users.push({
    userid: "root@pam",
    enable: true,
    groups: [],
    tokens: [{ tokenid: "ops", privsep: false }],
  });
  double.load(day);
  const c = as();
  const job = { id: "pooled", schedule: "03:00", storage: "synology-backups" };
  expect((await apiFailure(c.call("POST", "/cluster/backup", { ...job, pool: "work" }))).pveMessage).toBe(
    "Permission check failed (pool 'work' does not exist)",
  );
  const err = await apiFailure(c.call("POST", "/cluster/backup", { ...job, pool: "home" }));
  expect([err.status, err.pveMessage]).toEqual([403, "Permission check failed (/pool/home, VM.Backup)"]);
  const update = await apiFailure(c.call("PUT", "/cluster/backup/backup-home-p0-daily", { pool: "home" }));
  expect(update.pveMessage).toBe("Permission check failed (/pool/home, VM.Backup)");
  const root = new PveClient({
    endpoint: double.url,
    token: double.token("root@pam!ops"),
    ca: double.certificates.caPem,
    retries: 0,
  });
  clients.push(root);
  await root.call("POST", "/cluster/backup", { ...job, pool: "home" });
  expect(await root.backupJob("pooled")).toMatchObject({ pool: "home" });
});

test("jobs: a job that does not exist is 400 'No such job' for GET, and 500 for PUT and DELETE", async () => {
  const c = as();
  expect((await apiFailure(c.backupJob("gone"))).message).toBe(
    "GET /cluster/backup/gone: 400 Parameter verification failed. (id: No such job 'gone')",
  );
  expect((await apiFailure(c.call("DELETE", "/cluster/backup/gone"))).status).toBe(500);
  expect((await apiFailure(c.call("PUT", "/cluster/backup/gone", { enabled: "0" }))).message).toBe(
    "PUT /cluster/backup/gone: 500 no such vzdump job",
  );
  await c.call("DELETE", "/cluster/backup/backup-home-p2-weekly");
  expect((await apiFailure(c.backupJob("backup-home-p2-weekly"))).kind).toBe("bad-request");
});

test("jobs: setting vmid on an `all` job drops all and exclude, as PVE's update does", async () => {
  const c = as();
  await c.call("POST", "/cluster/backup", {
    id: "everything",
    schedule: "02:00",
    storage: "local",
    all: "1",
    exclude: "105",
  });
  expect(await c.backupJob("everything")).toMatchObject({ all: 1, exclude: "105" });
  await c.call("PUT", "/cluster/backup/everything", { vmid: "100,101", delete: "comment" });
  const job = await c.backupJob("everything");
  expect(job.vmid).toBe("100,101");
  expect(job.all).toBeUndefined();
  expect(job.exclude).toBeUndefined();
});

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
  double.load(old);
  const err = await apiFailure(
    as().call("POST", "/storage", { storage: "nas3", type: "nfs", server: "s", export: "/e", "create-base-path": 1 }),
  );
  expect(err.errors).toEqual({
    "create-base-path": "property is not defined in schema and the schema does not allow additional properties",
  });
});

test("privileges: a token with its role on the token only gets 403 naming the privilege and path", async () => {
  double.load(fixtureCluster("home-old-token"));
  const c = as("pulumi@pve!backup-tiers");
  const err = await apiFailure(c.backupJobs());
  expect(err.message).toBe(
    "GET /cluster/backup: 403 Permission check failed (/, Sys.Audit): the token lacks Sys.Audit on /",
  );
  expect(await c.permissions()).toEqual({});
  // lists filter silently instead
  expect(await c.clusterResources("vm")).toEqual([]);
  expect(await c.storages()).toEqual([]);
});

test("privileges are checked before parameters, as PVE does", async () => {
  const err = await apiFailure(as("pulumi@pve!auditor").call("POST", "/cluster/backup", { id: "Bad Id!" }));
  expect(err.status).toBe(403);
  expect(err.message).toMatch(/Permission check failed \(\/, Sys\.Modify\)/);
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

test("tasks: vzdump runs newest first, own or with Sys.Audit on the node, logs paged from line 1", async () => {
  const c = as();
  const tasks = await c.nodeTasks("pve", { typefilter: "vzdump" });
  expect(tasks.map((t) => [t.id, t.status])).toEqual([
    ["103", "job errors"],
    ["", "OK"],
    ["102", "OK"], // the site's manual `vzdump 102` the day before
  ]);
  expect(tasks[0].upid).toMatch(/^UPID:pve:[0-9A-F]{8}:[0-9A-F]{8}:698D8C04:vzdump:103:root@pam:$/);
  const log = await c.taskLogLines("pve", tasks[0].upid, 3);
  expect(log).toContain(
    "ERROR: Backup of VM 103 failed - unable to create temporary directory '/mnt/pve/synology-backups/dump/vzdump-lxc-103-2026_02_12-03_15_00.tmp' at /usr/share/perl5/PVE/VZDump/LXC.pm line 185.",
  );
  expect((await c.taskLog("pve", tasks[0].upid, { start: 1, limit: 1 }))[0]).toEqual({
    n: 2,
    t: "INFO: Starting Backup of VM 103 (lxc)",
  });
  expect(await c.nodeTasks("pve", { typefilter: "vzdump", errors: true })).toHaveLength(1);
  // a token without Sys.Audit on the node sees none of root's tasks, and may not read their logs
  const operator = as("backup-op@pve!status");
  expect(await operator.nodeTasks("pve")).toEqual([]);
  expect((await apiFailure(operator.taskLog("pve", tasks[0].upid))).message).toMatch(
    /Permission check failed \(\/nodes\/pve, Sys.Audit\)/,
  );
});

test("an offline node answers 595 for what is proxied to it, and is listed as offline", async () => {
  double.load(fixtureCluster("home-offline-node"));
  const c = as();
  expect((await c.nodes()).map((n) => [n.node, n.status])).toEqual([
    ["pve", "online"],
    ["pve2", "offline"],
  ]);
  const err = await apiFailure(c.nodeTasks("pve2"));
  expect(err.status).toBe(595);
  expect((await apiFailure(c.nodeStorages("nowhere"))).message).toMatch(/500 hostname lookup 'nowhere' failed/);
});

test("not backed up: guests no job includes; a disabled job still counts", async () => {
  const day = fixtureCluster("home-day");
  day.resources.push({
    id: "lxc/104",
    type: "lxc",
    vmid: 104,
    name: "nextcloud",
    node: "pve",
    status: "running",
    template: false,
  });
  day.backup[2].enabled = false;
  double.load(day);
  expect(await as().notBackedUp()).toEqual([{ vmid: 104, type: "lxc", name: "nextcloud" }]);
});

test("vzdump defaults: the node's notification-mode, schema defaults, storage retention", async () => {
  double.load(fixtureCluster("home-notification-system"));
  expect(await as().vzdumpDefaults("pve", "synology-backups")).toMatchObject({
    "notification-mode": "notification-system",
    mode: "snapshot",
    storage: "synology-backups",
    "prune-backups": "keep-last=3",
    dumpdir: "/mnt/pve/synology-backups/dump",
  });
});

test("what the double does not implement answers 501, as PVE does for unknown methods", async () => {
  const err = await apiFailure(as().call("POST", "/nodes/pve/vzdump", { vmid: "100" }));
  expect(err.status).toBe(501);
  expect(err.message).toBe("POST /nodes/pve/vzdump: 501 Method 'POST /nodes/pve/vzdump' not implemented");
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
  double.load(withNfs([{ server: "10.0.0.151", online: false }]));
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
  double.load(withNfs([{ server: "10.0.0.150", node: "pve2", online: false }]));
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
  double.load(
    withNfs([
      { server: "10.0.0.150", online: false },
      { server: "10.0.0.150", node: "pve2", online: true },
    ]),
  );
  expect(await as().call("GET", "/nodes/pve/storage/synology-backups/status")).toMatchObject({ active: 0 });
  expect((await as().storageStatus("pve2", "synology-backups")).active).toBe(1);
});

test("scheduled runs: each failure scenario is served as PVE lists it and logs it", async () => {
  const day = fixtureCluster("home-day");
  const job = day.backup.find((j) => j.id === "backup-home-p0-daily")!;
  const guests = [
    { vmid: 100, kind: "qemu" as const, name: "home-assistant" },
    { vmid: 102, kind: "qemu" as const, name: "vaultwarden" },
  ];
  const at = (day: number) => new Date(`2026-02-0${day}T08:00:00Z`);
  const base = { job, node: "pve", guests, timeZone: "America/New_York" };
  day.tasks = [
    scheduledRun({ ...base, start: at(5), storageOffline: true }).task,
    scheduledRun({ ...base, start: at(6), lockHeld: "timeout" }).task,
    scheduledRun({ ...base, start: at(7), jobInitHookFails: { script: "/root/hook.sh", exitCode: 1 } }).task,
    scheduledRun({ ...base, start: at(8), lockHeld: { seconds: 600 } }).task,
    scheduledRun({ ...base, start: new Date("2026-02-12T08:59:00Z"), running: true }).task,
  ];
  double.load(day);
  const c = as();
  const all = await c.nodeTasks("pve", { typefilter: "vzdump", source: "all" });
  expect(all.map((t) => t.status)).toEqual([
    "RUNNING",
    "OK",
    "command '/root/hook.sh job-init' failed: exit code 1",
    "unexpected status",
    "could not activate storage 'synology-backups': storage 'synology-backups' is not online",
  ]);
  // the archive (the default) holds finished tasks only; the cluster's list shows a running one without status
  expect((await c.nodeTasks("pve", { typefilter: "vzdump" })).map((t) => t.status)).not.toContain("RUNNING");
  const clusterTasks = await c.call<Record<string, unknown>[]>("GET", "/cluster/tasks");
  expect(clusterTasks.find((t) => t.upid === all[0].upid)).not.toHaveProperty("status");
  expect(await c.call("GET", `/nodes/pve/tasks/${encodeURIComponent(all[0].upid)}/status`)).toMatchObject({
    status: "running",
  });
  expect(await c.taskLogLines("pve", all[4].upid)).toEqual([
    "TASK ERROR: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
  ]);
  expect(await c.taskLogLines("pve", all[3].upid)).toEqual([
    "INFO: trying to get global lock - waiting...",
    "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout",
  ]);
  expect((await c.taskLogLines("pve", all[1].upid)).slice(0, 3)).toEqual([
    "INFO: trying to get global lock - waiting...",
    "INFO: got global lock",
    expect.stringMatching(/^INFO: starting new backup job: vzdump 100 102 /),
  ]);
  expect(await c.call("GET", `/nodes/pve/tasks/${encodeURIComponent(all[3].upid)}/status`)).toMatchObject({
    status: "stopped",
    exitstatus: "unexpected status",
  });
});

test("tasks: a log that is not there is 200 with PVE's one line; its status is 400 'no such task'; a UPID names its file", async () => {
  const c = as();
  const [task] = await c.nodeTasks("pve", { typefilter: "vzdump" });
  expect((await c.taskLog("pve", task.upid)).length).toBeGreaterThan(1);
  // the same task but another start time: another file under /var/log/pve/tasks/, which is not there
  const fields = task.upid.split(":");
  fields[4] = (parseInt(fields[4], 16) + 1).toString(16).toUpperCase().padStart(8, "0");
  const other = fields.join(":");
  expect(await c.taskLog("pve", other)).toEqual([{ n: 1, t: "unable to open file - No such file or directory" }]);
  const status = await apiFailure(c.call("GET", `/nodes/pve/tasks/${encodeURIComponent(other)}/status`));
  expect([status.status, status.errors]).toEqual([400, { upid: "no such task" }]);
  const bad = await apiFailure(c.taskLog("pve", "UPID:pve:nonsense"));
  expect(bad.errors).toEqual({ upid: "unable to parse worker upid" });
});

test("guests: template is 0 or 1 in /cluster/resources, and only a template's `template: 1` in a node's list", async () => {
  const day = fixtureCluster("home-day");
  Object.assign(
    day.resources.find((r) => r.vmid === 101)!,
    { template: true },
  );
  double.load(day);
  const c = as();
  const resources = await c.call<Record<string, unknown>[]>("GET", "/cluster/resources", { type: "vm" });
  expect(resources.map((r) => [r.vmid, r.template])).toEqual([
    [100, 0],
    [101, 1],
    [102, 0],
    [103, 0],
    [105, 0],
  ]);
  const qemu = await c.call<Record<string, unknown>[]>("GET", "/nodes/pve/qemu");
  expect(qemu.map((g) => [g.vmid, g.template])).toEqual([
    [100, undefined],
    [101, 1],
    [102, undefined],
  ]);
});

test("401: no body and no content type, the reason phrase PVE's message", async () => {
  const answer = await new Promise<{ status?: number; reason?: string; type?: string; body: string }>(
    (resolve, reject) => {
      const req = https.request(
        `${double.url}api2/json/version`,
        { ca: double.certificates.caPem, headers: { authorization: "PVEAPIToken=pulumi@pve!backup-tiers=wrong" } },
        (res) => {
          let body = "";
          res.on("data", (d: Buffer) => (body += d.toString()));
          res.on("end", () =>
            resolve({ status: res.statusCode, reason: res.statusMessage, type: res.headers["content-type"], body }),
          );
        },
      );
      req.on("error", reject);
      req.end();
    },
  );
  expect(answer).toEqual({ status: 401, reason: "Authentication failed!", type: undefined, body: "" });
});

test("parameters: mailto is email-or-username, a listing's content type must be one PVE knows", async () => {
  const c = as();
  const job = { id: "mailed", schedule: "03:00", storage: "synology-backups", vmid: "100" };
  const bad = await apiFailure(c.call("POST", "/cluster/backup", { ...job, mailto: "ops@example.com, not valid!" }));
  expect(bad.errors).toEqual({
    mailto: "invalid format - value does not look like a valid email address or user name",
  });
  await c.call("POST", "/cluster/backup", { ...job, mailto: "ops@example.com,root@pam" });
  const content = await apiFailure(c.storageContent("pve", "synology-backups", { content: "backups" }));
  expect([content.status, content.errors]).toEqual([
    400,
    { content: "invalid format - invalid content type 'backups'" },
  ]);
  expect(await c.storageContent("pve", "synology-backups", { content: "iso" })).toEqual([]);
});

test("privileges: a failed check names the first privilege missing; storage resources need Datastore.Audit", async () => {
  const day = fixtureCluster("home-day");
  day.access!.roles.push({ roleid: "SpaceOnly", privs: "Datastore.AllocateSpace" });
  double.load(day);
  // PVEAuditor has Sys.Audit but not Sys.Modify: PVE names Sys.Modify alone
  expect(() => double.cluster.check("pulumi@pve!auditor", "/", ["Sys.Audit", "Sys.Modify", "Sys.Console"])).toThrow(
    "Permission check failed (/, Sys.Modify)",
  );
  const resources = await as("backup-op@pve!status").call<Record<string, unknown>[]>("GET", "/cluster/resources", {
    type: "storage",
  });
  // backup-op is a PVEDatastoreUser (Datastore.Audit among its privileges) on synology-backups only
  expect(resources.map((r) => r.storage)).toEqual(["synology-backups"]);
  day.access!.acl = day.access!.acl.filter((e) => e.ugid !== "backup-op@pve");
  day.access!.acl.push({ path: "/storage", type: "user", ugid: "backup-op@pve", roleid: "SpaceOnly", propagate: true });
  double.load(day);
  expect(await as("backup-op@pve!status").call("GET", "/cluster/resources", { type: "storage" })).toEqual([]);
});
