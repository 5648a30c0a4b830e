/** pve/vzdumpLog.ts: vzdump's task log, the first line a run writes and what it says of each guest. */
import {
  VZDUMP_JOB_START,
  VZDUMP_LOCK_WAITING,
  parseVzdumpJobStart,
  readVzdumpLog,
  vzdumpCommandLine,
} from "../../pve/vzdumpLog";

describe("vzdump's task log: the first line a run writes, and what it says of each guest", () => {
  test("a scheduled run's line: the job's parameters and --quiet 1, quoted as String::ShellQuote does, never the job id", () => {
    const line = vzdumpCommandLine({
      id: "backup-home-p0-daily",
      "job-id": "backup-home-p0-daily",
      vmid: "100,102",
      enabled: 1,
      storage: "synology-backups",
      "prune-backups": "keep-last=3",
      mailto: "admin@home.arpa, root",
      "notes-template": "{{guestname}} ({{vmid}}) - tier P0: it's critical - job backup-home-p0-daily",
      quiet: 1,
    });
    expect(line).toBe(
      "vzdump 100 102 --storage synology-backups --prune-backups 'keep-last=3' --mailto admin@home.arpa,root " +
        "--notes-template '{{guestname}} ({{vmid}}) - tier P0: it'\\''s critical - job backup-home-p0-daily' --quiet 1",
    );
    const start = parseVzdumpJobStart(`${VZDUMP_JOB_START}${line}`)!;
    expect(start.vmids).toEqual([100, 102]);
    expect(Object.fromEntries([...start.options].map(([k, v]) => [k, v[0]]))).toEqual({
      storage: "synology-backups",
      "prune-backups": "keep-last=3",
      mailto: "admin@home.arpa,root",
      "notes-template": "{{guestname}} ({{vmid}}) - tier P0: it's critical - job backup-home-p0-daily",
      quiet: "1",
    });
  });

  test("exclude-path repeats; a line that is not a run's first line is no start", () => {
    expect(vzdumpCommandLine({ all: 1, "exclude-path": ["/tmp/?*", "/var/cache"] })).toBe(
      "vzdump --all 1 --exclude-path '/tmp/?*' --exclude-path /var/cache",
    );
    expect(parseVzdumpJobStart("INFO: Starting Backup of VM 100 (qemu)")).toBeUndefined();
    expect(parseVzdumpJobStart(`${VZDUMP_JOB_START}vzdump 100 --storage 'unterminated`)).toBeUndefined();
    expect(parseVzdumpJobStart(`${VZDUMP_JOB_START}vzdump 0100 --storage x`)).toBeUndefined();
  });

  test("per guest: finished with vzdump's own time, failed with its reason and times, or still running", () => {
    const { guests, jobError } = readVzdumpLog([
      "INFO: starting new backup job: vzdump 100 103 104 105 --quiet 1",
      "INFO: Starting Backup of VM 100 (qemu)",
      "INFO: Backup started at 2026-02-12 03:00:04",
      "INFO: Finished Backup of VM 100 (00:02:31)",
      "INFO: Backup finished at 2026-02-12 03:02:35",
      "ERROR: Backup of VM 104 failed - unable to find VM '104'",
      "INFO: Starting Backup of VM 103 (lxc)",
      "INFO: Backup started at 2026-02-12 03:02:36",
      "ERROR: Backup of VM 103 failed - unable to create temporary directory",
      "INFO: Failed at 2026-02-12 03:02:48",
      "INFO: Starting Backup of VM 105 (lxc)",
      "INFO: Backup started at 2026-02-12 03:02:49",
      "TASK ERROR: job errors",
    ]);
    expect(guests.get(100)).toMatchObject({ result: "ok", seconds: 151 });
    expect(guests.get(104)).toMatchObject({ result: "failed", reason: "unable to find VM '104'" });
    expect(guests.get(103)).toMatchObject({
      result: "failed",
      reason: "unable to create temporary directory",
      started: { hour: 3, minute: 2, second: 36 },
      ended: { hour: 3, minute: 2, second: 48 },
    });
    expect(guests.get(105)).toMatchObject({ result: "running" });
    expect(jobError).toBeUndefined(); // "job errors" only says that guests failed
    expect(readVzdumpLog(["TASK ERROR: could not activate storage 'nas': storage 'nas' does not exist"]).jobError).toBe(
      "could not activate storage 'nas': storage 'nas' does not exist",
    );
  });

  test("a run that ended before its job line: the NAS away, the lock timed out, the job-init hook failed", () => {
    const nasDown = readVzdumpLog([
      "TASK ERROR: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
    ]);
    expect(nasDown).toMatchObject({
      jobStarted: false,
      jobError: "could not activate storage 'synology-backups': storage 'synology-backups' is not online",
      storageNamed: "synology-backups",
    });
    // getlock logs the wait, then the timeout, and the worker exits without a TASK line
    const lockTimeout = readVzdumpLog([
      VZDUMP_LOCK_WAITING,
      "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout",
    ]);
    expect(lockTimeout).toMatchObject({
      jobStarted: false,
      waitingForLock: true,
      jobError: "can't acquire lock '/var/run/vzdump.lock' - got timeout",
      storageNamed: undefined,
    });
    const hook = readVzdumpLog(["TASK ERROR: command '/usr/local/bin/nas-wake job-init' failed: exit code 1"]);
    expect(hook.jobError).toBe("command '/usr/local/bin/nas-wake job-init' failed: exit code 1");
  });

  test("a run that waited for the lock, got it and went on is no failure", () => {
    const log = readVzdumpLog([
      VZDUMP_LOCK_WAITING,
      "INFO: got global lock",
      `${VZDUMP_JOB_START}vzdump 100 --storage nas --quiet 1`,
      "INFO: Starting Backup of VM 100 (qemu)",
    ]);
    expect(log).toMatchObject({ jobStarted: true, waitingForLock: false, jobError: undefined });
    expect(readVzdumpLog([VZDUMP_LOCK_WAITING])).toMatchObject({ jobStarted: false, waitingForLock: true });
  });

  test("a run that got no global lock failed as a whole, though no TASK line says so; one that waited and got it did not", () => {
    const waited = [VZDUMP_LOCK_WAITING];
    expect(readVzdumpLog([...waited, "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout"]).jobError).toBe(
      "can't acquire lock '/var/run/vzdump.lock' - got timeout",
    );
    expect(readVzdumpLog(["ERROR: can't acquire lock '/var/run/vzdump.lock' (wait = 0)"]).jobError).toBe(
      "can't acquire lock '/var/run/vzdump.lock' (wait = 0)",
    );
    expect(readVzdumpLog([...waited, "INFO: got global lock", "TASK OK"]).jobError).toBeUndefined();
  });
});
