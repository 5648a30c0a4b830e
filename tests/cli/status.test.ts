/**
 * The status command's text without a cluster: the summary line, the tables, and the text's control
 * characters escaped. (The Prometheus textfile is tests/status/prometheus.test.ts; its atomic write
 * is tests/cli/cli.test.ts's writeOutputFile.)
 */
import { renderStatusText, summaryLine } from "../../cli/commands/status";
import { renderPrometheus } from "../../status/prometheus";
import { judgeStatus } from "../../status/judge";
import { parseSite } from "../../tiers/siteRules";
import { fixtureSite } from "../support/stacks";
import { SiteHistory, judgedSiteDay } from "../support/statusHistory";

const siteDay = judgedSiteDay;

test("the summary line: how many OK of all, then the other states; the space when it does not hold", () => {
  const report = siteDay();
  expect(summaryLine(report)).toBe("2/5 OK, 1 FAILED, 2 PENDING");
  report.capacity.set("synology-backups", "over");
  expect(summaryLine(report)).toBe("2/5 OK, 1 FAILED, 2 PENDING; space: synology-backups over 100% at full retention");
});

test("the text shows control characters escaped, one line per guest and per reason: what PVE says never reaches the terminal raw", () => {
  const report = siteDay();
  const guest = report.document.guests.find((g) => g.vmid === 103)!;
  guest.name = "download\x1b]0;owned\x07";
  guest.reason = "no space left\n  qemu 100 home-assistant  OK\x1b[2J";
  const text = renderStatusText(report, parseSite(fixtureSite("home"), "x"), "https://pve:8006/ (--endpoint)");
  // eslint-disable-next-line no-control-regex -- no control character but the line feed may remain
  expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
  expect(text).toMatch(/\n {2}lxc 103 download\\x1b\]0;owned\\x07 +FAILED +/);
  expect(text).toContain("\n      no space left\\n  qemu 100 home-assistant  OK\\x1b[2J\n");
  // the Prometheus textfile keeps the name as it is, in its own escaping
  expect(renderPrometheus(report)).toContain('name="download\x1b]0;owned\x07"');
});

test("a tier's header shows the schedule PVE runs where the cluster's job differs from the stack", () => {
  const site = parseSite(fixtureSite("home"), "x");
  const input = new SiteHistory(site).run("P0", "2026-02-12T03:00").input(new Date("2026-02-12T09:00:00Z"));
  input.jobs!.find((j) => j.id === "backup-home-p0-daily")!.schedule = "04:30";
  const text = renderStatusText(judgeStatus(input), site, "the double");
  expect(text).toContain(
    "Tier P0 (critical, daily): job backup-home-p0-daily, schedule 04:30 on the cluster (the stack says 03:00: pulumi up sets it),",
  );
  expect(text).toContain("Tier P1 (important, daily): job backup-home-p1-daily, schedule 03:15,");
});
