/**
 * The report: the model (the week's runs per storage from the schedule engine, run lengths from the
 * status, overlaps, states, capacity) and the page rendered from it. The command is
 * tests/cli/report.test.ts; the page in a real browser tests/cli/report.e2e.test.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CheckReport, runCheck } from "../../offline/check";
import { parseClusterSnapshot } from "../../pve/snapshot";
import { buildReportModel } from "../../report/model";
import { ReportModel, StorageTimeline, renderReportPage } from "../../report/page";
import { PROJECT_DIR } from "../../start/sources";
import { StatusDocument, formatAge, statusDocumentSchema } from "../../status/document";
import { FIXTURE_STACK_DIR } from "../support/stacks";

const STATUS_FILE = path.join(PROJECT_DIR, "tests/fixtures/status-home-2026-02-12.json");
const NOW = new Date("2026-02-12T09:30:00Z");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "report-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let home: CheckReport;
let statusDoc: StatusDocument;
beforeAll(async () => {
  const file = path.join(PROJECT_DIR, "examples/home-cluster.json");
  const snapshot = parseClusterSnapshot(fs.readFileSync(file, "utf8"), file);
  home = await runCheck({ stack: "home", stackDir: FIXTURE_STACK_DIR, cluster: { file, snapshot }, from: NOW });
  statusDoc = statusDocumentSchema.parse(JSON.parse(fs.readFileSync(STATUS_FILE, "utf8")));
});

/** The status fixture with a change, as a document (the model) or a file (the command). */
function statusWith(change: (doc: any) => void): StatusDocument {
  const doc = JSON.parse(fs.readFileSync(STATUS_FILE, "utf8"));
  change(doc);
  return doc;
}
/** The home check report with its tiers changed (the model is a pure function of it). */
function homeWith(change: (tiers: CheckReport["run"]["outputs"]["tiers"]) => void): CheckReport {
  const copy: CheckReport = JSON.parse(JSON.stringify(home));
  change(copy.run.outputs.tiers);
  return copy;
}
const modelOf = (status: StatusDocument | undefined, report = home): ReportModel =>
  buildReportModel({ check: report, status: status && { file: "status.json", doc: status }, now: NOW });
const storage = (model: ReportModel, id = "synology-backups"): StorageTimeline =>
  model.timeline.storages.find((s) => s.storage === id)!;
const runsOf = (s: StorageTimeline, tier: string) =>
  s.runs.filter((r) => s.lanes[r.lane].tier === tier).map((r) => r.start.iso);

describe("the home site on its own day (status at 2026-02-12T09:00Z)", () => {
  let model: ReportModel;
  beforeAll(() => {
    model = modelOf(statusDoc);
  });

  test("the week starts at the status's local midnight and lists each job's runs from the engine", () => {
    expect(model.timeline.from.iso).toBe("2026-02-12T00:00:00-05:00");
    expect(model.timeline.until.iso).toBe("2026-02-19T00:00:00-05:00");
    expect(model.timeline.days.map((d) => `${d.weekday} ${d.date}`)).toEqual([
      "Thu 12 Feb",
      "Fri 13 Feb",
      "Sat 14 Feb",
      "Sun 15 Feb",
      "Mon 16 Feb",
      "Tue 17 Feb",
      "Wed 18 Feb",
    ]);
    const s = storage(model);
    expect(s.lanes.map((l) => l.job)).toEqual([
      "backup-home-p0-daily",
      "backup-home-p1-daily",
      "backup-home-p2-weekly",
    ]);
    expect(runsOf(s, "P0")).toEqual([12, 13, 14, 15, 16, 17, 18].map((d) => `2026-02-${d}T03:00:00-05:00`));
    expect(runsOf(s, "P1")).toEqual([12, 13, 14, 15, 16, 17, 18].map((d) => `2026-02-${d}T03:15:00-05:00`));
    expect(runsOf(s, "P2")).toEqual(["2026-02-15T04:00:00-05:00"]);
    const sunday = s.runs.find((r) => s.lanes[r.lane].tier === "P2")!;
    expect(sunday.segments).toEqual([{ day: 3, startMinute: 240, endMinute: 250 }]);
  });

  test("run lengths: measured where every guest's last run made its backup, else nominal (not P1's failed 12 s)", () => {
    const s = storage(model);
    expect(s.lanes.map((l) => [l.tier, l.length.source, Math.round(l.length.minutes * 60)])).toEqual([
      ["P0", "measured", 151 + 140],
      ["P1", "nominal", 600],
      ["P2", "nominal", 600],
    ]);
    expect(s.runs[0].end.iso).toBe("2026-02-12T03:04:51-05:00");
  });

  test("the failed run, P1 on Thursday at 03:15, is marked in the week's grid and listed; no other run is", () => {
    const s = storage(model);
    expect(s.runs.filter((r) => r.failed).map((r) => `${s.lanes[r.lane].tier} ${r.start.iso}`)).toEqual([
      "P1 2026-02-12T03:15:00-05:00",
    ]);
    const page = renderReportPage(model);
    expect(page).toMatch(
      /<span class="bar nominal failed" [^>]*title="P1 backup-home-p1-daily: Thu 12 Feb 03:15–03:25 \(nominal length\), FAILED"><span aria-hidden="true">✗<\/span><\/span>/,
    );
    expect(page.match(/class="bar[^"]* failed"/g)).toHaveLength(1);
    expect(page).toContain(
      `failed</span> <time datetime="2026-02-12T03:15:00-05:00">Thu 12 Feb 03:15</time>: the run of P1 (<code>backup-home-p1-daily</code>) failed`,
    );
  });

  test("no overlap; the tightest gap is P0's end to P1's start, 10 min 9 s", () => {
    const s = storage(model);
    expect(s.overlaps).toEqual([]);
    expect(s.runs.every((r) => !r.overlaps)).toBe(true);
    expect(s.tightestGap).toMatchObject({ seconds: 609, before: 0, after: 1 });
    expect(s.tightestGap!.at.iso).toBe("2026-02-12T03:15:00-05:00");
  });

  test("the drawn part of the day: 02:00 to 06:00, with the status's time on Thursday at 04:00", () => {
    expect(model.timeline.range).toEqual({ startMinute: 120, endMinute: 360 });
    expect(model.timeline.now).toMatchObject({ day: 0, minute: 240, source: "status" });
  });

  test("guests: state, age of the newest backup, reason", () => {
    const rows = model.status!.guests.map((g) => [g.vmid, g.state, g.newest?.age ?? null]);
    expect(rows).toEqual([
      [100, "OK", "59 min"],
      [102, "OK", "57 min"],
      [103, "FAILED", null],
      [101, "PENDING", null],
      [105, "PENDING", null],
    ]);
    expect(model.status!.guests[2].reason).toContain("unable to create temporary directory");
    expect(model.tiers.find((t) => t.id === "P1")!.guests).toEqual([
      { vmid: 103, kind: "lxc", name: "download", state: "FAILED" },
    ]);
  });

  test("tiers: schedule, zone, retention, mail, next run after the status's time", () => {
    expect(model.tiers.map((t) => [t.id, t.schedule, t.scheduleZone, t.retention, t.mail, t.nextRun?.text])).toEqual([
      ["P0", "03:00", "America/New_York", "keep-last=3", "always to admin@home.arpa", "Fri 13 Feb 03:00"],
      ["P1", "03:15", "America/New_York", "keep-last=3", undefined, "Fri 13 Feb 03:15"],
      ["P2", "sun 04:00", "America/New_York", "keep-last=2", undefined, "Sun 15 Feb 04:00"],
    ]);
  });

  test("capacity: needed against the total, judged like the status (80% warning, 100% over)", () => {
    expect(model.status!.storages).toEqual([
      expect.objectContaining({ id: "synology-backups", needed: 24481313584, level: "ok" }),
    ]);
    const levels = (needed: number) =>
      modelOf(statusWith((d) => (d.storages[0].needed = needed))).status!.storages[0].level;
    const total = statusDoc.storages[0].total;
    expect([levels(total * 0.8), levels(total * 0.81), levels(total), levels(total * 1.01)]).toEqual([
      "ok",
      "warning",
      "warning",
      "over",
    ]);
  });

  test("the plan section: the check's plan, each job going from disabled to enabled on the home snapshot", () => {
    expect(model.plan.steps.map((step) => [step.id, step.action, step.changes])).toEqual([
      ["synology-backups", "same", []],
      ["backup-home-p0-daily", "update", [{ property: "enabled", from: false, to: true }]],
      ["backup-home-p1-daily", "update", [{ property: "enabled", from: false, to: true }]],
      ["backup-home-p2-weekly", "update", [{ property: "enabled", from: false, to: true }]],
    ]);
    expect(model.passed).toBe(true);
  });
});

describe("overlaps and odd windows", () => {
  test("P0 running longer than 15 minutes overlaps P1 every day; both runs and the span are marked", () => {
    const model = modelOf(
      statusWith((d) => {
        d.guests[1].duration = 1000; // P0: 151 + 1000 s
        d.guests[2].state = "OK"; // P1's run of 12 s made its backup
      }),
    );
    const s = storage(model);
    expect(s.overlaps).toHaveLength(7);
    expect(s.overlaps[0]).toMatchObject({ lanes: [0, 1] });
    expect([s.overlaps[0].start.iso, s.overlaps[0].end.iso]).toEqual([
      "2026-02-12T03:15:00-05:00",
      "2026-02-12T03:15:12-05:00", // P1 (12 s) ends before P0 does
    ]);
    expect(s.runs.filter((r) => r.overlaps).map((r) => s.lanes[r.lane].tier)).toEqual(
      Array.from({ length: 7 }, () => ["P0", "P1"]).flat(),
    );
    expect(s.tightestGap).toBeUndefined();
    const page = renderReportPage(model);
    expect(page).toContain("7 overlap(s) this week");
    expect(page).toMatch(
      /overlap<\/span> <time datetime="2026-02-12T03:15:00-05:00">Thu 12 Feb 03:15<\/time>–03:15: P0/,
    );
    expect(page).toContain("is still running when P1 (<code>backup-home-p1-daily</code>) starts");
  });

  test("without a status, runs have the nominal length: two starts 15 minutes apart do not overlap", () => {
    const model = modelOf(undefined);
    const s = storage(model);
    expect(s.lanes.every((l) => l.length.source === "nominal" && l.length.minutes === 10)).toBe(true);
    expect(s.overlaps).toEqual([]);
    expect(model.timeline.from.iso).toBe("2026-02-12T00:00:00-05:00"); // the week of `now`
    expect(model.timeline.now).toMatchObject({ source: "clock" });
    expect(model.status).toBeUndefined();
  });

  test("a run past midnight continues on the next day's row, and the whole day is drawn", () => {
    const report = homeWith((tiers) => (tiers[2].schedule = "sun 23:55"));
    const s = storage(modelOf(undefined, report));
    const p2 = s.runs.find((r) => s.lanes[r.lane].tier === "P2")!;
    expect(p2.segments).toEqual([
      { day: 3, startMinute: 1435, endMinute: 1440 },
      { day: 4, startMinute: 0, endMinute: 5 },
    ]);
    expect(modelOf(undefined, report).timeline.range).toEqual({ startMinute: 0, endMinute: 1440 });
  });

  test("across the DST change: P2 still at 04:00 on the wall clock, one day 23 hours long", () => {
    const status = statusWith((d) => (d.at = "2026-03-05T12:00:00Z"));
    const s = storage(modelOf(status));
    const p2 = s.runs.find((r) => s.lanes[r.lane].tier === "P2")!;
    expect(p2.start.iso).toBe("2026-03-08T04:00:00-04:00");
    expect(p2.segments).toEqual([{ day: 3, startMinute: 240, endMinute: 250 }]);
    expect(runsOf(s, "P0").slice(2, 4)).toEqual(["2026-03-07T03:00:00-05:00", "2026-03-08T03:00:00-04:00"]);
  });

  test("jobs on different storages get a timeline each; one job alone cannot overlap", () => {
    const report = homeWith((tiers) => (tiers[2].storage = "local"));
    const model = modelOf(statusDoc, report);
    expect(model.timeline.storages.map((s) => [s.storage, s.lanes.map((l) => l.tier)])).toEqual([
      ["synology-backups", ["P0", "P1"]],
      ["local", ["P2"]],
    ]);
    expect(renderReportPage(model)).toContain("One job writes to local: nothing can overlap.");
  });
});

describe("notices: the page's parts not of one cluster, or not of its own time", () => {
  test("the home snapshot (jobs disabled) with the status of the home day: named, both sources, each job", () => {
    const model = modelOf(statusDoc);
    expect(model.notices).toEqual([
      {
        kind: "sources",
        cluster: home.cluster,
        status: "status.json",
        findings: [
          "the status saw job backup-home-p0-daily run at 2026-02-12T08:00:00Z, the snapshot has it disabled",
          "the status saw job backup-home-p1-daily run at 2026-02-12T08:15:00Z, the snapshot has it disabled",
        ],
      },
    ]);
    const gone = modelOf(statusWith((d) => (d.guests[0].vmid = 999)));
    expect(gone.notices[0]).toMatchObject({
      findings: expect.arrayContaining(["the status has qemu 999 home-assistant, the snapshot does not"]),
    });
  });

  test("a status judged days before the page was made: a banner saying how far apart", () => {
    const model = buildReportModel({
      check: home,
      status: { file: "status.json", doc: statusDoc },
      now: new Date("2026-02-15T12:00:00Z"),
    });
    expect(model.notices).toContainEqual({ kind: "time", apart: "3 d 3 h", direction: "before" });
    expect(renderReportPage(model)).toContain(
      `another day</span> The status is judged 3 d 3 h before this page was made (<time datetime="2026-02-15T07:00:00-05:00">Sun 15 Feb 07:00</time>): the states and the week are of <time datetime="2026-02-12T04:00:00-05:00">Thu 12 Feb 04:00</time>.`,
    );
    expect(modelOf(statusDoc).notices.map((n) => n.kind)).toEqual(["sources"]); // 30 min apart: no banner
  });
});

test("a status made with --drill: each guest's last verified restore beside its newest backup", () => {
  const doc = statusWith((d) => {
    d.guests.find((g: { vmid: number }) => g.vmid === 100).lastRestore = {
      at: "2026-02-11T15:00:00Z",
      outcome: "OK",
      volid: "synology-backups:backup/vzdump-qemu-100-2026_02_11-03_00_04.vma.zst",
      restoreSeconds: 312,
      bootSeconds: 41,
    };
    d.guests.find((g: { vmid: number }) => g.vmid === 102).lastRestore = {
      at: "2026-02-11T15:10:00Z",
      outcome: "FAILED",
      volid: null,
      restoreSeconds: null,
      bootSeconds: null,
      reason: "the archive is truncated",
    };
  });
  const model = modelOf(doc);
  const of = (vmid: number) => model.status!.guests.find((g) => g.vmid === vmid)!;
  expect(of(100).restore).toMatchObject({ ok: true, text: "restore verified (312 s, boot 41 s)" });
  expect(of(100).restore!.at.iso).toBe("2026-02-11T10:00:00-05:00");
  expect(of(102).restore).toMatchObject({ ok: false, text: "last drill FAILED" });
  expect(of(103).restore).toBeUndefined();
  const page = renderReportPage(model);
  expect(page).toMatch(
    /<span class="muted">restore verified \(312 s, boot 41 s\) <time datetime="2026-02-11T10:00:00-05:00"/,
  );
  expect(page).toMatch(/<span class="reason">last drill FAILED <time datetime="2026-02-11T10:10:00-05:00"/);
});

describe("the page", () => {
  let page: string;
  beforeAll(() => {
    page = renderReportPage(modelOf(statusDoc));
  });

  test("is one self-contained document: nothing is fetched, a CSP forbids it", () => {
    expect(page.startsWith("<!doctype html>")).toBe(true);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    expect(page).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(page).not.toMatch(/(src|href)="(?!#)/);
  });

  test("its styles and its document are report/page.css and report/page.html, every slot filled", () => {
    const css = fs.readFileSync(path.join(PROJECT_DIR, "report/page.css"), "utf8");
    expect(css).toContain(".bar.overlap {");
    expect(page).toContain(css);
    expect(page).toContain("<title>Backups of home</title>");
    expect(page).not.toMatch(/\{\{\w+\}\}/);
    expect(fs.readFileSync(path.join(PROJECT_DIR, "report/page.ts"), "utf8")).not.toMatch(/<style>|:root\{/);
  });

  test("states carry their word and symbol, never colour alone", () => {
    expect(page).toContain(
      `<span class="badge bad" title="the run that should have made it failed"><span aria-hidden="true">✗</span> FAILED</span>`,
    );
    expect(page).toMatch(
      /VM 100 home-assistant<\/div><\/td><td data-label="Tier"><div>P0<\/div><\/td><td data-label="State" class="state"><div><span class="badge ok"[^>]*>.*? OK<\/span>/,
    );
    expect(page).toContain(
      `FAILED</span><span class="reason">the run of 2026-02-12T03:15:00-05:00 failed: unable to create temporary directory &#39;/mnt/pve/synology-backups/dump/vzdump-lxc-103-2026_02_12-03_15_00.tmp&#39; at /usr/share/perl5/PVE/VZDump/LXC.pm line 185.</span>`,
    );
    expect(page).toContain("<b>59 min</b> old");
  });

  test("text from the inputs is escaped", () => {
    const model = modelOf(
      statusWith((d) => {
        d.guests[0].name = `<img src=x onerror="alert(1)">`;
        d.guests[2].reason = "a & b < c";
      }),
    );
    const html = renderReportPage(model);
    expect(html).not.toContain("<img");
    expect(html).toContain("VM 100 &#60;img src=x onerror=&#34;alert(1)&#34;&#62;");
    expect(html).toContain("a &#38; b &#60; c");
  });

  test("the plan from the check is shown per resource with its changes", () => {
    const html = renderReportPage(modelOf(statusDoc));
    expect(html).toContain(`<span class="badge warn">update</span>`);
    expect(html).toContain("<b>backup-home-p0-daily</b>");
    expect(html).toContain("<code>enabled</code>: <code>false</code> → <code>true</code>");
    expect(html).toContain("Untouched on the cluster: storage <b>local</b> (dir, ");
  });

  test("a mandatory violation fails the verdict and is listed first", () => {
    const report: CheckReport = {
      ...home,
      violations: [
        { policy: "unmanaged-jobs", level: "advisory", message: "job x is not managed" },
        { policy: "every-guest-in-a-tier", level: "mandatory", message: "lxc 104 nextcloud is in no tier" },
      ],
    };
    const model = modelOf(statusDoc, report);
    expect(model.passed).toBe(false);
    expect(model.violations.map((v) => v.policy)).toEqual(["every-guest-in-a-tier", "unmanaged-jobs"]);
    const html = renderReportPage(model);
    expect(html).toContain("1 mandatory and 1 advisory violation(s)");
    expect(html.indexOf("every-guest-in-a-tier")).toBeLessThan(html.indexOf("unmanaged-jobs"));
  });
});

test("ages as a person says them", () => {
  const min = 60_000;
  expect([0, 59 * min, 60 * min, 61 * min, 47 * 60 * min, 48 * 60 * min, 75 * 60 * min].map(formatAge)).toEqual([
    "0 min",
    "59 min",
    "1 h",
    "1 h 1 min",
    "47 h",
    "2 d",
    "3 d 3 h",
  ]);
});
