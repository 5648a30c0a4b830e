/**
 * double/vzdump.ts: a scheduled run's task and log as PVE writes them, failures included, in PVE's
 * order (pve-manager PVE/API2/VZDump.pm: PVE::VZDump->new, getlock, exec_backup).
 */
import { ScheduledRun, scheduledRun } from "../../double/vzdump";
import { readVzdumpLog } from "../../pve/vzdumpLog";

const START = new Date("2026-02-12T08:00:00Z"); // 03:00 in New York
const START_S = START.getTime() / 1000;
const JOB = {
  id: "backup-home-p0-daily",
  schedule: "03:00",
  storage: "synology-backups",
  vmid: "100,102",
  mode: "snapshot",
  compress: "zstd",
};
const GUESTS: ScheduledRun["guests"] = [
  { vmid: 100, kind: "qemu", name: "home-assistant" },
  { vmid: 102, kind: "qemu", name: "vaultwarden" },
];
const run = (extra: Partial<ScheduledRun> = {}) =>
  scheduledRun({ job: JOB, node: "pve", guests: GUESTS, start: START, timeZone: "America/New_York", ...extra });

test("a run whose NAS is down: the whole log is new()'s one error, and that error is the status", () => {
  const { task, backups } = run({ storageOffline: true });
  const error = "could not activate storage 'synology-backups': storage 'synology-backups' is not online";
  expect(task).toMatchObject({ type: "vzdump", user: "root@pam", id: "", starttime: START_S, status: error });
  expect(task.log).toEqual([`TASK ERROR: ${error}`]);
  expect(task.endtime).toBe(START_S + 10); // showmount's 10 s
  expect(backups).toEqual([]);
  expect(readVzdumpLog(task.log).jobError).toBe(error);
});

test("a job-init hook that exits non-zero: its output as INFO lines, then the command's failure; with the NAS down too, both errors on one line", () => {
  const hook = { script: "/usr/local/bin/vzdump hook.sh", exitCode: 2, output: ["checking the NAS", "NAS asleep"] };
  const failed = run({ jobInitHookFails: hook }).task;
  // each word shell-quoted, as pve-common PVE/Cmd.pm `to_string` prints the command
  const error = "command ''/usr/local/bin/vzdump hook.sh' job-init' failed: exit code 2";
  expect(failed.log).toEqual(["INFO: checking the NAS", "INFO: NAS asleep", `TASK ERROR: ${error}`]);
  expect(failed.status).toBe(error);
  const both = run({ jobInitHookFails: { script: "/root/hook.pl", exitCode: 1 }, storageOffline: true }).task;
  expect(both.status).toBe(
    "command '/root/hook.pl job-init' failed: exit code 1 could not activate storage 'synology-backups': storage 'synology-backups' is not online",
  );
  expect(both.log).toEqual([`TASK ERROR: ${both.status}`]);
});

test("a run that waits for the global lock logs the wait first, then the lock, then the job line, its guests later", () => {
  const { task, backups } = run({ lockHeld: { seconds: 1800 } });
  expect(task.log.slice(0, 3)).toEqual([
    "INFO: trying to get global lock - waiting...",
    "INFO: got global lock",
    expect.stringMatching(/^INFO: starting new backup job: vzdump 100 102 /),
  ]);
  expect(task.log).toContain("INFO: Backup started at 2026-02-12 03:30:01");
  expect(task.status).toBe("OK");
  expect(backups.map((b) => b.volid)).toEqual([
    "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_30_01.vma.zst",
    "synology-backups:backup/vzdump-qemu-102-2026_02_12-03_31_02.vma.zst",
  ]);
});

test("a run that waits its lockwait out: the wait, the timeout, no TASK line, so PVE's status is 'unexpected status'", () => {
  const { task, backups } = run({ lockHeld: "timeout" });
  expect(task.log).toEqual([
    "INFO: trying to get global lock - waiting...",
    "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout",
  ]);
  expect(task.status).toBe("unexpected status");
  expect(task.endtime).toBe(START_S + 180 * 60);
  expect(backups).toEqual([]);
  expect(readVzdumpLog(task.log).jobError).toBe("can't acquire lock '/var/run/vzdump.lock' - got timeout");

  const shortWait = run({ job: { ...JOB, lockwait: 30 }, lockHeld: "timeout" }).task;
  expect(shortWait.endtime).toBe(START_S + 30 * 60);
  const noWait = run({ job: { ...JOB, lockwait: 0 }, lockHeld: "timeout" }).task;
  expect(noWait.log).toEqual(["ERROR: can't acquire lock '/var/run/vzdump.lock' (wait = 0)"]);
  expect(noWait.status).toBe("unexpected status");
});

test("a run still waiting for the lock, or still backing up: no end, no status", () => {
  const waiting = run({ lockHeld: "timeout", running: true }).task;
  expect(waiting.log).toEqual(["INFO: trying to get global lock - waiting..."]);
  expect(waiting.status).toBeUndefined();
  expect(waiting.endtime).toBeUndefined();
  const busy = run({ running: true }).task;
  expect(busy.log.at(-1)).toBe("INFO: Backup started at 2026-02-12 03:01:02");
  expect(busy.status).toBeUndefined();
});

test("one guest of the job on the node: the task id is its vmid, however the run ends", () => {
  const one = run({ guests: [GUESTS[1]], storageOffline: true });
  expect(one.task.id).toBe("102");
});
