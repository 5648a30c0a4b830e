/**
 * A guest's configuration as PVE writes it (`/etc/pve/qemu-server/<vmid>.conf`, `/etc/pve/lxc/<vmid>.conf`)
 * and as `GET /nodes/{node}/vzdump/extractconfig` reads it back out of a backup archive: `key: value`
 * lines, `#` comments (the notes), and `[snapshot]` sections after the current config. What the drill
 * and the double read of it: the disks and their sizes, the network devices, the guest agent.
 */
import type { GuestKind } from "./ids";

/** The current configuration's `key: value` pairs (pve-guest-common PVE/AbstractConfig.pm `parse_config`: up to the first section). */
export function parseGuestConfig(text: string): Record<string, string> {
  const config: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (/^\s*\[/.test(line)) break;
    const m = /^([a-z][a-z0-9_-]*):\s*(.*?)\s*$/i.exec(line);
    if (m) config[m[1]] = m[2];
  }
  return config;
}

/** `key: value` lines, as PVE writes a config. */
export function formatGuestConfig(config: Record<string, string>): string {
  return `${Object.entries(config)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n")}\n`;
}

/** qemu-server PVE/QemuServer/Drive.pm `is_valid_drivename` (but cdrom media: `media=cdrom` holds no disk). */
const QEMU_DISK_KEY = /^(?:ide\d|sata\d|scsi\d{1,2}|virtio\d{1,2}|efidisk0|tpmstate0)$/;
/** pve-container PVE/LXC/Config.pm: the root file system and mount points. */
const LXC_DISK_KEY = /^(?:rootfs|mp\d{1,3})$/;

/** A disk of a config: its key, its storage and volume, and its size in bytes. */
export interface ConfigDisk {
  key: string;
  storage?: string;
  volume: string;
  size: number;
}

const SIZE_UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** `32G` → bytes (pve-common PVE/JSONSchema.pm `parse_size`); undefined for what is no size. */
function parseSize(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(text ?? "");
  return m ? Math.round(Number(m[1]) * SIZE_UNITS[m[2]]) : undefined;
}

/** The disks of a config (CD-ROMs and disks without a size left out). */
export function configDisks(config: Record<string, string>, kind: GuestKind): ConfigDisk[] {
  const pattern = kind === "qemu" ? QEMU_DISK_KEY : LXC_DISK_KEY;
  return Object.entries(config)
    .filter(([key]) => pattern.test(key))
    .flatMap(([key, value]) => {
      const [volume, ...options] = value.split(",");
      const props = Object.fromEntries(options.map((o) => o.split("=", 2) as [string, string]));
      if (props.media === "cdrom") return [];
      const size = parseSize(props.size);
      if (size === undefined) return [];
      const storage = volume.includes(":") ? volume.slice(0, volume.indexOf(":")) : undefined;
      return [{ key, storage, volume, size }];
    });
}

/** The network devices of a config (`net0`...), by key. */
export function configNetworks(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => /^net\d+$/.test(key)));
}

/** A network device's value with its link down (`link_down=1`, qemu-server and pve-container's net formats). */
export function withLinkDown(net: string): string {
  const parts = net.split(",").filter((p) => !p.startsWith("link_down="));
  return [...parts, "link_down=1"].join(",");
}

/** A network device's bridge (`bridge=vmbr0`), if any. */
export function netBridge(net: string): string | undefined {
  return /(?:^|,)bridge=([^,]+)/.exec(net)?.[1];
}

/**
 * Whether the QEMU guest agent is enabled (qemu-server PVE/QemuServer/Agent.pm `parse_guest_agent`:
 * `agent: 1` or `agent: enabled=1,...`; the default key is `enabled`).
 */
export function agentEnabled(config: Record<string, string>): boolean {
  const value = config.agent;
  if (value === undefined) return false;
  const first = value.split(",").find((part) => !part.includes("=") || part.startsWith("enabled="));
  const enabled = first?.replace(/^enabled=/, "") ?? "0";
  return ["1", "yes", "on", "true"].includes(enabled.toLowerCase());
}
