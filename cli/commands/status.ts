/**
 * `npm run status -- [--stack home] [--stack-dir DIR] [--at ISO] [--json] [--prometheus FILE] [--ca FILE] [--endpoint URL]`
 *
 * Is each guest's newest backup where and when its tier says? Reads the live cluster through the PVE
 * API, connecting as `npm run doctor` does: the guests and jobs, each tier storage's backups and
 * space, the not-backed-up list, the scheduler's vzdump tasks and the logs of the runs that decide.
 * The judgement itself (states, last due run, archive checks, space) is status/judge.ts.
 * Prints a table per tier and a summary line; `--json` the status document; `--prometheus FILE`
 * node-exporter textfile metrics, written atomically.
 *
 * Exit codes: 0 every guest OK or PENDING and the space holds; 1 otherwise; 2 it could not check (bad
 * input, the endpoint or token, or something the token may not see); 3 an internal error.
 */
import { PveApiError, PveErrorKind } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { TaskEntry } from "../../pve/entries";
import { PathPrivileges, STORAGE_LISTING_PRIVILEGES, seesBackup } from "../../pve/privileges";
import { formatIsoTime } from "../../tiers/calendar";
import { Site, graceSeconds } from "../../tiers/config";
import { SCHEDULED_RUN_TASK, VZDUMP_JOB_START } from "../../pve/vzdumpLog";
import { SHARED_STORAGE_TYPES } from "../../pve/storage";
import { formatPruneBackups } from "../../pve/retention";
import { isPveTrue, parseList } from "../../pve/values";
import { sameJobId } from "../../pve/ids";
import { guestsOfResources } from "../../pve/snapshot";
import {
  CommandResult,
  InputError,
  UsageError,
  parseArgs,
  parseTimeFlag,
  plainText,
  runMain,
  userErrorResult,
  writeOutputFile,
} from "../cli";
import { PROJECT_DIR } from "../../start/sources";
import { CONNECTION_FLAGS, ClusterCommandOptions, DEFAULT_STACK, readStackSite, stackConnection } from "../stack";
import {
  CAPACITY_THRESHOLDS,
  GUEST_STATES,
  GuestState,
  JobRun,
  NodeView,
  StatusInput,
  StatusJob,
  StatusReport,
  StorageView,
  earliestCandidate,
  formatAge,
  formatBytes,
  SCHEDULER_START_SLACK_SECONDS,
  isRunOfLog,
  judgeStatus,
  mayBeRunOf,
  scheduleOf,
  schedulerLogKey,
  stackJobOf,
  statusJobOf,
} from "../../status/judge";

const USAGE =
  "usage: npm run status -- [--stack NAME] [--stack-dir DIR] [--at ISO] [--json] [--prometheus FILE] [--ca FILE] [--endpoint URL]\n" +
  "  --stack       the stack whose Pulumi.<stack>.yaml says the tiers (default home)\n" +
  "  --stack-dir   read Pulumi.<stack>.yaml from this folder instead of the project\n" +
  "  --at          judge for this time instead of now: a full ISO time, in the site's zone unless it has an offset\n" +
  "  --json        print the status document: {stack, at, ok, guests: [...], storages: [...]}\n" +
  "  --prometheus  also write node-exporter textfile metrics to FILE (atomically)\n" +
  "  --ca          trust only this CA certificate (PEM), e.g. the node's /etc/pve/pve-root-ca.pem\n" +
  "  --endpoint    read this endpoint instead of the stack's proxmoxve:endpoint (e.g. the PVE API double)\n" +
  "The token comes from PROXMOX_VE_API_TOKEN ('<user>@<realm>!<tokenid>=<secret>').\n";

const SPEC = {
  stack: { type: "string" },
  "stack-dir": { type: "string" },
  at: { type: "string" },
  json: { type: "boolean" },
  prometheus: { type: "string" },
  ...CONNECTION_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

export interface StatusOptions extends ClusterCommandOptions {
  /** The clock for a missing `--at`. */
  now?: () => Date;
}

export async function runStatusCommand(argv: string[], options: StatusOptions = {}): Promise<CommandResult> {
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const stack = flags.stack ?? DEFAULT_STACK;
    const siteFile = readStackSite(flags["stack-dir"] ?? options.stackDir ?? PROJECT_DIR, stack);
    const now = options.now?.() ?? new Date();
    const at = flags.at === undefined ? now : parseTimeFlag("--at", flags.at, siteFile.site.timezone, now);
    const settings = stackConnection(siteFile, flags, options);
    const client = new PveClient(settings);
    let report: StatusReport;
    try {
      report = judgeStatus(await gatherStatusInput(client, siteFile.site, stack, at));
    } catch (err) {
      if (err instanceof PveApiError) throw new InputError(`could not check: ${err.message}`);
      throw err;
    } finally {
      await client.close();
    }
    if (flags.prometheus !== undefined) writeOutputFile(flags.prometheus, renderPrometheus(report));
    const stdout = flags.json
      ? `${JSON.stringify(report.document, null, 2)}\n`
      : renderStatusText(
          report,
          siteFile.site,
          `${settings.endpoint} (${settings.endpointSource}) as ${settings.tokenId}`,
        );
    return { exitCode: report.exitCode, stdout, stderr: "" };
  } catch (err) {
    return userErrorResult(err);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the cluster

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

// ---------------------------------------------------------------------------------------------
// Output

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")}`.trimEnd());
}

/** The summary line: `5/5 OK`, or how many are in each other state, and the space. */
export function summaryLine(report: StatusReport): string {
  const states = report.document.guests.map((g) => g.state);
  const counts = GUEST_STATES.filter((s) => s !== "OK" && states.includes(s)).map(
    (s) => `${states.filter((x) => x === s).length} ${s}`,
  );
  const over = [...report.capacity].filter(([, l]) => l === "over").map(([id]) => id);
  const warn = [...report.capacity].filter(([, l]) => l === "warning").map(([id]) => id);
  const space = over.length
    ? `; space: ${over.join(", ")} over ${CAPACITY_THRESHOLDS.over * 100}% at full retention`
    : warn.length
      ? `; space: ${warn.join(", ")} over ${CAPACITY_THRESHOLDS.warning * 100}% at full retention`
      : "";
  const okCount = states.filter((s) => s === "OK").length;
  return `${okCount}/${states.length} OK${counts.length ? `, ${counts.join(", ")}` : ""}${space}`;
}

/** The table per tier, the guests in no tier, the space per storage and the summary line. */
export function renderStatusText(report: StatusReport, site: Site, source: string): string {
  const zone = site.timezone;
  const at = new Date(report.document.at);
  const local = (iso: string | null) => (iso ? formatIsoTime(new Date(iso), zone).slice(0, 16).replace("T", " ") : "-");
  const lines = [`Status of stack ${report.document.stack} at ${formatIsoTime(at, zone)}, from ${source}`, ""];
  for (const note of report.notes) lines.push(`Note: ${note}`, "");
  const rowsOf = (guests: typeof report.document.guests) => {
    const rows = [["GUEST", "STATE", "NEWEST", "AGE", "SIZE", "NEXT RUN"]];
    const reasons: string[][] = [];
    for (const g of guests) {
      rows.push([
        `${g.kind} ${g.vmid} ${g.name}`,
        g.state,
        g.newest ? local(g.newest.time) : "-",
        g.newest ? formatAge(at.getTime() - Date.parse(g.newest.time)) : "-",
        g.newest ? formatBytes(g.newest.size) : "-",
        local(g.nextRun),
      ]);
      reasons.push(g.reason ? [g.reason] : []);
    }
    const out = table(rows);
    const result = [out[0]];
    out.slice(1).forEach((line, i) => {
      result.push(line);
      for (const r of reasons[i]) result.push(`      ${r}`);
    });
    return result;
  };
  for (const tier of site.tiers) {
    const guests = report.document.guests.filter((g) => g.tier === tier.id);
    const retention = formatPruneBackups(tier.retention);
    const grace = tier.grace ? `, grace ${tier.grace}` : "";
    const lastDue = guests.find((g) => g.lastDue)?.lastDue ?? null;
    const onCluster = report.clusterSchedules.get(tier.id);
    const schedule =
      onCluster === undefined
        ? tier.schedule
        : `${onCluster} on the cluster (the stack says ${tier.schedule}: pulumi up sets it)`;
    lines.push(
      `Tier ${tier.id} (${tier.description}): job ${tier.job}, schedule ${schedule}${grace}, ${tier.storage}, ${retention}; last due run ${local(lastDue)}`,
    );
    lines.push(...rowsOf(guests), "");
  }
  const untiered = report.document.guests.filter((g) => g.tier === null);
  if (untiered.length > 0) lines.push("In no tier", ...rowsOf(untiered), "");
  for (const s of report.document.storages) {
    const share = s.total > 0 ? `${((s.needed / s.total) * 100).toFixed(1)}%` : "-";
    const level = report.capacity.get(s.id);
    const verdict =
      level === "over"
        ? "OVER its size"
        : level === "warning"
          ? `over ${CAPACITY_THRESHOLDS.warning * 100}%: WARNING`
          : "OK";
    lines.push(
      `Storage ${s.id}: the tiers need ${formatBytes(s.needed)} at full retention (newest × (keep + 1)), ${share} of ${formatBytes(s.total)}; ${formatBytes(s.avail)} free: ${verdict}`,
    );
  }
  for (const u of report.unchecked) lines.push(`Not checked: ${u}`);
  lines.push("", summaryLine(report));
  return plainText(lines);
}

/** A Prometheus label value: backslash, double quote and line feed escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

const PREFIX = "pve_backup_tiers_";

/** node-exporter textfile metrics (the Prometheus text format, version 0.0.4). */
export function renderPrometheus(report: StatusReport): string {
  const doc = report.document;
  const out: string[] = [];
  const labels = (l: Record<string, string | number | null>) =>
    `{${Object.entries(l)
      .map(([k, v]) => `${k}="${escapeLabel(v === null ? "" : String(v))}"`)
      .join(",")}}`;
  const metric = (name: string, help: string, samples: [Record<string, string | number | null>, number][]) => {
    out.push(`# HELP ${PREFIX}${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    out.push(`# TYPE ${PREFIX}${name} gauge`);
    for (const [l, v] of samples) out.push(`${PREFIX}${name}${labels(l)} ${v}`);
  };
  const guestLabels = (g: (typeof doc.guests)[number]) => ({
    stack: doc.stack,
    tier: g.tier,
    job: g.job,
    storage: g.storage,
    vmid: g.vmid,
    kind: g.kind,
    name: g.name,
  });
  const seconds = (iso: string) => Date.parse(iso) / 1000;
  metric(
    "guest_state",
    `The guest's state: 1 for the one it is in (${GUEST_STATES.join(", ")}), 0 for the others.`,
    doc.guests.flatMap((g) =>
      GUEST_STATES.map((s): [Record<string, string | number | null>, number] => [
        { ...guestLabels(g), state: s },
        g.state === (s as GuestState) ? 1 : 0,
      ]),
    ),
  );
  const withNewest = doc.guests.filter((g) => g.newest);
  metric(
    "guest_newest_backup_timestamp_seconds",
    "When the guest's newest backup on its tier's storage was made (Unix time); absent without one.",
    withNewest.map((g) => [guestLabels(g), seconds(g.newest!.time)]),
  );
  metric(
    "guest_newest_backup_size_bytes",
    "The size of the guest's newest backup on its tier's storage; absent without one.",
    withNewest.map((g) => [guestLabels(g), g.newest!.size]),
  );
  metric(
    "guest_last_due_run_timestamp_seconds",
    "The last run of the guest's tier whose backup should exist by now (Unix time).",
    doc.guests.filter((g) => g.lastDue).map((g) => [guestLabels(g), seconds(g.lastDue!)]),
  );
  metric(
    "guest_next_run_timestamp_seconds",
    "The next scheduled run of the guest's tier (Unix time).",
    doc.guests.filter((g) => g.nextRun).map((g) => [guestLabels(g), seconds(g.nextRun!)]),
  );
  metric(
    "guest_backup_duration_seconds",
    "How long the guest's backup took in its job's last run, from the task log.",
    doc.guests.filter((g) => g.duration !== undefined).map((g) => [guestLabels(g), g.duration!]),
  );
  const storageLabels = (s: (typeof doc.storages)[number]) => ({ stack: doc.stack, storage: s.id });
  metric(
    "storage_needed_bytes",
    "The space the tiers need on the storage at full retention: each guest's newest backup times (keep + 1).",
    doc.storages.map((s) => [storageLabels(s), s.needed]),
  );
  metric(
    "storage_available_bytes",
    "The storage's free space.",
    doc.storages.map((s) => [storageLabels(s), s.avail]),
  );
  metric(
    "storage_total_bytes",
    "The storage's size.",
    doc.storages.map((s) => [storageLabels(s), s.total]),
  );
  metric("status_ok", "1 when every guest is OK or PENDING and the space holds, else 0.", [
    [{ stack: doc.stack }, doc.ok ? 1 : 0],
  ]);
  metric("status_timestamp_seconds", "The time the status was judged for (Unix time).", [
    [{ stack: doc.stack }, seconds(doc.at)],
  ]);
  return `${out.join("\n")}\n`;
}

if (require.main === module) runMain((argv) => runStatusCommand(argv));
