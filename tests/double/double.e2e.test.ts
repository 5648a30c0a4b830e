/**
 * The PVE API double as a whole: its answers match the API schema (pve/endpoints.json), and it
 * authenticates, checks privileges and parameters, and answers for nodes and guests as PVE does.
 * The PVE areas have their own files: jobs, storages, tasks. One double for the file; `load` swaps
 * the cluster between scenarios.
 */
import * as https from "https";
import { checkAnswer, resolvePath } from "../../pve/schema";
import { apiFailure, fixtureCluster, serveHomeDay } from "../support/apiDouble";

const NOW = new Date("2026-02-12T09:00:00Z");
const served = serveHomeDay(NOW);
const as = served.as;

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

test("privileges: a token with its role on the token only gets 403 naming the privilege and path", async () => {
  served.double.load(fixtureCluster("home-old-token"));
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

test("an offline node answers 595 for what is proxied to it, and is listed as offline", async () => {
  served.double.load(fixtureCluster("home-offline-node"));
  const c = as();
  expect((await c.nodes()).map((n) => [n.node, n.status])).toEqual([
    ["pve", "online"],
    ["pve2", "offline"],
  ]);
  const err = await apiFailure(c.nodeTasks("pve2"));
  expect(err.status).toBe(595);
  expect((await apiFailure(c.nodeStorages("nowhere"))).message).toMatch(/500 hostname lookup 'nowhere' failed/);
});

test("vzdump defaults: the node's notification-mode, schema defaults, storage retention", async () => {
  served.double.load(fixtureCluster("home-notification-system"));
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

test("guests: template is 0 or 1 in /cluster/resources, and only a template's `template: 1` in a node's list", async () => {
  const day = fixtureCluster("home-day");
  Object.assign(
    day.resources.find((r) => r.vmid === 101)!,
    { template: true },
  );
  served.double.load(day);
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
        `${served.double.url}api2/json/version`,
        {
          ca: served.double.certificates.caPem,
          headers: { authorization: "PVEAPIToken=pulumi@pve!backup-tiers=wrong" },
        },
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
  served.double.load(day);
  // PVEAuditor has Sys.Audit but not Sys.Modify: PVE names Sys.Modify alone
  expect(() =>
    served.double.cluster.check("pulumi@pve!auditor", "/", ["Sys.Audit", "Sys.Modify", "Sys.Console"]),
  ).toThrow("Permission check failed (/, Sys.Modify)");
  const resources = await as("backup-op@pve!status").call<Record<string, unknown>[]>("GET", "/cluster/resources", {
    type: "storage",
  });
  // backup-op is a PVEDatastoreUser (Datastore.Audit among its privileges) on synology-backups only
  expect(resources.map((r) => r.storage)).toEqual(["synology-backups"]);
  day.access!.acl = day.access!.acl.filter((e) => e.ugid !== "backup-op@pve");
  day.access!.acl.push({ path: "/storage", type: "user", ugid: "backup-op@pve", roleid: "SpaceOnly", propagate: true });
  served.double.load(day);
  expect(await as("backup-op@pve!status").call("GET", "/cluster/resources", { type: "storage" })).toEqual([]);
});
