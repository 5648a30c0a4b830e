/**
 * pve/formats.ts, PVE's formats and limits in one place: checked against PVE's own API schema
 * (pve/endpoints.json) where the schema says them, and against PVE's rules where only its source does
 * (the notes-template rules of pve-manager's VZDump.pm, the mail recipients of pve-common's
 * `email-or-username`), and the redaction every message goes through.
 */
import * as fs from "fs";
import * as path from "path";
import {
  addLiteralSecret,
  BACKUP_MODES,
  COMPRESSORS,
  EMAIL_OR_USERNAME_PATTERN,
  GUEST_KINDS,
  JOB_DEFAULTS,
  JOB_ID_MAX_LENGTH,
  JOB_ID_PATTERN,
  KEEP_OPTIONS,
  MAIL_NOTIFICATION,
  NOTES_TEMPLATE_MAX_LENGTH,
  REDACTED,
  STORAGE_ID_PATTERN,
  VMID_MAX,
  VMID_MIN,
  formatPruneBackups,
  isBounded,
  isSecretKeyName,
  notesTemplateProblems,
  parseList,
  parsePruneBackups,
  redactSecrets,
  redactValue,
  sameJobId,
  toBackupsBlock,
  toPruneBackupsMap,
  VZDUMP_JOB_START,
  VZDUMP_LOCK_WAITING,
  parseVzdumpJobStart,
  readVzdumpLog,
  vzdumpCommandLine,
} from "../../pve/formats";

const TOKEN = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";
const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----";

describe("notesTemplateProblems: what PVE's verify_notes_template refuses", () => {
  test.each([
    "{{guestname}} ({{vmid}}) - tier P0: critical, daily - job backup-home-p0-daily",
    "{{cluster}} {{node}} {{vmid}} {{guestname}}",
    "first line\\nsecond line, a backslash \\\\ and braces {single} }}",
    "x".repeat(NOTES_TEMPLATE_MAX_LENGTH),
    // 1024 characters of 2 UTF-16 units each: PVE counts characters
    "🗄".repeat(NOTES_TEMPLATE_MAX_LENGTH),
    "a trailing backslash stays literal \\",
  ])("accepts %j", (template) => {
    expect(notesTemplateProblems(template)).toEqual([]);
  });

  test.each([
    ["x".repeat(NOTES_TEMPLATE_MAX_LENGTH + 1), "it would be 1025 characters long; PVE allows at most 1024"],
    ["two\nlines", "it would contain a line break; PVE takes one line"],
    ["a carriage\rreturn", "line break"],
    ["C:\\backups\\tier", "backslash escape '\\b', '\\t': PVE knows only \\n and \\\\"],
    ["{{hostname}} backup", "'{{' that opens none of PVE's variables ({{cluster}}, {{guestname}}, {{node}}, {{vmid}})"],
    ["{{ vmid }}", "'{{' that opens none"],
    ["{{vmid}} and a lone {{", "'{{' that opens none"],
  ])("refuses %j", (template, problem) => {
    expect(notesTemplateProblems(template).join("; ")).toContain(problem);
  });

  test("an escaped backslash is not the start of another escape", () => {
    expect(notesTemplateProblems("\\\\b")).toEqual([]); // `\\` then `b`
    expect(notesTemplateProblems("\\\\\\b")).toEqual(["backslash escape '\\b': PVE knows only \\n and \\\\"]);
  });
});

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

describe("redaction", () => {
  test("token- and key-shaped text becomes [secret] wherever it sits", () => {
    expect(redactSecrets(`token ${TOKEN} and 'root@pam!ci=abc'`)).toBe("token [secret] and '[secret]'");
    expect(redactSecrets(`key: ${PEM}\nnext line`)).toBe("key: [secret]\nnext line");
    expect(redactSecrets(JSON.stringify({ key: PEM }))).toBe('{"key":"[secret]"}');
    expect(redactSecrets("admin@home.arpa, root@pam, tier P0")).toBe("admin@home.arpa, root@pam, tier P0");
  });

  test("a URL's password becomes [secret]; the rest of the URL stays", () => {
    expect(redactSecrets("GET https://root:hunter22@pve.home.arpa:8006/api2/json failed")).toBe(
      "GET https://root:[secret]@pve.home.arpa:8006/api2/json failed",
    );
    expect(redactSecrets("https://pve.home.arpa:8006/ and user@example.com")).toBe(
      "https://pve.home.arpa:8006/ and user@example.com",
    );
  });

  test("the literal secret of PROXMOX_VE_API_TOKEN is redacted whatever text holds it (a server that echoes it)", () => {
    const secret = "5f0c1d2e-3b4a-4c5d-8e9f-a0b1c2d3e4f5";
    const saved = process.env.PROXMOX_VE_API_TOKEN;
    process.env.PROXMOX_VE_API_TOKEN = `pulumi@pve!backup-tiers=${secret}`;
    try {
      expect(redactSecrets(`PVE said: unknown value '${secret}' (x${secret}y)`)).toBe(
        "PVE said: unknown value '[secret]' (x[secret]y)",
      );
    } finally {
      if (saved === undefined) delete process.env.PROXMOX_VE_API_TOKEN;
      else process.env.PROXMOX_VE_API_TOKEN = saved;
    }
    // a secret learnt once stays redacted; one too short to redact without wrecking the text is not added
    addLiteralSecret("s3cr3t-from-a-url");
    addLiteralSecret("abc");
    expect(redactSecrets(`${secret} s3cr3t-from-a-url abc`)).toBe("[secret] [secret] abc");
  });

  test.each([
    "apiToken",
    "api_token",
    "password",
    "authTicket",
    "csrfPreventionToken",
    "privateKey",
    "socks5Password",
    "secret",
  ])("%s is a secret key name", (key) => expect(isSecretKeyName(key)).toBe(true));
  test.each(["timezone", "description", "job", "mailto", "storage", "guests", "schedule", "notification"])(
    "%s is not a secret key name",
    (key) => expect(isSecretKeyName(key)).toBe(false),
  );

  test("redactValue: under a secret key the whole value goes, elsewhere only what looks like a token", () => {
    expect(redactValue("hunter2", "password")).toBe(REDACTED);
    expect(redactValue({ user: "root", privateKey: PEM, port: 22 }, "ssh")).toEqual({
      user: "root",
      privateKey: REDACTED,
      port: 22,
    });
    expect(redactValue(["ok", TOKEN])).toEqual(["ok", REDACTED]);
    expect(redactValue({ [TOKEN]: 1 })).toEqual({ [REDACTED]: 1 });
    expect(redactValue("03:00", "schedule")).toBe("03:00");
  });
});

interface SchemaProperty {
  default?: string | number;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  typetext?: string;
}

const schema = JSON.parse(fs.readFileSync(path.join(__dirname, "../../pve/endpoints.json"), "utf8")) as {
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

describe("vzdump's task log: the first line a run writes, and what it says of each guest", () => {
  test("a scheduled run's line: the job's parameters and --quiet 1, quoted as String::ShellQuote does, never the job id", () => {
    const line = vzdumpCommandLine({
      id: "backup-home-p0-daily",
      "job-id": "backup-home-p0-daily",
      vmid: "100,102",
      enabled: 1,
      storage: "synology-backups",
      "prune-backups": "keep-last=3",
      mailto: "admin@home.arpa, root",
      "notes-template": "{{guestname}} ({{vmid}}) - tier P0: it's critical - job backup-home-p0-daily",
      quiet: 1,
    });
    expect(line).toBe(
      "vzdump 100 102 --storage synology-backups --prune-backups 'keep-last=3' --mailto admin@home.arpa,root " +
        "--notes-template '{{guestname}} ({{vmid}}) - tier P0: it'\\''s critical - job backup-home-p0-daily' --quiet 1",
    );
    const start = parseVzdumpJobStart(`${VZDUMP_JOB_START}${line}`)!;
    expect(start.vmids).toEqual([100, 102]);
    expect(Object.fromEntries([...start.options].map(([k, v]) => [k, v[0]]))).toEqual({
      storage: "synology-backups",
      "prune-backups": "keep-last=3",
      mailto: "admin@home.arpa,root",
      "notes-template": "{{guestname}} ({{vmid}}) - tier P0: it's critical - job backup-home-p0-daily",
      quiet: "1",
    });
  });

  test("exclude-path repeats; a line that is not a run's first line is no start", () => {
    expect(vzdumpCommandLine({ all: 1, "exclude-path": ["/tmp/?*", "/var/cache"] })).toBe(
      "vzdump --all 1 --exclude-path '/tmp/?*' --exclude-path /var/cache",
    );
    expect(parseVzdumpJobStart("INFO: Starting Backup of VM 100 (qemu)")).toBeUndefined();
    expect(parseVzdumpJobStart(`${VZDUMP_JOB_START}vzdump 100 --storage 'unterminated`)).toBeUndefined();
    expect(parseVzdumpJobStart(`${VZDUMP_JOB_START}vzdump 0100 --storage x`)).toBeUndefined();
  });

  test("per guest: finished with vzdump's own time, failed with its reason and times, or still running", () => {
    const { guests, jobError } = readVzdumpLog([
      "INFO: starting new backup job: vzdump 100 103 104 105 --quiet 1",
      "INFO: Starting Backup of VM 100 (qemu)",
      "INFO: Backup started at 2026-02-12 03:00:04",
      "INFO: Finished Backup of VM 100 (00:02:31)",
      "INFO: Backup finished at 2026-02-12 03:02:35",
      "ERROR: Backup of VM 104 failed - unable to find VM '104'",
      "INFO: Starting Backup of VM 103 (lxc)",
      "INFO: Backup started at 2026-02-12 03:02:36",
      "ERROR: Backup of VM 103 failed - unable to create temporary directory",
      "INFO: Failed at 2026-02-12 03:02:48",
      "INFO: Starting Backup of VM 105 (lxc)",
      "INFO: Backup started at 2026-02-12 03:02:49",
      "TASK ERROR: job errors",
    ]);
    expect(guests.get(100)).toMatchObject({ result: "ok", seconds: 151 });
    expect(guests.get(104)).toMatchObject({ result: "failed", reason: "unable to find VM '104'" });
    expect(guests.get(103)).toMatchObject({
      result: "failed",
      reason: "unable to create temporary directory",
      started: { hour: 3, minute: 2, second: 36 },
      ended: { hour: 3, minute: 2, second: 48 },
    });
    expect(guests.get(105)).toMatchObject({ result: "running" });
    expect(jobError).toBeUndefined(); // "job errors" only says that guests failed
    expect(readVzdumpLog(["TASK ERROR: could not activate storage 'nas': storage 'nas' does not exist"]).jobError).toBe(
      "could not activate storage 'nas': storage 'nas' does not exist",
    );
  });

  test("a run that ended before its job line: the NAS away, the lock timed out, the job-init hook failed", () => {
    const nasDown = readVzdumpLog([
      "TASK ERROR: could not activate storage 'synology-backups': storage 'synology-backups' is not online",
    ]);
    expect(nasDown).toMatchObject({
      jobStarted: false,
      jobError: "could not activate storage 'synology-backups': storage 'synology-backups' is not online",
      storageNamed: "synology-backups",
    });
    // getlock logs the wait, then the timeout, and the worker exits without a TASK line
    const lockTimeout = readVzdumpLog([
      VZDUMP_LOCK_WAITING,
      "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout",
    ]);
    expect(lockTimeout).toMatchObject({
      jobStarted: false,
      waitingForLock: true,
      jobError: "can't acquire lock '/var/run/vzdump.lock' - got timeout",
      storageNamed: undefined,
    });
    const hook = readVzdumpLog(["TASK ERROR: command '/usr/local/bin/nas-wake job-init' failed: exit code 1"]);
    expect(hook.jobError).toBe("command '/usr/local/bin/nas-wake job-init' failed: exit code 1");
  });

  test("a run that waited for the lock, got it and went on is no failure", () => {
    const log = readVzdumpLog([
      VZDUMP_LOCK_WAITING,
      "INFO: got global lock",
      `${VZDUMP_JOB_START}vzdump 100 --storage nas --quiet 1`,
      "INFO: Starting Backup of VM 100 (qemu)",
    ]);
    expect(log).toMatchObject({ jobStarted: true, waitingForLock: false, jobError: undefined });
    expect(readVzdumpLog([VZDUMP_LOCK_WAITING])).toMatchObject({ jobStarted: false, waitingForLock: true });
  });

  test("a run that got no global lock failed as a whole, though no TASK line says so; one that waited and got it did not", () => {
    const waited = [VZDUMP_LOCK_WAITING];
    expect(readVzdumpLog([...waited, "ERROR: can't acquire lock '/var/run/vzdump.lock' - got timeout"]).jobError).toBe(
      "can't acquire lock '/var/run/vzdump.lock' - got timeout",
    );
    expect(readVzdumpLog(["ERROR: can't acquire lock '/var/run/vzdump.lock' (wait = 0)"]).jobError).toBe(
      "can't acquire lock '/var/run/vzdump.lock' (wait = 0)",
    );
    expect(readVzdumpLog([...waited, "INFO: got global lock", "TASK OK"]).jobError).toBeUndefined();
  });
});

describe("job ids", () => {
  test("name the same job only as written: PVE looks them up as hash keys", () => {
    expect(sameJobId("backup-home-p0-daily", "backup-home-p0-daily")).toBe(true);
    expect(sameJobId("Backup-Home-P0-Daily", "backup-home-p0-daily")).toBe(false);
  });
});
