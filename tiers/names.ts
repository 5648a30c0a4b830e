/**
 * The names Pulumi knows this project's things by, in one place: the project name (the `name` in
 * Pulumi.yaml, which is also the config namespace and the policy pack's name) and the resource type
 * tokens that the program registers and the pack and the commands look for. The provider's tokens
 * are spelled out rather than read from its classes so that the pack never loads the provider; a
 * unit test holds them equal to the provider's own.
 */
import type { GuestKind } from "../pve/ids";

/** Pulumi.yaml's `name`: the project part of every URN, the config namespace, the pack's name. */
export const PROJECT_NAME = "pve-backup-tiers";

/** The root resource of every stack; its properties are the stack outputs. */
export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** The component the program declares per tier (tiers/backupTier.ts). */
export const TIER_TYPE = `${PROJECT_NAME}:backup:Tier`;

/** The provider's vzdump job. */
export const JOB_TYPE = "proxmoxve:backup/job:Job";

/** The provider's NFS storage, the one storage type the program declares. */
export const NFS_STORAGE_TYPE = "proxmoxve:storage/nfs:Nfs";

/** Every storage resource of the provider starts so (`proxmoxve:storage/directory:Directory`, ...). */
export const STORAGE_TYPE_PREFIX = "proxmoxve:storage/";

/**
 * Guest resource types a stack may manage, with the kind of guest each creates: VMs made from
 * scratch or cloned from a template (`proxmoxve.cloned.Vm`, `cloned.VmLegacy`), and containers.
 */
export const GUEST_TYPES: Readonly<Record<string, GuestKind>> = {
  "proxmoxve:index/vmLegacy:VmLegacy": "qemu",
  "proxmoxve:index/vm:Vm": "qemu",
  "proxmoxve:index/vm2Legacy:Vm2Legacy": "qemu",
  "proxmoxve:cloned/vm:Vm": "qemu",
  "proxmoxve:cloned/vmLegacy:VmLegacy": "qemu",
  "proxmoxve:index/containerLegacy:ContainerLegacy": "lxc",
};

/** The storage type from a resource type token: `proxmoxve:storage/nfsLegacy:NfsLegacy` → `nfs`. */
export function storageTypeOf(resourceType: string): string {
  const module = resourceType.slice(STORAGE_TYPE_PREFIX.length).split(":")[0] ?? "";
  const base = module.replace(/Legacy$/, "").toLowerCase();
  return base === "directory" ? "dir" : base;
}
