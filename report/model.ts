/**
 * Everything the report's page shows (report/page.ts lays it out), from the check's report
 * (offline/check.ts) and the status document: the tiers with their next runs and guest states, the
 * week's windows (report/timeline.ts), the plan, the policy verdict and the status section. Pure.
 */
import type { CheckReport } from "../offline/check";
import { JOB_DEFAULTS } from "../pve/job";
import { formatPruneBackups, parsePruneBackups } from "../pve/retention";
import { CAPACITY_THRESHOLDS, StatusDocument, capacityLevel, formatAge } from "../status/document";
import { CalendarEvent, tryParseCalendarEvent } from "../tiers/calendar";
import type { ReportModel, StatusSection, TierRow } from "./page";
import { pageNotices } from "./notices";
import { buildTimeline, shownTime } from "./timeline";

export interface ReportInputs {
  check: CheckReport;
  status?: { file: string; doc: StatusDocument };
  /** When the page is made; also the time judged without a status (with one: its `at`). */
  now: Date;
}

/** Everything the page shows, from the check's report and the status document. Pure. */
export function buildReportModel(inputs: ReportInputs): ReportModel {
  const { check: report, status, now } = inputs;
  const { outputs } = report.run;
  const timeZone = outputs.timezone;
  const at = status ? new Date(status.doc.at) : now;
  const statusGuests = new Map((status?.doc.guests ?? []).map((g) => [g.vmid, g]));

  const tiers: TierRow[] = outputs.tiers.map((t) => {
    const parsed = tryParseCalendarEvent(t.schedule);
    const event: CalendarEvent | undefined = parsed.ok ? parsed.event : undefined;
    const next = event?.next(at, timeZone);
    return {
      id: t.id,
      description: t.description,
      priority: t.priority,
      critical: t.critical,
      job: t.job,
      schedule: t.schedule,
      scheduleZone: event?.utc ? "UTC" : timeZone,
      storage: t.storage,
      retention: formatPruneBackups(parsePruneBackups(t.pruneBackups) ?? {}) || "(none)",
      mail:
        t.mailto.length > 0
          ? `${t.mailnotification ?? JOB_DEFAULTS.mailnotification} to ${t.mailto.join(", ")}`
          : undefined,
      guests: t.guests.map((g) => ({ ...g, state: statusGuests.get(g.vmid)?.state })),
      nextRun: next ? shownTime(next, timeZone) : undefined,
    };
  });

  const violations = [...report.violations].sort(
    (a, b) => Number(b.level === "mandatory") - Number(a.level === "mandatory"),
  );

  return {
    stack: report.stack,
    timeZone,
    generated: shownTime(now, timeZone),
    clusterFile: report.cluster,
    cluster: {
      nodes: outputs.cluster.nodes,
      guests: outputs.cluster.guests.length,
      storages: outputs.cluster.storages.length,
      jobs: outputs.cluster.jobs.length,
    },
    timeline: buildTimeline(report, at, status?.doc),
    tiers,
    uncovered: outputs.coverage
      .filter((g) => g.tier === null && !g.template)
      .map(({ vmid, kind, name }) => ({ vmid, kind, name })),
    plan: report.plan,

    violations,
    passed: !violations.some((v) => v.level === "mandatory"),
    status: status ? buildStatus(status.file, status.doc, timeZone) : undefined,
    notices: pageNotices(report, status, now),
  };
}

function buildStatus(file: string, doc: StatusDocument, timeZone: string): StatusSection {
  const at = new Date(doc.at);
  const shown = (iso: string | null | undefined) => (iso ? shownTime(new Date(iso), timeZone) : undefined);
  return {
    file,
    at: shownTime(at, timeZone),
    ok: doc.ok,
    guests: doc.guests.map((g) => ({
      vmid: g.vmid,
      kind: g.kind,
      name: g.name,
      tier: g.tier ?? undefined,
      job: g.job ?? undefined,
      storage: g.storage ?? undefined,
      state: g.state,
      newest: g.newest
        ? {
            volid: g.newest.volid,
            time: shownTime(new Date(g.newest.time), timeZone),
            size: g.newest.size,
            age: formatAge(at.getTime() - Date.parse(g.newest.time)),
          }
        : undefined,
      lastDue: shown(g.lastDue),
      nextRun: shown(g.nextRun),
      reason: g.reason,
      restore: g.lastRestore
        ? {
            at: shownTime(new Date(g.lastRestore.at), timeZone),
            ok: g.lastRestore.outcome === "OK",
            text:
              g.lastRestore.outcome === "OK"
                ? `restore verified (${g.lastRestore.restoreSeconds ?? "-"} s, boot ${g.lastRestore.bootSeconds ?? "-"} s)`
                : `last drill ${g.lastRestore.outcome}`,
          }
        : undefined,
    })),
    storages: doc.storages.map((s) => {
      return { id: s.id, total: s.total, used: s.used, avail: s.avail, needed: s.needed, level: capacityLevel(s) };
    }),
    thresholds: CAPACITY_THRESHOLDS,
  };
}
