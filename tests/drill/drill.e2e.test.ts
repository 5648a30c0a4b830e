/**
 * `drill` against the PVE API double, in process: the home site's P0 (VMs 100 and 102) restored,
 * booted and removed; a truncated archive FAILED with PVE's reason; an agent that never answers; a
 * target storage without the space refused before anything is made; --dry-run; the JSON and the
 * Prometheus metrics. Each asserts what the double holds afterwards: no scratch guest, no disk.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runDrillCommand } from "../../cli/commands/drill";
import { PveApiDouble } from "../../double/server";
import type { ClusterSnapshot } from "../../pve/snapshot";
import { drillDocumentSchema } from "../../drill/document";
import { DRILL_TOKEN, drillCluster } from "../support/drill";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "drill-"));
const caFile = path.join(tmp, "ca.pem");
const V100 = "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst";
const V102 = "synology-backups:backup/vzdump-qemu-102-2026_02_12-03_02_41.vma.zst";

let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: drillCluster() });
  fs.writeFileSync(caFile, double.certificates.caPem);
});
afterAll(async () => {
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function drill(args: string[], snapshot: ClusterSnapshot = drillCluster(), setUp?: () => void) {
  double.load(snapshot);
  setUp?.();
  const progress: string[] = [];
  const result = await runDrillCommand(
    ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", double.url, "--ca", caFile, ...args],
    {
      env: { PROXMOX_VE_API_TOKEN: double.token(DRILL_TOKEN) },
      pollMs: 20,
      bootTimeoutMs: 600,
      retryDelayMs: 5,
      progress: (l) => progress.push(l),
    },
  );
  return { ...result, progress };
}

/** What the double holds beyond home-day's guests 100-105 and their disks: nothing, after a drill. */
function leftOver() {
  const originals = [100, 101, 102, 103, 105];
  return {
    guests: [...double.cluster.guestStates.keys()].filter((v) => !originals.includes(v)),
    disks: double.cluster.disks.filter((d) => !originals.includes(d.vmid)).map((d) => d.volid),
    running: double.cluster.tasks.filter((t) => t.status === undefined).map((t) => t.upid),
  };
}
const NOTHING = { guests: [], disks: [], running: [] };

test("drill --stack home --tier P0: VMs 100 and 102 restored into scratch vmid 104 in turn, booted (agent), removed; exit 0", async () => {
  const result = await drill(["--tier", "P0", "--json"], drillCluster(), () => {
    double.cluster.scenario.restoreMs = 150;
    double.cluster.scenario.bootMs = 100;
  });
  expect(result.stderr).toBe("");
  // The result parses as the drill's document, which status and report read.
  const doc = drillDocumentSchema.parse(JSON.parse(result.stdout));
  expect(result.exitCode).toBe(0);
  expect(doc.ok).toBe(true);
  expect(doc.guests.map((g) => [g.vmid, g.outcome, g.volid, g.scratchVmid, g.bootCheck, g.cleanedUp])).toEqual([
    [100, "OK", V100, 104, "agent", true],
    [102, "OK", V102, 104, "agent", true], // 104 again: the first scratch guest is gone
  ]);
  for (const g of doc.guests) {
    expect(g.restoreSeconds).toBeGreaterThanOrEqual(0.1);
    expect(g.restoreSeconds).toBeLessThan(5);
    expect(g.bootSeconds).toBeGreaterThanOrEqual(0.1);
    expect(g.bootSeconds).toBeLessThan(5);
  }
  expect(leftOver()).toEqual(NOTHING);
  // The restore as PVE got it: links down, no start on boot, unique MACs, on the backed-up storage.
  const restores = double.cluster.tasks.filter((t) => t.type === "qmrestore");
  expect(restores.map((t) => [t.id, t.user, t.status])).toEqual([
    ["104", DRILL_TOKEN, "OK"],
    ["104", DRILL_TOKEN, "OK"],
  ]);
  expect(restores[0].log).toContain("new volume ID is 'local-lvm:vm-104-disk-0'");
  expect(double.cluster.tasks.filter((t) => t.type === "qmdestroy").map((t) => t.status)).toEqual(["OK", "OK"]);
  expect(result.progress.join("\n")).toContain(`qemu 100 home-assistant: restoring ${V100} into 104`);
});

test("the text: a line per guest with its times; the originals untouched", async () => {
  const result = await drill(["--tier", "P0"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toMatch(
    new RegExp(
      `\\nOK          qemu 100 home-assistant \\(tier P0\\): ${V100.replace(/[.]/g, "\\.")} into 104; restore \\d+(\\.\\d)? s, boot \\d+(\\.\\d)? s \\(guest agent\\); removed\\n`,
    ),
  );
  expect(result.stdout).toMatch(/\n2\/2 restored and booted\n$/);
  expect(double.cluster.guestStates.get(100)?.running).toBe(true);
  expect(double.cluster.guests.find((g) => g.vmid === 100)?.status).toBe("running");
});

test("a truncated archive: FAILED with PVE's reason (vma's and the task's), nothing left; exit 1", async () => {
  const result = await drill(["--tier", "P0", "--json"], drillCluster(), () =>
    double.cluster.scenario.truncated.add(V102),
  );
  expect(result.exitCode).toBe(1);
  const doc = JSON.parse(result.stdout);
  const g102 = doc.guests.find((g: { vmid: number }) => g.vmid === 102);
  expect(g102.outcome).toBe("FAILED");
  expect(g102.reason).toBe(
    "the restore task failed: command 'set -o pipefail && zstd -q -d -c /mnt/pve/synology-backups/dump/vzdump-qemu-102-2026_02_12-03_02_41.vma.zst | vma extract -v -r /var/tmp/vzdumptmp40104.fifo - /var/tmp/vzdumptmp40104' failed: exit code 133" +
      " (log: /mnt/pve/synology-backups/dump/vzdump-qemu-102-2026_02_12-03_02_41.vma.zst : Read error (39) : premature end)",
  );
  expect(g102.bootSeconds).toBeNull();
  expect(g102.cleanedUp).toBe(true);
  expect(doc.guests.find((g: { vmid: number }) => g.vmid === 100).outcome).toBe("OK");
  expect(leftOver()).toEqual(NOTHING);
});

test("--keep-on-failure keeps the failed scratch guest (its config, no disks), and says so", async () => {
  const result = await drill(["--guest", "102"], drillCluster(), () => double.cluster.scenario.truncated.add(V102));
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain(`FAILED      qemu 102 vaultwarden (tier P0): ${V102} into 104; removed`);
  const kept = await drill(["--guest", "102", "--keep-on-failure"], drillCluster(), () =>
    double.cluster.scenario.truncated.add(V102),
  );
  expect(kept.stdout).toContain("into 104; LEFT ON THE CLUSTER");
  expect(leftOver()).toEqual({ guests: [104], disks: [], running: [] });
});

test("a guest agent that never answers: FAILED after the bound, with PVE's last answer; nothing left", async () => {
  const result = await drill(["--guest", "100", "--json"], drillCluster(), () =>
    double.cluster.scenario.agentSilent.add(100),
  );
  expect(result.exitCode).toBe(1);
  const [g] = JSON.parse(result.stdout).guests;
  expect(g.outcome).toBe("FAILED");
  expect(g.reason).toBe(
    "booted, but the QEMU guest agent did not answer within 0.6 s (last: QEMU guest agent is not running)",
  );
  expect(g.restoreSeconds).not.toBeNull();
  expect(leftOver()).toEqual(NOTHING);
  // It was stopped before it was destroyed.
  expect(double.cluster.tasks.filter((t) => t.id === "104").map((t) => t.type)).toEqual([
    "qmrestore",
    "qmstart",
    "qmstop",
    "qmdestroy",
  ]);
});

test("a target storage without the space: REFUSED before anything is made", async () => {
  const snapshot = drillCluster();
  snapshot.storageStatus!.push({
    storage: "local-lvm",
    total: 100 * 1024 ** 3,
    used: 90 * 1024 ** 3,
    avail: 10 * 1024 ** 3,
  } as never);
  const result = await drill(["--guest", "100"], snapshot);
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toContain("REFUSED     qemu 100 home-assistant (tier P0)");
  expect(result.stdout).toContain("local-lvm on pve has 10.0 GiB free; the archive's disks need 32.0 GiB");
  expect(double.cluster.tasks.filter((t) => t.type === "qmrestore")).toEqual([]);
  expect(leftOver()).toEqual(NOTHING);
});

test("--dry-run says what it would do and changes nothing", async () => {
  const before = double.requests.length;
  const result = await drill(["--tier", "P0", "--dry-run"]);
  expect(result.exitCode).toBe(0);
  expect(result.stdout).toContain(
    "would restore synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst (2026-02-12T08:00:04Z) into a new vmid on local-lvm (32.0 GiB), links down (net0), boot it and wait for the guest agent, then destroy it",
  );
  expect(double.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
  expect(leftOver()).toEqual(NOTHING);
});

test("--prometheus writes the restore metrics", async () => {
  const file = path.join(tmp, "drill.prom");
  const result = await drill(["--tier", "P0", "--prometheus", file]);
  expect(result.exitCode).toBe(0);
  const text = fs.readFileSync(file, "utf8");
  expect(text).toMatch(
    /\npve_backup_tiers_guest_restore_ok\{stack="home",tier="P0",vmid="100",kind="qemu",name="home-assistant"\} 1\n/,
  );
  expect(text).toMatch(
    /\npve_backup_tiers_guest_restore_duration_seconds\{stack="home",tier="P0",vmid="102",[^}]*\} \d+(\.\d+)?\n/,
  );
  expect(text).toMatch(
    /\npve_backup_tiers_guest_last_restore_timestamp_seconds\{[^}]*vmid="100"[^}]*\} \d{10}(\.\d+)?\n/,
  );
});

test("bad flags: an unknown tier, a guest in no tier (exit 2, one line)", async () => {
  expect(await drill(["--tier", "P9"])).toMatchObject({
    exitCode: 2,
    stderr: "error: --tier: stack home has no tier 'P9' (it has P0, P1, P2)\n",
  });
  expect((await drill(["--guest", "104"])).stderr).toBe("error: --guest: 104 is in no tier of stack home\n");
});
