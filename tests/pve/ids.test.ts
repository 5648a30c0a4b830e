/**
 * pve/ids.ts: PVE's ids and their patterns, against PVE's API schema (pve/endpoints.json) where it
 * says them, and against pve-common's checks where only its source does (`email-or-username`).
 */
import {
  EMAIL_OR_USERNAME_PATTERN,
  GUEST_KINDS,
  JOB_ID_MAX_LENGTH,
  JOB_ID_PATTERN,
  STORAGE_ID_PATTERN,
  VMID_MAX,
  VMID_MIN,
  sameJobId,
} from "../../pve/ids";
import { apiParams as params, apiSchema as schema } from "../support/pveSchema";

describe("EMAIL_OR_USERNAME_PATTERN: pve-common's email-or-username", () => {
  test.each(["admin@home.arpa", "it@shop.example", "root", "root@pam", "first.last+backup@mail-1.example.com", "a~b"])(
    "accepts %j",
    (recipient) => expect(recipient).toMatch(EMAIL_OR_USERNAME_PATTERN),
  );
  test.each([
    "",
    "Admin <admin@home.arpa>",
    "a@b.c,d@e.f", // PVE would split it: one recipient an entry
    "a@b.c d@e.f",
    "admin@",
    "@home.arpa",
    "admin@home..arpa",
    ".admin@home.arpa",
    "admin@home_arpa",
    "admin@home.arpa\n",
  ])("refuses %j", (recipient) => expect(recipient).not.toMatch(EMAIL_OR_USERNAME_PATTERN));
});

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

describe("job ids", () => {
  test("name the same job only as written: PVE looks them up as hash keys", () => {
    expect(sameJobId("backup-home-p0-daily", "backup-home-p0-daily")).toBe(true);
    expect(sameJobId("Backup-Home-P0-Daily", "backup-home-p0-daily")).toBe(false);
  });
});
