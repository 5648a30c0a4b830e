/**
 * The doctor's checks of the cluster's backup jobs: what trips the provider (`exclude-path`, jobs to
 * adopt that back up `all`, by `exclude` or by `pool`) or silently drops a tier's mail
 * (`notification-mode`).
 */
import { PveApiError } from "../pve/apiError";
import { MAIL_HONOURING_MODES } from "../pve/job";
import { isPveTrue, parseList } from "../pve/values";
import { sameJobId } from "../pve/ids";
import { adoptionBlocker } from "../tiers/adoption";
import { Check, DoctorContext } from "./context";

export async function excludePathCheck(ctx: DoctorContext): Promise<Check> {
  const jobs = await ctx.clusterJobs();
  const withPaths = jobs.filter((j) => {
    const value = j["exclude-path"];
    return value !== undefined && (Array.isArray(value) ? value.length > 0 : String(value) !== "");
  });
  if (withPaths.length === 0)
    return { id: "exclude-path", ok: true, message: `no job of the ${jobs.length} on the cluster has exclude-path` };
  const list = withPaths.map((j) => `${j.id} (${[j["exclude-path"]].flat().join(" ")})`).join(", ");
  return {
    id: "exclude-path",
    ok: false,
    message: `jobs with exclude-path: ${list}; PVE 8 returns it as a list, which the provider cannot read, so its job reads (and discovery, with every preview) fail`,
    fix: withPaths
      .map((j) => `pvesh set /cluster/backup/${j.id} --delete exclude-path   # see docs/provider-issues.md`)
      .join("\n"),
  };
}

export async function adoptCheck(ctx: DoctorContext): Promise<Check> {
  const jobs = await ctx.clusterJobs();
  const problems: string[] = [];
  const fixes: string[] = [];
  const existing: string[] = [];
  const notes: string[] = [];
  for (const tier of ctx.site.tiers) {
    const job = jobs.find((j) => sameJobId(j.id, tier.job));
    if (!job) {
      if (ctx.siteFile.adopt) {
        problems.push(`tier ${tier.id}'s job ${tier.job} does not exist, so adopting it fails`);
        fixes.push(`set pve-backup-tiers:adopt false: pulumi up then creates ${tier.job}`);
      }
      continue;
    }
    existing.push(job.id);
    const exclude = job.exclude ? parseList(String(job.exclude)).map(Number) : [];
    const tierVmids = tier.guests.map((g) => g.vmid);
    const blocker = adoptionBlocker(
      job.id,
      { all: isPveTrue(job.all), exclude, pool: typeof job.pool === "string" ? job.pool : undefined },
      tierVmids,
    );
    if (blocker) {
      problems.push(`${job.id} backs up ${blocker.selection}; adopted as tier ${tier.id}, ${blocker.reason}`);
      fixes.push(`${blocker.fix}   # then adopt it; or rename tier ${tier.id}'s job so that ${job.id} stays as it is`);
    } else if (typeof job.pool === "string") {
      notes.push(
        `${job.id} backs up pool ${job.pool}: the first pulumi up after adopting it backs up guests ${tierVmids.join(", ")} instead (PVE drops the pool when a job gets vmids)`,
      );
    }
  }
  if (problems.length > 0) return { id: "adopt", ok: false, message: problems.join("; "), fix: fixes.join("\n") };
  if (existing.length === 0)
    return { id: "adopt", ok: true, message: "no tier job exists yet: pulumi up creates them" };
  const hint = ctx.siteFile.adopt
    ? "adopt is on: pulumi up imports them"
    : "managed by this stack already, or set pve-backup-tiers:adopt true for the first pulumi up (docs/getting-started.md, step 7)";
  return {
    id: "adopt",
    ok: true,
    message: [`tier jobs on the cluster: ${existing.join(", ")} (${hint})`, ...notes].join("; "),
  };
}

export async function notificationCheck(ctx: DoctorContext): Promise<Check> {
  const mailing = ctx.site.tiers.filter((t) => (t.notification?.mailto.length ?? 0) > 0);
  if (mailing.length === 0) return { id: "notification-mode", ok: true, message: "no tier sends mail" };
  const jobs = await ctx.clusterJobs();
  const problems: string[] = [];
  const fixes: string[] = [];
  const defaults = new Map<string, string | PveApiError>();
  for (const tier of mailing) {
    const job = jobs.find((j) => sameJobId(j.id, tier.job));
    const mode = job?.["notification-mode"];
    if (mode !== undefined) {
      if (!MAIL_HONOURING_MODES.includes(mode)) {
        problems.push(`job ${job!.id} (tier ${tier.id}) has notification-mode ${mode}, which ignores its mailto`);
        fixes.push(`pvesh set /cluster/backup/${job!.id} --notification-mode auto`);
      }
      continue;
    }
    for (const node of await ctx.tierNodes(tier)) {
      if (ctx.seen.offline.has(node)) continue;
      if (!defaults.has(node)) {
        try {
          const storage = (await ctx.client.storages()).some((s) => s.storage === tier.storage)
            ? tier.storage
            : undefined;
          defaults.set(node, String((await ctx.client.vzdumpDefaults(node, storage))["notification-mode"] ?? "auto"));
        } catch (err) {
          if (!(err instanceof PveApiError)) throw err;
          defaults.set(node, err);
        }
      }
      const nodeMode = defaults.get(node)!;
      if (nodeMode instanceof PveApiError) {
        problems.push(`node ${node}'s vzdump defaults not checked: ${nodeMode.message}`);
      } else if (!MAIL_HONOURING_MODES.includes(nodeMode)) {
        problems.push(
          `tier ${tier.id} mails ${tier.notification!.mailto.join(", ")}, but node ${node}'s default notification-mode is ${nodeMode}, which ignores mailto`,
        );
        fixes.push(
          `on ${node}: set 'notification-mode: auto' in /etc/vzdump.conf (or route backup-job mail through a notification target and matcher)`,
        );
      }
    }
  }
  if (problems.length === 0) {
    return {
      id: "notification-mode",
      ok: true,
      message: `mail of tiers ${mailing.map((t) => t.id).join(", ")} is sent (notification-mode auto or legacy-sendmail)`,
    };
  }
  return {
    id: "notification-mode",
    ok: false,
    message: problems.join("; "),
    fix: [...new Set(fixes)].join("\n") || undefined,
  };
}
