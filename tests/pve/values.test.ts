/** pve/values.ts: PVE's lists and booleans. */
import { parseList } from "../../pve/values";

test("PVE's lists: comma-separated strings (and arrays) to items", () => {
  expect(parseList("backup,iso, vztmpl")).toEqual(["backup", "iso", "vztmpl"]);
  expect(parseList(["pve1", " pve2 "])).toEqual(["pve1", "pve2"]);
  expect(parseList(undefined)).toEqual([]);
});
