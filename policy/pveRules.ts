/**
 * PVE's rules as the policies apply them to the stack view, with what is unknown during preview
 * kept unknown: which guests a job backs up (tiers/coverage.ts decides for known values), whether a
 * storage takes backups and is available on a node, how job ids compare, which retention a job ends
 * with, whether a schedule backs up as a tier means (the schedule engine decides); and how messages
 * name guests and jobs.
 */
import { CalendarEvent, isValidTimeZone, tryParseCalendarEvent } from "../tiers/calendar";
import { jobSelects } from "../tiers/coverage";
import { BACKUP_CONTENT } from "../pve/storage";
import { GuestKind } from "../pve/ids";
import { PruneBackups, formatPruneBackups, parsePruneBackups } from "../pve/retention";
import type { GuestView, JobView, StackView, StorageView } from "./stackView";
import { Maybe, UNKNOWN, hasUnknown } from "./unknown";

/** Whether a storage accepts `backup` content; UNKNOWN when its content is unknown. */
export function acceptsBackup(s: StorageView): Maybe<boolean> {
  if (s.type === "pbs") return true; // Proxmox Backup Server storages hold backups only
  if (s.content === UNKNOWN) return UNKNOWN;
  // Not set: PVE's default content of dir/nfs/cifs/... storages is images (and rootdir), never backup.
  return s.content !== undefined && s.content.includes(BACKUP_CONTENT);
}

/** Whether a storage is available on `node`; UNKNOWN when its node list is unknown. */
export function availableOn(s: StorageView, node: string): Maybe<boolean> {
  if (s.nodes === UNKNOWN) return UNKNOWN;
  return s.nodes === undefined || s.nodes.length === 0 || s.nodes.includes(node);
}

/**
 * The guests a job backs up, as far as the stack can tell. `uncertain` when part of the selection
 * is unknown (the job may then back up any guest). A pool job backs up its pool's guests, which PVE
 * resolves at every run (pve-manager PVE/VZDump.pm `get_included_guests`): the members discovery read
 * (`cluster.pools`), or, for a pool it could not read, none and `uncertain`.
 */
export interface JobSelection {
  vmids: number[];
  /** Guests named by the job that it skips because it runs on another node only. */
  offNode: GuestView[];
  uncertain: boolean;
}

export function jobSelection(job: JobView, view: StackView): JobSelection {
  const selection: JobSelection = { vmids: [], offNode: [], uncertain: false };
  if (
    job.all === UNKNOWN ||
    job.vmids === UNKNOWN ||
    job.excludes === UNKNOWN ||
    job.node === UNKNOWN ||
    job.pool === UNKNOWN
  ) {
    selection.uncertain = true;
    return selection;
  }
  const pool = job.pool === undefined ? undefined : view.poolMembers.get(job.pool);
  if (job.pool !== undefined && pool === undefined) selection.uncertain = true;
  const known = (list: Maybe<number>[]) => list.filter((v): v is number => v !== UNKNOWN);
  if (pool === undefined && (job.all ? job.excludes : job.vmids).includes(UNKNOWN)) selection.uncertain = true;
  // A pool wins over vmid and all, as in get_included_guests.
  const selector =
    pool !== undefined
      ? { all: false, vmids: pool, excludes: [], node: job.node }
      : { all: job.all, vmids: known(job.vmids), excludes: known(job.excludes), node: job.node };
  const nodeOf = (g: GuestView | undefined) => (g && typeof g.node === "string" ? g.node : undefined);
  if (selector.all) {
    for (const g of view.guests) {
      if (jobSelects(selector, { vmid: g.vmid, node: nodeOf(g) }) === "selected") selection.vmids.push(g.vmid);
    }
    return selection;
  }
  for (const vmid of selector.vmids) {
    const g = view.guestByVmid.get(vmid);
    const selected = jobSelects(selector, { vmid, node: nodeOf(g) });
    if (selected === "selected") selection.vmids.push(vmid);
    else if (selected === "off-node" && g) selection.offNode.push(g);
  }
  return selection;
}

const KIND_LABEL: Record<GuestKind, string> = { qemu: "VM", lxc: "LXC" };

/** `LXC 104 (nextcloud)`. */
export function describeGuest(g: { vmid?: number; kind: GuestKind; name: string }): string {
  const id = g.vmid === undefined ? "" : ` ${g.vmid}`;
  return `${KIND_LABEL[g.kind]}${id}${g.name ? ` (${g.name})` : ""}`;
}

/** `backup-home-p0-daily (tier P0)`. */
export function describeJob(job: JobView): string {
  return job.tier ? `${job.label} (tier ${job.tier.id})` : job.label;
}

/** What a message adds to a job's name when the stack does not manage it: where the job comes from. */
export function jobOrigin(job: JobView): string {
  return job.managed ? "" : " (on the cluster, not managed by this stack)";
}

/** `103` / `101, 105` / `none`. */
export function listVmids(vmids: readonly Maybe<number>[]): string {
  const known = vmids.filter((v): v is number => v !== UNKNOWN);
  return known.length === 0 ? "none" : known.join(", ");
}

/** The nodes' zone for schedules: the stack's when known and valid, else UTC. */
function scheduleZone(view: StackView): string {
  return typeof view.timezone === "string" && isValidTimeZone(view.timezone) ? view.timezone : "UTC";
}

/** A job's schedule as the engine reads it; undefined when unknown, absent, or rejected by PVE. */
function jobSchedule(job: JobView): CalendarEvent | undefined {
  if (typeof job.schedule !== "string") return undefined;
  const parsed = tryParseCalendarEvent(job.schedule);
  return parsed.ok ? parsed.event : undefined; // a schedule PVE rejects is the config validation's
}

/** The enabled jobs whose schedule the engine reads, each with its schedule: what the schedule policies judge. */
export function enabledSchedules(view: StackView): { job: JobView; event: CalendarEvent }[] {
  return view.jobs.flatMap((job) => {
    const event = job.enabled === true ? jobSchedule(job) : undefined;
    return event ? [{ job, event }] : [];
  });
}

/**
 * Why an enabled job's schedule does not back up as a tier means, from the schedule engine:
 * `never` (no date matches its fields), `no-longer` (every date it names is past `now`) or, for a
 * job of the stack whose tier is not marked frequent, `frequent` (two runs an hour or less apart).
 * Hand-made jobs on the cluster are held to the first two only: what they are meant for is unknown.
 */
export function scheduleProblem(
  job: JobView,
  event: CalendarEvent,
  view: StackView,
  now: Date,
): "never" | "no-longer" | "frequent" | undefined {
  if (!event.matchesAnyDate()) return "never";
  if (event.next(now, scheduleZone(view)) === undefined) return "no-longer";
  if (!job.managed || !event.runsHourlyOrMoreOften()) return undefined;
  // Whether the tier allows it must be known: never a false violation during preview.
  if (view.tiers === UNKNOWN || job.tier?.frequent === UNKNOWN || job.tier?.frequent === true) return undefined;
  return "frequent";
}

/** `1 hour`, `22 minutes`, `1 minute 30 seconds`, `1 second`. */
export function describeDuration(seconds: number): string {
  const parts: string[] = [];
  const unit = (n: number, name: string) => n > 0 && parts.push(`${n} ${name}${n === 1 ? "" : "s"}`);
  unit(Math.floor(seconds / 86400), "day");
  unit(Math.floor((seconds % 86400) / 3600), "hour");
  unit(Math.floor((seconds % 3600) / 60), "minute");
  unit(seconds % 60, "second");
  return parts.join(" ") || "0 seconds";
}

/**
 * The retention a job ends with, in PVE's words: its own prune-backups (or deprecated maxfiles),
 * else its storage's when the stack can see it.
 */
export function describeRetention(job: JobView, view: StackView): string {
  let own: PruneBackups | undefined;
  try {
    own = hasUnknown(job.pruneBackups) ? undefined : parsePruneBackups(job.pruneBackups);
  } catch {
    own = undefined;
  }
  if (own && Object.keys(own).length > 0) return formatPruneBackups(own);
  if (typeof job.maxfiles === "number" && job.maxfiles > 0) return `maxfiles=${job.maxfiles}`;
  const storage = typeof job.storage === "string" ? view.storages.get(job.storage) : undefined;
  if (storage?.retentionReported && storage.retention !== UNKNOWN) {
    return storage.retention === undefined
      ? "keep-all (neither job nor storage sets one)"
      : `the storage's ${formatPruneBackups(storage.retention)}`;
  }
  return "the storage's retention";
}
