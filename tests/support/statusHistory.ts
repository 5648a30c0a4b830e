/**
 * A site's backup history for the status tests: the jobs `pulumi up` makes for its tiers (tierJob), and the
 * scheduled runs PVE records (double/vzdump.ts: tasks with vzdump's log, archives with notes), as a
 * cluster snapshot for the PVE API double or as the judgement's input without HTTP.
 */
import { PathPrivileges } from "../../pve/privileges";
import type { BackupVolume, JobRun, StatusInput } from "../../status/input";
import type { ClusterGuest } from "../../tiers/inventory";
import { statusJobOf } from "../../status/runs";
import { makeUpid } from "../../double/tasks";
import { ScheduledRun, scheduledRun } from "../../double/vzdump";
import { zonedTimeToDate } from "../../tiers/calendar";
import { Site, Tier } from "../../tiers/config";
import { tierJob } from "../../tiers/tierJob";
import { backupFileName, parseVzdumpFileName } from "../../pve/archives";
import { ClusterSnapshot } from "../../pve/snapshot";
import { judgeStatus } from "../../status/judge";
import { parseSite } from "../../tiers/siteRules";
import { fixtureSite } from "./stacks";

type SnapshotTask = NonNullable<ClusterSnapshot["tasks"]>[number];
type SnapshotBackup = NonNullable<ClusterSnapshot["backups"]>[number];

/** `2026-02-12T03:00` on the site's wall clock. */
function local(site: Site, text: string): Date {
  const [d, t] = text.split("T");
  const [year, month, day] = d.split("-").map(Number);
  const [hour, minute, second] = (t ?? "00:00").split(":").map(Number);
  return zonedTimeToDate({ year, month, day, hour, minute, second: second ?? 0 }, site.timezone);
}

export class SiteHistory {
  readonly tasks: SnapshotTask[] = [];
  readonly backups: SnapshotBackup[] = [];
  /** vmid → node; default every guest on `pve`. */
  readonly nodeOf = new Map<number, string>();
  /** Whose run each task is: a run that died before its job line does not say (the status finds out). */
  private readonly tierOf = new Map<SnapshotTask, string>();

  constructor(readonly site: Site) {}

  tier(id: string): Tier {
    const tier = this.site.tiers.find((t) => t.id === id);
    if (!tier) throw new Error(`no tier ${id}`);
    return tier;
  }

  /**
   * A scheduled run of a tier's job at a local time (`2026-02-12T03:00`), one task per node with
   * its guests; each guest written in 60 s unless `outcomes` says otherwise.
   */
  run(
    tierId: string,
    localStart: string,
    options: Pick<ScheduledRun, "outcomes" | "running" | "jobInitHookFails" | "storageOffline" | "lockHeld"> & {
      delaySeconds?: number;
    } = {},
  ): this {
    const tier = this.tier(tierId);
    const start = new Date(local(this.site, localStart).getTime() + (options.delaySeconds ?? 0) * 1000);
    const byNode = new Map<string, Tier["guests"]>();
    for (const g of tier.guests) {
      const node = this.nodeOf.get(g.vmid) ?? "pve";
      byNode.set(node, [...(byNode.get(node) ?? []), g]);
    }
    for (const [node, guests] of byNode) {
      const { task, backups } = scheduledRun({
        job: tierJob(tier),
        node,
        guests,
        start,
        timeZone: this.site.timezone,
        outcomes: options.outcomes,
        running: options.running,
        jobInitHookFails: options.jobInitHookFails,
        storageOffline: options.storageOffline,
        lockHeld: options.lockHeld,
      });
      this.tasks.push(task);
      this.tierOf.set(task, tier.id);
      this.backups.push(...backups);
    }
    return this;
  }

  /** The same run every day from `firstDay` to `lastDay` (`2026-02-10`), at the tier's time of day `hhmm`. */
  daily(tierId: string, hhmm: string, firstDay: string, lastDay: string): this {
    for (
      let d = new Date(`${firstDay}T12:00:00Z`);
      d <= new Date(`${lastDay}T12:00:00Z`);
      d.setUTCDate(d.getUTCDate() + 1)
    ) {
      this.run(tierId, `${d.toISOString().slice(0, 10)}T${hhmm}`);
    }
    return this;
  }

  /** A cluster snapshot: `base` (resources, storage, access, ...) with the tiers' jobs and this history. */
  snapshot(base: ClusterSnapshot): ClusterSnapshot {
    return {
      ...base,
      backup: this.site.tiers.map((t) => tierJob(t)) as ClusterSnapshot["backup"],
      tasks: this.tasks.map((t) => ({ ...t })),
      backups: this.backups.map((b) => ({ ...b })),
    };
  }

  /** The judgement's input, as the status command would gather it from a token that sees everything. */
  input(at: Date, space = { total: 4e12, used: 1e12, avail: 3e12 }): StatusInput {
    const all: PathPrivileges = { "Datastore.Allocate": true, "Datastore.Audit": true, "Sys.Audit": true };
    const guests: ClusterGuest[] = this.site.tiers.flatMap((t) =>
      t.guests.map((g) => ({ ...g, node: this.nodeOf.get(g.vmid) ?? "pve", template: false })),
    );
    const runs = new Map<string, JobRun[]>();
    for (const tier of this.site.tiers) runs.set(tier.job, []);
    for (const t of this.tasks) {
      if (t.starttime > at.getTime() / 1000) continue;
      const tier = this.tier(this.tierOf.get(t)!);
      const pid = 1000 + (t.starttime % 50000);
      const fields = { node: t.node, pid, pstart: pid, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
      runs.get(tier.job)!.push({
        task: { ...fields, upid: makeUpid(fields), endtime: t.endtime, status: t.status },
        log: t.log,
      });
    }
    const volumes: BackupVolume[] = this.backups.map((b) => {
      const name = parseVzdumpFileName(backupFileName(b.volid));
      return {
        volid: b.volid,
        size: b.size,
        ctime: name ? zonedTimeToDate(name.wall, this.site.timezone).getTime() / 1000 : undefined,
        vmid: name?.vmid,
        subtype: name?.kind,
        notes: b.notes?.split("\n")[0],
        protected: b.protected,
      };
    });
    const storageIds = [...new Set(this.site.tiers.map((t) => t.storage))];
    return {
      stack: "home",
      site: this.site,
      at,
      tokenId: "pulumi@pve!backup-tiers",
      guests,
      jobs: this.site.tiers.map((t) => statusJobOf(tierJob(t))),
      notBackedUp: new Set(),
      nodes: [...new Set(["pve", ...this.nodeOf.values()])].map((node) => ({ node, online: true })),
      storages: new Map(
        storageIds.map((id) => [
          id,
          {
            id,
            backups: volumes.filter((v) => v.volid.startsWith(`${id}:`)),
            privileges: all,
            guestPrivileges: new Map(),
            space,
          },
        ]),
      ),
      runs,
      ranBefore: new Map(),
      schedulerLog: new Map(),
    };
  }
}

/** The home site's own day judged at 04:00 New York time: P0 wrote both guests, P1's run failed for LXC 103. */
export function judgedSiteDay() {
  return judgeStatus(
    new SiteHistory(parseSite(fixtureSite("home"), "x"))
      .run("P0", "2026-02-12T03:00")
      .run("P1", "2026-02-12T03:15", { outcomes: { 103: { ok: false, seconds: 12, reason: "no space left" } } })
      .input(new Date("2026-02-12T09:00:00Z")),
  );
}
