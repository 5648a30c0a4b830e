/**
 * The judgement of `npm run status`, as pure functions over what the PVE API said (gathered by
 * status/gather.ts): each tier guest's last due run, next run and state (OK, FAILED, LATE, MISSING,
 * PENDING, UNTIERED, or UNKNOWN when the token may not see what decides it), the checks of its newest
 * archive, and each storage's space at full retention. Which tasks are a job's runs is status/runs.ts;
 * the document it writes, status/document.ts.
 *
 * Over 300 lines: `judgeStatus` is one pass over each tier guest's evidence in the order that decides
 * its state (on the cluster, backed up, its backups, its runs), kept whole so that order reads top to
 * bottom.
 */
import { backupVisibilityGap } from "../pve/privileges";
import { formatIsoTime, zonedTimeToDate } from "../tiers/calendar";
import { graceSeconds, otherStackGuests } from "../tiers/config";
import { jobOfNotes } from "../tiers/tierJob";
import { GuestKind, sameJobId } from "../pve/ids";
import { VzdumpGuestLog, VzdumpRunLog, WallTime, readVzdumpLog } from "../pve/vzdumpLog";
import { backupFileName, parseVzdumpFileName } from "../pve/archives";
import { maxBackupsKept } from "../pve/retention";
import { CapacityLevel, GuestState, GuestStatus, StatusDocument, StorageStatusEntry, capacityLevel } from "./document";
import { BackupVolume, JobRun, StatusInput, StorageView, schedulerLogKey } from "./input";
import { ended, lastDueRun, runsOfEvent, scheduleOf, stackJobOf } from "./runs";

/**
 * Why a due run left no task on a node, from what PVE records of its scheduler: pvescheduler not
 * running (nothing starts any job: pve-manager PVE/Service/pvescheduler.pm), or its journal at the
 * event (`PVE::Jobs::run_jobs` warns when a job cannot start, e.g. `PVE::API2::VZDump->vzdump` dies
 * before it forks its task). Undefined when neither says anything.
 */
function missedRunReason(input: StatusInput, node: string, due: Date): string | undefined {
  const scheduler = input.nodes.find((n) => n.node === node)?.scheduler;
  if (scheduler !== undefined && scheduler !== "running") {
    return `pvescheduler is ${scheduler} on node ${node}, so PVE started no job (systemctl start pvescheduler)`;
  }
  const said = input.schedulerLog.get(schedulerLogKey(node, due));
  if (said && said.length > 0) return `pvescheduler logged: ${said.join(" / ")}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Judging

/** A guest's judgement: its document entry, the warnings about its archives, and whether it could be checked. */
export interface GuestJudgement {
  status: GuestStatus;
  /** What the artifact checks found; also in `status.reason`. */
  warnings: string[];
  /** The state is UNKNOWN: what decides it could not be read. */
  unchecked: boolean;
}

export interface StatusReport {
  document: StatusDocument;
  guests: GuestJudgement[];
  /** Per storage id: its capacity level at full retention. */
  capacity: Map<string, CapacityLevel>;
  /** What could not be read at all (a storage's space, the jobs); each leaves the status incomplete. */
  unchecked: string[];
  /** Said once above the tables: e.g. the jobs were taken from the stack. */
  notes: string[];
  /** Per tier id: its job's schedule on the cluster, where it differs from the stack's (what PVE runs). */
  clusterSchedules: Map<string, string>;
  /** Something that decides was not read (`unchecked`, or a guest UNKNOWN): the status is incomplete. */
  couldNotCheck: boolean;
}

/** One backup of a guest, read: its time, and why it does not count as a backup of the guest. */
interface ReadBackup {
  volume: BackupVolume;
  file: string;
  time?: Date;
  /** Why it is no backup of this guest (empty, another kind, a name vzdump does not write). */
  unusable?: string;
}

function readBackup(volume: BackupVolume, kind: GuestKind, timeZone: string): ReadBackup {
  const file = backupFileName(volume.volid);
  const name = parseVzdumpFileName(file);
  const time =
    volume.ctime !== undefined
      ? new Date(volume.ctime * 1000)
      : name
        ? zonedTimeToDate(name.wall, timeZone)
        : undefined;
  let unusable: string | undefined;
  if (!name)
    unusable = `its name is not vzdump's (vzdump-{qemu|lxc}-<vmid>-YYYY_MM_DD-HH_MM_SS...), so its time is unknown`;
  else if (name.kind !== kind)
    unusable = `it is a ${name.kind} archive, the guest is ${kind === "qemu" ? "a VM (qemu)" : "a container (lxc)"}`;
  else if (volume.size === 0) unusable = "it is empty (0 bytes)";
  return { volume, file, time, unusable };
}

const iso = (date: Date) => formatIsoTime(date, "UTC");

function wallToDate(wall: WallTime | undefined, timeZone: string): Date | undefined {
  return wall ? zonedTimeToDate(wall, timeZone) : undefined;
}

/** Seconds a guest took in a run, from its log lines. */
function durationOf(entry: VzdumpGuestLog, timeZone: string): number | undefined {
  if (entry.result === "ok" && entry.seconds !== undefined) return entry.seconds;
  const started = wallToDate(entry.started, timeZone);
  const endedAt = wallToDate(entry.ended, timeZone);
  if (entry.result === "failed" && started && endedAt)
    return Math.max(0, (endedAt.getTime() - started.getTime()) / 1000);
  return undefined;
}

/** What the status says of each guest, each storage and the whole; pure. */
export function judgeStatus(input: StatusInput): StatusReport {
  const { site, at } = input;
  const timeZone = site.timezone;
  const notes: string[] = [];
  const unchecked: string[] = [];
  const clusterGuest = new Map(input.guests.map((g) => [g.vmid, g]));
  const nodes = new Map(input.nodes.map((n) => [n.node, n]));
  const logs = new Map<string, VzdumpRunLog>();
  const logOf = (run: JobRun) => {
    if (!run.log) return undefined;
    if (!logs.has(run.task.upid)) logs.set(run.task.upid, readVzdumpLog(run.log));
    return logs.get(run.task.upid)!;
  };

  const byGuest = new Map<StorageView, Map<number, BackupVolume[]>>();
  const backupsByGuest = (view: StorageView) => {
    let index = byGuest.get(view);
    if (!index) {
      index = new Map();
      for (const b of view.backups ?? []) {
        const vmid = b.vmid ?? parseVzdumpFileName(backupFileName(b.volid))?.vmid;
        if (vmid !== undefined)
          index
            .set(vmid, index.get(vmid) ?? [])
            .get(vmid)!
            .push(b);
      }
      byGuest.set(view, index);
    }
    return index;
  };

  const guests: GuestJudgement[] = [];
  const tierVmids = new Set<number>();
  const newestSize = new Map<number, number>();

  const clusterSchedules = new Map<string, string>();
  for (const tier of site.tiers) {
    const clusterJob = input.jobs?.find((j) => sameJobId(j.id, tier.job));
    if (clusterJob?.schedule !== undefined && clusterJob.schedule !== tier.schedule) {
      clusterSchedules.set(tier.id, clusterJob.schedule);
    }
    const job = input.jobs ? clusterJob : stackJobOf(tier);
    const event = scheduleOf(tier, job);
    const grace = graceSeconds(tier);
    const runs = job ? (input.runs.get(job.id) ?? []) : [];
    const storage = input.storages.get(tier.storage);
    const keep = maxBackupsKept(tier.retention);

    for (const g of tier.guests) {
      tierVmids.add(g.vmid);
      const onCluster = clusterGuest.get(g.vmid);
      const warnings: string[] = [];
      let unknown: string | undefined;
      const entry: GuestStatus = {
        vmid: g.vmid,
        kind: g.kind,
        name: g.name,
        tier: tier.id,
        job: tier.job,
        storage: tier.storage,
        state: "PENDING",
        newest: null,
        lastDue: null,
        nextRun: null,
      };
      const done = (state: GuestState, reason?: string) => {
        entry.state = state;
        const text = [reason, ...warnings].filter(Boolean).join("; ");
        if (text) entry.reason = text;
        guests.push({ status: entry, warnings, unchecked: state === "UNKNOWN" });
      };

      if (!onCluster) {
        warnings.push(
          `not among the cluster's guests (it does not exist, or ${input.tokenId} lacks VM.Audit on /vms/${g.vmid})`,
        );
      } else if (onCluster.kind !== g.kind) {
        warnings.push(`the cluster has ${g.vmid} as ${onCluster.kind}, the stack says ${g.kind}`);
      }

      // The guest's node's runs; all of the job's when its node is not known.
      const nodeRuns = onCluster ? runs.filter((r) => r.task.node === onCluster.node) : runs;
      const historyNodes = onCluster ? [onCluster.node] : input.nodes.map((n) => n.node);
      const historyGap = historyNodes
        .map((n) => nodes.get(n))
        .map((n) => (n && !n.online ? `node ${n.node} is offline` : n?.historyGap))
        .find(Boolean);

      const next = event && job?.enabled !== false ? event.next(at, timeZone) : undefined;
      entry.nextRun = next ? iso(next) : null;

      const lastDue = event ? lastDueRun(event, at, timeZone, grace, nodeRuns) : null;
      entry.lastDue = lastDue ? iso(lastDue) : null;

      // Is it backed up by its tier's job on the cluster at all?
      if (input.jobs && !clusterJob) {
        done("UNTIERED", `tier ${tier.id}'s job ${tier.job} is not on the cluster (pulumi up creates it)`);
        continue;
      }
      if (job && job.vmids && !job.vmids.includes(g.vmid)) {
        done("UNTIERED", `job ${job.id} on the cluster does not back up ${g.vmid} (pulumi up adds it)`);
        continue;
      }
      if (input.notBackedUp?.has(g.vmid)) {
        done("UNTIERED", `PVE lists ${g.vmid} as backed up by no job`);
        continue;
      }

      // Its backups on the tier's storage, as far as the token sees them.
      let newest: ReadBackup | undefined;
      let kept = 0;
      if (!storage || storage.backups === undefined) {
        unknown = `the backups on ${tier.storage} could not be read: ${storage?.error ?? "not read"}`;
      } else {
        const gap = backupVisibilityGap(tier.storage, g.vmid, storage.privileges, storage.guestPrivileges.get(g.vmid));
        if (gap) unknown = `${input.tokenId} ${gap}`;
        const own = (backupsByGuest(storage).get(g.vmid) ?? [])
          .map((b) => readBackup(b, g.kind, timeZone))
          .filter((b) => b.time === undefined || b.time.getTime() <= at.getTime())
          .sort((a, b) => (b.time?.getTime() ?? 0) - (a.time?.getTime() ?? 0));
        const usable = own.filter((b) => !b.unusable);
        newest = usable[0];
        for (const b of own) {
          if (!b.unusable) continue;
          if (!newest || !b.time || b.time.getTime() > (newest.time?.getTime() ?? 0)) {
            warnings.push(`${b.file} does not count: ${b.unusable}`);
          }
        }
        kept = usable.filter((b) => !b.volume.protected).length;
      }

      if (newest) {
        entry.newest = { volid: newest.volume.volid, time: iso(newest.time!), size: newest.volume.size };
        newestSize.set(g.vmid, newest.volume.size);
        const writer = jobOfNotes(newest.volume.notes);
        if (writer === undefined) {
          warnings.push(
            `${newest.file} was not written by job ${tier.job}: its notes name no job (a backup by hand, or by other notes)`,
          );
        } else if (!sameJobId(writer, tier.job)) {
          warnings.push(`${newest.file} was written by job ${writer}, not by tier ${tier.id}'s job ${tier.job}`);
        }
        if (keep > 0 && kept > keep) {
          warnings.push(
            `${kept} backups of ${g.vmid} on ${tier.storage}, tier ${tier.id} keeps ${keep}: is pruning running?`,
          );
        }
      }

      // The runs: the latest ended run that names the guest gives its duration; the run of the last
      // due event says whether it failed.
      const mentioning = nodeRuns
        .filter((r) => ended(r.task, at))
        .map((r) => ({ run: r, log: logOf(r) }))
        .filter((r) => r.log?.guests.has(g.vmid))
        .sort((a, b) => b.run.task.starttime - a.run.task.starttime);
      const last = mentioning[0]?.log?.guests.get(g.vmid);
      const duration = last ? durationOf(last, timeZone) : undefined;
      if (duration !== undefined) entry.duration = duration;

      if (unknown) {
        done("UNKNOWN", unknown);
        continue;
      }
      // A job that can never run again is no health, whatever backups there are.
      if (job?.enabled !== false && !next) {
        const schedule = `job ${job?.id ?? tier.job}'s schedule '${job?.schedule ?? tier.schedule}'`;
        done(
          "FAILED",
          event
            ? `${schedule} never fires${lastDue ? " again" : ""}, so no run will back it up`
            : `${schedule} is not a calendar event PVE runs, so no run will back it up`,
        );
        continue;
      }
      if (newest && (lastDue === null || newest.time!.getTime() >= lastDue.getTime())) {
        done("OK");
        continue;
      }
      const dueRuns =
        lastDue && event
          ? runsOfEvent(event, lastDue, timeZone, runs, at)
              .filter((r) => ended(r.task, at))
              .sort((a, b) => b.task.starttime - a.task.starttime)
          : [];
      const dueText = lastDue ? `the run of ${formatIsoTime(lastDue, timeZone)}` : "the last run";
      let failure: string | undefined;
      let finished = false;
      for (const run of dueRuns) {
        const log = logOf(run);
        const said = log?.guests.get(g.vmid);
        if (said?.result === "failed") failure = said.reason;
        else if (said?.result === "ok") finished = true;
        else if (log?.jobError && (!onCluster || run.task.node === onCluster.node)) failure = log.jobError;
        else if (!log && run.task.status !== "OK" && !run.task.status?.startsWith("WARNINGS")) {
          failure = run.task.status;
        }
        if (failure || finished) break;
      }
      if (failure) {
        done("FAILED", `${dueText} failed: ${failure}`);
        continue;
      }
      // Runs of the job have happened: one for the last due event or an earlier one. A first run
      // still within its grace is no run yet.
      const dueUntil = lastDue && event ? (event.next(lastDue, timeZone)?.getTime() ?? Infinity) / 1000 : -Infinity;
      const everRan =
        (job ? (input.ranBefore.get(job.id) ?? false) : false) || runs.some((r) => r.task.starttime < dueUntil);
      const going = nodeRuns.find((r) => r.task.starttime >= dueUntil && !ended(r.task, at));
      const jobName = job?.id ?? tier.job;
      const notYet = going
        ? `job ${jobName}'s first run, started ${formatIsoTime(new Date(going.task.starttime * 1000), timeZone)}, has not ended yet${logOf(going)?.waitingForLock ? " (it waits for the node's global vzdump lock)" : ""}`
        : `job ${jobName} has not run yet (PVE's task history shows no run): the first is ${next ? formatIsoTime(next, timeZone) : "not scheduled"}`;
      const disabled = job?.enabled === false ? `job ${job.id} is disabled, so no run will make one` : undefined;
      // The due run started no task on the guest's node: what PVE records of why.
      const missed =
        lastDue && event && onCluster && !disabled && runsOfEvent(event, lastDue, timeZone, nodeRuns, at).length === 0
          ? missedRunReason(input, onCluster.node, lastDue)
          : undefined;
      const missedText = missed ? `${dueText} never started: ${missed}` : "";
      const ranButGone = finished ? `${dueText} finished its backup, but the archive is not on ${tier.storage}` : "";
      // Its grace has passed and the due run still goes (a long run, or one queued behind another's lock).
      const stillGoing =
        lastDue && event
          ? runsOfEvent(event, lastDue, timeZone, nodeRuns, at).find((r) => !ended(r.task, at))
          : undefined;
      const goingText = stillGoing
        ? `${dueText} has not ended${logOf(stillGoing)?.waitingForLock ? ": it waits for the node's global vzdump lock, held by another backup" : ""}`
        : "";
      if (newest) {
        if (!everRan && !historyGap && !disabled && !missed) {
          done(
            "PENDING",
            `${notYet}; the newest backup, from ${formatIsoTime(newest.time!, timeZone)}, is not the job's`,
          );
        } else {
          const age = `the newest backup is from ${formatIsoTime(newest.time!, timeZone)}, before ${dueText}`;
          done(
            "LATE",
            [
              age,
              goingText,
              missedText,
              ranButGone,
              disabled,
              historyGap && `its task history cannot be read: ${historyGap}`,
            ]
              .filter(Boolean)
              .join("; "),
          );
        }
        continue;
      }
      if (historyGap) {
        done(
          "UNKNOWN",
          `no backup on ${tier.storage}, and whether job ${job?.id ?? tier.job} has run cannot be told: ${historyGap}`,
        );
        continue;
      }
      if (everRan || disabled || missed) {
        done(
          "MISSING",
          [
            `no backup on ${tier.storage}`,
            goingText,
            missedText,
            ranButGone,
            everRan ? `though job ${job?.id} has run` : "",
            disabled,
          ]
            .filter(Boolean)
            .join("; "),
        );
        continue;
      }
      done("PENDING", notYet);
    }
  }

  // Guests in no tier (templates are left out, as the policy pack leaves them out, and so are the
  // guests the site says another stack backs up: that stack's status judges them).
  const otherStacks = otherStackGuests(site);
  for (const g of [...input.guests].sort((a, b) => a.vmid - b.vmid)) {
    if (tierVmids.has(g.vmid) || g.template || otherStacks.has(g.vmid)) continue;
    const unbacked = input.notBackedUp?.has(g.vmid);
    guests.push({
      status: {
        vmid: g.vmid,
        kind: g.kind,
        name: g.name,
        tier: null,
        job: null,
        storage: null,
        state: "UNTIERED",
        newest: null,
        lastDue: null,
        nextRun: null,
        reason: unbacked
          ? "in no tier, and PVE lists it as backed up by no job"
          : `in no tier of Pulumi.${input.stack}.yaml`,
      },
      warnings: [],
      unchecked: false,
    });
  }

  // Space at full retention per tier storage.
  const storages: StorageStatusEntry[] = [];
  const capacity = new Map<string, CapacityLevel>();
  for (const id of [...new Set(site.tiers.map((t) => t.storage))]) {
    const view = input.storages.get(id);
    if (!view?.space) {
      unchecked.push(`the space of ${id} could not be read: ${view?.error ?? "not read"}`);
      continue;
    }
    const needed = site.tiers
      .filter((t) => t.storage === id)
      .reduce(
        (sum, t) =>
          sum + t.guests.reduce((s, g) => s + (newestSize.get(g.vmid) ?? 0) * (maxBackupsKept(t.retention) + 1), 0),
        0,
      );
    const entry = { id, total: view.space.total, used: view.space.used, avail: view.space.avail, needed };
    storages.push(entry);
    capacity.set(id, capacityLevel(entry));
  }

  if (!input.jobs) {
    notes.push(
      `the cluster's jobs could not be read (${input.tokenId} lacks Sys.Audit on /): the tiers' jobs are judged as the stack declares them`,
    );
  }
  for (const n of input.nodes) {
    if (n.timezone !== undefined && n.timezone !== timeZone) {
      notes.push(
        `node ${n.node} runs on ${n.timezone}, the site on ${timeZone}: PVE runs the schedules on the node's clock, so its runs are at another hour than judged here (npm run doctor)`,
      );
    }
  }
  const okStates: readonly GuestState[] = ["OK", "PENDING"];
  const ok =
    guests.every((g) => okStates.includes(g.status.state)) &&
    [...capacity.values()].every((l) => l !== "over") &&
    unchecked.length === 0;
  return {
    document: { stack: input.stack, at: iso(at), ok, guests: guests.map((g) => g.status), storages },
    guests,
    capacity,
    unchecked,
    notes,
    clusterSchedules,
    couldNotCheck: unchecked.length > 0 || guests.some((g) => g.unchecked),
  };
}
