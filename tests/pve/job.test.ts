/**
 * pve/job.ts: PVE's backup job, against PVE's API schema (pve/endpoints.json): the one schema the
 * client, the snapshot reader and the double share, and the job's options.
 */
import * as z from "zod";
import { DoubleCluster } from "../../double/cluster";
import {
  BACKUP_MODES,
  COMPRESSORS,
  JOB_DEFAULTS,
  MAIL_NOTIFICATION,
  backupJobSchema,
  readBackupJob,
} from "../../pve/job";
import { checkAnswer } from "../../pve/schema";
import { fixtureCluster } from "../support/apiDouble";
import { apiParams as params, apiSchema } from "../support/pveSchema";

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

describe("backupJobSchema: GET /cluster/backup's entry", () => {
  const returned = apiSchema.endpoints["/cluster/backup"].info.GET.returns.items.properties as Record<
    string,
    { type: string; optional?: number }
  >;
  /** What the schema takes beyond the API's types, as pve/job.ts says why: older PVE and snapshots by hand. */
  const BEYOND_THE_API: Record<string, string[]> = {
    type: ["string"],
    dow: ["string"],
    starttime: ["string"],
    "prune-backups": ["string"],
    "exclude-path": ["string"],
    vmid: ["integer"],
    exclude: ["integer"],
  };
  /** A value of each JSON type. */
  const SAMPLES: Record<string, unknown> = {
    string: "x",
    integer: 1,
    boolean: true,
    array: ["x"],
    object: { "keep-last": "3" },
  };
  const acceptedTypes = (key: string) =>
    Object.entries(SAMPLES)
      .filter(([, value]) => backupJobSchema.safeParse({ id: "j", [key]: value }).success)
      .map(([type]) => type)
      .sort();

  test("each option it names has the API's type (a boolean also as Perl's 0/1), or is one older PVE held", () => {
    const keys = Object.keys(backupJobSchema.shape);
    const expected = Object.fromEntries(
      keys.map((key) => {
        const type = returned[key]?.type;
        const types = [
          ...(type ? [type] : []),
          ...(type === "boolean" ? ["integer"] : []),
          ...(BEYOND_THE_API[key] ?? []),
        ];
        return [key, types.sort()];
      }),
    );
    expect(Object.fromEntries(keys.map((key) => [key, acceptedTypes(key)]))).toEqual(expected);
    // mailto is a string (`email-or-username-list`), never a list
    expect(acceptedTypes("mailto")).toEqual(["string"]);
  });

  test("what it requires is what the API always returns: the id", () => {
    const required = Object.keys(returned).filter((key) => !returned[key].optional);
    expect(required).toEqual(["id"]);
    const missing = backupJobSchema.safeParse({}).error?.issues.map((issue) => issue.path.join("."));
    expect(missing).toEqual(required);
  });

  test("the double's answer fits both the API's schema and this one, and reads as PVE means it", () => {
    const jobs = new DoubleCluster(fixtureCluster("home-day")).listJobs();
    expect(checkAnswer("GET", "/cluster/backup", jobs)).toEqual([]);
    expect(z.array(backupJobSchema).safeParse(jobs).error).toBeUndefined();
    expect(readBackupJob(jobs.find((j) => j.id === "backup-home-p0-daily")!)).toEqual({
      id: "backup-home-p0-daily",
      schedule: "03:00",
      storage: "synology-backups",
      enabled: true,
      node: undefined,
      all: false,
      vmids: [100, 102],
      excludes: [],
      pool: undefined,
      pruneBackups: { "keep-last": 3 },
      mailto: ["admin@home.arpa"],
      mailnotification: "always",
      mode: "snapshot",
      compress: "zstd",
      notesTemplate: "{{guestname}} ({{vmid}}) - tier P0 - job backup-home-p0-daily",
    });
  });

  test("a job from before PVE 7 (dow and starttime) reads as its calendar event; PVE's 0 disables", () => {
    const job = backupJobSchema.parse({ id: "old", dow: "sat", starttime: "02:30", enabled: "0", vmid: 100 });
    expect(readBackupJob(job)).toMatchObject({ schedule: "sat 02:30", enabled: false, vmids: [100] });
  });
});
