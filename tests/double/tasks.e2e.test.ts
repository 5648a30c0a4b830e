/** The PVE API double's tasks (double/tasks.ts): listed, logged and read as PVE's Tasks.pm does. */
import { scheduledRun } from "../../double/vzdump";
import { apiFailure, fixtureCluster, serveHomeDay } from "../support/apiDouble";

const NOW = new Date("2026-02-12T09:00:00Z");
const served = serveHomeDay(NOW);
const as = served.as;

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
  served.double.load(day);
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
