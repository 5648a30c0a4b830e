/**
 * `npm run status` against the PVE API double, in-process, one double for the file: the home site
 * on its own day (the issue's states, the report's fixture regenerated from it), each state from a
 * history of scheduled runs, a DST change, tokens that may not see a storage's backups, an offline
 * node, the space over 80% and over 100%, the Prometheus textfile, and what it cannot check.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runStatusCommand } from "../../cli/commands/status";
import { PveApiDouble } from "../../double/server";
import { parseSite } from "../../tiers/siteRules";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { fixtureCluster, loadCluster } from "../support/apiDouble";
import { FIXTURE_STACK_DIR, fixtureSite } from "../support/stacks";
import { SiteHistory } from "../support/statusHistory";
import { PROJECT_DIR } from "../../start/sources";

const FIXTURES = path.join(__dirname, "../fixtures");
const homeDay = () => fixtureCluster("home-day");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "status-"));
const caFile = path.join(tmp, "pve-root-ca.pem");

let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: homeDay() });
  fs.writeFileSync(caFile, double.certificates.caPem);
});
afterAll(async () => {
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `npm run status -- --stack-dir <fixtures> --endpoint <double> --ca <its CA> --at AT ...`, as a user runs it. */
async function status(snapshot: ClusterSnapshot, at: string, args: string[] = [], token?: string) {
  double.load(snapshot);
  const result = await runStatusCommand(
    ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", double.url, "--ca", caFile, "--at", at, ...args],
    { env: { PROXMOX_VE_API_TOKEN: double.token(token) }, retryDelayMs: 5, timeoutMs: 5000 },
  );
  return result;
}

async function statusJson(snapshot: ClusterSnapshot, at: string, args: string[] = [], token?: string) {
  const result = await status(snapshot, at, [...args, "--json"], token);
  expect(result.stderr).toBe("");
  const doc = JSON.parse(result.stdout) as {
    ok: boolean;
    guests: { vmid: number; state: string; reason?: string; lastDue: string | null; newest: unknown }[];
    storages: { id: string; needed: number; total: number }[];
  };
  const of = (vmid: number) => doc.guests.find((g) => g.vmid === vmid)!;
  return { result, doc, of, states: doc.guests.map((g) => [g.vmid, g.state]) };
}

describe("the home site on its own day: 2026-02-12T09:00:00Z, the jobs made the day before", () => {
  test("VMs 100 and 102 OK, LXC 103 FAILED with the task log's reason, VM 101 and LXC 105 PENDING; exit 1", async () => {
    const result = await status(homeDay(), "2026-02-12T09:00:00Z");
    expect(result.stderr).toBe("");
    expect(result.exitCode).toBe(1);
    const out = result.stdout;
    expect(out).toMatch(
      /^Status of stack home at 2026-02-12T04:00:00-05:00, from https:\/\/127\.0\.0\.1:\d+\/ \(--endpoint\) as pulumi@pve!backup-tiers\n/,
    );
    expect(out).toContain(
      "Tier P0 (critical, daily): job backup-home-p0-daily, schedule 03:00, synology-backups, keep-last=3; last due run 2026-02-12 03:00\n" +
        "  GUEST                    STATE  NEWEST            AGE     SIZE     NEXT RUN\n" +
        "  qemu 100 home-assistant  OK     2026-02-12 03:00  59 min  4.5 GiB  2026-02-13 03:00\n" +
        "  qemu 102 vaultwarden     OK     2026-02-12 03:02  57 min  1.2 GiB  2026-02-13 03:00\n",
    );
    expect(out).toContain(
      "  lxc 103 download  FAILED  -       -    -     2026-02-13 03:15\n" +
        "      the run of 2026-02-12T03:15:00-05:00 failed: unable to create temporary directory '/mnt/pve/synology-backups/dump/vzdump-lxc-103-2026_02_12-03_15_00.tmp' at /usr/share/perl5/PVE/VZDump/LXC.pm line 185.\n",
    );
    expect(out).toContain(
      "  qemu 101 immich  PENDING  -       -    -     2026-02-15 04:00\n" +
        "      job backup-home-p2-weekly has not run yet (PVE's task history shows no run): the first is 2026-02-15T04:00:00-05:00\n",
    );
    expect(out).toMatch(/\n2\/5 OK, 1 FAILED, 2 PENDING\n$/);
  });

  // To regenerate the fixture after a deliberate change: `npm run pve-double -- --cluster
  // tests/fixtures/clusters/home-day.json`, then the status command it prints with `--stack-dir
  // tests/fixtures/stacks --at 2026-02-12T09:00:00Z --json > tests/fixtures/status-home-2026-02-12.json`.
  test("--json is the report's fixture: the report and the status agree", async () => {
    const result = await status(homeDay(), "2026-02-12T09:00:00Z", ["--json"]);
    expect(result.exitCode).toBe(1);
    const fixture = fs.readFileSync(path.join(FIXTURES, "status-home-2026-02-12.json"), "utf8");
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(fixture));
  });

  test("the run of the day before by hand (`vzdump 102`) is no run of the job, and the status reads only what it needs", async () => {
    double.requests.length = 0;
    await status(homeDay(), "2026-02-12T09:00:00Z");
    const paths = double.requests.map((r) => `${r.method} ${r.path}`);
    // the tasks once per node; the first line of each candidate run; whole logs only of the job's runs
    expect(paths.filter((p) => p.endsWith("/tasks"))).toEqual(["GET /nodes/pve/tasks"]);
    const logs = paths.filter((p) => p.endsWith("/log"));
    expect(logs.filter((p) => p.includes(":vzdump:102:"))).toHaveLength(1); // first line only: by hand
    expect(logs.some((p) => p.includes(":aptupdate:"))).toBe(false);
    expect(double.requests.filter((r) => r.status !== 200)).toEqual([]);
  });

  test("--prometheus: node-exporter textfile metrics, written atomically", async () => {
    const file = path.join(tmp, "textfile", "pve_backup_tiers.prom");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "old\n");
    const result = await status(homeDay(), "2026-02-12T09:00:00Z", ["--prometheus", file]);
    expect(result.exitCode).toBe(1);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["pve_backup_tiers.prom"]); // no temp file left
    const text = fs.readFileSync(file, "utf8");
    const labels =
      'stack="home",tier="P1",job="backup-home-p1-daily",storage="synology-backups",vmid="103",kind="lxc",name="download"';
    expect(text).toContain(
      "# HELP pve_backup_tiers_guest_state The guest's state: 1 for the one it is in (OK, FAILED, LATE, MISSING, PENDING, UNTIERED, UNKNOWN), 0 for the others.\n" +
        "# TYPE pve_backup_tiers_guest_state gauge\n",
    );
    expect(text).toContain(`pve_backup_tiers_guest_state{${labels},state="FAILED"} 1\n`);
    expect(text).toContain(`pve_backup_tiers_guest_state{${labels},state="OK"} 0\n`);
    expect(text).toContain(
      'pve_backup_tiers_guest_newest_backup_timestamp_seconds{stack="home",tier="P0",job="backup-home-p0-daily",storage="synology-backups",vmid="100",kind="qemu",name="home-assistant"} 1770883204\n',
    );
    expect(text).toContain(
      'pve_backup_tiers_guest_newest_backup_size_bytes{stack="home",tier="P0",job="backup-home-p0-daily",storage="synology-backups",vmid="100",kind="qemu",name="home-assistant"} 4831838208\n',
    );
    expect(text).toContain(
      'pve_backup_tiers_storage_needed_bytes{stack="home",storage="synology-backups"} 24481313584\n',
    );
    expect(text).toContain(
      'pve_backup_tiers_storage_available_bytes{stack="home",storage="synology-backups"} 2750787030016\n',
    );
    expect(text).toContain('pve_backup_tiers_status_ok{stack="home"} 0\n');
    // every sample's metric has its HELP and TYPE, and every line is the text format's
    for (const line of text.trimEnd().split("\n")) {
      expect(line).toMatch(/^(# (HELP|TYPE) pve_backup_tiers_\w+ .+|pve_backup_tiers_\w+\{[^}]*\} -?[\d.e+]+)$/);
    }
  });
});

describe("runs that failed before their job line: the NAS away, the lock, the job-init hook", () => {
  const site = () => parseSite(fixtureSite("home"), "Pulumi.home.yaml");
  /** The site's day, but the NAS did not answer at 03:00 (P0's run) and was back for P1's at 03:15. */
  const nasDownAt3 = () =>
    new SiteHistory(site())
      .run("P0", "2026-02-11T03:00")
      .run("P1", "2026-02-11T03:15")
      .run("P0", "2026-02-12T03:00", { storageOffline: true })
      .run("P1", "2026-02-12T03:15")
      .snapshot(homeDay());

  test("the seed's day with the NAS down at 03:00: VMs 100 and 102 FAILED with PVE's reason; exit 1", async () => {
    const { of, result } = await statusJson(nasDownAt3(), "2026-02-12T09:00:00Z");
    for (const vmid of [100, 102]) {
      expect(of(vmid).state).toBe("FAILED");
      expect(of(vmid).reason).toBe(
        "the run of 2026-02-12T03:00:00-05:00 failed: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
      );
    }
    expect(of(103).state).toBe("OK");
    expect(result.exitCode).toBe(1);
  });

  test("the same in text, JSON's states in the Prometheus textfile", async () => {
    const file = path.join(tmp, "nas-down.prom");
    const result = await status(nasDownAt3(), "2026-02-12T09:00:00Z", ["--prometheus", file]);
    expect(result.stdout).toContain(
      "  qemu 100 home-assistant  FAILED  2026-02-11 03:00  24 h 59 min  1.0 GiB  2026-02-13 03:00\n",
    );
    expect(result.stdout).toContain(
      "      the run of 2026-02-12T03:00:00-05:00 failed: could not activate storage 'synology-backups': storage 'synology-backups' is not online\n",
    );
    expect(fs.readFileSync(file, "utf8")).toContain(
      'pve_backup_tiers_guest_state{stack="home",tier="P0",job="backup-home-p0-daily",storage="synology-backups",vmid="102",kind="qemu",name="vaultwarden",state="FAILED"} 1\n',
    );
  });

  test("the NAS still away when the status runs: its guests UNKNOWN with PVE's error, the rest still judged; exit 2", async () => {
    const snapshot = nasDownAt3();
    const nas = snapshot.storage.find((s) => s.storage === "synology-backups")! as { server?: string };
    snapshot.nfsServers = [{ server: nas.server!, online: false }];
    const { of, result } = await statusJson(snapshot, "2026-02-12T09:00:00Z");
    expect(of(100).state).toBe("UNKNOWN");
    expect(of(100).reason).toContain("the backups on synology-backups could not be read:");
    expect(of(100).reason).toContain("storage 'synology-backups' is not online");
    expect(result.exitCode).toBe(2);
  });

  test("a new tier whose NAS was never reachable: FAILED after its first due run, never PENDING", async () => {
    const snapshot = new SiteHistory(site())
      .run("P2", "2026-02-15T04:00", { storageOffline: true })
      .snapshot(homeDay());
    const { of } = await statusJson(snapshot, "2026-02-16T12:00:00Z");
    expect([of(101).state, of(105).state]).toEqual(["FAILED", "FAILED"]);
    expect(of(105).reason).toBe(
      "the run of 2026-02-15T04:00:00-05:00 failed: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
    );
  });

  test("a run that timed out on the global lock (status 'unexpected status') is FAILED with getlock's error", async () => {
    const snapshot = new SiteHistory(site())
      .run("P0", "2026-02-11T03:00")
      .run("P0", "2026-02-12T03:00", { lockHeld: "timeout" })
      .snapshot(homeDay());
    const task = snapshot.tasks!.find((t) => t.starttime === Date.parse("2026-02-12T08:00:00Z") / 1000)!;
    expect(task.status).toBe("unexpected status");
    // judged once the 180-minute lockwait has run out
    const { of } = await statusJson(snapshot, "2026-02-12T12:00:00Z");
    expect(of(100).state).toBe("FAILED");
    expect(of(100).reason).toBe(
      "the run of 2026-02-12T03:00:00-05:00 failed: can't acquire lock '/var/run/vzdump.lock' - got timeout",
    );
  });

  test("a run still waiting for the lock at --at: no failure within its grace, LATE naming the wait after it", async () => {
    const snapshot = new SiteHistory(site())
      .run("P0", "2026-02-11T03:00")
      .run("P0", "2026-02-12T03:00", { lockHeld: "timeout", running: true })
      .snapshot(homeDay());
    expect(snapshot.tasks!.at(-1)!.log).toEqual(["INFO: trying to get global lock - waiting..."]);
    const within = await statusJson(snapshot, "2026-02-12T08:30:00Z");
    expect(within.of(100).state).toBe("OK"); // yesterday's backup is the one judged
    const after = await statusJson(snapshot, "2026-02-12T12:00:00Z");
    expect(after.of(100).state).toBe("LATE");
    expect(after.of(100).reason).toContain(
      "the run of 2026-02-12T03:00:00-05:00 has not ended: it waits for the node's global vzdump lock, held by another backup",
    );
  });

  test("a job-init hook that exits non-zero: FAILED with the hook's error", async () => {
    const snapshot = new SiteHistory(site())
      .run("P1", "2026-02-11T03:15")
      .run("P1", "2026-02-12T03:15", {
        jobInitHookFails: { script: "/usr/local/bin/wake-nas", exitCode: 1, output: ["wake-on-lan sent, no answer"] },
      })
      .snapshot(homeDay());
    const { of } = await statusJson(snapshot, "2026-02-12T09:00:00Z");
    expect(of(103).state).toBe("FAILED");
    expect(of(103).reason).toBe(
      "the run of 2026-02-12T03:15:00-05:00 failed: command '/usr/local/bin/wake-nas job-init' failed: exit code 1",
    );
  });
});

describe("a due run that left no task is MISSING with PVE's reason, not PENDING for ever", () => {
  // P2 (Sundays 04:00) was made on the 11th and has never run; judged on Monday the 16th
  const AT = "2026-02-16T12:00:00Z";

  test("pvescheduler not running on the node: every due run of the week never started", async () => {
    const snapshot = homeDay();
    snapshot.nodes = [{ node: "pve", status: "online", scheduler: "dead" }];
    const { of, result } = await statusJson(snapshot, AT);
    expect([of(101).state, of(105).state]).toEqual(["MISSING", "MISSING"]);
    expect(of(101).reason).toBe(
      "no backup on synology-backups; the run of 2026-02-15T04:00:00-05:00 never started: pvescheduler is dead on node pve, so PVE started no job (systemctl start pvescheduler)",
    );
    expect(of(100).state).toBe("LATE");
    expect(of(100).reason).toContain("the run of 2026-02-16T03:00:00-05:00 never started: pvescheduler is dead");
    expect(result.exitCode).toBe(1);
  });

  test("pvescheduler could not start the job: its journal line at the event, read with Sys.Syslog", async () => {
    const snapshot = homeDay();
    const role = snapshot.access!.roles!.find((r) => r.roleid === "BackupTiers")!;
    role.privs = `${role.privs},Sys.Syslog`;
    const sunday = Date.parse("2026-02-15T09:00:00Z") / 1000;
    snapshot.nodes = [
      {
        node: "pve",
        status: "online",
        journal: [
          { time: sunday - 3600, service: "pvescheduler", text: "an hour before: not about this run" },
          {
            time: sunday,
            service: "pvescheduler",
            text: "could not update job state, skipping - can't lock file '/var/lock/pve-manager/jobs/vzdump-backup-home-p2-weekly.lck' - got timeout",
          },
          { time: sunday + 5, service: "pvedaemon", text: "another service" },
        ],
      },
    ];
    const { of } = await statusJson(snapshot, AT);
    expect(of(105).state).toBe("MISSING");
    expect(of(105).reason).toMatch(
      /^no backup on synology-backups; the run of 2026-02-15T04:00:00-05:00 never started: pvescheduler logged: Feb 15 04:00:00 pve pvescheduler\[\d+\]: could not update job state, skipping - can't lock file '\/var\/lock\/pve-manager\/jobs\/vzdump-backup-home-p2-weekly.lck' - got timeout$/,
    );
    expect(double.requests.filter((r) => r.path === "/nodes/pve/syslog").every((r) => r.status === 200)).toBe(true);
  });

  test("the scheduler runs and logged nothing then: the job was made after that event, so PENDING", async () => {
    const snapshot = homeDay();
    const role = snapshot.access!.roles!.find((r) => r.roleid === "BackupTiers")!;
    role.privs = `${role.privs},Sys.Syslog`;
    double.requests.length = 0;
    const { of } = await statusJson(snapshot, "2026-02-12T09:00:00Z");
    expect(of(101).state).toBe("PENDING");
    // it asked: the journal around Sunday the 8th's 04:00, and the scheduler's state
    expect(double.requests.filter((r) => r.status === 200).map((r) => r.path)).toEqual(
      expect.arrayContaining(["/nodes/pve/syslog", "/nodes/pve/services/pvescheduler/state"]),
    );
  });
});

describe("each state, from a history of scheduled runs", () => {
  test("a week on: LATE (the scheduler stopped P0), MISSING (P1's archives gone), FAILED and OK (P2), UNTIERED", async () => {
    const site = parseSite(fixtureSite("home"), "Pulumi.home.yaml");
    const history = new SiteHistory(site)
      .daily("P0", "03:00", "2026-02-12", "2026-02-14")
      .daily("P1", "03:15", "2026-02-12", "2026-02-16")
      .run("P2", "2026-02-15T04:00", {
        outcomes: {
          105: { ok: false, seconds: 3, reason: "CT 105 has an unprivileged mount point; snapshot mode unsupported" },
        },
      });
    const snapshot = history.snapshot(homeDay());
    snapshot.backups = snapshot.backups!.filter((b) => !b.volid.includes("-lxc-103-"));
    snapshot.resources.push({ id: "lxc/106", type: "lxc", vmid: 106, name: "scratch", node: "pve", status: "stopped" });
    const { result, of, states } = await statusJson(snapshot, "2026-02-16T12:00:00Z");
    expect(states).toEqual([
      [100, "LATE"],
      [102, "LATE"],
      [103, "MISSING"],
      [101, "OK"],
      [105, "FAILED"],
      [106, "UNTIERED"],
    ]);
    expect(of(100).reason).toBe(
      "the newest backup is from 2026-02-14T03:00:01-05:00, before the run of 2026-02-16T03:00:00-05:00",
    );
    expect(of(103).reason).toContain(
      "the run of 2026-02-16T03:15:00-05:00 finished its backup, but the archive is not on synology-backups",
    );
    expect(of(105).reason).toBe(
      "the run of 2026-02-15T04:00:00-05:00 failed: CT 105 has an unprivileged mount point; snapshot mode unsupported",
    );
    expect(of(106).reason).toBe("in no tier, and PVE lists it as backed up by no job");
    expect(result.exitCode).toBe(1);
  });

  test("across the spring DST change the 03:00 run is at 07:00Z, and its backup's time read from the file name in New York time", async () => {
    const site = parseSite(fixtureSite("home"), "Pulumi.home.yaml");
    const snapshot = new SiteHistory(site).daily("P0", "03:00", "2026-03-06", "2026-03-08").snapshot(homeDay());
    const { of } = await statusJson(snapshot, "2026-03-08T07:30:00Z");
    expect(of(100)).toMatchObject({
      state: "OK",
      lastDue: "2026-03-08T07:00:00Z",
      newest: {
        volid: "synology-backups:backup/vzdump-qemu-100-2026_03_08-03_00_01.vma.zst",
        time: "2026-03-08T07:00:01Z",
        size: 1024 ** 3,
      },
    });
  });
});

describe("when the token cannot see", () => {
  test("an auditor token: every tier guest UNKNOWN, naming the privilege that would show its backups; exit 2", async () => {
    const { result, of, states } = await statusJson(homeDay(), "2026-02-12T09:00:00Z", [], "pulumi@pve!auditor");
    expect(states.every(([, s]) => s === "UNKNOWN")).toBe(true);
    expect(of(101).reason).toBe(
      "pulumi@pve!auditor lacks Datastore.Allocate on /storage/synology-backups (or Datastore.AllocateSpace there and VM.Backup on /vms/101), so PVE's listing leaves this guest's backups out",
    );
    expect(result.exitCode).toBe(2);
  });

  test("an operator's token with VM.Backup on VM 100 only: 100 judged OK, the others name VM.Backup; jobs from the stack", async () => {
    const result = await status(homeDay(), "2026-02-12T09:00:00Z", [], "backup-op@pve!status");
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(
      "Note: the cluster's jobs could not be read (backup-op@pve!status lacks Sys.Audit on /): the tiers' jobs are judged as the stack declares them",
    );
    expect(result.stdout).toMatch(/ {2}qemu 100 home-assistant +OK +2026-02-12 03:00 /);
    expect(result.stdout).toContain(
      "backup-op@pve!status lacks VM.Backup on /vms/105 (or Datastore.Allocate on /storage/synology-backups), so PVE's listing leaves this guest's backups out",
    );
    expect(result.stdout).toMatch(/\n1\/5 OK, 4 UNKNOWN\n$/);
  });

  test("a storage the token may not read at all (NoAccess there): its guests and its space not checked", async () => {
    const snapshot = homeDay();
    snapshot.access!.acl.push({
      path: "/storage/synology-backups",
      type: "token",
      ugid: "pulumi@pve!backup-tiers",
      roleid: "NoAccess",
      propagate: true,
    });
    const result = await status(snapshot, "2026-02-12T09:00:00Z");
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toContain(
      "  lxc 103 download  UNKNOWN  -       -    -     2026-02-13 03:15\n" +
        "      pulumi@pve!backup-tiers lacks Datastore.Audit or Datastore.AllocateSpace on /storage/synology-backups, so PVE lists nothing there\n",
    );
    expect(result.stdout).toContain(
      "Not checked: the space of synology-backups could not be read: pulumi@pve!backup-tiers lacks Datastore.Audit or Datastore.AllocateSpace on /storage/synology-backups\n",
    );
  });
});

describe("a node offline (the shop's two nodes, shop2 down)", () => {
  test("its guests' backups on the shared NAS still count; what only its task history can tell is UNKNOWN; exit 2", async () => {
    const site = parseSite(fixtureSite("shop"), "Pulumi.shop.yaml");
    const history = new SiteHistory(site);
    for (const [vmid, node] of [
      [200, "shop1"],
      [201, "shop2"],
      [210, "shop1"],
      [211, "shop2"],
      [220, "shop2"],
    ] as const) {
      history.nodeOf.set(vmid, node);
    }
    history.daily("P0", "01:00", "2026-02-10", "2026-02-12").daily("P1", "01:30", "2026-02-10", "2026-02-12");
    const base = loadCluster(path.join(PROJECT_DIR, "examples/shop-cluster.json"));
    const snapshot = history.snapshot({
      ...base,
      timezone: "Europe/Berlin",
      nodes: [
        { node: "shop1", status: "online" },
        { node: "shop2", status: "offline" },
      ],
      storageStatus: [{ storage: "shop-nas-backups", total: 8e12, used: 2e12, avail: 6e12 }],
    });
    // the night's run on shop2 wrote nothing for 201 (it went down)
    snapshot.backups = snapshot.backups!.filter((b) => !b.volid.includes("-qemu-201-2026_02_12"));
    expect(history.tasks.filter((t) => t.starttime === history.tasks[0].starttime).map((t) => [t.node, t.id])).toEqual([
      ["shop1", "200"],
      ["shop2", "201"],
    ]);
    double.requests.length = 0;
    const { result, of, states } = await statusJson(snapshot, "2026-02-12T12:00:00Z", ["--stack", "shop"]);
    expect(states).toEqual([
      [200, "OK"],
      [201, "LATE"],
      [210, "OK"],
      [211, "OK"],
      [220, "UNKNOWN"],
    ]);
    expect(of(201).reason).toBe(
      "the newest backup is from 2026-02-11T01:00:01+01:00, before the run of 2026-02-12T01:00:00+01:00; its task history cannot be read: node shop2 is offline",
    );
    expect(of(220).reason).toBe(
      "no backup on shop-nas-backups, and whether job backup-shop-p2-weekly has run cannot be told: node shop2 is offline",
    );
    expect(result.exitCode).toBe(2);
    expect(double.requests.some((r) => r.path === "/nodes/shop2/tasks")).toBe(false);
  });
});

describe("space at full retention", () => {
  const allOk = () => {
    const site = parseSite(fixtureSite("home"), "Pulumi.home.yaml");
    const big = { ok: true as const, seconds: 60, size: 1e11 };
    return new SiteHistory(site)
      .run("P0", "2026-02-15T03:00", { outcomes: { 100: big, 102: big } })
      .run("P1", "2026-02-15T03:15", { outcomes: { 103: big } })
      .run("P2", "2026-02-15T04:00", { outcomes: { 101: big, 105: big } })
      .snapshot(homeDay());
  };
  const needed = 3 * 1e11 * 4 + 2 * 1e11 * 3;
  const withTotal = (total: number) => {
    const s = allOk();
    s.storageStatus = [{ storage: "synology-backups", total, used: total / 2, avail: total / 2 }];
    return s;
  };

  test("every guest OK and the space under 80%: 5/5 OK, exit 0", async () => {
    const result = await status(withTotal(needed * 2), "2026-02-15T12:00:00Z");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/: OK\n\n5\/5 OK\n$/);
  });

  test("over 80% of the storage: a warning, still exit 0", async () => {
    const result = await status(withTotal(Math.round(needed / 0.85)), "2026-02-15T12:00:00Z");
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("the tiers need 1.6 TiB at full retention (newest × (keep + 1)), 85.0% of 1.9 TiB");
    expect(result.stdout).toMatch(
      /over 80%: WARNING\n\n5\/5 OK; space: synology-backups over 80% at full retention\n$/,
    );
  });

  test("over 100%: the capacity does not hold, exit 1", async () => {
    const { result, doc } = await statusJson(withTotal(Math.round(needed / 1.25)), "2026-02-15T12:00:00Z");
    expect(result.exitCode).toBe(1);
    expect(doc.ok).toBe(false);
    expect(doc.storages[0]).toMatchObject({ id: "synology-backups", needed });
    const text = await status(withTotal(Math.round(needed / 1.25)), "2026-02-15T12:00:00Z");
    expect(text.stdout).toMatch(/OVER its size\n\n5\/5 OK; space: synology-backups over 100% at full retention\n$/);
  });
});

describe("what it cannot check: one line, exit 2", () => {
  test("a token PVE rejects", async () => {
    double.load(homeDay());
    const result = await runStatusCommand(
      ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", double.url, "--ca", caFile],
      {
        env: { PROXMOX_VE_API_TOKEN: "pulumi@pve!backup-tiers=00000000-0000-0000-0000-000000000000" },
        retryDelayMs: 5,
      },
    );
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^error: could not check: GET \/cluster\/resources: 401 the token pulumi@pve!backup-tiers was rejected \(Authentication failed!\)\n$/,
    );
    expect(result.stderr).not.toContain("00000000-0000");
  });

  test.each([
    [
      ["--at", "tomorrow"],
      "error: --at: not a full ISO time (date and time): 'tomorrow'; e.g. 2026-01-01T03:00 (in America/New_York) or 2026-01-01T08:00:00Z\n",
    ],
    [["--stack", "nope"], /^error: .*Pulumi\.nope\.yaml/],
    [
      ["--prometheus", "/nonexistent-dir/x.prom", "--at", "2026-02-12T09:00:00Z"],
      "error: /nonexistent-dir/x.prom: cannot write (ENOENT)\n",
    ],
  ])("%j", async (args, message) => {
    double.load(homeDay());
    const result = await runStatusCommand(
      ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", double.url, "--ca", caFile, ...args],
      {
        env: { PROXMOX_VE_API_TOKEN: double.token() },
      },
    );
    expect(result.exitCode).toBe(2);
    if (typeof message === "string") expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
  });
});

describe("--drill FILE: the drill's result beside the status", () => {
  test("each drilled guest's last verified restore under its row; a broken file is one line, exit 2", async () => {
    const file = path.join(tmp, "drill.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        stack: "home",
        at: "2026-02-11T15:00:00Z",
        ok: true,
        node: "pve",
        guests: [
          {
            vmid: 100,
            kind: "qemu",
            name: "home-assistant",
            tier: "P0",
            outcome: "OK",
            volid: "synology-backups:backup/vzdump-qemu-100-2026_02_11-03_00_04.vma.zst",
            backupTime: "2026-02-11T08:00:04Z",
            scratchVmid: 900,
            at: "2026-02-11T15:00:00Z",
            restoreSeconds: 312,
            bootSeconds: 41,
            bootCheck: "agent",
            cleanedUp: true,
          },
        ],
      }),
    );
    const result = await status(homeDay(), "2026-02-12T09:00:00Z", ["--drill", file]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /\n {2}qemu 100 home-assistant +OK .*\n {6}last verified restore 2026-02-11 10:00 \(restore 312 s, boot 41 s\)\n/,
    );
    fs.writeFileSync(file, "{}");
    const broken = await status(homeDay(), "2026-02-12T09:00:00Z", ["--drill", file]);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(new RegExp(`^error: ${file}: invalid drill result: \\$\\.stack: .*\\n$`));
  });
});
