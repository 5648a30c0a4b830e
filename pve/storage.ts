/** PVE's storage formats: server, export and mount options of NFS storage, shared types, content types. */

import { isIP } from "net";
/** A DNS name as pve-common PVE/JSONSchema.pm `pve_verify_dns_name` takes it: labels joined by dots. */
const DNS_NAME_PATTERN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

/**
 * An NFS storage's `server` (`pve-storage-server`): an IP address or a DNS name (pve-storage
 * PVE/Storage/Plugin.pm `verify_server`, with pve-common's `pve_verify_ip` and `pve_verify_dns_name`).
 */
export function isStorageServer(server: string): boolean {
  return isIP(server) !== 0 || DNS_NAME_PATTERN.test(server);
}

/** An NFS storage's mount `options` (`pve-storage-options`): one word, no white space (Plugin.pm `verify_options`). */
export const STORAGE_OPTIONS_PATTERN = /^\S+$/;

/**
 * An NFS `export` (`pve-storage-path`): absolute, and what follows the first `/` starts with a
 * character other than `;`, `(` or `)` (Plugin.pm `verify_path`: `m|^/[^;\(\)]+|`).
 */
export const STORAGE_PATH_PATTERN = /^\/[^;()]/;

/**
 * How two NFS storages' exports compare: PVE mounts `server:export`, and `/volume1/backups/` is the
 * folder `/volume1/backups` is; a server's name compares without case.
 */
export function nfsExportKey(server: string, exportPath: string): string {
  const path = exportPath.replace(/\/+/g, "/").replace(/(.)\/$/, "$1");
  return `${server.toLowerCase()}:${path}`;
}

/**
 * Storage types PVE counts as shared whatever their `shared` flag says: every node reaches the same
 * volumes (pve-storage PVE/Storage/Plugin.pm `@SHARED_STORAGE`, applied when the config is read).
 */
export const SHARED_STORAGE_TYPES: readonly string[] = [
  "iscsi",
  "nfs",
  "cifs",
  "rbd",
  "cephfs",
  "iscsidirect",
  "zfs",
  "drbd",
  "pbs",
];

/** Storage content types (`pve-storage-content-list`); vzdump writes `backup`. */
export const CONTENT_TYPES = ["backup", "images", "import", "iso", "rootdir", "snippets", "vztmpl"] as const;
export const BACKUP_CONTENT = "backup";

/**
 * NFS storage's options as pve-storage PVE/Storage/NFSPlugin.pm `options` lists them: `fixed` ones
 * PVE takes at creation only (an update that changes or deletes one fails), `optional` ones may be
 * left out or deleted.
 */
const NFS_OPTION_TABLE = {
  path: { fixed: true },
  "content-dirs": { optional: true },
  server: { fixed: true },
  export: { fixed: true },
  nodes: { optional: true },
  disable: { optional: true },
  "prune-backups": { optional: true },
  "max-protected-backups": { optional: true },
  options: { optional: true },
  content: { optional: true },
  format: { optional: true },
  mkdir: { optional: true },
  "create-base-path": { optional: true },
  "create-subdirs": { optional: true },
  bwlimit: { optional: true },
  preallocation: { optional: true },
  "snapshot-as-volume-chain": { optional: true, fixed: true },
} as const;

type NfsOption = keyof typeof NFS_OPTION_TABLE;
export const NFS_OPTIONS: Readonly<Record<string, { fixed?: boolean; optional?: boolean }>> = NFS_OPTION_TABLE;

/** The NFS options PVE fixes when the storage is created: changing one takes a new storage. */
export type NfsFixedOption = {
  [K in NfsOption]: (typeof NFS_OPTION_TABLE)[K] extends { fixed: true } ? K : never;
}[NfsOption];
export const NFS_FIXED_OPTIONS = Object.keys(NFS_OPTION_TABLE).filter((k) => NFS_OPTIONS[k].fixed) as NfsFixedOption[];
