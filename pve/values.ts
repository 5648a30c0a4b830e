/** How PVE writes booleans and lists in its API answers and configs (pve-common's `split_list`). */
import * as z from "zod";

/** A PVE boolean as the API returns it: 1 or 0, "1" or "0", and true or false in newer versions. */
export function isPveTrue(value: unknown): boolean {
  return value === true || value === 1 || value === "1";
}

/**
 * `backup,iso` → `["backup", "iso"]`: a PVE list (content types, nodes, vmids, mail recipients) as
 * pve-common's `split_list` reads it, items separated by commas, semicolons, white space or NULs. A
 * list that is already an array has its items trimmed; absent is empty.
 */
export function parseList(value: string | number | readonly string[] | undefined | null): string[] {
  if (value === undefined || value === null) return [];
  const parts = Array.isArray(value) ? value : String(value).split(/[,;\s\0]+/);
  return parts.map((s) => s.trim()).filter((s) => s.length > 0);
}

/** A PVE boolean in a schema: 0/1 (sometimes strings) from Perl, true/false in newer versions; read as a boolean. */
export const pveBoolean = z.union([z.boolean(), z.literal(0), z.literal(1), z.enum(["0", "1"])]).transform(isPveTrue);
