/**
 * The double's restore rules, each against PVE's own (double/restore.ts, double/guests.ts): nextid,
 * extractconfig's checks, a restore's permission checks and a vmid in use, a container whose restore
 * fails removed, a storage without space, start/agent ping/destroy refusals, a task stopped.
 */
import { PveGuestClient } from "../../pve/client";
import { PveApiDouble } from "../../double/server";
import { apiFailure } from "../support/apiDouble";
import { DRILL_TOKEN, drillCluster } from "../support/drill";

const V100 = "synology-backups:backup/vzdump-qemu-100-2026_02_12-03_00_04.vma.zst";
const L105 = "local:backup/vzdump-lxc-105-2026_01_30-22_10_00.tar.zst";
let double: PveApiDouble;
const clients: PveGuestClient[] = [];
function as(token = DRILL_TOKEN): PveGuestClient {
  const client = new PveGuestClient({
    endpoint: double.url,
    token: double.token(token),
    ca: double.certificates.caPem,
    retries: 0,
  });
  clients.push(client);
  return client;
}
beforeAll(async () => {
  double = await PveApiDouble.start({ cluster: drillCluster() });
});
beforeEach(() => double.load(drillCluster()));
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await double.close();
});
const restore100 = (client: PveGuestClient, vmid: number, config: Record<string, string> = {}) =>
  client.restoreGuest("pve", "qemu", { vmid, archive: V100, storage: "local-lvm", config });

test("nextid: the lowest free vmid from 100; a vmid asked for and taken is PVE's 400", async () => {
  expect(await as().nextId()).toBe(104);
  const err = await apiFailure(as().call("GET", "/cluster/nextid", { vmid: 100 }));
  expect(err.errors).toEqual({ vmid: "VM 100 already exists" });
});

test("extractconfig: the archive's config; VM.Backup on the guest it was made of is needed", async () => {
  expect(await as().extractConfig("pve", V100)).toContain("net0: virtio=BC:24:11:00:01:00,bridge=vmbr0,firewall=1\n");
  const err = await apiFailure(as("pulumi@pve!backup-tiers").extractConfig("pve", V100));
  expect(err.pveMessage).toBe("Permission check failed (/vms/100, VM.Backup)");
  const missing = await apiFailure(
    as().extractConfig("pve", "synology-backups:backup/vzdump-qemu-100-2020_01_01-00_00_00.vma.zst"),
  );
  expect(missing.pveMessage).toBe(
    "volume 'synology-backups:backup/vzdump-qemu-100-2020_01_01-00_00_00.vma.zst' does not exist",
  );
});

test("restore: a vmid in use is PVE's 'unable to restore'; no VM.Allocate is a 403; a disk option conflicts", async () => {
  expect((await apiFailure(restore100(as(), 102))).pveMessage).toBe(
    "unable to restore VM 102 - VM 102 already exists on node 'pve'",
  );
  expect((await apiFailure(restore100(as("pulumi@pve!backup-tiers"), 104))).pveMessage).toBe(
    "Permission check failed (/storage/local-lvm, Datastore.AllocateSpace)",
  );
  expect((await apiFailure(restore100(as(), 104, { scsi0: "local-lvm:1" }))).errors).toEqual({
    scsi0: "option conflicts with option 'archive'",
  });
});

test("restore: the new guest is locked 'create' while the task runs; then links down and no start on boot; a running guest is not destroyed", async () => {
  double.cluster.scenario.restoreMs = 300;
  const client = as();
  const upid = await restore100(client, 104, {
    net0: "virtio=BC:24:11:00:01:00,bridge=vmbr0,link_down=1",
    onboot: "0",
  });
  expect((await client.guestStatus("pve", "qemu", 104)).lock).toBe("create");
  expect((await client.taskStatus("pve", upid)).status).toBe("running");
  await new Promise((r) => setTimeout(r, 350));
  expect(await client.taskStatus("pve", upid)).toMatchObject({ status: "stopped", exitstatus: "OK" });
  expect(double.cluster.guestStates.get(104)?.config).toMatchObject({
    net0: "virtio=BC:24:11:00:01:00,bridge=vmbr0,link_down=1",
    onboot: "0",
    scsi0: "local-lvm:vm-104-disk-0,iothread=1,size=32G",
  });
  expect((await apiFailure(client.agentPing("pve", 104))).pveMessage).toBe("VM 104 is not running");
  const start = await client.powerGuest("pve", "qemu", 104, "start");
  expect((await client.taskStatus("pve", start)).exitstatus).toBe("OK");
  expect((await apiFailure(client.destroyGuest("pve", "qemu", 104))).pveMessage).toBe(
    "VM 104 is running - destroy failed",
  );
});

test("a locked guest is not destroyed: the task fails with PVE's lock error", async () => {
  double.cluster.scenario.restoreMs = 60_000;
  const client = as();
  const restore = await restore100(client, 104);
  const destroy = await client.destroyGuest("pve", "qemu", 104);
  expect((await client.taskStatus("pve", destroy)).exitstatus).toBe("VM is locked (create)");
  await client.stopTask("pve", restore);
  expect((await client.taskStatus("pve", restore)).exitstatus).toBe("interrupted by signal");
});

test("a container whose archive is truncated: tar's error, and PVE removes the container it made", async () => {
  double.cluster.scenario.truncated.add(L105);
  const client = as();
  const upid = await client.restoreGuest("pve", "lxc", { vmid: 104, archive: L105, storage: "local-lvm", config: {} });
  const status = await client.taskStatus("pve", upid);
  expect(status.exitstatus).toMatch(/^unable to restore CT 104 - command 'lxc-usernsexec .* failed: exit code 2$/);
  expect(await client.taskLogLines("pve", upid)).toContain("tar: Unexpected EOF in archive");
  expect(double.cluster.guestStates.has(104)).toBe(false);
});

test("a storage without the space: the VM restore fails writing (ENOSPC), its volumes removed", async () => {
  const snapshot = drillCluster();
  snapshot.storageStatus!.push({
    storage: "local-lvm",
    total: 64 * 1024 ** 3,
    used: 60 * 1024 ** 3,
    avail: 4 * 1024 ** 3,
  } as never);
  double.load(snapshot);
  const client = as();
  const upid = await restore100(client, 104);
  const status = await client.taskStatus("pve", upid);
  expect(status.exitstatus).toMatch(/failed: exit code 133$/);
  expect(await client.taskLogLines("pve", upid)).toContain(
    "vma: restore failed - blk_pwrite to drive-scsi0 failed (-28)",
  );
  expect(double.cluster.disks.filter((d) => d.vmid === 104)).toEqual([]);
});

test("agent ping: no agent configured is PVE's error", async () => {
  double.cluster.scenario.archiveConfigs.set(
    V100,
    "name: ha\nnet0: virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0\nscsi0: local-lvm:vm-100-disk-0,size=8G\n",
  );
  const client = as();
  await restore100(client, 104);
  await client.powerGuest("pve", "qemu", 104, "start");
  expect((await apiFailure(client.agentPing("pve", 104))).pveMessage).toBe("No QEMU guest agent configured");
});
