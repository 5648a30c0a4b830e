/** pve/retention.ts: prune-backups as PVE reads and prints it, against PVE's API schema where it says it. */
import {
  KEEP_OPTIONS,
  formatPruneBackups,
  isBounded,
  parsePruneBackups,
  toBackupsBlock,
  toPruneBackupsMap,
} from "../../pve/retention";
import { apiParams as params } from "../support/pveSchema";

const jobParams = params("/cluster/backup", "POST");

describe("against PVE's API schema", () => {
  test("the keep-* options are prune-backups' own, and its default keeps everything", () => {
    const prune = jobParams["prune-backups"];
    const keys = [...prune.typetext!.matchAll(/(keep-[a-z]+)=/g)].map((m) => m[1]);
    expect(keys.filter((k) => k !== "keep-all").sort()).toEqual([...KEEP_OPTIONS].sort());
    expect(keys).toContain("keep-all");
    expect(prune.default).toBe("keep-all=1");
    expect(isBounded(parsePruneBackups(prune.default)!)).toBe(false);
  });
});

describe("prune-backups", () => {
  test("reads PVE's property string, PVE's object and the provider's map alike", () => {
    const expected = { "keep-last": 3, "keep-weekly": 2 };
    expect(parsePruneBackups("keep-last=3,keep-weekly=2")).toEqual(expected);
    expect(parsePruneBackups({ "keep-last": 3, "keep-weekly": 2 })).toEqual(expected);
    expect(parsePruneBackups({ "keep-last": "3", "keep-weekly": "2" })).toEqual(expected);
    expect(parsePruneBackups(undefined)).toBeUndefined();
    expect(parsePruneBackups("")).toBeUndefined();
  });

  test("refuses what PVE refuses, naming the option", () => {
    expect(() => parsePruneBackups("keep-forever=1")).toThrow('unknown prune-backups option "keep-forever"');
    expect(() => parsePruneBackups("keep-last=-1")).toThrow(
      'prune-backups keep-last must be a whole number from 0 to 9007199254740991, as PVE reads one, not "-1"',
    );
  });

  test("is bounded only with a positive keep-* and no keep-all", () => {
    expect(isBounded({ "keep-last": 3 })).toBe(true);
    expect(isBounded({ "keep-last": 0, "keep-daily": 0 })).toBe(false);
    expect(isBounded({ "keep-last": 3, "keep-all": 1 })).toBe(false);
    expect(isBounded({})).toBe(false);
  });

  test("is written as PVE prints it, and as the provider takes it", () => {
    expect(formatPruneBackups({ "keep-weekly": 2, "keep-last": 3 })).toBe("keep-last=3,keep-weekly=2");
    expect(toPruneBackupsMap({ "keep-last": 3, "keep-daily": 0 })).toEqual({ "keep-last": "3" });
    expect(toBackupsBlock({ "keep-last": 3, "keep-monthly": 1 })).toEqual({ keepLast: 3, keepMonthly: 1 });
  });
});
