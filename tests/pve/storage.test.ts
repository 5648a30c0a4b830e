/** pve/storage.ts: NFS storage's options, against PVE's API schema (pve/endpoints.json). */
import { NFS_FIXED_OPTIONS, NFS_OPTIONS } from "../../pve/storage";
import { apiParams } from "../support/pveSchema";

test("every NFS option is one POST /storage takes; path and export, fixed, are none PUT /storage/{storage} takes", () => {
  const create = apiParams("/storage", "POST");
  const update = apiParams("/storage/{storage}", "PUT");
  expect(Object.keys(NFS_OPTIONS).filter((k) => !(k in create))).toEqual([]);
  expect(NFS_FIXED_OPTIONS).toEqual(["path", "server", "export", "snapshot-as-volume-chain"]);
  // server and snapshot-as-volume-chain are in the update schema for other storage types, whose own they are not fixed
  expect(NFS_FIXED_OPTIONS.filter((k) => !(k in update))).toEqual(["path", "export"]);
});
