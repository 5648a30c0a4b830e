import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { ConfigError, SITE_KEY, parseSite } from "../../tiers/config";

/** The home site as the stack file holds it: each case changes one thing. */
function homeSite(): Record<string, any> {
  const doc = parseYaml(fs.readFileSync(path.join(__dirname, "../../Pulumi.home.yaml"), "utf8"));
  return structuredClone(doc.config[SITE_KEY]);
}

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
