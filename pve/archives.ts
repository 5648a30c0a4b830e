/** vzdump's archive names, as PVE reads them (pve-storage PVE/Storage.pm `archive_info`). */

/**
 * A vzdump archive name, `vzdump-{qemu|lxc}-<vmid>-YYYY_MM_DD-HH_MM_SS.{vma|tar}[.{zst|gz|lzo}]`
 * (Storage.pm `archive_info`); the time is the node's local wall clock.
 */
const VZDUMP_FILE_NAME =
  /^vzdump-(qemu|lxc|openvz)-([1-9][0-9]{2,8})-(\d{4})_(\d{2})_(\d{2})-(\d{2})_(\d{2})_(\d{2})\.(tgz|(?:tar|vma)(?:\.(?:gz|lzo|zst|bz2))?)$/;

/** A backup volume's file name: `synology-backups:backup/vzdump-...vma.zst` → `vzdump-...vma.zst`. */
export function backupFileName(volid: string): string {
  return volid.slice(volid.indexOf(":") + 1).replace(/^backup\//, "");
}

/** A vzdump archive name read as PVE reads it, or undefined when it is not one. */
export function parseVzdumpFileName(name: string):
  | {
      kind: string;
      vmid: number;
      wall: { year: number; month: number; day: number; hour: number; minute: number; second: number };
      format: string;
    }
  | undefined {
  const m = VZDUMP_FILE_NAME.exec(name);
  if (!m) return undefined;
  return {
    kind: m[1],
    vmid: Number(m[2]),
    wall: { year: +m[3], month: +m[4], day: +m[5], hour: +m[6], minute: +m[7], second: +m[8] },
    format: m[9],
  };
}
