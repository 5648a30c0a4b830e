/**
 * tiers/tierJob.ts: a tier's job, written once. The inputs the program declares, what the provider
 * writes to PVE for them, and the job `/cluster/backup` then returns, checked against the home site,
 * the program under mocks and the example cluster (whose jobs are the home tiers', disabled).
 */
import * as fs from "fs";
import * as path from "path";
import { runProgramOffline } from "../../offline/preview";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { readSiteFile } from "../../tiers/stackConfig";
import { jobOfInputs, tierJob } from "../../tiers/tierJob";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const site = readSiteFile(FIXTURE_STACK_DIR, "home").site;
const exampleFile = path.join(__dirname, "../../examples/home-cluster.json");
const example = JSON.parse(fs.readFileSync(exampleFile, "utf8")) as { backup: Record<string, unknown>[] };

test("the home site's P0 job, as GET /cluster/backup returns it after pulumi up", () => {
  expect(tierJob(site.tiers[0])).toEqual({
    id: "backup-home-p0-daily",
    type: "vzdump",
    schedule: "03:00",
    storage: "synology-backups",
    vmid: "100,102",
    enabled: 1,
    mode: "snapshot",
    compress: "zstd",
    "prune-backups": { "keep-last": "3" },
    mailto: "admin@home.arpa",
    mailnotification: "always",
    "notes-template": "{{guestname}} ({{vmid}}) - tier P0: critical, daily - job backup-home-p0-daily",
  });
});

test("each home tier's job is the example cluster's job of that id but for being enabled", () => {
  for (const tier of site.tiers) {
    expect({ ...tierJob(tier), enabled: 0 }).toEqual(example.backup.find((j) => j.id === tier.job));
  }
});

test("the program declares each tier's job with the inputs that make PVE hold tierJob", async () => {
  const snapshot = parseClusterSnapshot(fs.readFileSync(exampleFile, "utf8"), exampleFile);
  const run = await runProgramOffline({ stack: "home", stackDir: FIXTURE_STACK_DIR, snapshot, config: {} });
  const jobs = run.resources.filter((r) => r.type === "proxmoxve:backup/job:Job");
  expect(jobs.map((j) => jobOfInputs(j.props))).toEqual(site.tiers.map(tierJob));
});

test("jobOfInputs: lists joined, flags 1/0, an input not set or empty absent", () => {
  expect(
    jobOfInputs({
      resourceId: "all-but",
      schedule: "sat 02:00",
      storage: "nas",
      all: true,
      excludes: ["100", "101"],
      pool: "",
      vmids: [],
      enabled: false,
      pruneBackups: {},
      mailtos: ["root", "ops@example.com"],
    }),
  ).toEqual({
    id: "all-but",
    type: "vzdump",
    schedule: "sat 02:00",
    storage: "nas",
    all: 1,
    exclude: "100,101",
    enabled: 0,
    mailto: "root,ops@example.com",
  });
});
