/**
 * The report page of `npm run report`: a typed model of what the page shows, and one pure function
 * that renders it to a self-contained HTML document (inline CSS, no script, no font or image from
 * anywhere; a Content-Security-Policy forbids any fetch). The model is built in report/model.ts;
 * everything here only lays it out, so the page can be tested without a cluster or a browser.
 *
 * Its length (about 600 lines): the model's types and one renderer per section, each a template of
 * the section's HTML read top to bottom; the styles and the document around them are report/page.css
 * and report/page.html.
 *
 * Made to be read on a phone (tables become cards under 640 px, the timeline scales with the
 * width) and on paper (print styles keep the colours and avoid breaking a figure). A state is never
 * shown by colour alone: every badge carries its word, every bar sits in a lane named by its tier.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_DIR } from "../start/sources";
import type { TierSummary } from "../tiers/inventory";
import type { GuestKind } from "../pve/ids";
import type { Plan } from "../offline/plan";
import type { PageNotice } from "./notices";
import { CapacityLevel, GuestState, formatBytes } from "../status/document";

/** A time as the page shows it: the instant and its wall clock in the site's zone. */
export interface ShownTime {
  /** ISO-8601 with the site's offset, e.g. 2026-02-12T03:00:00-05:00. */
  iso: string;
  /** e.g. "Thu 12 Feb 03:00". */
  text: string;
}

/** One bar piece of a run inside one day row (a run past midnight continues on the next row). */
export interface RunSegment {
  /** 0-based row of the week. */
  day: number;
  /** Minutes after local midnight, fractional. */
  startMinute: number;
  endMinute: number;
}

export interface TimelineRun {
  lane: number;
  start: ShownTime;
  end: ShownTime;
  segments: RunSegment[];
  /** Another job's run on the same storage overlaps this one. */
  overlaps: boolean;
  /** The status says this run failed (for a guest of its job). */
  failed: boolean;
}

export interface TimelineLane {
  tier: string;
  job: string;
  /** Where the bar length comes from: the status's last durations, or the nominal length. */
  length: { source: "measured" | "nominal"; minutes: number };
}

export interface Overlap {
  start: ShownTime;
  end: ShownTime;
  /** The lanes (jobs) involved: the earlier run first. */
  lanes: [number, number];
  segments: RunSegment[];
}

export interface StorageTimeline {
  storage: string;
  lanes: TimelineLane[];
  runs: TimelineRun[];
  overlaps: Overlap[];
  /** Without overlaps: the shortest pause between two jobs' runs, when there are two jobs. */
  tightestGap?: { seconds: number; before: number; after: number; at: ShownTime };
}

export interface WeekTimeline {
  from: ShownTime;
  until: ShownTime;
  /** The day rows, e.g. "Thu" / "12 Feb". */
  days: { weekday: string; date: string }[];
  /** The part of the day drawn, in minutes after midnight (whole hours). */
  range: { startMinute: number; endMinute: number };
  /** Where the time the page is judged for falls, when it is inside the drawn part. */
  now?: { day: number; minute: number; time: ShownTime; source: "status" | "clock" };
  nominalMinutes: number;
  storages: StorageTimeline[];
}

/** A tier's guest (the stack's `tiers` output), with its state when a status was given. */
interface TierGuest extends Pick<TierSummary["guests"][number], "vmid" | "kind" | "name"> {
  state?: GuestState;
}

/** A tier as the page shows it: what the stack exports of it (its `tiers` output), read for people. */
export interface TierRow extends Pick<
  TierSummary,
  "id" | "description" | "priority" | "critical" | "job" | "schedule" | "storage"
> {
  /** The zone the schedule runs in (the site's, or UTC for a schedule ending in UTC). */
  scheduleZone: string;
  retention: string;
  mail?: string;
  guests: TierGuest[];
  nextRun?: ShownTime;
}

interface ViolationRow {
  policy: string;
  level: "mandatory" | "advisory";
  message: string;
  urn?: string;
}

interface GuestStatusRow {
  vmid: number;
  kind: GuestKind;
  name: string;
  tier?: string;
  job?: string;
  storage?: string;
  state: GuestState;
  newest?: { volid: string; time: ShownTime; size: number; age: string };
  lastDue?: ShownTime;
  nextRun?: ShownTime;
  reason?: string;
  /** The drill's last word on the guest (a status made with `--drill`): a verified restore, or how it ended. */
  restore?: { at: ShownTime; ok: boolean; text: string };
}

interface StorageCapacity {
  id: string;
  total: number;
  used: number;
  avail: number;
  needed: number;
  level: CapacityLevel;
}

export interface StatusSection {
  file: string;
  at: ShownTime;
  ok: boolean;
  guests: GuestStatusRow[];
  storages: StorageCapacity[];
  /** Capacity thresholds as fractions of the total: warning above, over above. */
  thresholds: { warning: number; over: number };
}

export interface ReportModel {
  stack: string;
  timeZone: string;
  generated: ShownTime;
  clusterFile: string;
  cluster: { nodes: string[]; guests: number; storages: number; jobs: number };
  timeline: WeekTimeline;
  tiers: TierRow[];
  uncovered: { vmid: number; kind: "qemu" | "lxc"; name: string }[];
  /** What `pulumi up` would do, as `npm run check` plans it. */
  plan: Plan;
  violations: ViolationRow[];
  passed: boolean;
  status?: StatusSection;
  /** What the page says first: its parts are not of one cluster, or not of the page's own time. */
  notices: PageNotice[];
}

// ---------------------------------------------------------------------------

const KIND_LABEL = { qemu: "VM", lxc: "LXC" } as const;

/** Colour-blind-safe tier colours (Okabe and Ito), each with a text colour of enough contrast. */
const TIER_COLOURS = [
  { bg: "#0072B2", fg: "#fff" },
  { bg: "#E69F00", fg: "#000" },
  { bg: "#009E73", fg: "#000" },
  { bg: "#CC79A7", fg: "#000" },
  { bg: "#56B4E9", fg: "#000" },
  { bg: "#D55E00", fg: "#000" },
  { bg: "#F0E442", fg: "#000" },
  { bg: "#555555", fg: "#fff" },
];

const STATE_LOOK: Record<GuestState, { css: string; symbol: string; meaning: string }> = {
  OK: { css: "ok", symbol: "✓", meaning: "a backup made at or after the last due run" },
  FAILED: { css: "bad", symbol: "✗", meaning: "the run that should have made it failed" },
  LATE: { css: "warn", symbol: "!", meaning: "the newest backup is older than the last due run" },
  MISSING: { css: "bad", symbol: "✗", meaning: "no backup, though the job has run" },
  PENDING: { css: "info", symbol: "…", meaning: "no backup yet: the first run is still ahead" },
  UNTIERED: { css: "muted", symbol: "?", meaning: "in no tier" },
  UNKNOWN: {
    css: "warn",
    symbol: "?",
    meaning: "not judged: the token may not see its backups or the task history, or its node is offline",
  },
};

const CAPACITY_LOOK: Record<CapacityLevel, { css: string; symbol: string; word: string }> = {
  ok: { css: "ok", symbol: "✓", word: "OK" },
  warning: { css: "warn", symbol: "!", word: "WARNING" },
  over: { css: "bad", symbol: "✗", word: "OVER" },
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const h = escapeHtml;

function percent(part: number, whole: number): number {
  return whole > 0 ? (part / whole) * 100 : 0;
}

function formatPercent(value: number): string {
  return value < 1 && value > 0 ? `${value.toFixed(2)}%` : `${value.toFixed(value < 10 ? 1 : 0)}%`;
}

function clock(minute: number): string {
  const m = Math.round(minute);
  return `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

function time(t: ShownTime): string {
  return `<time datetime="${h(t.iso)}">${h(t.text)}</time>`;
}

function guestLabel(g: { vmid: number; kind: "qemu" | "lxc"; name: string }): string {
  return `${KIND_LABEL[g.kind]} ${g.vmid} ${g.name}`;
}

function stateBadge(state: GuestState): string {
  const look = STATE_LOOK[state];
  return `<span class="badge ${look.css}" title="${h(look.meaning)}"><span aria-hidden="true">${look.symbol}</span> ${state}</span>`;
}

function levelBadge(level: "mandatory" | "advisory"): string {
  return `<span class="badge ${level === "mandatory" ? "bad" : "warn"}">${level}</span>`;
}

function tierSwatch(lane: number, label: string, nominal: boolean): string {
  const colour = TIER_COLOURS[lane % TIER_COLOURS.length];
  return `<span class="swatch${nominal ? " nominal" : ""}" style="--bg:${colour.bg};--fg:${colour.fg}">${h(label)}</span>`;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

// ---------------------------------------------------------------------------

function renderTimeline(t: WeekTimeline): string {
  const span = t.range.endMinute - t.range.startMinute;
  const x = (minute: number): number => ((minute - t.range.startMinute) / span) * 100;
  const hours = span / 60;
  const step = hours <= 8 ? 1 : hours <= 12 ? 2 : 3;
  const ticks: string[] = [];
  for (let m = t.range.startMinute; m <= t.range.endMinute; m += step * 60) {
    const edge = m === t.range.startMinute ? " first" : m === t.range.endMinute ? " last" : "";
    ticks.push(`<span class="tick${edge}" style="left:${x(m).toFixed(3)}%">${clock(m)}</span>`);
  }
  const gridStyle = `--hours:${hours}`;
  const figures = t.storages.map((s) => renderStorageTimeline(s, t, x, ticks.join(""), gridStyle));
  const intro =
    `<p>From ${time(t.from)} to ${time(t.until)} (${t.days.length} days), ${clock(t.range.startMinute)}–${clock(t.range.endMinute)} ` +
    `of each day; no run falls outside it. A bar is a run of a job on its storage. Its length is the job's last ` +
    `run from the status where every guest's last run made its backup, else a nominal ${t.nominalMinutes} minutes ` +
    `(striped): the start gap the staggered-starts policy asks for. A bar marked ✗ is a run the status says failed.` +
    (t.now
      ? ` The dashed line is ${time(t.now.time)}, ${t.now.source === "status" ? "the time the status is judged for" : "when the page was made"}.`
      : "") +
    `</p>`;
  const body = figures.length > 0 ? figures.join("\n") : `<p>No tier has a run in this week.</p>`;
  return `<section id="timeline" aria-labelledby="timeline-h"><h2 id="timeline-h">The week's backup windows</h2>${intro}${body}</section>`;
}

function renderStorageTimeline(
  s: StorageTimeline,
  t: WeekTimeline,
  x: (minute: number) => number,
  ticks: string,
  gridStyle: string,
): string {
  const id = `tl-${s.storage.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  const legend = s.lanes
    .map((lane, i) => {
      const length =
        lane.length.source === "measured"
          ? `last run ${duration(lane.length.minutes * 60)}`
          : `nominal ${lane.length.minutes} min`;
      return `<li>${tierSwatch(i, lane.tier, lane.length.source === "nominal")} <code>${h(lane.job)}</code> <span class="muted">(${length})</span></li>`;
    })
    .join("");

  const bar = (seg: RunSegment, cls: string, label: string): string => {
    const left = x(seg.startMinute);
    const width = Math.max(x(seg.endMinute) - left, 0);
    // A failed run carries its ✗ inside the bar: a 12 s run is otherwise a hairline.
    const mark = cls.includes(" failed") ? `<span aria-hidden="true">✗</span>` : "";
    return `<span class="${cls}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%" title="${h(label)}">${mark}</span>`;
  };
  const rows: string[] = [];
  rows.push(
    `<div class="tl-head" aria-hidden="true"><span></span><span></span><div class="tl-axis">${ticks}</div></div>`,
  );
  for (let day = 0; day < t.days.length; day++) {
    const laneCells = s.lanes.map((lane, laneIndex) => {
      const colour = TIER_COLOURS[laneIndex % TIER_COLOURS.length];
      const pieces: string[] = [];
      for (const o of s.overlaps) {
        if (!o.lanes.includes(laneIndex)) continue;
        for (const seg of o.segments.filter((g) => g.day === day)) {
          pieces.push(bar(seg, "band", `overlap ${o.start.text}–${o.end.text}`));
        }
      }
      for (const run of s.runs) {
        if (run.lane !== laneIndex) continue;
        const label = `${lane.tier} ${lane.job}: ${run.start.text}–${run.end.text.slice(-5)}${lane.length.source === "nominal" ? " (nominal length)" : ""}${run.overlaps ? ", overlaps another job" : ""}${run.failed ? ", FAILED" : ""}`;
        const cls = `bar${lane.length.source === "nominal" ? " nominal" : ""}${run.overlaps ? " overlap" : ""}${run.failed ? " failed" : ""}`;
        for (const seg of run.segments.filter((g) => g.day === day)) pieces.push(bar(seg, cls, label));
      }
      if (t.now && t.now.day === day) {
        pieces.push(`<span class="now" style="left:${x(t.now.minute).toFixed(3)}%"></span>`);
      }
      const first = laneIndex === 0 ? " first" : "";
      return (
        `<span class="tl-lane${first}">${h(lane.tier)}</span>` +
        `<div class="tl-track${first}" style="--bg:${colour.bg};--fg:${colour.fg};${gridStyle}">${pieces.join("")}</div>`
      );
    });
    const dayLabel = `<span class="tl-day" style="grid-row:span ${s.lanes.length}"><b>${h(t.days[day].weekday)}</b> ${h(t.days[day].date)}</span>`;
    rows.push(`<div class="tl-day-rows">${dayLabel}${laneCells.join("")}</div>`);
  }

  const runsText = s.runs
    .map((run) => `${s.lanes[run.lane].tier} ${run.start.text}–${run.end.text.slice(-5)}${run.failed ? " failed" : ""}`)
    .join("; ");
  const laneName = (lane: number) => `${h(s.lanes[lane].tier)} (<code>${h(s.lanes[lane].job)}</code>)`;
  const failed = s.runs
    .filter((run) => run.failed)
    .map(
      (run) =>
        `<li><span class="badge bad"><span aria-hidden="true">✗</span> failed</span> ${time(run.start)}: the run of ` +
        `${laneName(run.lane)} failed (see <a href="#freshness">Freshness</a>).</li>`,
    );
  let findings = failed.length > 0 ? `<ul class="findings">${failed.join("")}</ul>` : "";
  if (s.overlaps.length > 0) {
    const items = s.overlaps.map(
      (o) =>
        `<li><span class="badge bad"><span aria-hidden="true">⚠</span> overlap</span> ${time(o.start)}–${h(o.end.text.slice(-5))}: ` +
        `${laneName(o.lanes[0])} is still running when ${laneName(o.lanes[1])} starts.</li>`,
    );
    findings +=
      `<ul class="findings">${items.join("")}</ul>` +
      `<p class="note">Runs that overlap compete for the storage's disks and network. On one node the later ` +
      `run waits for vzdump's node lock and starts late; on different nodes both write at once.</p>`;
  } else if (s.lanes.length < 2) {
    findings += `<p class="findings-none">One job writes to ${h(s.storage)}: nothing can overlap.</p>`;
  } else {
    const gap = s.tightestGap;
    const gapText = gap
      ? ` The tightest gap: ${laneName(gap.before)} ends ${duration(gap.seconds)} before ${laneName(gap.after)} starts (${time(gap.at)}).`
      : "";
    findings += `<p class="findings-none"><span class="badge ok"><span aria-hidden="true">✓</span> no overlap</span> No runs overlap on ${h(s.storage)} this week.${gapText}</p>`;
  }
  return (
    `<figure class="timeline" aria-labelledby="${id}">` +
    `<figcaption><h3 id="${id}">Storage <code>${h(s.storage)}</code></h3><ul class="legend">${legend}</ul></figcaption>` +
    `<div class="tl" role="img" aria-label="${h(`Runs on ${s.storage} this week: ${runsText || "none"}`)}">${rows.join("")}</div>` +
    findings +
    `</figure>`
  );
}

function runLine(label: string, t: ShownTime | undefined): string {
  return t ? `<span class="runline"><span class="muted">${label}</span> ${time(t)}</span>` : "";
}

function renderStatus(status: StatusSection): string {
  const counts = new Map<GuestState, number>();
  for (const g of status.guests) counts.set(g.state, (counts.get(g.state) ?? 0) + 1);
  const summary = [...counts].map(([state, n]) => `${n} ${stateBadge(state)}`).join(" ");
  const rows = status.guests.map((g) => {
    const newest = g.newest
      ? `<b>${h(g.newest.age)}</b> old<br><span class="muted">${time(g.newest.time)} · ${formatBytes(g.newest.size)}</span>`
      : `<span class="muted">no backup</span>`;
    return (
      `<tr class="state-${STATE_LOOK[g.state].css}">` +
      `<td data-label="Guest" class="name"><div>${h(guestLabel(g))}</div></td>` +
      `<td data-label="Tier"><div>${h(g.tier ?? "–")}</div></td>` +
      `<td data-label="State" class="state"><div>${stateBadge(g.state)}${g.reason ? `<span class="reason">${h(g.reason)}</span>` : ""}</div></td>` +
      `<td data-label="Newest backup"><div>${newest}${g.restore ? `<br><span class="${g.restore.ok ? "muted" : "reason"}">${h(g.restore.text)} ${time(g.restore.at)}</span>` : ""}</div></td>` +
      `<td data-label="Runs"><div>${runLine("last due", g.lastDue)}${runLine("next", g.nextRun)}${g.lastDue || g.nextRun ? "" : "–"}</div></td>` +
      `</tr>`
    );
  });
  return (
    `<section id="freshness" aria-labelledby="freshness-h"><h2 id="freshness-h">Freshness per guest</h2>` +
    `<p>At ${time(status.at)}, from <code>${h(status.file)}</code>: ${summary}</p>` +
    `<table class="cards"><thead><tr><th>Guest</th><th>Tier</th><th>State</th><th>Newest backup</th><th>Runs</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>` +
    `<p class="note">${(Object.keys(STATE_LOOK) as GuestState[]).map((s) => `<b>${s}</b>: ${h(STATE_LOOK[s].meaning)}`).join(". ")}.</p>` +
    `</section>`
  );
}

function renderCapacity(status: StatusSection): string {
  const warn = Math.round(status.thresholds.warning * 100);
  const items = status.storages.map((s) => {
    const look = CAPACITY_LOOK[s.level];
    const neededPct = percent(s.needed, s.total);
    const usedPct = percent(s.used, s.total);
    const meter = (cls: string, value: number, label: string) =>
      `<div class="meter-row"><span class="meter-label">${label}</span><div class="meter"><span class="fill ${cls}" style="width:${Math.min(value, 100).toFixed(3)}%"></span><span class="mark" style="left:${warn}%" title="${warn}% of the total"></span></div></div>`;
    return (
      `<div class="capacity">` +
      `<h3><code>${h(s.id)}</code> <span class="badge ${look.css}"><span aria-hidden="true">${look.symbol}</span> ${look.word}</span></h3>` +
      meter(look.css, neededPct, "Needed") +
      meter("used", usedPct, "In use") +
      `<p>Needed at full retention: <b>${formatBytes(s.needed)}</b> (${formatPercent(neededPct)} of the total); ` +
      `available now: <b>${formatBytes(s.avail)}</b>; in use: ${formatBytes(s.used)} of ${formatBytes(s.total)}.</p>` +
      `</div>`
    );
  });
  return (
    `<section id="capacity" aria-labelledby="capacity-h"><h2 id="capacity-h">Space per storage</h2>` +
    `<p>What the tiers need at full retention (each guest's newest backup × (keep + 1): one more while a run ` +
    `writes before pruning) against the storage's size. The mark is at ${warn}%: above it is a warning, above ${Math.round(status.thresholds.over * 100)}% a failure.</p>` +
    (items.length > 0 ? items.join("") : `<p>The status lists no storage.</p>`) +
    `</section>`
  );
}

function renderTiers(model: ReportModel): string {
  const rows = model.tiers.map((tier, i) => {
    const guests = tier.guests
      .map((g) => `<li>${h(guestLabel(g))}${g.state ? ` ${stateBadge(g.state)}` : ""}</li>`)
      .join("");
    const lane = model.timeline.storages
      .find((s) => s.storage === tier.storage)
      ?.lanes.findIndex((l) => l.job === tier.job);
    const swatch = tierSwatch(lane === undefined || lane < 0 ? i : lane, tier.id, false);
    return (
      `<tr>` +
      `<td data-label="Tier, job"><div>${swatch} ${h(tier.description)}<br><code>${h(tier.job)}</code><br><span class="muted">priority ${tier.priority}${tier.critical ? ", critical" : ""}</span></div></td>` +
      `<td data-label="Schedule"><div><code>${h(tier.schedule)}</code>${tier.scheduleZone === model.timeZone ? "" : ` <span class="muted">(${h(tier.scheduleZone)})</span>`}${tier.nextRun ? `<br>next ${time(tier.nextRun)}` : ""}</div></td>` +
      `<td data-label="Storage, retention"><div><code>${h(tier.storage)}</code><br>${tier.retention.split(",").map(h).join(",<wbr>")}</div></td>` +
      `<td data-label="Mail"><div>${tier.mail ? h(tier.mail) : "–"}</div></td>` +
      `<td data-label="Guests"><div><ul class="plain">${guests}</ul></div></td>` +
      `</tr>`
    );
  });
  const uncovered =
    model.uncovered.length === 0
      ? `<p><span class="badge ok"><span aria-hidden="true">✓</span> covered</span> Every guest of the cluster is in a tier.</p>`
      : `<p><span class="badge bad"><span aria-hidden="true">✗</span> in no tier</span> ${model.uncovered.map((g) => h(guestLabel(g))).join(", ")}</p>`;
  return (
    `<section id="tiers" aria-labelledby="tiers-h"><h2 id="tiers-h">Tiers</h2>` +
    `<table class="cards"><thead><tr><th>Tier, job</th><th>Schedule</th><th>Storage, retention</th><th>Mail</th><th>Guests</th></tr></thead>` +
    `<tbody>${rows.join("")}</tbody></table>${uncovered}</section>`
  );
}

function shortType(type: string): string {
  return type.replace(/^proxmoxve:/, "");
}

function renderValue(value: unknown): string {
  return `<code>${h(value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value))}</code>`;
}

function renderPlan(plan: Plan): string {
  const actionLook = { create: "info", update: "warn", adopt: "info", same: "ok" } as const;
  const rows = plan.steps.map((e) => {
    const changes =
      e.changes.length === 0
        ? "–"
        : `<ul class="plain">${e.changes.map((c) => `<li><code>${h(c.property)}</code>: ${renderValue(c.from)} → ${renderValue(c.to)}</li>`).join("")}</ul>`;
    const problem = e.problem ? `<p class="note"><span class="badge bad">cannot</span> ${h(e.problem)}</p>` : "";
    return (
      `<tr><td data-label="Action"><div><span class="badge ${actionLook[e.action]}">${e.action}</span></div></td>` +
      `<td data-label="Resource"><div><code>${h(shortType(e.type))}</code> <b>${h(e.id)}</b><br><span class="urn">${h(e.urn)}</span></div></td>` +
      `<td data-label="Changes"><div>${changes}${problem}</div></td></tr>`
    );
  });
  const untouched =
    plan.untouched.length === 0
      ? ""
      : `<p class="note">Untouched on the cluster: ${plan.untouched.map((u) => `${u.kind} <b>${h(u.id)}</b> (${h(u.summary)})`).join(", ")}.</p>`;
  const body = `<table class="cards"><thead><tr><th>Action</th><th>Resource</th><th>Changes</th></tr></thead><tbody>${rows.join("")}</tbody></table>${untouched}`;
  return `<section id="plan" aria-labelledby="plan-h"><h2 id="plan-h">What <code>pulumi up</code> would change</h2>${body}</section>`;
}

function renderPolicy(model: ReportModel): string {
  const mandatory = model.violations.filter((v) => v.level === "mandatory").length;
  const advisory = model.violations.length - mandatory;
  const verdict = model.passed
    ? `<span class="badge ok"><span aria-hidden="true">✓</span> PASS</span> no mandatory violation (${advisory} advisory)`
    : `<span class="badge bad"><span aria-hidden="true">✗</span> FAIL</span> ${mandatory} mandatory and ${advisory} advisory violation(s): <code>pulumi preview --policy-pack policy</code> would stop this change`;
  const items = model.violations.map(
    (v) =>
      `<li>${levelBadge(v.level)} <b>${h(v.policy)}</b>: ${h(v.message)}${v.urn ? `<br><span class="urn">${h(v.urn)}</span>` : ""}</li>`,
  );
  return (
    `<section id="policy" aria-labelledby="policy-h"><h2 id="policy-h">Policy pack</h2><p>${verdict}</p>` +
    (items.length > 0 ? `<ul class="violations">${items.join("")}</ul>` : `<p>No violations and no advisories.</p>`) +
    `</section>`
  );
}

function renderHeader(model: ReportModel): string {
  const c = model.cluster;
  const facts = [
    `site time zone ${h(model.timeZone)}`,
    `plan and policy from the snapshot <code>${h(model.clusterFile)}</code>: ${c.nodes.length} node(s) ${h(c.nodes.join(", "))}, ${c.guests} guests, ${c.storages} storages, ${c.jobs} backup jobs`,
    ...(model.status
      ? [`states and space from the status <code>${h(model.status.file)}</code>, judged at ${time(model.status.at)}`]
      : []),
  ];
  const overlaps = model.timeline.storages.reduce((n, s) => n + s.overlaps.length, 0);
  const chips = [
    model.passed
      ? `<li><span class="badge ok"><span aria-hidden="true">✓</span> policy PASS</span></li>`
      : `<li><span class="badge bad"><span aria-hidden="true">✗</span> policy FAIL</span></li>`,
    overlaps === 0
      ? `<li><span class="badge ok"><span aria-hidden="true">✓</span> no overlaps this week</span></li>`
      : `<li><span class="badge bad"><span aria-hidden="true">⚠</span> ${overlaps} overlap(s) this week</span></li>`,
  ];
  if (model.status) {
    chips.push(
      model.status.ok
        ? `<li><span class="badge ok"><span aria-hidden="true">✓</span> status OK</span></li>`
        : `<li><span class="badge bad"><span aria-hidden="true">✗</span> status needs attention</span></li>`,
    );
  }
  return (
    `<header><h1>Backups of <span class="stack">${h(model.stack)}</span></h1>` +
    `<p class="muted">${facts.join(" · ")}</p><ul class="chips">${chips.join("")}</ul>` +
    `<nav aria-label="Sections"><a href="#timeline">Windows</a>${model.status ? ` <a href="#freshness">Freshness</a> <a href="#capacity">Space</a>` : ""} <a href="#tiers">Tiers</a> <a href="#plan">Plan</a> <a href="#policy">Policy</a></nav>` +
    `</header>`
  );
}

function renderNotices(model: ReportModel): string {
  const items = model.notices.map((n) => {
    if (n.kind === "sources") {
      return (
        `<p><span class="badge bad"><span aria-hidden="true">⚠</span> not one cluster</span> The plan and the policy verdict ` +
        `are of the snapshot <code>${h(n.cluster)}</code>, the states of the status <code>${h(n.status)}</code>, and they ` +
        `disagree: ${n.findings.map(h).join("; ")}. Give <code>--cluster</code> a snapshot of the cluster the status read.</p>`
      );
    }
    return (
      `<p><span class="badge warn"><span aria-hidden="true">!</span> another day</span> The status is judged ${h(n.apart)} ` +
      `${n.direction} this page was made (${time(model.generated)}): the states and the week are of ${time(model.status!.at)}.</p>`
    );
  });
  return items.length > 0 ? `<section class="notices" aria-label="Notices">${items.join("")}</section>` : "";
}

/** The whole page: one HTML document, nothing loaded from anywhere. */
export function renderReportPage(model: ReportModel): string {
  const sections = [
    renderNotices(model),
    renderTimeline(model.timeline),
    model.status ? renderStatus(model.status) : "",
    model.status ? renderCapacity(model.status) : "",
    renderTiers(model),
    renderPlan(model.plan),
    renderPolicy(model),
  ];
  const footer =
    `Made by <code>npm run report</code> at ${time(model.generated)}: the tiers from <code>Pulumi.${h(model.stack)}.yaml</code>, ` +
    `the plan and the policy verdict of <code>npm run check</code>${model.status ? `, the status of <code>npm run status</code>` : ""}.`;
  return fillTemplate(pageAsset("page.html"), {
    title: `Backups of ${h(model.stack)}`,
    style: pageAsset("page.css"),
    header: renderHeader(model),
    sections: sections.filter(Boolean).join("\n"),
    footer,
  });
}

/**
 * The page's template and styles, report/page.html and report/page.css, read from the project folder
 * (the build compiles only TypeScript into dist/; dist/ and the sources share PROJECT_DIR) once.
 */
const assets = new Map<string, string>();
function pageAsset(name: "page.html" | "page.css"): string {
  let text = assets.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(PROJECT_DIR, "report", name), "utf8");
    assets.set(name, text);
  }
  return text;
}

/** The template with each `{{slot}}` replaced by its HTML; a slot the template lacks is a bug. */
function fillTemplate(template: string, slots: Record<string, string>): string {
  for (const slot of Object.keys(slots)) {
    if (!template.includes(`{{${slot}}}`)) throw new Error(`report/page.html has no {{${slot}}}`);
  }
  return template.replace(/\{\{(\w+)\}\}/g, (whole, slot: string) => slots[slot] ?? whole);
}
