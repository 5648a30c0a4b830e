/** pve/job.ts: PVE's backup job options, against PVE's API schema (pve/endpoints.json). */
import { BACKUP_MODES, COMPRESSORS, JOB_DEFAULTS, MAIL_NOTIFICATION } from "../../pve/job";
import { apiParams as params } from "../support/pveSchema";

const jobParams = params("/cluster/backup", "POST");

describe("against PVE's API schema", () => {
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
});
