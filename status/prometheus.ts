/**
 * The status as node-exporter textfile metrics (`npm run status -- --prometheus FILE`): the Prometheus
 * text format, version 0.0.4, one gauge per fact of the status document.
 */
import { GUEST_STATES, GuestState } from "./document";
import type { StatusReport } from "./judge";

/** A Prometheus label value: backslash, double quote and line feed escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

const PREFIX = "pve_backup_tiers_";

/** node-exporter textfile metrics (the Prometheus text format, version 0.0.4). */
export function renderPrometheus(report: StatusReport): string {
  const doc = report.document;
  const out: string[] = [];
  const labels = (l: Record<string, string | number | null>) =>
    `{${Object.entries(l)
      .map(([k, v]) => `${k}="${escapeLabel(v === null ? "" : String(v))}"`)
      .join(",")}}`;
  const metric = (name: string, help: string, samples: [Record<string, string | number | null>, number][]) => {
    out.push(`# HELP ${PREFIX}${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    out.push(`# TYPE ${PREFIX}${name} gauge`);
    for (const [l, v] of samples) out.push(`${PREFIX}${name}${labels(l)} ${v}`);
  };
  const guestLabels = (g: (typeof doc.guests)[number]) => ({
    stack: doc.stack,
    tier: g.tier,
    job: g.job,
    storage: g.storage,
    vmid: g.vmid,
    kind: g.kind,
    name: g.name,
  });
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  metric(
    "guest_state",
    `The guest's state: 1 for the one it is in (${GUEST_STATES.join(", ")}), 0 for the others.`,
    doc.guests.flatMap((g) =>
      GUEST_STATES.map((s): [Record<string, string | number | null>, number] => [
        { ...guestLabels(g), state: s },
        g.state === (s as GuestState) ? 1 : 0,
      ]),
    ),
  );
  const withNewest = doc.guests.filter((g) => g.newest);
  metric(
    "guest_newest_backup_timestamp_seconds",
    "When the guest's newest backup on its tier's storage was made (Unix time); absent without one.",
    withNewest.map((g) => [guestLabels(g), seconds(g.newest!.time)]),
  );
  metric(
    "guest_newest_backup_size_bytes",
    "The size of the guest's newest backup on its tier's storage; absent without one.",
    withNewest.map((g) => [guestLabels(g), g.newest!.size]),
  );
  metric(
    "guest_last_due_run_timestamp_seconds",
    "The last run of the guest's tier whose backup should exist by now (Unix time).",
    doc.guests.filter((g) => g.lastDue).map((g) => [guestLabels(g), seconds(g.lastDue!)]),
  );
  metric(
    "guest_next_run_timestamp_seconds",
    "The next scheduled run of the guest's tier (Unix time).",
    doc.guests.filter((g) => g.nextRun).map((g) => [guestLabels(g), seconds(g.nextRun!)]),
  );
  metric(
    "guest_backup_duration_seconds",
    "How long the guest's backup took in its job's last run, from the task log.",
    doc.guests.filter((g) => g.duration !== undefined).map((g) => [guestLabels(g), g.duration!]),
  );
  // The restore times themselves are the drill's own textfile (drill --prometheus); only the verdict here.
  metric(
    "guest_restore_overdue",
    "1 when the guest's tier asks for a restore drill and its last verified restore is older than that (status --drill), else 0.",
    doc.guests.filter((g) => g.restoreOverdue !== undefined).map((g) => [guestLabels(g), g.restoreOverdue ? 1 : 0]),
  );
  const storageLabels = (s: (typeof doc.storages)[number]) => ({ stack: doc.stack, storage: s.id });
  metric(
    "storage_needed_bytes",
    "The space the tiers need on the storage at full retention: each guest's newest backup times (keep + 1).",
    doc.storages.map((s) => [storageLabels(s), s.needed]),
  );
  metric(
    "storage_available_bytes",
    "The storage's free space.",
    doc.storages.map((s) => [storageLabels(s), s.avail]),
  );
  metric(
    "storage_total_bytes",
    "The storage's size.",
    doc.storages.map((s) => [storageLabels(s), s.total]),
  );
  metric("status_ok", "1 when every guest is OK or PENDING and the space holds, else 0.", [
    [{ stack: doc.stack }, doc.ok ? 1 : 0],
  ]);
  metric("status_timestamp_seconds", "The time the status was judged for (Unix time).", [
    [{ stack: doc.stack }, seconds(doc.at)],
  ]);
  return `${out.join("\n")}\n`;
}
