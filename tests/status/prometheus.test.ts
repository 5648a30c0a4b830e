/** The status as node-exporter textfile metrics: the Prometheus text format, HELP and TYPE per metric, labels escaped. */
import { escapeLabel, renderPrometheus } from "../../status/prometheus";
import { judgedSiteDay } from "../support/statusHistory";

const siteDay = judgedSiteDay;

test("label values escape backslash, double quote and line feed, as the text format asks", () => {
  expect(escapeLabel('a "quoted" \\ name\nnext')).toBe('a \\"quoted\\" \\\\ name\\nnext');
  const report = siteDay();
  report.document.guests[0].name = 'home "assistant"';
  expect(renderPrometheus(report)).toContain(
    'pve_backup_tiers_guest_state{stack="home",tier="P0",job="backup-home-p0-daily",storage="synology-backups",vmid="100",kind="qemu",name="home \\"assistant\\"",state="OK"} 1\n',
  );
});

test("each metric once with its HELP and TYPE before its samples; guests without a backup have no backup sample", () => {
  const text = renderPrometheus(siteDay());
  const names = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1]);
  expect(names).toEqual([
    "pve_backup_tiers_guest_state",
    "pve_backup_tiers_guest_newest_backup_timestamp_seconds",
    "pve_backup_tiers_guest_newest_backup_size_bytes",
    "pve_backup_tiers_guest_last_due_run_timestamp_seconds",
    "pve_backup_tiers_guest_next_run_timestamp_seconds",
    "pve_backup_tiers_guest_backup_duration_seconds",
    "pve_backup_tiers_guest_restore_overdue",
    "pve_backup_tiers_storage_needed_bytes",
    "pve_backup_tiers_storage_available_bytes",
    "pve_backup_tiers_storage_total_bytes",
    "pve_backup_tiers_status_ok",
    "pve_backup_tiers_status_timestamp_seconds",
  ]);
  for (const name of names) {
    const help = text.indexOf(`# HELP ${name} `);
    expect(help).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(`# TYPE ${name} gauge`)).toBeGreaterThan(help);
  }
  expect(text).not.toMatch(/newest_backup_timestamp_seconds\{[^}]*vmid="103"/);
  expect(text.match(/^pve_backup_tiers_guest_state\{[^}]*vmid="103"[^}]*\} 1$/gm)).toEqual([
    expect.stringContaining('state="FAILED"'),
  ]);
  expect(text).toContain('pve_backup_tiers_status_timestamp_seconds{stack="home"} 1770886800\n');
});
