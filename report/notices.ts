/**
 * What the report page says before anything else, when its parts do not describe one cluster at one
 * time: the plan and the policy verdict come from a snapshot (`--cluster`), the states from a status
 * document (`--status`) read from a live cluster. When the snapshot's jobs are disabled or missing
 * while the status saw them run, or it lacks the status's guests, the page would contradict itself
 * (the plan enabling jobs whose backups the page shows); and a status judged days before or after the
 * page was made shows a week that is not this one. Pure.
 */
import type { CheckReport } from "../offline/check";
import { sameJobId } from "../pve/ids";
import { StatusDocument, formatAge } from "../status/document";

/** How far apart the judged time and the page's own time may be before the page says so. */
const FAR_APART_MS = 24 * 60 * 60 * 1000;

export type PageNotice =
  | { kind: "sources"; cluster: string; status: string; findings: string[] }
  | { kind: "time"; apart: string; direction: "before" | "after" };

/** The notices of a page from this check, status and time (none when the parts agree). */
export function pageNotices(
  check: CheckReport,
  status: { file: string; doc: StatusDocument } | undefined,
  now: Date,
): PageNotice[] {
  if (!status) return [];
  const notices: PageNotice[] = [];
  const findings = disagreements(check, status.doc);
  if (findings.length > 0) notices.push({ kind: "sources", cluster: check.cluster, status: status.file, findings });
  const apart = now.getTime() - Date.parse(status.doc.at);
  if (Math.abs(apart) >= FAR_APART_MS) {
    notices.push({ kind: "time", apart: formatAge(Math.abs(apart)), direction: apart > 0 ? "before" : "after" });
  }
  return notices;
}

/** Where the snapshot and the status cannot both be true of one cluster, one sentence each. */
function disagreements(check: CheckReport, doc: StatusDocument): string[] {
  const { cluster } = check.run.outputs;
  const findings: string[] = [];
  const vmids = new Set(cluster.guests.map((g) => g.vmid));
  const absent = doc.guests.filter((g) => !vmids.has(g.vmid));
  if (absent.length > 0) {
    const names = absent.map((g) => `${g.kind} ${g.vmid} ${g.name}`).join(", ");
    findings.push(`the status has ${names}, the snapshot does not`);
  }
  // A run the status saw (its backup made, or failed) of a job the snapshot has disabled or lacks.
  const ran = new Map<string, string>();
  for (const g of doc.guests) {
    if (g.job && g.lastDue && (g.state === "OK" || g.state === "FAILED") && !ran.has(g.job)) ran.set(g.job, g.lastDue);
  }
  for (const [job, lastDue] of ran) {
    const found = cluster.jobs.find((j) => sameJobId(j.id, job));
    const saw = `the status saw job ${job} run at ${lastDue}`;
    if (!found) findings.push(`${saw}, the snapshot has no such job`);
    else if (!found.enabled) findings.push(`${saw}, the snapshot has it disabled`);
  }
  return findings;
}
