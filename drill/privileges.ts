/**
 * What the drill needs of PVE's privileges, read from the checks PVE's source makes, and the role
 * that grants it (`doctor --drill` checks it; docs/drill.md has the `pveum` commands):
 *
 * - the restore: VM.Allocate on /vms/<new vmid> (qemu-server PVE/API2/Qemu.pm `create_vm`,
 *   pve-container PVE/API2/LXC.pm `create_vm`); Datastore.AllocateSpace on the target storage
 *   (the same, `storage`); the archive: Datastore.AllocateSpace on the backup storage and VM.Backup on
 *   the original guest (pve-storage PVE/Storage.pm `check_volume_access`); the options set over the
 *   backed-up ones, the links down (`netN`: VM.Config.Network) and no start on boot (`onboot`:
 *   VM.Config.Options) (Qemu.pm `check_vm_modify_config_perm`, pve-container PVE/LXC.pm
 *   `check_ct_modify_config_perm`); the bridges (SDN.Use on /sdn/zones/localnetwork/<bridge>:
 *   QemuServer.pm `check_bridge_access`, pve-guest-common PVE/GuestHelpers.pm `check_vnet_access`);
 * - the archive's config: VM.Backup and Datastore.AllocateSpace (pve-manager PVE/API2/VZDump.pm `extractconfig`);
 * - start and stop: VM.PowerMgmt; status: VM.Audit; agent ping: VM.GuestAgent.Audit (or .Unrestricted);
 *   destroy: VM.Allocate (Qemu.pm, LXC.pm, Qemu/Agent.pm schema checks);
 * - nextid: none (pve-manager PVE/API2/Cluster.pm `nextid`, `user => 'all'`); its own tasks' status and
 *   stop: none (PVE/API2/Tasks.pm, the task's own user);
 * - the newest backup by the status's rules, and the target storage's space: Datastore.Audit.
 *
 * The scratch vmid is not known before `nextid`, so the /vms privileges are granted on /vms,
 * propagating: the role could act on every guest; the drill itself only ever starts, stops and
 * destroys the vmid it restored into.
 */
import { PrivilegeNeed } from "../pve/programPrivileges";

export const DRILL_ROLE = "BackupTiersDrill";

const VMS_PRIVILEGES = [
  "VM.Allocate",
  "VM.Audit",
  "VM.Backup",
  "VM.Config.Network",
  "VM.Config.Options",
  "VM.GuestAgent.Audit",
  "VM.PowerMgmt",
];
const STORAGE_PRIVILEGES = ["Datastore.Audit", "Datastore.AllocateSpace"];
const SDN_PRIVILEGES = ["SDN.Use"];

export const DRILL_ROLE_PRIVILEGES = [...VMS_PRIVILEGES, ...STORAGE_PRIVILEGES, ...SDN_PRIVILEGES];

/** The privileges the drill needs, per path. */
export function drillPrivileges(): PrivilegeNeed[] {
  return [
    {
      path: "/vms",
      privileges: VMS_PRIVILEGES,
      propagate: true,
      why: "restore into a new vmid (VM.Allocate, VM.Config.Network for the links down, VM.Config.Options for no start on boot), read the original's archive (VM.Backup), start, stop, ping the agent, read the status and destroy",
    },
    {
      path: "/storage",
      privileges: STORAGE_PRIVILEGES,
      propagate: true,
      why: "read the backups and the archive's config (Datastore.AllocateSpace on the backup storage), allocate the restored disks on the target storage, read its free space",
    },
    {
      path: "/sdn/zones/localnetwork",
      privileges: SDN_PRIVILEGES,
      propagate: true,
      why: "the restored guest's network devices name their bridges (SDN.Use on /sdn/zones/localnetwork/<bridge>)",
    },
  ];
}
