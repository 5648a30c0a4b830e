/**
 * The status with the drill's result beside it (`status --drill FILE`): each tier guest's last
 * verified restore, and whether its tier's `drill` interval has passed since the last one that
 * restored and booted. A restore that is overdue is said in the guest's reason and its Prometheus
 * gauge; it leaves the guest's state, which is about its backups, as it is.
 */
import type { DrillDocument } from "../drill/document";
import { formatIsoTime } from "../tiers/calendar";
import { Site, parseDuration } from "../tiers/config";
import type { StatusReport } from "./judge";

export function withRestores(report: StatusReport, site: Site, drill: DrillDocument | undefined): StatusReport {
  const at = Date.parse(report.document.at);
  const notes = [...report.notes];
  const asking = site.tiers.filter((t) => t.drill !== undefined);
  if (!drill) {
    if (asking.length > 0) {
      notes.push(
        `${asking.length > 1 ? "tiers" : "tier"} ${asking.map((t) => `${t.id} (every ${t.drill})`).join(", ")} ${asking.length > 1 ? "ask" : "asks"} for restore drills: give status the drill's result (--drill FILE, from drill --json) to check them`,
      );
    }
    return { ...report, notes };
  }
  const guests = report.document.guests.map((g) => {
    const tier = site.tiers.find((t) => t.id === g.tier);
    if (!tier) return g;
    const drilled = drill.guests.find((d) => d.vmid === g.vmid);
    const lastRestore = drilled
      ? {
          at: drilled.at,
          outcome: drilled.outcome,
          volid: drilled.volid,
          restoreSeconds: drilled.restoreSeconds,
          bootSeconds: drilled.bootSeconds,
          ...(drilled.reason !== undefined ? { reason: drilled.reason } : {}),
        }
      : null;
    if (tier.drill === undefined) return { ...g, lastRestore };
    const every = parseDuration(tier.drill) * 1000;
    const verified = drilled?.outcome === "OK" ? Date.parse(drilled.at) : undefined;
    const overdue = verified === undefined || at - verified > every;
    if (!overdue) return { ...g, lastRestore, restoreOverdue: false };
    const since =
      verified === undefined
        ? drilled
          ? `its last drill, at ${formatIsoTime(new Date(drilled.at), site.timezone)}, ended ${drilled.outcome}${drilled.reason ? `: ${drilled.reason}` : ""}`
          : "the drill's result has no restore of it"
        : `its last verified restore was at ${formatIsoTime(new Date(verified), site.timezone)}`;
    const warning = `restore drill overdue (tier ${tier.id} asks for one every ${tier.drill}): ${since}`;
    return { ...g, lastRestore, restoreOverdue: true, reason: [g.reason, warning].filter(Boolean).join("; ") };
  });
  return { ...report, notes, document: { ...report.document, guests } };
}
