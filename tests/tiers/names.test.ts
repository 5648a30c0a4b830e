/**
 * The names in tiers/names.ts are the ones Pulumi and the provider use: spelled out there so that the
 * pack never loads the provider, held equal here to the provider's classes and to Pulumi.yaml.
 */
import * as fs from "fs";
import * as path from "path";
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { parse as parseYaml } from "yaml";
import { BackupTier } from "../../tiers/backupTier";
import {
  GUEST_TYPES,
  JOB_TYPE,
  NFS_STORAGE_TYPE,
  PROJECT_NAME,
  STORAGE_TYPE_PREFIX,
  TIER_TYPE,
  storageTypeOf,
} from "../../tiers/names";

const pulumiType = (resourceClass: unknown) => (resourceClass as { __pulumiType: string }).__pulumiType;

test("the project name is Pulumi.yaml's", () => {
  const project = parseYaml(fs.readFileSync(path.join(__dirname, "../../Pulumi.yaml"), "utf8")) as { name: string };
  expect(PROJECT_NAME).toBe(project.name);
});

test("the provider's type tokens: the job, the NFS storage and every guest type, cloned VMs included", () => {
  expect(JOB_TYPE).toBe(pulumiType(proxmoxve.backup.Job));
  expect(NFS_STORAGE_TYPE).toBe(pulumiType(proxmoxve.storage.Nfs));
  expect(GUEST_TYPES).toEqual({
    [pulumiType(proxmoxve.VmLegacy)]: "qemu",
    [pulumiType(proxmoxve.Vm)]: "qemu",
    [pulumiType(proxmoxve.Vm2Legacy)]: "qemu",
    [pulumiType(proxmoxve.cloned.Vm)]: "qemu",
    [pulumiType(proxmoxve.cloned.VmLegacy)]: "qemu",
    [pulumiType(proxmoxve.ContainerLegacy)]: "lxc",
  });
  for (const storage of [proxmoxve.storage.Nfs, proxmoxve.storage.Directory, proxmoxve.storage.Pbs]) {
    expect(pulumiType(storage).startsWith(STORAGE_TYPE_PREFIX)).toBe(true);
  }
});

test("the tier component's type is the project's", () => {
  expect(BackupTier.TYPE).toBe(TIER_TYPE);
  expect(TIER_TYPE).toBe("pve-backup-tiers:backup:Tier");
});

test("a storage resource's PVE type, as /storage names it", () => {
  expect(storageTypeOf(pulumiType(proxmoxve.storage.Nfs))).toBe("nfs");
  expect(storageTypeOf(pulumiType(proxmoxve.storage.Directory))).toBe("dir");
  expect(storageTypeOf(pulumiType(proxmoxve.storage.Pbs))).toBe("pbs");
  expect(storageTypeOf(pulumiType(proxmoxve.storage.NfsLegacy))).toBe("nfs");
});
