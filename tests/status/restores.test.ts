/**
 * The status beside the drill's result: each tier guest's last verified restore, and a tier's
 * `drill` interval overdue when the last restore that booted is older than it, or there is none.
 */
import type { DrillDocument } from "../../drill/document";
import { judgeStatus } from "../../status/judge";
import { renderPrometheus } from "../../status/prometheus";
import { withRestores } from "../../status/restores";
import { parseSite } from "../../tiers/siteRules";
import { fixtureSite } from "../support/stacks";
import { SiteHistory } from "../support/statusHistory";

/** The home site with `drill: 30d` on P0, on the site's own day. */
function siteDay() {
  const raw = fixtureSite("home") as { tiers: Record<string, unknown>[] };
  raw.tiers[0].drill = "30d";
  const site = parseSite(raw, "Pulumi.home.yaml");
  const report = judgeStatus(
    new SiteHistory(site)
      .run("P0", "2026-02-12T03:00")
      .run("P1", "2026-02-12T03:15")
      .input(new Date("2026-02-12T09:00:00Z")),
  );
  return { site, report };
}

const drilled = (vmid: number, at: string, outcome: "OK" | "FAILED", reason?: string) => ({
  vmid,
  kind: "qemu" as const,
  name: `vm${vmid}`,
  tier: "P0",
  outcome,
  volid: `synology-backups:backup/vzdump-qemu-${vmid}-2026_02_01-03_00_01.vma.zst`,
  backupTime: "2026-02-01T08:00:01Z",
  scratchVmid: 900,
  at,
  restoreSeconds: outcome === "OK" ? 312 : null,
  bootSeconds: outcome === "OK" ? 41 : null,
  bootCheck: outcome === "OK" ? ("agent" as const) : null,
  ...(reason ? { reason } : {}),
  cleanedUp: true,
});

test("a verified restore within the tier's 30 days: shown, not overdue; a failed last drill is overdue with its reason", () => {
  const { site, report } = siteDay();
  const drill: DrillDocument = {
    stack: "home",
    at: "2026-02-02T10:00:00Z",
    ok: false,
    node: "pve",
    guests: [
      drilled(100, "2026-02-02T10:00:00Z", "OK"),
      drilled(102, "2026-02-02T10:10:00Z", "FAILED", "no lzop/zstd magic: the archive is truncated"),
    ],
  };
  const doc = withRestores(report, site, drill).document;
  const of = (vmid: number) => doc.guests.find((g) => g.vmid === vmid)!;
  expect(of(100)).toMatchObject({
    state: "OK",
    restoreOverdue: false,
    lastRestore: { at: "2026-02-02T10:00:00Z", outcome: "OK", restoreSeconds: 312, bootSeconds: 41 },
  });
  expect(of(102).state).toBe("OK"); // the state is about the backups; the drill is said beside it
  expect(of(102).restoreOverdue).toBe(true);
  expect(of(102).reason).toBe(
    "restore drill overdue (tier P0 asks for one every 30d): its last drill, at 2026-02-02T05:10:00-05:00, ended FAILED: no lzop/zstd magic: the archive is truncated",
  );
  // P1 asks for no drill: nothing said of it
  expect(of(103).restoreOverdue).toBeUndefined();
  expect(renderPrometheus({ ...report, document: doc })).toContain(
    'pve_backup_tiers_guest_restore_overdue{stack="home",tier="P0",job="backup-home-p0-daily",storage="synology-backups",vmid="102",kind="qemu",name="vaultwarden"} 1\n',
  );
});

test("older than the interval, or never drilled: overdue; without the drill's result, a note says how to check", () => {
  const { site, report } = siteDay();
  const old: DrillDocument = {
    stack: "home",
    at: "2026-01-02T10:00:00Z",
    ok: true,
    node: "pve",
    guests: [drilled(100, "2026-01-02T10:00:00Z", "OK")],
  };
  const doc = withRestores(report, site, old).document;
  expect(doc.guests.find((g) => g.vmid === 100)!.reason).toBe(
    "restore drill overdue (tier P0 asks for one every 30d): its last verified restore was at 2026-01-02T05:00:00-05:00",
  );
  expect(doc.guests.find((g) => g.vmid === 102)!.reason).toBe(
    "restore drill overdue (tier P0 asks for one every 30d): the drill's result has no restore of it",
  );
  expect(withRestores(report, site, undefined).notes).toContain(
    "tier P0 (every 30d) asks for restore drills: give status the drill's result (--drill FILE, from drill --json) to check them",
  );
});
