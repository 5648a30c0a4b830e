/**
 * tiers/pve.ts, PVE's formats and limits in one place, checked against PVE's own API schema
 * (api/endpoints.json) where the schema says them, and against PVE's rules where only its source does.
 */
import * as fs from "fs";
import * as path from "path";
import {
  BACKUP_MODES,
  COMPRESSORS,
  GUEST_KINDS,
  JOB_DEFAULTS,
  JOB_ID_MAX_LENGTH,
  JOB_ID_PATTERN,
  KEEP_OPTIONS,
  MAIL_NOTIFICATION,
  STORAGE_ID_PATTERN,
  VMID_MAX,
  VMID_MIN,
  formatPruneBackups,
  isBounded,
  parseList,
  parsePruneBackups,
  redactSecrets,
  toBackupsBlock,
  toPruneBackupsMap,
} from "../../tiers/pve";

interface SchemaProperty {
  default?: string | number;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  typetext?: string;
}

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "../../api/endpoints.json"), "utf8")) as {
  endpoints: Record<string, { info: Record<string, { parameters?: any; returns?: any }> }>;
};
const params = (endpoint: string, method: string): Record<string, SchemaProperty> =>
  schema.endpoints[endpoint].info[method].parameters.properties;
const jobParams = params("/cluster/backup", "POST");

describe("against PVE's API schema", () => {
  test("vmids run from 100 to 999999999", () => {
    const vmid = params("/nodes/{node}/storage/{storage}/content", "GET").vmid;
    expect([VMID_MIN, VMID_MAX]).toEqual([vmid.minimum, vmid.maximum]);
    const listed = schema.endpoints["/cluster/resources"].info.GET.returns.items.properties.vmid;
    expect([VMID_MIN, VMID_MAX]).toEqual([listed.minimum, listed.maximum]);
  });

  test("a backup job id is at most 50 characters", () => {
    expect(JOB_ID_MAX_LENGTH).toBe(params("/cluster/backup/{id}", "GET").id.maxLength);
  });

  test("backup modes, compressors and mail notification are the job's enums", () => {
    expect([...BACKUP_MODES]).toEqual(jobParams.mode.enum);
    expect([...COMPRESSORS]).toEqual(jobParams.compress.enum);
    expect([...MAIL_NOTIFICATION]).toEqual(jobParams.mailnotification.enum);
  });

  test("what PVE assumes for an unset job option is the schema's default", () => {
    expect(JOB_DEFAULTS).toEqual({
      enabled: jobParams.enabled.default === "1",
      mode: jobParams.mode.default,
      compress: jobParams.compress.default,
      mailnotification: jobParams.mailnotification.default,
    });
  });

  test("the keep-* options are prune-backups' own, and its default keeps everything", () => {
    const prune = jobParams["prune-backups"];
    const keys = [...prune.typetext!.matchAll(/(keep-[a-z]+)=/g)].map((m) => m[1]);
    expect(keys.filter((k) => k !== "keep-all").sort()).toEqual([...KEEP_OPTIONS].sort());
    expect(keys).toContain("keep-all");
    expect(prune.default).toBe("keep-all=1");
    expect(isBounded(parsePruneBackups(prune.default)!)).toBe(false);
  });

  test("guest kinds are the types PVE reports guests as", () => {
    const notBackedUp = schema.endpoints["/cluster/backup-info/not-backed-up"].info.GET.returns.items.properties.type;
    expect([...GUEST_KINDS]).toEqual(notBackedUp.enum);
  });
});

describe("ids, as PVE's source checks them", () => {
  test("job ids: a letter, then letters, digits, - or _ (any case)", () => {
    for (const ok of ["backup-home-p0-daily", "Backup_1", "ab"]) expect(JOB_ID_PATTERN.test(ok)).toBe(true);
    for (const bad of ["1backup", "a", "backup home", "backup.home", ""]) expect(JOB_ID_PATTERN.test(bad)).toBe(false);
  });

  test("storage ids (pve-storage-id): a letter first, a letter or digit last, . - _ between", () => {
    for (const ok of ["synology-backups", "local-lvm", "nas.01", "a1"]) expect(STORAGE_ID_PATTERN.test(ok)).toBe(true);
    for (const bad of ["1nas", "nas-", "x", "nas backups", "nas/1"]) expect(STORAGE_ID_PATTERN.test(bad)).toBe(false);
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
      'prune-backups keep-last must be a non-negative integer, not "-1"',
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

test("PVE's lists: comma-separated strings (and arrays) to items", () => {
  expect(parseList("backup,iso, vztmpl")).toEqual(["backup", "iso", "vztmpl"]);
  expect(parseList(["pve1", " pve2 "])).toEqual(["pve1", "pve2"]);
  expect(parseList(undefined)).toEqual([]);
});

test("API tokens are redacted wherever they appear in a message", () => {
  expect(redactSecrets("token pulumi@pve!backup-tiers=0f6c2a3e-1111-4222-8333-944455556666 refused")).toBe(
    "token [secret] refused",
  );
  expect(redactSecrets("user pulumi@pve without a token")).toBe("user pulumi@pve without a token");
});
