/**
 * Ctrl-C mid-restore, with a real process: the bin (`node dist/cli/main.js drill`) against an in-test
 * double whose restore takes 60 s; SIGINT while the qmrestore task runs. The drill stops the task,
 * destroys the scratch guest and exits 2, and the double holds no scratch guest, disk or running task.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PveApiDouble } from "../../double/server";
import { PROJECT_DIR } from "../../start/sources";
import { DRILL_TOKEN, drillCluster } from "../support/drill";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "drill-int-"));
let double: PveApiDouble;
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: drillCluster() });
  fs.writeFileSync(path.join(tmp, "ca.pem"), double.certificates.caPem);
});
afterAll(async () => {
  await double.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("SIGINT while the restore runs: the task is stopped, the scratch guest destroyed; exit 2", async () => {
  double.cluster.scenario.restoreMs = 60_000;
  const args = ["--stack-dir", FIXTURE_STACK_DIR, "--endpoint", double.url, "--ca", path.join(tmp, "ca.pem")];
  const child = spawn(
    process.execPath,
    [path.join(PROJECT_DIR, "dist/cli/main.js"), "drill", "--guest", "100", ...args],
    {
      env: { ...process.env, PROXMOX_VE_API_TOKEN: double.token(DRILL_TOKEN) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  // Wait until the restore task runs, then Ctrl-C.
  const deadline = Date.now() + 30_000;
  while (!double.cluster.tasks.some((t) => t.type === "qmrestore" && t.status === undefined)) {
    if (Date.now() > deadline) throw new Error(`no restore started: ${stdout}${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(double.cluster.guestStates.get(104)?.config.lock).toBe("create");
  child.kill("SIGINT");
  const code = await exited;
  expect(stderr).toContain("Ctrl-C: stopping, and cleaning up what the drill made");
  expect(code).toBe(2);
  expect(stdout).toContain("INTERRUPTED qemu 100 home-assistant (tier P0)");
  expect(stdout).toContain("interrupted (Ctrl-C): the restore task was stopped");
  expect(stdout).toContain("into 104; removed");
  const restore = double.cluster.tasks.find((t) => t.type === "qmrestore")!;
  expect(restore.status).toBe("interrupted by signal");
  expect(restore.log).toContain("temporary volume 'local-lvm:vm-104-disk-0' successfully removed");
  expect(double.cluster.tasks.filter((t) => t.id === "104").map((t) => [t.type, t.status])).toEqual([
    ["qmrestore", "interrupted by signal"],
    ["qmdestroy", "OK"],
  ]);
  expect([...double.cluster.guestStates.keys()].sort()).toEqual([100, 101, 102, 103, 105]);
  expect(double.cluster.disks.filter((d) => d.vmid === 104)).toEqual([]);
  expect(double.cluster.tasks.filter((t) => t.status === undefined)).toEqual([]);
});
