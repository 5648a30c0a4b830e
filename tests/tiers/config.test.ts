import { ConfigError, parseSite } from "../../tiers/siteRules";
import { SITE_KEY, graceSeconds, parseDuration } from "../../tiers/config";
import { jobNotesTemplate, jobOfNotes } from "../../tiers/tierJob";
import { parsePruneBackups } from "../../pve/retention";
import { fixtureSite } from "../support/stacks";

/** The home site as the stack file holds it: each case changes one thing. */
const homeSite = () => fixtureSite("home");

function problemsOf(site: unknown): string[] {
  try {
    parseSite(site, "Pulumi.test.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected the site to be rejected");
}

describe("parseSite", () => {
  test("accepts the home site and resolves each tier's retention", () => {
    const site = parseSite(homeSite(), "Pulumi.home.yaml");
    expect(site.tiers.map((t) => [t.id, t.job, t.schedule, t.retention])).toEqual([
      ["P0", "backup-home-p0-daily", "03:00", { "keep-last": 3 }],
      ["P1", "backup-home-p1-daily", "03:15", { "keep-last": 3 }],
      ["P2", "backup-home-p2-weekly", "sun 04:00", { "keep-last": 2 }],
    ]);
    expect(site.tiers[0]).toMatchObject({ mode: "snapshot", compress: "zstd", critical: true });
  });

  test("a tier without retention takes its managed storage's", () => {
    const raw = homeSite();
    delete raw.tiers[2].retention;
    expect(parseSite(raw, "x").tiers[2].retention).toEqual({ "keep-last": 3 });
  });

  const cases: [string, (s: Record<string, any>) => void, string][] = [
    ["unknown key", (s) => (s.tiers[0].scheduel = "03:00"), `${SITE_KEY}.tiers[0].scheduel: unknown key`],
    ["vmid below 100", (s) => (s.tiers[1].guests[0].vmid = 99), `${SITE_KEY}.tiers[1].guests[0].vmid:`],
    ["vmid above 999999999", (s) => (s.tiers[1].guests[0].vmid = 1_000_000_000), "(got 1000000000)"],
    [
      "vmid in two tiers",
      (s) => s.tiers[1].guests.push({ vmid: 100, kind: "qemu", name: "x" }),
      "vmid 100 is already in tier P0",
    ],
    ["duplicate tier id", (s) => (s.tiers[1].id = "P0"), `${SITE_KEY}.tiers[1].id: duplicate tier id`],
    [
      "duplicate job id",
      (s) => (s.tiers[1].job = "backup-home-p0-daily"),
      `${SITE_KEY}.tiers[1].job: duplicate job id`,
    ],
    ["job id not matching PVE", (s) => (s.tiers[0].job = "1-backup"), `${SITE_KEY}.tiers[0].job: must match PVE's`],
    ["job id over 50", (s) => (s.tiers[0].job = "b".repeat(51)), "must be at most 50 characters"],
    [
      "missing storage",
      (s) => (s.tiers[0].storage = "synology-nas-storage"),
      `${SITE_KEY}.tiers[0].storage: is neither declared`,
    ],
    [
      "schedule PVE rejects",
      (s) => (s.tiers[0].schedule = "daily 03:00"),
      `${SITE_KEY}.tiers[0].schedule: PVE rejects this schedule`,
    ],
    [
      "keep-all",
      (s) => (s.tiers[0].retention = { "keep-all": 1 }),
      `${SITE_KEY}.tiers[0].retention.keep-all: keep-all keeps every backup forever`,
    ],
    [
      "retention keeping nothing",
      (s) => (s.tiers[0].retention = { "keep-last": 0 }),
      `${SITE_KEY}.tiers[0].retention: keeps nothing`,
    ],
    [
      "storage retention keeping nothing",
      (s) => (s.storages[0].retention = {}),
      `${SITE_KEY}.storages[0].retention: keeps nothing`,
    ],
    [
      "mail without recipients",
      (s) => (s.tiers[0].notification.mailto = []),
      `${SITE_KEY}.tiers[0].notification.mailto: mail notification needs`,
    ],
    ["unknown time zone", (s) => (s.timezone = "Mars/Olympus"), `${SITE_KEY}.timezone: is not an IANA time zone`],
    [
      "retention unknown on an existing storage",
      (s) => {
        s.tiers[0].storage = "local";
        delete s.tiers[0].retention;
      },
      `${SITE_KEY}.tiers[0].retention: is required`,
    ],
    ["bad guest kind", (s) => (s.tiers[0].guests[0].kind = "vm"), `${SITE_KEY}.tiers[0].guests[0].kind:`],
  ];

  test.each(cases)("rejects %s, naming the key path", (_name, change, expected) => {
    const raw = homeSite();
    change(raw);
    expect(problemsOf(raw).join("\n")).toContain(expected);
  });

  test("reports every problem at once, each with its value", () => {
    const raw = homeSite();
    raw.tiers[0].schedule = "daily 03:00";
    raw.tiers[1].storage = "synology-nas-storage";
    raw.tiers[2].guests[0].vmid = 100;
    const problems = problemsOf(raw);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('(got "daily 03:00")');
    expect(problems[1]).toContain('(got "synology-nas-storage")');
    expect(problems[2]).toContain("(got 100)");
  });
});

describe("parseSite: what PVE or the engine would reject, and frequent tiers", () => {
  const TOKEN = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";
  // "03:" and 62 × "0," and "0": PVE's longest schedule, valid (minute 0, 63 times over).
  const schedule128 = `03:${"0,".repeat(62)}0`;

  test("frequent: false unless a tier says so; a 128-character schedule is PVE's limit, accepted", () => {
    const raw = homeSite();
    raw.tiers[1].frequent = true;
    raw.tiers[1].schedule = "*:0/15";
    raw.tiers[2].schedule = schedule128;
    expect(schedule128).toHaveLength(128);
    const site = parseSite(raw, "x");
    expect(site.tiers.map((t) => [t.id, t.frequent])).toEqual([
      ["P0", false],
      ["P1", true],
      ["P2", false],
    ]);
  });

  const cases: [string, (s: Record<string, any>) => void, string][] = [
    [
      "a schedule over PVE's 128 characters",
      (s) => (s.tiers[2].schedule = `${schedule128}0`),
      `${SITE_KEY}.tiers[2].schedule: is longer than PVE's 128 characters for a schedule (got "03:0,0,`,
    ],
    ["frequent not a boolean", (s) => (s.tiers[0].frequent = "yes"), `${SITE_KEY}.tiers[0].frequent:`],
    [
      "tier ids that differ only in case",
      (s) => (s.tiers[1].id = "p0"),
      `${SITE_KEY}.tiers[1].id: differs from tiers[0].id "P0" only in case: ` +
        `both tiers' resources would be named tier-p0 (got "p0")`,
    ],
    [
      "job ids that differ only in case",
      (s) => (s.tiers[2].job = "Backup-Home-P1-Daily"),
      `${SITE_KEY}.tiers[2].job: differs from tiers[1].job "backup-home-p1-daily" only in case`,
    ],
    [
      "a description over two lines",
      (s) => (s.tiers[0].description = "critical,\ndaily"),
      `${SITE_KEY}.tiers[0].description: PVE would reject the job's notes-template, which holds it: ` +
        `it would contain a line break; PVE takes one line (got "critical,\\ndaily")`,
    ],
    [
      "a description with a backslash escape PVE does not know",
      (s) => (s.tiers[0].description = "C:\\backups"),
      `${SITE_KEY}.tiers[0].description: PVE would reject the job's notes-template, which holds it: backslash escape '\\b'`,
    ],
    [
      "a description with a variable PVE does not have",
      (s) => (s.tiers[1].description = "{{hostname}} daily"),
      `${SITE_KEY}.tiers[1].description: PVE would reject the job's notes-template, which holds it: '{{' that opens none of PVE's variables`,
    ],
    [
      "a description that makes the template longer than 1024 characters",
      (s) => (s.tiers[2].description = "w".repeat(1000)),
      `${SITE_KEY}.tiers[2].description: PVE would reject the job's notes-template, which holds it: it would be 1064 characters long; PVE allows at most 1024`,
    ],
    [
      "a mail recipient that is not an address",
      (s) => (s.tiers[0].notification.mailto = ["admin@home.arpa", "Admin <admin@home.arpa>"]),
      `${SITE_KEY}.tiers[0].notification.mailto[1]: is not an email address or user name as PVE takes them (one an entry, e.g. admin@example.com or root) (got "Admin <admin@home.arpa>")`,
    ],
    [
      "two recipients in one entry",
      (s) => (s.tiers[0].notification.mailto = ["admin@home.arpa,ops@home.arpa"]),
      `${SITE_KEY}.tiers[0].notification.mailto[0]: is not an email address`,
    ],
  ];

  test.each(cases)("rejects %s, naming the key path and the value", (_name, change, expected) => {
    const raw = homeSite();
    change(raw);
    expect(problemsOf(raw).join("\n")).toContain(expected);
  });

  test("accepts PVE's own variables and escapes in a description, and user names as recipients", () => {
    const raw = homeSite();
    raw.tiers[0].description = "critical on {{node}} of {{cluster}}\\nsee C:\\\\backups";
    raw.tiers[0].notification.mailto = ["admin@home.arpa", "root@pam", "root"];
    expect(parseSite(raw, "x").tiers[0].notification?.mailto).toEqual(["admin@home.arpa", "root@pam", "root"]);
  });

  test("never shows a secret: values under secret keys and token-shaped values are [secret]", () => {
    const raw = homeSite();
    raw.apiToken = TOKEN; // a token indented under site: by mistake
    raw.password = "hunter2";
    raw.ssh = {
      username: "root",
      privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
    };
    raw.timezone = TOKEN;
    // The token straddles the 80-character cut of a long value: redacted before the cut.
    raw.tiers[0].storage = `${"s".repeat(60)} ${TOKEN}`;
    let error: ConfigError | undefined;
    try {
      parseSite(raw, "Pulumi.home.yaml");
    } catch (err) {
      error = err as ConfigError;
    }
    const text = `${error?.message}\n${error?.oneLine()}`;
    expect(error?.problems).toEqual(
      expect.arrayContaining([
        `${SITE_KEY}.apiToken: unknown key (got "[secret]")`,
        `${SITE_KEY}.password: unknown key (got "[secret]")`,
        `${SITE_KEY}.ssh: unknown key (got {"username":"root","privateKey":"[secret]"})`,
      ]),
    );
    for (const secret of ["hunter2", "0b6c3a8e", "backup-tiers=", "AAAA", "PRIVATE KEY"]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe("a tier's grace: how long its run may take (npm run status)", () => {
  test("2h unless the tier says; days, hours and minutes", () => {
    const raw = homeSite();
    raw.tiers[2].grace = "1d6h";
    raw.tiers[1].grace = "45m";
    const site = parseSite(raw, "x");
    expect(site.tiers.map((t) => graceSeconds(t))).toEqual([2 * 3600, 45 * 60, 30 * 3600]);
    expect(parseDuration("1h30m")).toBe(5400);
  });

  test.each([
    ["2 hours", 'is not a duration such as 2h, 90m, 1h30m or 1d (days d, hours h, minutes m) (got "2 hours")'],
    ["30m2h", "is not a duration"],
    ["90", "is not a duration"],
    ["0m", 'must be longer than 0 minutes (got "0m")'],
  ])("refuses %j, naming the key path", (grace, message) => {
    const raw = homeSite();
    raw.tiers[0].grace = grace;
    expect(problemsOf(raw)).toEqual([expect.stringContaining(`${SITE_KEY}.tiers[0].grace: ${message}`)]);
  });
});

test("jobOfNotes: the job a backup's notes name, as the tiers' notes-template writes them", () => {
  const tier = parseSite(homeSite(), "x").tiers[0];
  const notes = jobNotesTemplate(tier).replace("{{guestname}}", "home-assistant").replace("{{vmid}}", "100");
  expect(notes).toBe("home-assistant (100) - tier P0: critical, daily - job backup-home-p0-daily");
  expect(jobOfNotes(notes)).toBe("backup-home-p0-daily");
  expect(jobOfNotes("vaultwarden (102) - tier P0 - job backup-home-p0-daily")).toBe("backup-home-p0-daily");
  expect(jobOfNotes("made by hand before the tiers")).toBeUndefined();
  expect(jobOfNotes(undefined)).toBeUndefined();
});

describe("hostile input: bounds and formats as PVE has them, secrets in plain text", () => {
  const TOKEN_IN_TEXT = "pulumi@pve!backup-tiers=0b6c3a8e-4f1d-4c55-9d7e-2a1b3c4d5e6f";

  test("a token-shaped description is refused as a secret in plain text, never printed", () => {
    const raw = homeSite();
    raw.tiers[0].description = `critical, token ${TOKEN_IN_TEXT}`;
    const problems = problemsOf(raw);
    expect(problems).toEqual([
      `${SITE_KEY}.tiers[0].description: holds a secret in plain text (an API token): no secret belongs in the site config (got "critical, token [secret]")`,
    ]);
    expect(problems.join("\n")).not.toContain("0b6c3a8e");
  });

  test("a private key or a URL with a password anywhere in the site is refused too", () => {
    const raw = homeSite();
    raw.tiers[1].guests[0].name = "https://root:hunter22@pve.home.arpa:8006/";
    raw.tiers[2].description = "-----BEGIN OPENSSH PRIVATE KEY----- AAAA -----END OPENSSH PRIVATE KEY-----";
    const problems = problemsOf(raw).join("\n");
    expect(problems).toContain(
      `${SITE_KEY}.tiers[1].guests[0].name: holds a secret in plain text (a URL with a password)`,
    );
    expect(problems).toContain(`${SITE_KEY}.tiers[2].description: holds a secret in plain text (a private key)`);
    expect(problems).not.toContain("hunter22");
    expect(problems).not.toContain("AAAA");
  });

  test.each([
    ["999999999999d", "must be at most 366d (a year)"],
    ["367d", "must be at most 366d (a year)"],
  ])("grace %j is bounded (it passed check, then threw a RangeError in status)", (grace, message) => {
    const raw = homeSite();
    raw.tiers[0].grace = grace;
    expect(problemsOf(raw)).toEqual([`${SITE_KEY}.tiers[0].grace: ${message} (got ${JSON.stringify(grace)})`]);
  });

  test("a year of grace is accepted", () => {
    const raw = homeSite();
    raw.tiers[0].grace = "366d";
    expect(graceSeconds(parseSite(raw, "x").tiers[0])).toBe(366 * 86400);
  });

  test("keep-last has PVE's bound: a count PVE reads as digits, up to 2^53 - 1 (a cluster's prune-backups too)", () => {
    const raw = homeSite();
    raw.tiers[0].retention = { "keep-last": 1e21 };
    expect(problemsOf(raw)).toEqual([expect.stringContaining(`${SITE_KEY}.tiers[0].retention.keep-last: Too big`)]);
    for (const value of ["keep-last=1e21", "keep-last=0x10", "keep-last=9007199254740992", "keep-last=1.5"]) {
      expect(() => parsePruneBackups(value)).toThrow(
        `prune-backups keep-last must be a whole number from 0 to 9007199254740991, as PVE reads one, not "${value.slice(10)}"`,
      );
    }
    expect(parsePruneBackups("keep-last=3,keep-weekly=+2")).toEqual({ "keep-last": 3, "keep-weekly": 2 });
  });

  test.each([
    ["server", "nas.home.arpa; rm -rf /", "is not an IP address or DNS name, as PVE takes a server"],
    ["server", "-nas", "is not an IP address or DNS name, as PVE takes a server"],
    ["options", "vers=4.2 soft", "must be mount options without spaces, e.g. vers=4.2,soft"],
    ["nodes", ["pve", "pve 2"], "is not a PVE node name (letters, digits and -)"],
    ["export", "/", "must be an absolute export path"],
  ])("NFS %s %j is refused as PVE refuses it", (key, value, message) => {
    const raw = homeSite();
    raw.storages[0][key] = value;
    const at = key === "nodes" ? `${key}[1]` : key;
    expect(problemsOf(raw)).toEqual([expect.stringContaining(`${SITE_KEY}.storages[0].${at}: ${message}`)]);
  });

  test("NFS servers PVE takes: IPv4, IPv6, DNS names; options as one word", () => {
    for (const server of ["10.0.0.150", "fd00::150", "nas.home.arpa", "NAS"]) {
      const raw = homeSite();
      raw.storages[0].server = server;
      raw.storages[0].options = "vers=4.2,soft";
      expect(parseSite(raw, "x").storages[0].server).toBe(server);
    }
  });

  test("two storage ids on one NFS export are refused (each job's pruning would delete the other's backups)", () => {
    const raw = homeSite();
    raw.storages.push({ ...raw.storages[0], id: "nas-copy", export: "/volume1/proxmox-backups/" });
    expect(problemsOf(raw)).toEqual([
      `${SITE_KEY}.storages[1].export: storage synology-backups mounts the same NFS export 10.0.0.150:/volume1/proxmox-backups/: both would hold one dump folder, and each job's pruning would delete the other's backups (got "/volume1/proxmox-backups/")`,
    ]);
  });

  test("otherStacks: guests another stack backs up; a tier cannot claim one", () => {
    const raw = homeSite();
    raw.otherStacks = [{ stack: "shop", vmids: [200, 201] }];
    expect(parseSite(raw, "x").otherStacks).toEqual([{ stack: "shop", vmids: [200, 201] }]);
    raw.otherStacks = [{ stack: "shop", vmids: [101] }];
    expect(problemsOf(raw)).toEqual([
      `${SITE_KEY}.tiers[2].guests[0].vmid: vmid 101 is listed under otherStacks as stack shop's (got 101)`,
    ]);
    raw.otherStacks = [{ stack: "shop", vmids: [] }];
    expect(problemsOf(raw)).toEqual([expect.stringContaining(`${SITE_KEY}.otherStacks[0].vmids:`)]);
  });
});
