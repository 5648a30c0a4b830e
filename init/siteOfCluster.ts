/**
 * What init writes of a cluster, as plain data: each NFS storage that takes backups, and one tier per
 * existing job with its guests resolved (init/stackFile.ts turns it into the commented stack file).
 */
import { tryParseCalendarEvent } from "../tiers/calendar";
import type { ClusterGuest } from "../tiers/inventory";
import { JOB_DEFAULTS, PveJob } from "../pve/job";
import { KEEP_OPTIONS, PruneBackups, isBounded } from "../pve/retention";
import type { PveStorage } from "../pve/snapshot";

/** A job as init writes it: its guests resolved, and why they had to be. */
export interface JobGuests {
  guests: ClusterGuest[];
  /** How PVE selects them today, when not by vmid: the file lists them explicitly instead. */
  resolved?: string;
  /** vmids the job names that are no guest of the cluster. */
  unknown: number[];
}

export function guestsOfJob(
  job: PveJob,
  guests: readonly ClusterGuest[],
  pools: Map<string, ClusterGuest[]>,
): JobGuests {
  const onNode = (g: ClusterGuest) => job.node === undefined || g.node === job.node;
  if (job.pool !== undefined) {
    return {
      guests: (pools.get(job.pool) ?? []).filter(onNode),
      resolved: `it backs up pool ${job.pool}, whose guests PVE resolves at each run`,
      unknown: [],
    };
  }
  if (job.all) {
    const excluded = new Set(job.excludes);
    return {
      guests: guests.filter((g) => !g.template && onNode(g) && !excluded.has(g.vmid)),
      resolved:
        job.excludes.length > 0
          ? `it backs up all guests but ${job.excludes.join(", ")}`
          : "it backs up all guests (new ones too)",
      unknown: [],
    };
  }
  const byVmid = new Map(guests.map((g) => [g.vmid, g]));
  return {
    guests: job.vmids.map((v) => byVmid.get(v)).filter((g): g is ClusterGuest => g !== undefined),
    unknown: job.vmids.filter((v) => !byVmid.has(v)),
  };
}

/** `03:00` → daily, `sun 04:00` → weekly: what a tier's proposed name says, and its place in the file. */
export function cadence(schedule: string): { word: string; rank: number } {
  const parsed = tryParseCalendarEvent(schedule);
  if (!parsed.ok) return { word: "scheduled", rank: 5 };
  // Runs in four weeks, counted in UTC: the cadence, not the hour, decides the word.
  const from = new Date(Date.UTC(2026, 0, 5));
  const perWeek = parsed.event.runsBetween(from, new Date(from.getTime() + 28 * 86400_000), "UTC", 10_000).length / 4;
  if (perWeek > 7) return { word: "several times a day", rank: 0 };
  if (perWeek === 7) return { word: "daily", rank: 1 };
  if (perWeek > 1) return { word: "several days a week", rank: 2 };
  if (perWeek === 1) return { word: "weekly", rank: 3 };
  return { word: "monthly or rarer", rank: 4 };
}

/** `prune-backups` as the site writes retention: keep-* counts, keep-all kept so that check names it. */
function retentionOf(prune: PruneBackups | undefined): Record<string, number | boolean> {
  if (!prune || !isBounded(prune)) return { "keep-all": true };
  return Object.fromEntries(KEEP_OPTIONS.filter((k) => (prune[k] ?? 0) > 0).map((k) => [k, prune[k]!]));
}

export function storageEntry(s: PveStorage): Record<string, unknown> {
  return {
    id: s.id,
    type: "nfs",
    server: s.server,
    export: s.export,
    ...(s.options !== undefined ? { options: s.options } : {}),
    content: s.content,
    ...(s.nodes !== undefined ? { nodes: s.nodes } : {}),
    retention: retentionOf(s.pruneBackups),
  };
}

export function tierEntry(
  job: PveJob,
  word: string,
  index: number,
  { guests }: JobGuests,
  storages: Map<string, PveStorage>,
  managedIds: ReadonlySet<string>,
): Record<string, unknown> {
  const storage = job.storage ?? "local";
  // The job's own retention; else, on a storage managed here, the storage's applies (written there
  // once); on any other, the storage's is written here, as the site requires.
  const managedHere = managedIds.has(storage);
  const retention = job.pruneBackups ?? (managedHere ? undefined : storages.get(storage)?.pruneBackups);
  return {
    id: `P${index}`,
    description: `${word} at ${job.schedule}`,
    priority: index,
    critical: false,
    job: job.id,
    schedule: job.schedule,
    storage,
    ...(job.pruneBackups !== undefined || !managedHere ? { retention: retentionOf(retention) } : {}),
    mode: job.mode ?? JOB_DEFAULTS.mode,
    compress: job.compress ?? JOB_DEFAULTS.compress,
    ...(job.node !== undefined ? { node: job.node } : {}),
    ...(job.mailto.length > 0
      ? { notification: { mailto: job.mailto, when: job.mailnotification ?? JOB_DEFAULTS.mailnotification } }
      : {}),
    guests: guests.map((g) => ({ vmid: g.vmid, kind: g.kind, name: g.name })),
  };
}
