/**
 * The judgement of `npm run status` without HTTP: the home site's history of runs (as PVE records
 * them, double/vzdump.ts) judged at chosen times. Each state and why; the last due run by a task's
 * end or by grace; which tasks are a job's runs; the archive checks; the space at full retention.
 */
import { formatBytes } from "../../status/document";
import type { StatusInput } from "../../status/input";
import { GuestJudgement, judgeStatus } from "../../status/judge";
import { isRunOf, isRunOfLog, mayBeRunOf, stackJobOf, statusJobOf } from "../../status/runs";
import { parseSite } from "../../tiers/siteRules";
import { VZDUMP_LOCK_WAITING, parseVzdumpJobStart } from "../../pve/vzdumpLog";
import { tryParseCalendarEvent } from "../../tiers/calendar";
import { fixtureSite } from "../support/stacks";
import { SiteHistory } from "../support/statusHistory";
import { tierJob } from "../../tiers/tierJob";

const home = () => parseSite(fixtureSite("home"), "Pulumi.home.yaml");
const at = (iso: string) => new Date(iso);

function judge(input: StatusInput) {
  const report = judgeStatus(input);
  const of = (vmid: number): GuestJudgement["status"] => report.document.guests.find((g) => g.vmid === vmid)!;
  return { report, of, states: report.document.guests.map((g) => [g.vmid, g.state]) };
}

/** The site's own day: P0 at 03:00 wrote both guests, P1 at 03:15 failed for LXC 103. */
function siteDay(history = new SiteHistory(home())): SiteHistory {
  return history
    .run("P0", "2026-02-12T03:00", { outcomes: { 100: { ok: true, seconds: 151, size: 4831838208 } } })
    .run("P1", "2026-02-12T03:15", {
      outcomes: { 103: { ok: false, seconds: 12, reason: "unable to create temporary directory" } },
    });
}

describe("the site's own day, 2026-02-12T09:00Z (04:00 in New York)", () => {
  const { report, of, states } = judge(siteDay().input(at("2026-02-12T09:00:00Z")));

  test("VMs 100 and 102 OK, LXC 103 FAILED, VM 101 and LXC 105 PENDING; exit 1", () => {
    expect(states).toEqual([
      [100, "OK"],
      [102, "OK"],
      [103, "FAILED"],
      [101, "PENDING"],
      [105, "PENDING"],
    ]);
    expect(report.couldNotCheck).toBe(false);
    expect(report.document.ok).toBe(false);
  });

  test("last due and next runs from the schedule in the site's zone; P2's first run is Sunday 04:00", () => {
    expect([of(100).lastDue, of(100).nextRun]).toEqual(["2026-02-12T08:00:00Z", "2026-02-13T08:00:00Z"]);
    expect([of(103).lastDue, of(103).nextRun]).toEqual(["2026-02-12T08:15:00Z", "2026-02-13T08:15:00Z"]);
    expect([of(101).lastDue, of(101).nextRun]).toEqual(["2026-02-08T09:00:00Z", "2026-02-15T09:00:00Z"]);
    expect(of(105).reason).toBe(
      "job backup-home-p2-weekly has not run yet (PVE's task history shows no run): the first is 2026-02-15T04:00:00-05:00",
    );
  });

  test("FAILED with vzdump's reason from the task log; durations from the log", () => {
    expect(of(103).reason).toBe("the run of 2026-02-12T03:15:00-05:00 failed: unable to create temporary directory");
    expect([of(100).duration, of(102).duration, of(103).duration, of(101).duration]).toEqual([151, 60, 12, undefined]);
    expect(of(100).newest).toEqual({
      volid: "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_01.vma.zst",
      time: "2026-02-12T08:00:01Z",
      size: 4831838208,
    });
  });

  test("the space at full retention: each newest backup × (keep + 1)", () => {
    expect(report.document.storages).toEqual([
      { id: "synology-backups", total: 4e12, used: 1e12, avail: 3e12, needed: (4831838208 + 1024 ** 3) * 4 },
    ]);
  });
});

describe("the last due run: its task has ended, or the grace has passed", () => {
  const history = () => new SiteHistory(home()).run("P0", "2026-02-11T03:00");

  test("while today's run goes on within its grace, yesterday's is the last due: OK", () => {
    // 100 is written, 102 is being written
    const { of } = judge(history().run("P0", "2026-02-12T03:00", { running: true }).input(at("2026-02-12T08:30:00Z")));
    expect([of(102).state, of(102).lastDue]).toEqual(["OK", "2026-02-11T08:00:00Z"]);
    expect(of(102).newest!.time).toBe("2026-02-11T08:01:02Z");
  });

  test("once the run ended, today's is the last due, and its backup makes the guest OK", () => {
    const { of } = judge(history().run("P0", "2026-02-12T03:00").input(at("2026-02-12T08:30:00Z")));
    expect([of(100).state, of(100).lastDue, of(100).newest!.time]).toEqual([
      "OK",
      "2026-02-12T08:00:00Z",
      "2026-02-12T08:00:01Z",
    ]);
  });

  test("a tier's own grace of 20m: at 03:30 the still-running 03:00 run is due, and the guest LATE", () => {
    const raw = fixtureSite("home");
    raw.tiers[0].grace = "20m";
    const h = new SiteHistory(parseSite(raw, "x")).run("P0", "2026-02-11T03:00");
    const { of } = judge(h.run("P0", "2026-02-12T03:00", { running: true }).input(at("2026-02-12T08:30:00Z")));
    expect([of(102).state, of(102).lastDue]).toEqual(["LATE", "2026-02-12T08:00:00Z"]);
    expect(of(102).reason).toBe(
      "the newest backup is from 2026-02-11T03:01:02-05:00, before the run of 2026-02-12T03:00:00-05:00; the run of 2026-02-12T03:00:00-05:00 has not ended",
    );
  });

  test("across the spring DST change: 03:00 in New York is 07:00Z on 2026-03-08", () => {
    const h = new SiteHistory(home()).daily("P0", "03:00", "2026-03-06", "2026-03-09");
    const { of } = judge(h.input(at("2026-03-08T07:30:00Z")));
    expect([of(100).state, of(100).lastDue, of(100).newest!.time, of(100).nextRun]).toEqual([
      "OK",
      "2026-03-08T07:00:00Z",
      "2026-03-08T07:00:01Z",
      "2026-03-09T07:00:00Z",
    ]);
    // an hour earlier the 03:00 EDT run has not happened yet: the day before is the last due
    expect(judge(h.input(at("2026-03-08T06:30:00Z"))).of(100).lastDue).toBe("2026-03-07T08:00:00Z");
  });
});

describe("each state", () => {
  test("LATE: the scheduler stopped after the 11th; the newest is older than the last due run", () => {
    const h = new SiteHistory(home()).daily("P0", "03:00", "2026-02-09", "2026-02-11");
    const { of, report } = judge(h.input(at("2026-02-12T12:00:00Z")));
    expect(of(100).state).toBe("LATE");
    expect(of(100).reason).toBe(
      "the newest backup is from 2026-02-11T03:00:01-05:00, before the run of 2026-02-12T03:00:00-05:00",
    );
    expect(report.couldNotCheck).toBe(false);
  });

  test("MISSING: the job has run, and the guest has no backup (the archive of the due run is gone)", () => {
    const h = new SiteHistory(home()).run("P1", "2026-02-11T03:15").run("P1", "2026-02-12T03:15");
    h.backups.length = 0;
    const { of } = judge(h.input(at("2026-02-12T12:00:00Z")));
    expect(of(103).state).toBe("MISSING");
    expect(of(103).reason).toBe(
      "no backup on synology-backups; the run of 2026-02-12T03:15:00-05:00 finished its backup, but the archive is not on synology-backups; though job backup-home-p1-daily has run",
    );
  });

  test("PENDING while the first run is still going, and with a backup made before the job's first run", () => {
    const h = new SiteHistory(home()).run("P2", "2026-02-15T04:00", { running: true });
    h.backups.push({
      storage: "synology-backups",
      volid: "synology-backups:backup/vzdump-lxc-105-2026_01_30-22_10_00.tar.zst",
      size: 5e8,
    });
    // 101 is written by the first run; 105 is being written, and its backup by hand is from before
    // the last due event (Sunday 8 February): not LATE, the job has not run yet.
    const { of, report } = judge(h.input(at("2026-02-15T09:30:00Z")));
    expect([of(101).state, of(105).state]).toEqual(["OK", "PENDING"]);
    expect(of(105).reason).toBe(
      "job backup-home-p2-weekly's first run, started 2026-02-15T04:00:00-05:00, has not ended yet; " +
        "the newest backup, from 2026-01-30T22:10:00-05:00, is not the job's; " +
        "vzdump-lxc-105-2026_01_30-22_10_00.tar.zst was not written by job backup-home-p2-weekly: its notes name no job (a backup by hand, or by other notes)",
    );
    expect(report.couldNotCheck).toBe(false);
  });

  test("FAILED when the whole run failed before any guest (its task error)", () => {
    const h = new SiteHistory(home()).run("P1", "2026-02-11T03:15").run("P1", "2026-02-12T03:15");
    const task = h.tasks[1];
    task.log = [task.log[0], "TASK ERROR: could not activate storage 'synology-backups': storage is not online"];
    task.status = "could not activate storage 'synology-backups': storage is not online";
    h.backups.pop();
    const { of } = judge(h.input(at("2026-02-12T12:00:00Z")));
    expect(of(103).state).toBe("FAILED");
    expect(of(103).reason).toBe(
      "the run of 2026-02-12T03:15:00-05:00 failed: could not activate storage 'synology-backups': storage is not online",
    );
  });

  test("UNTIERED: a guest in no tier (PVE: backed up by no job), a tier whose job is not on the cluster; templates left out", () => {
    const input = siteDay().input(at("2026-02-12T09:00:00Z"));
    input.guests.push(
      { vmid: 106, kind: "lxc", name: "scratch", node: "pve", template: false },
      { vmid: 9000, kind: "qemu", name: "debian-template", node: "pve", template: true },
    );
    input.notBackedUp = new Set([106]);
    input.jobs = input.jobs!.filter((j) => j.id !== "backup-home-p2-weekly");
    const { of, states } = judge(input);
    expect(states.map(([v]) => v)).toEqual([100, 102, 103, 101, 105, 106]);
    expect(of(106)).toMatchObject({
      state: "UNTIERED",
      tier: null,
      job: null,
      reason: "in no tier, and PVE lists it as backed up by no job",
    });
    expect(of(101)).toMatchObject({
      state: "UNTIERED",
      reason: "tier P2's job backup-home-p2-weekly is not on the cluster (pulumi up creates it)",
    });
  });

  test("a guest another stack backs up (otherStacks) is that stack's to judge, not UNTIERED here", () => {
    const site = home();
    site.otherStacks = [{ stack: "lab", vmids: [107] }];
    const input = siteDay(new SiteHistory(site)).input(at("2026-02-12T09:00:00Z"));
    input.guests.push(
      { vmid: 106, kind: "lxc", name: "scratch", node: "pve", template: false },
      { vmid: 107, kind: "qemu", name: "lab-runner", node: "pve", template: false },
    );
    const { states } = judge(input);
    expect(states).toContainEqual([106, "UNTIERED"]);
    expect(states.map(([vmid]) => vmid)).not.toContain(107);
  });

  test("a disabled job: no next run, so no backup is MISSING, not PENDING", () => {
    const input = new SiteHistory(home()).input(at("2026-02-12T09:00:00Z"));
    input.jobs!.find((j) => j.id === "backup-home-p2-weekly")!.enabled = false;
    const { of } = judge(input);
    expect([of(101).state, of(101).nextRun]).toEqual(["MISSING", null]);
    expect(of(101).reason).toBe(
      "no backup on synology-backups; job backup-home-p2-weekly is disabled, so no run will make one",
    );
  });

  test("a cluster job whose schedule never fires (Feb 30th) or stopped firing is FAILED naming it, not PENDING", () => {
    const input = siteDay().input(at("2026-02-12T09:00:00Z"));
    input.jobs!.find((j) => j.id === "backup-home-p2-weekly")!.schedule = "*-02-30 04:00";
    input.jobs!.find((j) => j.id === "backup-home-p0-daily")!.schedule = "2026-02-12 03:00";
    const { of, report } = judge(input);
    expect([of(101).state, of(105).state, of(101).nextRun]).toEqual(["FAILED", "FAILED", null]);
    expect(of(101).reason).toBe(
      "job backup-home-p2-weekly's schedule '*-02-30 04:00' never fires, so no run will back it up",
    );
    // its last run wrote today's backup, but none will follow
    expect(of(100).state).toBe("FAILED");
    expect(of(100).reason).toBe(
      "job backup-home-p0-daily's schedule '2026-02-12 03:00' never fires again, so no run will back it up",
    );
    expect(report.couldNotCheck).toBe(false);
    expect(report.clusterSchedules.get("P2")).toBe("*-02-30 04:00");
    expect(report.clusterSchedules.has("P1")).toBe(false);
  });
});

describe("UNKNOWN: what decides the state cannot be seen", () => {
  test("a token without Datastore.Allocate on the storage: named, instead of MISSING or PENDING; exit 2", () => {
    const input = siteDay().input(at("2026-02-12T09:00:00Z"));
    const view = input.storages.get("synology-backups")!;
    view.privileges = { "Datastore.AllocateSpace": true, "Datastore.Audit": true };
    view.guestPrivileges.set(100, { "VM.Backup": true });
    view.backups = view.backups!.filter((b) => b.vmid === 100); // what PVE's listing then shows
    const { of, report } = judge(input);
    expect(of(100).state).toBe("OK");
    expect(of(101)).toMatchObject({
      state: "UNKNOWN",
      reason:
        "pulumi@pve!backup-tiers lacks VM.Backup on /vms/101 (or Datastore.Allocate on /storage/synology-backups), so PVE's listing leaves this guest's backups out",
    });
    expect(report.couldNotCheck).toBe(true);
  });

  test("the node's task history hidden: no backup cannot be told MISSING from PENDING; a fresh one is still OK", () => {
    const input = siteDay().input(at("2026-02-12T09:00:00Z"));
    input.nodes = [{ node: "pve", online: true, historyGap: "pulumi@pve!x lacks Sys.Audit on /nodes/pve" }];
    input.runs = new Map();
    const { of } = judge(input);
    expect(of(100).state).toBe("OK");
    expect(of(105)).toMatchObject({
      state: "UNKNOWN",
      reason:
        "no backup on synology-backups, and whether job backup-home-p2-weekly has run cannot be told: pulumi@pve!x lacks Sys.Audit on /nodes/pve",
    });
  });
});

describe("the archives themselves", () => {
  test("an empty archive, another kind's and a name vzdump does not write do not count; each is named", () => {
    const h = new SiteHistory(home()).run("P0", "2026-02-11T03:00");
    h.backups.push(
      {
        storage: "synology-backups",
        volid: "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_01.vma.zst",
        size: 0,
      },
      {
        storage: "synology-backups",
        volid: "synology-backups:backup/vzdump-lxc-102-2026_02_12-03_01_02.tar.zst",
        size: 9,
      },
    );
    const input = h.input(at("2026-02-12T12:00:00Z"));
    input.storages
      .get("synology-backups")!
      .backups!.push({ volid: "synology-backups:backup/ha-copy-100.vma.zst", size: 5, vmid: 100 });
    const { of } = judge(input);
    expect(of(100).state).toBe("LATE");
    expect(of(100).newest!.time).toBe("2026-02-11T08:00:01Z");
    expect(of(100).reason).toContain(
      "vzdump-qemu-100-2026_02_12-03_00_01.vma.zst does not count: it is empty (0 bytes)",
    );
    expect(of(100).reason).toContain(
      "ha-copy-100.vma.zst does not count: its name is not vzdump's (vzdump-{qemu|lxc}-<vmid>-YYYY_MM_DD-HH_MM_SS...), so its time is unknown",
    );
    expect(of(102).reason).toContain(
      "vzdump-lxc-102-2026_02_12-03_01_02.tar.zst does not count: it is a lxc archive, the guest is a VM (qemu)",
    );
  });

  test("written by another job; more backups than the tier keeps (protected ones aside): is pruning running?", () => {
    const h = new SiteHistory(home()).daily("P0", "03:00", "2026-02-08", "2026-02-12");
    h.backups[0].protected = true;
    h.backups[h.backups.length - 1].notes = "vaultwarden (102) - tier X - job backup-by-hand";
    const { of, report } = judge(h.input(at("2026-02-12T09:00:00Z")));
    expect(of(100)).toMatchObject({
      state: "OK",
      reason: "4 backups of 100 on synology-backups, tier P0 keeps 3: is pruning running?",
    });
    expect(of(102).reason).toBe(
      "vzdump-qemu-102-2026_02_12-03_01_02.vma.zst was written by job backup-by-hand, not by tier P0's job backup-home-p0-daily; " +
        "5 backups of 102 on synology-backups, tier P0 keeps 3: is pruning running?",
    );
    expect(report.couldNotCheck).toBe(false); // warnings only; 103, 101 and 105 wait for their first runs
  });
});

test("bytes as people read them", () => {
  expect([0, 1023, 1024, 4831838208, 4000787030016].map(formatBytes)).toEqual([
    "0 B",
    "1023 B",
    "1.0 KiB",
    "4.5 GiB",
    "3.6 TiB",
  ]);
});

describe("space at full retention: over 80% of the total a warning, over 100% a failure", () => {
  const allOk = () =>
    new SiteHistory(home())
      .run("P0", "2026-02-15T03:00", {
        outcomes: { 100: { ok: true, seconds: 60, size: 1e11 }, 102: { ok: true, seconds: 60, size: 1e11 } },
      })
      .run("P1", "2026-02-15T03:15", { outcomes: { 103: { ok: true, seconds: 60, size: 1e11 } } })
      .run("P2", "2026-02-15T04:00", {
        outcomes: { 101: { ok: true, seconds: 60, size: 1e11 }, 105: { ok: true, seconds: 60, size: 1e11 } },
      });
  const needed = 3 * 1e11 * 4 + 2 * 1e11 * 3; // P0, P1 keep 3; P2 keeps 2

  test.each([
    [needed / 0.79, "ok", 0],
    [needed / 0.85, "warning", 0],
    [needed / 1.1, "over", 1],
  ])("total %d: %s, exit %d", (total, level, exitCode) => {
    const { report } = judge(allOk().input(at("2026-02-15T12:00:00Z"), { total, used: 0, avail: total }));
    expect(report.document.guests.every((g) => g.state === "OK")).toBe(true);
    expect(report.document.storages[0].needed).toBe(needed);
    expect(report.capacity.get("synology-backups")).toBe(level);
    expect(report.couldNotCheck).toBe(false);
    expect(report.document.ok).toBe(exitCode === 0);
  });
});

describe("which vzdump tasks are a job's scheduled runs", () => {
  const site = home();
  const p0 = statusJobOf(tierJob(site.tiers[0]));
  const start = (line: string) => parseVzdumpJobStart(line)!;

  test("its own run: root@pam, task id empty for two local guests, the job's parameters and --quiet 1", () => {
    const h = new SiteHistory(site).run("P0", "2026-02-12T03:00");
    expect(isRunOf(start(h.tasks[0].log[0]), p0)).toBe(true);
    expect(mayBeRunOf({ upid: "u", node: "pve", type: "vzdump", id: "", user: "root@pam", starttime: 0 }, p0)).toBe(
      true,
    );
  });

  test("not a run of the job: a vzdump by hand, another storage or notes, another job's guests, another user", () => {
    const own = new SiteHistory(site).run("P0", "2026-02-12T03:00").tasks[0].log[0];
    expect(
      isRunOf(start("INFO: starting new backup job: vzdump 102 --storage synology-backups --mode snapshot"), p0),
    ).toBe(false);
    expect(isRunOf(start(own.replace(" --quiet 1", "")), p0)).toBe(false); // the same, run by hand
    expect(isRunOf(start(own.replace("--storage synology-backups", "--storage local")), p0)).toBe(false);
    expect(isRunOf(start(own.replace("vzdump 100 102", "vzdump 100")), p0)).toBe(false);
    expect(isRunOf(start(own.replace("job backup-home-p0-daily'", "job other'")), p0)).toBe(false);
    // a job known only from the stack (the token may not read the cluster's): guests and storage decide
    const declared = stackJobOf(site.tiers[0]);
    expect(isRunOf(start(own.replace("job backup-home-p0-daily'", "job other'")), declared)).toBe(true);
    expect(isRunOf(start(own.replace("--storage synology-backups", "--storage local")), declared)).toBe(false);
    const task = { upid: "u", node: "pve", type: "vzdump", id: "103", user: "root@pam", starttime: 0 };
    expect(mayBeRunOf(task, p0)).toBe(false); // a one-guest run of 103 is not P0's
    expect(mayBeRunOf({ ...task, id: "100", user: "admin@pve" }, p0)).toBe(false);
  });

  test("a job across two nodes: one task per node, its id the vmid of its one local guest; each judged on its node", () => {
    const h = new SiteHistory(site);
    h.nodeOf.set(102, "pve2");
    h.run("P0", "2026-02-12T03:00", {
      outcomes: { 102: { ok: false, seconds: 5, reason: "VM 102 qmp command 'backup' failed" } },
    });
    expect(h.tasks.map((t) => [t.node, t.id])).toEqual([
      ["pve", "100"],
      ["pve2", "102"],
    ]);
    expect(h.tasks[1].log[1]).toBe("INFO: skip external VMs: 100");
    const { of } = judge(h.input(at("2026-02-12T09:00:00Z")));
    expect([of(100).state, of(102).state]).toEqual(["OK", "FAILED"]);
    expect(of(102).reason).toBe("the run of 2026-02-12T03:00:00-05:00 failed: VM 102 qmp command 'backup' failed");
  });
});

describe("runs that died before their job line are still the job's runs", () => {
  const site = home();
  const p0 = statusJobOf(tierJob(site.tiers[0]));
  const p1 = statusJobOf(tierJob(site.tiers[1]));
  const tz = site.timezone;
  const event = (job: typeof p0) => {
    const parsed = tryParseCalendarEvent(job.schedule!);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.event;
  };
  // 2026-02-12T03:00:02 in New York: two seconds after P0's event
  const task = (over: Partial<Parameters<typeof isRunOfLog>[0]> = {}) => ({
    upid: "u",
    node: "pve",
    type: "vzdump",
    id: "",
    user: "root@pam",
    starttime: Date.parse("2026-02-12T08:00:02Z") / 1000,
    endtime: Date.parse("2026-02-12T08:00:03Z") / 1000,
    status: "could not activate storage 'synology-backups': storage 'synology-backups' is not online",
    ...over,
  });
  const nasDown = [
    "TASK ERROR: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
  ];

  test("the NAS away at 03:00: started by the scheduler at P0's event, naming P0's storage", () => {
    expect(isRunOfLog(task(), nasDown, p0, event(p0), tz)).toBe(true);
    // not P1's: P1 runs at 03:15, and its one guest's run would have 103 as the task id
    expect(isRunOfLog(task(), nasDown, p1, event(p1), tz)).toBe(false);
  });

  test("not the job's: another storage named, started long after the event, by hand, or a run that ended OK", () => {
    const other = ["TASK ERROR: could not activate storage 'usb': storage 'usb' is not online"];
    expect(isRunOfLog(task(), other, p0, event(p0), tz)).toBe(false);
    expect(isRunOfLog(task({ starttime: task().starttime + 600 }), nasDown, p0, event(p0), tz)).toBe(false);
    expect(isRunOfLog(task({ user: "admin@pve" }), nasDown, p0, event(p0), tz)).toBe(false);
    expect(isRunOfLog(task({ status: "OK" }), ["TASK OK"], p0, event(p0), tz)).toBe(false);
  });

  test("the lock timed out (status 'unexpected status'), and a run still waiting for the lock", () => {
    const timedOut = [VZDUMP_LOCK_WAITING, "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout"];
    expect(isRunOfLog(task({ status: "unexpected status" }), timedOut, p0, event(p0), tz)).toBe(true);
    const waiting = task({ endtime: undefined, status: undefined });
    expect(isRunOfLog(waiting, [VZDUMP_LOCK_WAITING], p0, event(p0), tz)).toBe(true);
  });

  test("a run whose job line comes after the lock wait is judged by its job line", () => {
    const own = new SiteHistory(site).run("P0", "2026-02-12T03:00").tasks[0].log[0];
    const head = [VZDUMP_LOCK_WAITING, "INFO: got global lock", own];
    expect(isRunOfLog(task({ status: "OK" }), head, p0, event(p0), tz)).toBe(true);
    expect(isRunOfLog(task({ status: "OK" }), head, p1, event(p1), tz)).toBe(false);
  });
});
