/**
 * The drill's result as node-exporter textfile metrics (`drill --prometheus FILE`), beside the
 * status's (status/prometheus.ts, whose label escaping it shares): per guest drilled, when its last
 * restore ended, how long the restore took, and whether it restored and booted.
 */
import { escapeLabel } from "../status/prometheus";
import type { DrillDocument } from "./document";

const PREFIX = "pve_backup_tiers_";

export function renderDrillPrometheus(doc: DrillDocument): string {
  const out: string[] = [];
  const tried = doc.guests.filter((g) => g.outcome === "OK" || g.outcome === "FAILED");
  const labels = (g: DrillDocument["guests"][number]) =>
    `{stack="${escapeLabel(doc.stack)}",tier="${escapeLabel(g.tier)}",vmid="${g.vmid}",kind="${g.kind}",name="${escapeLabel(g.name)}"}`;
  const metric = (name: string, help: string, samples: [DrillDocument["guests"][number], number][]) => {
    out.push(`# HELP ${PREFIX}${name} ${help}`, `# TYPE ${PREFIX}${name} gauge`);
    for (const [g, v] of samples) out.push(`${PREFIX}${name}${labels(g)} ${v}`);
  };
  metric(
    "guest_last_restore_timestamp_seconds",
    "When the drill's last restore of the guest's newest backup ended (Unix time).",
    tried.map((g) => [g, Date.parse(g.at) / 1000]),
  );
  metric(
    "guest_restore_duration_seconds",
    "How long the drill's last restore of the guest took.",
    tried.filter((g) => g.restoreSeconds !== null).map((g) => [g, g.restoreSeconds!]),
  );
  metric(
    "guest_restore_ok",
    "1 when the drill's last restore of the guest restored and booted, else 0.",
    tried.map((g) => [g, g.outcome === "OK" ? 1 : 0]),
  );
  return `${out.join("\n")}\n`;
}
