/**
 * `init`: the stack file for a site whose backup jobs were made by hand, written from what its
 * cluster holds (a snapshot: read live by init/readCluster.ts, or saved). One tier per existing job,
 * its job id kept so that `adopt: true` imports it; the NFS storages that take backups; and, as
 * comments, every decision the file cannot make alone (each marked `DECIDE`): the tiers' names,
 * the guests in no job, a storage that does not exist, keep-all, jobs that back up all guests or a
 * pool. `npm run check` on the result names exactly those decisions.
 */
import { Document, Node, Scalar, YAMLMap, YAMLSeq, isMap, isSeq } from "yaml";
import { adoptionBlocker } from "../tiers/adoption";
import { SITE_KEY, CONFIG_NAMESPACE } from "../tiers/config";
import { BACKUP_CONTENT } from "../pve/storage";
import { isBounded } from "../pve/retention";
import { cadence, guestsOfJob, storageEntry, tierEntry } from "./siteOfCluster";
import { ClusterSnapshot, snapshotGuests, snapshotJobs, snapshotPools, snapshotStorages } from "../pve/snapshot";

export interface InitOptions {
  stack: string;
  /** `proxmoxve:endpoint`: the node's API, as the operator reaches it. */
  endpoint?: string;
  /** Written only when the operator asked for it (`--insecure`). */
  insecure?: boolean;
  /** Where the cluster was read from, for the header: an endpoint or a snapshot file. */
  source: string;
}

/** What the file leaves to the operator, each as `npm run check` will name it. */
interface InitDecision {
  /** The site key path the decision is about, e.g. `tiers[1].storage`. */
  path: string;
  what: string;
}

export interface InitResult {
  text: string;
  decisions: InitDecision[];
}

const KEEP_ALL_NOTE =
  "DECIDE: keep-all keeps every backup forever (PVE's default when nothing is set); the site refuses it: set keep-last (and friends)";

/** The stack file for `snapshot`'s cluster, with the decisions it leaves. */
export function initStackFile(snapshot: ClusterSnapshot, options: InitOptions): InitResult {
  const decisions: InitDecision[] = [];
  const guests = snapshotGuests(snapshot);
  const pools = snapshotPools(snapshot);
  const storages = snapshotStorages(snapshot);
  const storageById = new Map(storages.map((s) => [s.id, s]));
  const jobs = snapshotJobs(snapshot)
    .map((job) => ({ job, ...cadence(job.schedule) }))
    .sort(
      (a, b) => a.rank - b.rank || a.job.schedule.localeCompare(b.job.schedule) || a.job.id.localeCompare(b.job.id),
    );

  // NFS storages that take backups are the site's to manage; every other storage a job writes to exists as it is.
  const managed = storages.filter((s) => s.type === "nfs" && s.content.includes(BACKUP_CONTENT));
  const managedIds = new Set(managed.map((s) => s.id));
  const existing = [...new Set(jobs.map(({ job }) => job.storage ?? "local"))]
    .filter((id) => !managedIds.has(id))
    .sort();

  const site = {
    timezone: snapshot.timezone ?? "UTC",
    storages: managed.map((s) => storageEntry(s)),
    existingStorages: existing,
    tiers: jobs.map(({ job, word }, i) =>
      tierEntry(job, word, i, guestsOfJob(job, guests, pools), storageById, managedIds),
    ),
  };
  const config: Record<string, unknown> = {};
  if (options.endpoint !== undefined) config["proxmoxve:endpoint"] = options.endpoint;
  if (options.insecure) config["proxmoxve:insecure"] = "true";
  config[`${CONFIG_NAMESPACE}:adopt`] = true;
  config[SITE_KEY] = site;

  const doc = new Document({ config });
  doc.commentBefore = [
    ` Pulumi.${options.stack}.yaml, written by \`pve-backup-tiers init --stack ${options.stack}\` from ${options.source}.`,
    " Every existing backup job is a tier here, under its own job id, so that the first `pulumi up`",
    " (with adopt: true) imports it instead of making a second job. What this file cannot decide is",
    " marked DECIDE; `npm run check -- --stack " + options.stack + "` names each until it is decided.",
    " The API token is a secret and never sits here in plain text:",
    "   pulumi config set --secret proxmoxve:apiToken '<user>@<realm>!<tokenid>=<secret>'",
  ].join("\n");
  const siteNode = doc.getIn(["config", SITE_KEY], true) as YAMLMap;
  if (!snapshot.timezone) {
    siteNode.get("timezone", true)!.comment = " DECIDE: the node's time zone was not read; PVE runs schedules in it";
    decisions.push({ path: "timezone", what: "the node's time zone was not read" });
  }
  (doc.getIn(["config", `${CONFIG_NAMESPACE}:adopt`], true) as { comment?: string }).comment =
    " the first pulumi up imports the jobs and storages by their ids; then set it to false (docs/getting-started.md, step 7)";

  // Storages
  const storageSeq = seqAt(siteNode, "storages");
  managed.forEach((s, i) => {
    const entry = storageSeq.items[i] as YAMLMap;
    if (!s.pruneBackups || !isBounded(s.pruneBackups)) {
      mapAt(entry, "retention").commentBefore = ` ${KEEP_ALL_NOTE}`;
      decisions.push({ path: `storages[${i}].retention`, what: `storage ${s.id} keeps every backup (keep-all)` });
    }
    flowLists(entry, ["content", "nodes"]);
  });
  const existingSeq = seqAt(siteNode, "existingStorages");
  existingSeq.flow = true;
  const missing = existing.filter((id) => !storageById.has(id));
  if (missing.length > 0) {
    existingSeq.comment = ` DECIDE: PVE has no storage ${missing.join(", ")}: check names each job that writes there`;
  }

  // Tiers
  const tierSeq = seqAt(siteNode, "tiers");
  jobs.forEach(({ job }, i) => {
    const entry = tierSeq.items[i] as YAMLMap;
    const { guests: jobGuests, resolved, unknown } = guestsOfJob(job, guests, pools);
    const notes = [
      ` DECIDE: id, description, priority and critical are proposals from the schedule (${job.schedule}).`,
    ];
    if (!job.enabled) {
      notes.push(` Job ${job.id} is disabled on the cluster: the stack enables it.`);
      decisions.push({ path: `tiers[${i}]`, what: `job ${job.id} is disabled on the cluster: pulumi up enables it` });
    }
    if (job.notesTemplate !== undefined) {
      notes.push(
        ` Its notes-template on the cluster, ${JSON.stringify(job.notesTemplate)}, gives way to the stack's (naming tier and job, as status reads it).`,
      );
    }
    entry.commentBefore = notes.join("\n");
    if (resolved) {
      const vmids = jobGuests.map((g) => g.vmid);
      const blocker = adoptionBlocker(job.id, { all: job.all, exclude: job.excludes, pool: job.pool }, vmids);
      seqAt(entry, "guests").commentBefore = [
        ` DECIDE: ${resolved}; the stack backs up the guests it lists, so these are today's, by vmid.`,
        ...(blocker
          ? [` Adopted as it is, ${blocker.reason}; switch it to these guests by hand first:`, `   ${blocker.fix}`]
          : [" Adopted, its first pulumi up sets these vmids (PVE then drops the pool)."]),
      ].join("\n");
      decisions.push({ path: `tiers[${i}].guests`, what: `job ${job.id}: ${resolved}` });
    }
    if (unknown.length > 0) {
      decisions.push({
        path: `tiers[${i}].guests`,
        what: `job ${job.id} names ${unknown.join(", ")}, no guest of the cluster`,
      });
      seqAt(entry, "guests").comment =
        ` DECIDE: job ${job.id} also names ${unknown.join(", ")}, which the cluster does not have (left out)`;
    }
    const storage = job.storage ?? "local";
    if (!storageById.has(storage)) {
      (entry.get("storage", true) as Node).comment = ` DECIDE: PVE has no storage ${storage}: this job fails every run`;
      decisions.push({ path: `tiers[${i}].storage`, what: `job ${job.id} writes to ${storage}, which does not exist` });
    }
    const retention = entry.get("retention", true);
    if (isMap(retention) && retention.has("keep-all")) {
      retention.commentBefore = ` ${KEEP_ALL_NOTE}`;
      decisions.push({ path: `tiers[${i}].retention`, what: `job ${job.id} keeps every backup (keep-all)` });
    }
    for (const g of seqAt(entry, "guests").items) (g as YAMLMap).flow = true;
    // `03:00` is a string to YAML 1.2, but a number (sexagesimal) to YAML 1.1 readers: quote it.
    (entry.get("schedule", true) as Scalar).type = "QUOTE_DOUBLE";
    const notification = entry.get("notification", true);
    if (isMap(notification)) flowLists(notification, ["mailto"]);
  });

  // Guests no job backs up: the check names each until it is placed.
  const covered = new Set(jobs.flatMap(({ job }) => guestsOfJob(job, guests, pools).guests.map((g) => g.vmid)));
  const unplaced = guests.filter((g) => !g.template && !covered.has(g.vmid)).sort((a, b) => a.vmid - b.vmid);
  if (unplaced.length > 0) {
    tierSeq.comment = [
      " DECIDE: guests no job backs up; add each to a tier's guests (or to otherStacks):",
      ...unplaced.map((g) => `   - { vmid: ${g.vmid}, kind: ${g.kind}, name: ${g.name} }   # on node ${g.node}`),
    ].join("\n");
    for (const g of unplaced) {
      decisions.push({ path: "tiers", what: `${g.kind} ${g.vmid} (${g.name}) is in no job` });
    }
  }
  if (jobs.length === 0) {
    decisions.push({ path: "tiers", what: "the cluster has no backup job: write the first tier" });
  }
  return { text: doc.toString({ lineWidth: 0, flowCollectionPadding: false }), decisions };
}

/** The sequence under `key`: the document was built from plain data, so anything else is a bug. */
function seqAt(map: YAMLMap, key: string): YAMLSeq {
  const node = map.get(key, true);
  if (!isSeq(node)) throw new Error(`init: ${key} is not a list in the document it built`);
  return node;
}

function mapAt(map: YAMLMap, key: string): YAMLMap {
  const node = map.get(key, true);
  if (!isMap(node)) throw new Error(`init: ${key} is not a map in the document it built`);
  return node;
}

function flowLists(map: YAMLMap, keys: readonly string[]): void {
  for (const key of keys) {
    const node = map.get(key, true);
    if (isSeq(node)) node.flow = true;
  }
}
