/**
 * The type tokens tiers/names.ts spells out (so that the policy pack never loads the provider) are
 * the provider's own.
 */
import * as proxmoxve from "@muhlba91/pulumi-proxmoxve";
import { GUEST_TYPES, JOB_TYPE, NFS_STORAGE_TYPE, STORAGE_TYPE_PREFIX } from "../../tiers/names";

const tokenOf = (resourceClass: unknown) => (resourceClass as { __pulumiType: string }).__pulumiType;

test("guest types: VMs made from scratch or cloned, and containers, with their kind", () => {
  expect(
    Object.fromEntries(
      [
        [proxmoxve.VmLegacy, "qemu"],
        [proxmoxve.Vm, "qemu"],
        [proxmoxve.Vm2Legacy, "qemu"],
        [proxmoxve.cloned.Vm, "qemu"],
        [proxmoxve.cloned.VmLegacy, "qemu"],
        [proxmoxve.ContainerLegacy, "lxc"],
      ].map(([resourceClass, kind]) => [tokenOf(resourceClass), kind]),
    ),
  ).toEqual(GUEST_TYPES);
  expect(GUEST_TYPES["proxmoxve:cloned/vm:Vm"]).toBe("qemu");
  expect(GUEST_TYPES["proxmoxve:cloned/vmLegacy:VmLegacy"]).toBe("qemu");
});

test("the job and storage types", () => {
  expect(tokenOf(proxmoxve.backup.Job)).toBe(JOB_TYPE);
  expect(tokenOf(proxmoxve.storage.Nfs)).toBe(NFS_STORAGE_TYPE);
  expect(NFS_STORAGE_TYPE.startsWith(STORAGE_TYPE_PREFIX)).toBe(true);
});
