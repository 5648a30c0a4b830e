/**
 * What `npm run status` reads of the cluster through the PVE API, for status/judge.ts: the guests and
 * jobs, each tier storage's backups and space, the not-backed-up list, the scheduler's vzdump tasks
 * and the logs of the runs that decide. A call the token may not make (or an offline node refuses)
 * leaves its part unread, and the judgement says so; any other PVE API error propagates.
 */
import { PveApiError, PveErrorKind } from "../pve/apiError";
import { PveClient } from "../pve/client";
import { TaskEntry } from "../pve/entries";
import { PathPrivileges, STORAGE_LISTING_PRIVILEGES, seesBackup } from "../pve/privileges";
import { formatIsoTime } from "../tiers/calendar";
import { Site, graceSeconds } from "../tiers/config";
import { SCHEDULED_RUN_TASK, VZDUMP_JOB_START } from "../pve/vzdumpLog";
import { SHARED_STORAGE_TYPES } from "../pve/storage";
import { isPveTrue, parseList } from "../pve/values";
import { sameJobId } from "../pve/ids";
import { guestsOfResources } from "../pve/snapshot";
import { JobRun, NodeView, StatusInput, StatusJob, StorageView, schedulerLogKey } from "./input";
import {
  SCHEDULER_START_SLACK_SECONDS,
  earliestCandidate,
  isRunOfLog,
  mayBeRunOf,
  scheduleOf,
  stackJobOf,
  statusJobOf,
} from "./runs";

/** Runs `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What a call may be refused for without failing the whole status: a privilege, an offline node. */
const REFUSALS: readonly PveErrorKind[] = ["forbidden", "node-offline"];
/** Also, for one storage's reads: PVE's error (`storage 'X' is not online`), or a space it cannot measure. */
const STORAGE_READ_FAILURES: readonly PveErrorKind[] = [...REFUSALS, "server", "implausible"];

/** A call that may be refused: undefined and the refusal's message instead of a failed run. */
async function unlessRefused<T>(
  call: Promise<T>,
  refusals: readonly PveErrorKind[] = REFUSALS,
): Promise<{ value?: T; refused?: string }> {
  try {
    return { value: await call };
  } catch (err) {
    if (err instanceof PveApiError && refusals.includes(err.kind)) return { refused: err.message };
    throw err;
  }
}

const CONCURRENCY = 8;
/**
 * How much of a task's log the status reads to tell whose run it is. A run's job line comes after
 * what the `job-init` hook prints and the lock wait (pve-manager PVE/VZDump.pm `new`, `getlock`); a run
 * that died before it logged only its error (`TASK ERROR: ...`, pve-common PVE/RESTEnvironment.pm
 * `fork_worker`), so a few lines tell both apart.
 */
const LOG_HEAD_LINES = 50;
/** The systemd service that starts every scheduled job (pve-manager PVE/Service/pvescheduler.pm). */
const SCHEDULER_SERVICE = "pvescheduler";
/** How much of pvescheduler's journal around one due event the status reads. */
const SCHEDULER_LOG_LINES = 20;
/** What `GET /nodes/{node}/syslog` answers for an empty journal (pve-common PVE/Tools.pm `dump_journal`). */
const JOURNAL_EMPTY = "no content";

/** What the status reads of the cluster, for `judgeStatus`. PVE API errors other than refusals propagate. */
export async function gatherStatusInput(client: PveClient, site: Site, stack: string, at: Date): Promise<StatusInput> {
  const atSeconds = Math.floor(at.getTime() / 1000);
  const [resources, nodeList, jobsRead, notBackedUpRead, storageConfigs] = await Promise.all([
    client.clusterResources("vm"),
    client.nodes(),
    unlessRefused(client.backupJobs()),
    unlessRefused(client.notBackedUp()),
    client.storages(),
  ]);
  const guests = guestsOfResources(resources);
  const jobs = jobsRead.value?.map((j) => statusJobOf(j));
  const notBackedUp = notBackedUpRead.value ? new Set(notBackedUpRead.value.map((g) => Number(g.vmid))) : undefined;
  const privilegesAt = async (p: string): Promise<PathPrivileges> => (await client.permissions(p))[p] ?? {};

  // Nodes: online, and whether the token sees the scheduler's (root@pam's) tasks and journal there.
  const journalReadable = new Set<string>();
  const nodes: NodeView[] = await mapLimit(nodeList, CONCURRENCY, async (n) => {
    const online = n.status === "online";
    const held = await privilegesAt(`/nodes/${n.node}`);
    if (held["Sys.Syslog"] !== undefined) journalReadable.add(n.node);
    const historyGap =
      held["Sys.Audit"] === undefined
        ? `${client.tokenId} lacks Sys.Audit on /nodes/${n.node}, so PVE shows it none of the scheduler's (root@pam's) tasks there`
        : undefined;
    const timezone = online ? (await unlessRefused(client.nodeTime(n.node))).value?.timezone : undefined;
    return { node: n.node, online, historyGap, timezone };
  });
  const online = nodes.filter((n) => n.online).map((n) => n.node);

  // The tiers' storages: backups and space, a shared storage once.
  const storages = new Map<string, StorageView>();
  const guestNode = new Map(guests.map((g) => [g.vmid, g.node]));
  for (const id of [...new Set(site.tiers.map((t) => t.storage))]) {
    const tierGuests = site.tiers.filter((t) => t.storage === id).flatMap((t) => t.guests.map((g) => g.vmid));
    const view: StorageView = { id, privileges: await privilegesAt(`/storage/${id}`), guestPrivileges: new Map() };
    storages.set(id, view);
    if (!STORAGE_LISTING_PRIVILEGES.some((p) => view.privileges[p] !== undefined)) {
      view.error = `${client.tokenId} lacks ${STORAGE_LISTING_PRIVILEGES.join(" or ")} on /storage/${id}`;
      view.backups = [];
      continue;
    }
    if (!seesBackup(view.privileges)) {
      // Only VM.Backup on a guest shows its backups: read it per guest.
      const held = await mapLimit(tierGuests, CONCURRENCY, (vmid) => privilegesAt(`/vms/${vmid}`));
      tierGuests.forEach((vmid, i) => view.guestPrivileges.set(vmid, held[i]));
    }
    const config = storageConfigs.find((s) => s.storage === id);
    if (!config) {
      view.error = `storage ${id} is not on the cluster`;
      continue;
    }
    const configured = config.nodes ? parseList(config.nodes) : nodes.map((n) => n.node);
    const shared = isPveTrue(config.shared) || SHARED_STORAGE_TYPES.includes(String(config.type));
    const wanted = new Set(tierGuests.map((v) => guestNode.get(v)).filter((n): n is string => !!n));
    const readFrom = shared
      ? [configured.filter((n) => online.includes(n)).sort((a, b) => Number(wanted.has(b)) - Number(wanted.has(a)))[0]]
      : configured.filter((n) => wanted.has(n));
    const offline = readFrom.filter((n) => n === undefined || !online.includes(n));
    if (readFrom.length === 0 || offline.length > 0) {
      view.error = shared
        ? `no node of ${id} (${configured.join(", ")}) is online`
        : `${id} is on node(s) ${[...wanted].filter((n) => !online.includes(n)).join(", ")}, which are offline`;
      continue;
    }
    // A storage PVE cannot activate (its NFS server away: `storage 'X' is not online`) or whose space
    // it cannot measure (size 0) leaves its guests and its space unchecked, not the whole status.
    const reads = await Promise.all(
      readFrom.map(async (node) => ({
        content: await unlessRefused(client.storageContent(node, id, { content: "backup" }), STORAGE_READ_FAILURES),
        status: await unlessRefused(client.storageStatus(node, id), STORAGE_READ_FAILURES),
      })),
    );
    const refused = reads.flatMap((r) => [r.content.refused, r.status.refused]).find(Boolean);
    if (refused) view.error = refused;
    if (reads.every((r) => r.content.value)) view.backups = reads.flatMap((r) => r.content.value!);
    if (reads.every((r) => r.status.value?.total !== undefined)) {
      const sum = (k: "total" | "used" | "avail") => reads.reduce((s, r) => s + Number(r.status.value![k] ?? 0), 0);
      view.space = { total: sum("total"), used: sum("used"), avail: sum("avail") };
    }
  }

  // The scheduler's vzdump tasks up to `at`, newest first, on every node whose history the token sees.
  const tasks: TaskEntry[] = [];
  for (const n of nodes.filter((v) => v.online && !v.historyGap)) {
    const filter = { typefilter: SCHEDULED_RUN_TASK.type, userfilter: SCHEDULED_RUN_TASK.user, until: atSeconds };
    tasks.push(...(await client.allNodeTasks(n.node, { ...filter, source: "all" })));
  }
  tasks.sort((a, b) => b.starttime - a.starttime);

  // Which tasks are runs of the tiers' jobs: by the head of their logs, read once each.
  const tierJobs: StatusJob[] = site.tiers
    .map((t) => (jobs ? jobs.find((j) => sameJobId(j.id, t.job)) : stackJobOf(t)))
    .filter((j): j is StatusJob => j !== undefined);
  const eventOf = new Map(
    tierJobs.map(
      (j) =>
        [
          j.id,
          scheduleOf(
            site.tiers.find((t) => sameJobId(t.job, j.id))!,
            j,
          ),
        ] as const,
    ),
  );
  const heads = new Map<string, string[] | undefined>();
  const readHeads = async (candidates: TaskEntry[]) => {
    const unread = candidates.filter((t) => !heads.has(t.upid));
    const read = await mapLimit(unread, CONCURRENCY, async (t) => {
      const head = (await unlessRefused(client.taskLog(t.node, t.upid, { start: 0, limit: LOG_HEAD_LINES }))).value;
      const lines = head?.map((l) => l.t);
      // More output before the job line than the head holds (a chatty job-init hook): the whole log.
      if (lines && lines.length >= LOG_HEAD_LINES && !lines.some((l) => l.startsWith(VZDUMP_JOB_START))) {
        return (await unlessRefused(client.taskLogLines(t.node, t.upid))).value;
      }
      return lines;
    });
    unread.forEach((t, i) => heads.set(t.upid, read[i]));
  };
  const isRun = (t: TaskEntry, job: StatusJob) => {
    const head = heads.get(t.upid);
    return head !== undefined && isRunOfLog(t, head, job, eventOf.get(job.id), site.timezone);
  };

  // First the runs that can decide a guest's state: from each tier's earliest candidate for its last due run on.
  const runs = new Map<string, JobRun[]>();
  const ranBefore = new Map<string, boolean>();
  const windowStart = new Map<string, number>();
  for (const tier of site.tiers) {
    const job = tierJobs.find((j) => sameJobId(j.id, tier.job));
    const event = job && eventOf.get(job.id);
    if (!job || !event) continue;
    const from = earliestCandidate(event, at, site.timezone, graceSeconds(tier));
    windowStart.set(job.id, Math.min(windowStart.get(job.id) ?? Infinity, from ? from.getTime() / 1000 : Infinity));
  }
  const inWindow = (t: TaskEntry, job: StatusJob) => t.starttime >= (windowStart.get(job.id) ?? Infinity);
  await readHeads(tasks.filter((t) => tierJobs.some((j) => inWindow(t, j) && mayBeRunOf(t, j))));
  for (const job of tierJobs) {
    runs.set(
      job.id,
      tasks.filter((t) => inWindow(t, job) && mayBeRunOf(t, job) && isRun(t, job)).map((task) => ({ task })),
    );
  }
  // Did the job run before? Older candidates, newest first, until one is its run: for a job that
  // runs, the first one read.
  for (const job of tierJobs) {
    const older = tasks.filter((t) => !inWindow(t, job) && mayBeRunOf(t, job));
    for (let i = 0; i < older.length && !ranBefore.get(job.id); i += CONCURRENCY) {
      const batch = older.slice(i, i + CONCURRENCY);
      await readHeads(batch);
      if (batch.some((t) => isRun(t, job))) ranBefore.set(job.id, true);
    }
  }
  // Due runs that left no task on a node: what PVE recorded of its scheduler then. A run that never
  // started leaves no task (pvescheduler stopped, or `PVE::API2::VZDump->vzdump` died before it forked
  // one: pve-manager PVE/Jobs.pm `run_jobs` only warns), so its journal and its state tell why.
  const schedulerLog = new Map<string, string[]>();
  const askScheduler = new Set<string>();
  const guestNodeOf = new Map(guests.map((g) => [g.vmid, g.node]));
  for (const tier of site.tiers) {
    const job = tierJobs.find((j) => sameJobId(j.id, tier.job));
    const event = job && eventOf.get(job.id);
    if (!job?.enabled || !event) continue;
    const due = earliestCandidate(event, at, site.timezone, graceSeconds(tier));
    if (!due) continue;
    const from = due.getTime() / 1000;
    const tierNodes = new Set(tier.guests.map((g) => guestNodeOf.get(g.vmid)).filter((n): n is string => !!n));
    for (const node of tierNodes) {
      const view = nodes.find((n) => n.node === node);
      if (!view?.online || view.historyGap) continue;
      const started = (runs.get(job.id) ?? []).some(
        (r) =>
          r.task.node === node && r.task.starttime >= from && r.task.starttime < from + SCHEDULER_START_SLACK_SECONDS,
      );
      const key = schedulerLogKey(node, due);
      if (started) continue;
      askScheduler.add(node);
      if (schedulerLog.has(key) || !journalReadable.has(node)) continue;
      const wall = (d: Date) => formatIsoTime(d, site.timezone).slice(0, 19).replace("T", " ");
      const read = await unlessRefused(
        client.syslog(node, {
          service: SCHEDULER_SERVICE,
          since: wall(due),
          until: wall(new Date((from + SCHEDULER_START_SLACK_SECONDS) * 1000)),
          limit: SCHEDULER_LOG_LINES,
        }),
      );
      if (read.value)
        schedulerLog.set(
          key,
          read.value.map((l) => l.t).filter((t) => t !== JOURNAL_EMPTY),
        );
    }
  }
  for (const node of askScheduler) {
    const state = await unlessRefused(client.serviceState(node, SCHEDULER_SERVICE));
    const view = nodes.find((n) => n.node === node)!;
    if (state.value?.state) view.scheduler = state.value.state;
  }

  // The whole logs of the runs that decide.
  const decisive = [...runs.values()].flat();
  const logs = await mapLimit(
    decisive,
    CONCURRENCY,
    async (r) => (await unlessRefused(client.taskLogLines(r.task.node, r.task.upid))).value,
  );
  decisive.forEach((r, i) => (r.log = logs[i]));

  return {
    stack,
    site,
    at,
    tokenId: client.tokenId,
    guests,
    jobs,
    notBackedUp,
    nodes,
    storages,
    runs,
    ranBefore,
    schedulerLog,
  };
}
