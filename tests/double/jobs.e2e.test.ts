/** The PVE API double's backup jobs (double/jobs.ts) behave as pve-manager's PVE/API2/Backup.pm. */
import { apiFailure, fixtureCluster, serveHomeDay } from "../support/apiDouble";

const NOW = new Date("2026-02-12T09:00:00Z");
const served = serveHomeDay(NOW);
const as = served.as;

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
  served.double.load(day);
  const c = as();
  const job = { id: "pooled", schedule: "03:00", storage: "synology-backups" };
  expect((await apiFailure(c.call("POST", "/cluster/backup", { ...job, pool: "work" }))).pveMessage).toBe(
    "Permission check failed (pool 'work' does not exist)",
  );
  const err = await apiFailure(c.call("POST", "/cluster/backup", { ...job, pool: "home" }));
  expect([err.status, err.pveMessage]).toEqual([403, "Permission check failed (/pool/home, VM.Backup)"]);
  const update = await apiFailure(c.call("PUT", "/cluster/backup/backup-home-p0-daily", { pool: "home" }));
  expect(update.pveMessage).toBe("Permission check failed (/pool/home, VM.Backup)");
  const root = as("root@pam!ops");
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
  served.double.load(day);
  expect(await as().notBackedUp()).toEqual([{ vmid: 104, type: "lxc", name: "nextcloud" }]);
});
