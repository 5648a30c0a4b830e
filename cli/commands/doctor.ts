/**
 * `npm run doctor -- [--stack home] [--json] [--ca FILE] [--endpoint URL]`
 *
 * What a real cluster would do to the first `pulumi preview`/`up`, checked before it runs: the
 * endpoint answers and its certificate is trusted, the token is valid and holds the privileges the
 * program needs (privilege separation included), PVE is 8 or later, every node is online, each
 * tier's storage and guests exist, and nothing on the cluster trips the provider (jobs with
 * `exclude-path`, jobs to adopt that back up `all`, by `exclude` or by `pool`) or silently drops a
 * tier's mail (`notification-mode`). One line per check, OK or FAIL, with the fix.
 *
 * Exit codes: 0 every check passed; 1 a check failed; 2 it could not check (bad input, the endpoint
 * unreachable or untrusted, the token rejected); 3 an internal error.
 */
import { PveApiError, PveErrorKind } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { probeTls } from "../../pve/tls";
import type { BackupJobEntry } from "../../pve/job";
import type { ConnectionSettings } from "../../pve/connection";
import { PathPrivileges, splitTokenId } from "../../pve/privileges";
import { missingPrivileges, programPrivileges, pveumFix } from "../../pve/programPrivileges";
import { Site, Tier } from "../../tiers/config";
import type { ClusterGuest } from "../../tiers/inventory";
import { adoptionBlocker } from "../../tiers/adoption";
import { BACKUP_CONTENT } from "../../pve/storage";
import { MAIL_HONOURING_MODES } from "../../pve/job";
import { isPveTrue, parseList } from "../../pve/values";
import { redactSecrets } from "../../pve/secrets";
import { sameJobId } from "../../pve/ids";
import { guestsOfResources } from "../../pve/snapshot";
import type { SiteFile } from "../../tiers/stackConfig";
import { CommandResult, UsageError, parseArgs, plainText, runMain, userErrorResult } from "../cli";
import { PROJECT_DIR } from "../../start/sources";
import { CONNECTION_FLAGS, ClusterCommandOptions, DEFAULT_STACK, readStackSite, stackConnection } from "../stack";

const USAGE =
  "usage: npm run doctor -- [--stack NAME] [--json] [--ca FILE] [--endpoint URL]\n" +
  "  --stack     the stack whose Pulumi.<stack>.yaml to check against its cluster (default home)\n" +
  "  --json      print one JSON document: {ok, checks: [{id, ok, message, fix?}]}\n" +
  "  --ca        trust only this CA certificate (PEM), e.g. the node's /etc/pve/pve-root-ca.pem\n" +
  "  --endpoint  check this endpoint instead of the stack's proxmoxve:endpoint (e.g. the PVE API double)\n" +
  "The token comes from PROXMOX_VE_API_TOKEN ('<user>@<realm>!<tokenid>=<secret>').\n";

const SPEC = {
  stack: { type: "string" },
  json: { type: "boolean" },
  ...CONNECTION_FLAGS,
  help: { type: "boolean", short: "h" },
} as const;

/** One check's verdict. */
export interface Check {
  id: string;
  ok: boolean;
  message: string;
  fix?: string;
}

/** The checks stop here: nothing further can be learnt from this endpoint with this token. */
class CannotCheck extends Error {}

/** An endpoint whose answers are broken (not PVE's, over the limits, or out of time) can be checked no further. */
const BROKEN_ANSWERS: readonly PveErrorKind[] = [
  "malformed",
  "shape",
  "implausible",
  "too-large",
  "no-progress",
  "deadline",
];

export async function runDoctorCommand(argv: string[], options: ClusterCommandOptions = {}): Promise<CommandResult> {
  let json = false;
  try {
    const { flags, positionals } = parseArgs(argv, SPEC);
    if (flags.help) return { exitCode: 0, stdout: USAGE, stderr: "" };
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    json = flags.json === true;
    const stack = flags.stack ?? DEFAULT_STACK;
    const siteFile = readStackSite(options.stackDir ?? PROJECT_DIR, stack);
    const settings = stackConnection(siteFile, flags, options);
    const { checks, couldNotCheck } = await diagnose(siteFile, settings);
    const ok = checks.every((c) => c.ok);
    const exitCode = couldNotCheck ? 2 : ok ? 0 : 1;
    const stdout = json
      ? `${JSON.stringify({ ok: ok && !couldNotCheck, checks }, null, 2)}\n`
      : renderText(stack, settings, checks, couldNotCheck);
    return { exitCode, stdout, stderr: "" };
  } catch (err) {
    const result = userErrorResult(err);
    // A --json reader gets a document too, the message in JSON's own escaping (stderr's is the terminal's).
    const error = `error: ${redactSecrets((err as Error).message)}`;
    return json ? { ...result, stdout: `${JSON.stringify({ ok: false, checks: [], error })}\n` } : result;
  }
}

function renderText(stack: string, settings: ConnectionSettings, checks: Check[], couldNotCheck: string | undefined) {
  const lines = [
    `Doctor for stack ${stack}: ${settings.endpoint} (${settings.endpointSource}) as ${settings.tokenId}`,
    "",
  ];
  for (const c of checks) {
    lines.push(`${c.ok ? "OK  " : "FAIL"} ${c.id}: ${c.message}`);
    if (c.fix) for (const line of c.fix.split("\n")) lines.push(`     fix: ${line}`);
  }
  lines.push("");
  const failed = checks.filter((c) => !c.ok).length;
  if (couldNotCheck) lines.push(`Could not check the rest: ${couldNotCheck}.`);
  else if (failed === 0)
    lines.push(`All ${checks.length} checks passed: ready for pulumi preview --policy-pack policy.`);
  else lines.push(`${failed} of ${checks.length} checks failed.`);
  return plainText(lines);
}

/** Runs the checks in order; stops when the endpoint, its certificate or the token make the rest impossible. */
async function diagnose(
  siteFile: SiteFile,
  settings: ConnectionSettings,
): Promise<{ checks: Check[]; couldNotCheck?: string }> {
  const checks: Check[] = [];
  const client = new PveClient(settings);
  try {
    const doctor = new Doctor(siteFile, settings, client, checks);
    await doctor.run();
    return { checks };
  } catch (err) {
    if (err instanceof CannotCheck) return { checks, couldNotCheck: err.message };
    throw err;
  } finally {
    await client.close();
  }
}

/** What the doctor learnt of the cluster, shared between checks. */
interface Seen {
  guests?: ClusterGuest[];
  jobs?: BackupJobEntry[];
  /** Node → storage rows of `GET /nodes/{node}/storage`, or the error for that node. */
  nodeStorages: Map<string, Record<string, unknown>[] | PveApiError>;
  offline: Set<string>;
  privilegesOk: boolean;
}

class Doctor {
  private readonly site: Site;
  private readonly seen: Seen = { nodeStorages: new Map(), offline: new Set(), privilegesOk: true };

  constructor(
    private readonly siteFile: SiteFile,
    private readonly settings: ConnectionSettings,
    private readonly client: PveClient,
    private readonly checks: Check[],
  ) {
    this.site = siteFile.site;
  }

  private add(check: Check): void {
    this.checks.push(check);
  }

  /** Runs a check; an API error it does not handle itself becomes its FAIL line. */
  private async check(id: string, body: () => Promise<Check | Check[]>): Promise<void> {
    try {
      const result = await body();
      for (const c of Array.isArray(result) ? result : [result]) this.add(c);
    } catch (err) {
      if (!(err instanceof PveApiError)) throw err;
      const privilege = err.kind === "forbidden" ? " (see the privileges check)" : "";
      this.add({ id, ok: false, message: `not checked: ${err.message}${privilege}` });
      if (BROKEN_ANSWERS.includes(err.kind)) throw new CannotCheck(err.message);
    }
  }

  async run(): Promise<void> {
    await this.endpointAndToken();
    await this.check("version", () => this.versionCheck());
    await this.check("privileges", () => this.privilegesCheck());
    await this.check("nodes", () => this.nodesCheck());
    await this.check("timezone", () => this.timezoneCheck());
    await this.check("guests", () => this.guestsCheck());
    await this.check("storages", () => this.storagesCheck());
    await this.check("exclude-path", () => this.excludePathCheck());
    await this.check("adopt", () => this.adoptCheck());
    await this.check("notification-mode", () => this.notificationCheck());
  }

  private versionInfo?: { version: string };

  /** endpoint, certificate and token: each failure here ends the run (exit 2). */
  private async endpointAndToken(): Promise<void> {
    const { endpoint, endpointSource } = this.settings;
    const probe = await probeTls(endpoint);
    if (!probe.ok) {
      this.add({
        id: "endpoint",
        ok: false,
        message: `${endpoint} (${endpointSource}) cannot be reached: ${probe.error}`,
        fix: `check ${endpointSource} (https://<node>:8006/) and that this machine reaches the node's port 8006`,
      });
      throw new CannotCheck("the endpoint cannot be reached");
    }
    this.add({ id: "endpoint", ok: true, message: `${endpoint} answers TLS (${endpointSource})` });
    const cert = probe.certificate;
    try {
      this.versionInfo = await this.client.version();
    } catch (err) {
      if (!(err instanceof PveApiError)) throw err;
      if (err.kind === "tls" && this.settings.caFile) {
        this.add({
          id: "certificate",
          ok: false,
          message: `the certificate of ${endpoint} is not signed by the CA in ${this.settings.caFile} (it is issued by ${cert.issuer}; SHA-256 ${cert.fingerprint256})`,
          fix: "pass the CA that signed it: the node's /etc/pve/pve-root-ca.pem, copied here, with --ca FILE",
        });
        throw new CannotCheck("the certificate is not signed by the pinned CA");
      }
      if (err.kind === "tls-name") {
        this.add({
          id: "certificate",
          ok: false,
          message: err.message.slice(err.endpoint.length + 2),
          fix: `set ${endpointSource} to a name the certificate holds (\`pvenode cert info\` on the node lists them), or give the node a certificate for this name`,
        });
        throw new CannotCheck("the certificate is not for the endpoint's host name");
      }
      if (err.kind === "tls") {
        this.add({
          id: "certificate",
          ok: false,
          message: `the certificate of ${endpoint} is not trusted (issued by ${cert.issuer}; SHA-256 ${cert.fingerprint256})`,
          fix:
            "copy the node's CA (/etc/pve/pve-root-ca.pem) here and pass --ca FILE; or, after comparing the fingerprint " +
            "with `pvenode cert info` on the node, accept it with `pulumi config set proxmoxve:insecure true` " +
            "(PROXMOX_VE_INSECURE=true where the stack does not set it)",
        });
        throw new CannotCheck("the certificate is not trusted");
      }
      this.add(this.certificateOk(cert));
      if (err.kind === "auth") {
        this.add({
          id: "token",
          ok: false,
          message: `PVE rejected the token ${this.settings.tokenId} (${err.pveMessage ?? err.message})`,
          fix:
            "export PROXMOX_VE_API_TOKEN='<user>@<realm>!<tokenid>=<secret>' with the secret `pveum user token add` printed; " +
            `check that the user and token exist and are not expired: pveum user token list ${splitTokenId(this.settings.tokenId)?.[0] ?? "<user>"}`,
        });
        throw new CannotCheck("the token was rejected");
      }
      this.add({ id: "token", ok: false, message: `not checked: ${err.message}` });
      throw new CannotCheck(err.message);
    }
    this.add(this.certificateOk(cert));
    this.add({ id: "token", ok: true, message: `${this.settings.tokenId} is accepted` });
  }

  private certificateOk(cert: { fingerprint256: string; issuer: string }): Check {
    const { insecure, insecureSource, caFile } = this.settings;
    if (caFile) return { id: "certificate", ok: true, message: `trusted: signed by the CA in ${caFile}` };
    if (insecure) {
      return {
        id: "certificate",
        ok: true,
        message:
          `not verified (${insecureSource} is true): SHA-256 ${cert.fingerprint256}; ` +
          "compare it with `pvenode cert info` on the node",
      };
    }
    return { id: "certificate", ok: true, message: `trusted (issued by ${cert.issuer})` };
  }

  private async versionCheck(): Promise<Check> {
    const version = this.versionInfo?.version ?? (await this.client.version()).version;
    const major = Number(/^(\d+)/.exec(version)?.[1] ?? "0");
    if (major >= 8) return { id: "version", ok: true, message: `PVE ${version}` };
    return {
      id: "version",
      ok: false,
      message: `PVE ${version}: the provider's NFS storage create sends create-base-path, which PVE knows only from 8.0`,
      fix: "upgrade the node to PVE 8 (pve7to8), or create the storage by hand and adopt it",
    };
  }

  private storageIds(): string[] {
    return [...new Set([...this.site.tiers.map((t) => t.storage), ...this.site.storages.map((s) => s.id)])];
  }

  private async privilegesCheck(): Promise<Check> {
    const needs = programPrivileges(this.storageIds());
    const held: Record<string, PathPrivileges> = {};
    for (const need of needs) Object.assign(held, await this.client.permissions(need.path));
    const missing = missingPrivileges(needs, held);
    if (missing.length === 0) {
      return {
        id: "privileges",
        ok: true,
        message: `${this.settings.tokenId} holds ${needs.map((n) => `${n.privileges.join(", ")} on ${n.path}`).join("; ")}`,
      };
    }
    this.seen.privilegesOk = false;
    const nothing = Object.values(held).every((privs) => Object.keys(privs).length === 0);
    const parts = missing.map((m) => {
      const notProp = m.notPropagated.length > 0 ? ` (${m.notPropagated.join(", ")} granted without propagate)` : "";
      return `${m.path}: ${m.missing.join(", ") || "-"}${notProp}`;
    });
    const isToken = splitTokenId(this.settings.tokenId) !== undefined;
    const privsep = isToken
      ? nothing
        ? `; the token has no privileges at all: with privilege separation (pveum user token add ... --privsep 1, PVE's default) a token gets only what BOTH it and its user ${splitTokenId(this.settings.tokenId)![0]} are granted`
        : "; a token with privilege separation (the default) has only what both it and its user are granted"
      : "";
    return {
      id: "privileges",
      ok: false,
      message: `${this.settings.tokenId} lacks ${parts.join("; ")}${privsep}`,
      fix: [
        ...pveumFix(this.settings.tokenId, missing, held["/"]),
        ...(isToken ? ["(or recreate the token with --privsep 0, so that it has exactly its user's privileges)"] : []),
      ].join("\n"),
    };
  }

  private async nodesCheck(): Promise<Check> {
    const nodes = await this.client.nodes();
    const offline = nodes.filter((n) => n.status !== "online");
    for (const n of offline) this.seen.offline.add(n.node);
    if (offline.length === 0)
      return { id: "nodes", ok: true, message: `online: ${nodes.map((n) => n.node).join(", ")}` };
    const names = offline.map((n) => `${n.node} (${n.status})`).join(", ");
    return {
      id: "nodes",
      ok: false,
      message: `not online: ${names}; PVE answers 595 for everything on them, so the provider's reads (guests, storages) fail there and their guests' backups do not run`,
      fix: `bring ${offline.map((n) => n.node).join(", ")} back online (or remove a node that is gone for good: pvecm delnode), then run the doctor again`,
    };
  }

  /**
   * PVE runs a schedule on its node's wall clock, in the node's time zone; the stack, the status, the
   * calendar and the report read it in the site's. Where they differ, every run is at another hour
   * than they say.
   */
  private async timezoneCheck(): Promise<Check> {
    const zone = this.site.timezone;
    const online = (await this.client.nodes()).filter((n) => n.status === "online").map((n) => n.node);
    const differing: string[] = [];
    for (const node of online) {
      const { timezone } = await this.client.nodeTime(node);
      if (timezone !== zone) differing.push(`${node} runs on ${timezone}`);
    }
    if (differing.length === 0) {
      return { id: "timezone", ok: true, message: `the nodes run on the site's time zone, ${zone}` };
    }
    return {
      id: "timezone",
      ok: false,
      message: `${differing.join(", ")}, the site on ${zone}: PVE runs schedules on the node's clock, so every run is at another hour than the stack, the status and the calendar say`,
      fix: `set pve-backup-tiers:site.timezone in ${this.siteFile.file} to the nodes' zone, or on each node: timedatectl set-timezone ${zone}`,
    };
  }

  private async clusterGuests(): Promise<ClusterGuest[]> {
    this.seen.guests ??= guestsOfResources(await this.client.clusterResources("vm"));
    return this.seen.guests;
  }

  private async guestsCheck(): Promise<Check> {
    const guests = await this.clusterGuests();
    const byVmid = new Map(guests.map((g) => [g.vmid, g]));
    const problems: string[] = [];
    const fixes: string[] = [];
    for (const tier of this.site.tiers) {
      tier.guests.forEach((g, j) => {
        const found = byVmid.get(g.vmid);
        const at = `pve-backup-tiers:site.tiers[${this.site.tiers.indexOf(tier)}].guests[${j}]`;
        if (!found) {
          problems.push(`${g.kind} ${g.vmid} (${g.name}, tier ${tier.id}) does not exist`);
          fixes.push(`create guest ${g.vmid}, or remove ${at} from ${this.siteFile.file}`);
        } else if (found.kind !== g.kind) {
          problems.push(`${g.vmid} (${g.name}, tier ${tier.id}) is a ${found.kind}, the stack says ${g.kind}`);
          fixes.push(`set ${at}.kind to ${found.kind} in ${this.siteFile.file}`);
        }
      });
    }
    const count = this.site.tiers.reduce((n, t) => n + t.guests.length, 0);
    const hidden = this.seen.privilegesOk ? "" : " (the token may not see every guest: see the privileges check)";
    if (problems.length === 0) return { id: "guests", ok: true, message: `all ${count} tier guests exist` };
    return { id: "guests", ok: false, message: `${problems.join("; ")}${hidden}`, fix: fixes.join("\n") };
  }

  /** The nodes a tier's job runs on: those of its guests (or its own `node`). */
  private async tierNodes(tier: Tier): Promise<string[]> {
    if (tier.node) return [tier.node];
    const guests = await this.clusterGuests();
    const nodes = tier.guests.map((g) => guests.find((r) => r.vmid === g.vmid)?.node).filter(Boolean);
    return [...new Set(nodes as string[])].sort();
  }

  private async storagesOn(node: string): Promise<Record<string, unknown>[] | PveApiError> {
    if (!this.seen.nodeStorages.has(node)) {
      try {
        this.seen.nodeStorages.set(
          node,
          (await this.client.nodeStorages(node)) as unknown as Record<string, unknown>[],
        );
      } catch (err) {
        if (!(err instanceof PveApiError) || err.kind === "auth") throw err;
        this.seen.nodeStorages.set(node, err);
      }
    }
    return this.seen.nodeStorages.get(node)!;
  }

  private async storagesCheck(): Promise<Check> {
    const problems: string[] = [];
    const fixes: string[] = [];
    const notes: string[] = [];
    const configs = await this.client.storages();
    const exists = new Set(configs.map((s) => s.storage));
    const byStorage = new Map<string, Tier[]>();
    for (const t of this.site.tiers) byStorage.set(t.storage, [...(byStorage.get(t.storage) ?? []), t]);
    for (const [id, tiers] of byStorage) {
      const managed = this.site.storages.find((s) => s.id === id);
      const tierNames = tiers.map((t) => t.id).join(", ");
      if (!exists.has(id)) {
        if (managed && !this.siteFile.adopt) {
          notes.push(`${id} does not exist yet: pulumi up creates it (NFS ${managed.server}:${managed.export})`);
          continue;
        }
        const hidden = this.seen.privilegesOk ? "" : " or the token may not see it";
        problems.push(`${id} (tiers ${tierNames}) does not exist${hidden}`);
        fixes.push(
          managed
            ? `set pve-backup-tiers:adopt false so that pulumi up creates ${id} (adoption imports only what exists)`
            : `create storage ${id} on the cluster (pvesm add ...), or point tiers ${tierNames} at an existing storage in ${this.siteFile.file}`,
        );
        continue;
      }
      if (managed) {
        const config = await this.client.storage(id);
        for (const key of ["server", "export"] as const) {
          if (config[key] !== undefined && config[key] !== managed[key]) {
            problems.push(
              `${id}'s ${key} is ${config[key]} on the cluster, ${managed[key]} in the stack (PVE cannot change it)`,
            );
            fixes.push(
              `set ${key}: ${config[key]} for storage ${id} in ${this.siteFile.file}, or remove the storage on PVE first`,
            );
          }
        }
      }
      const nodes = [...new Set((await Promise.all(tiers.map((t) => this.tierNodes(t)))).flat())].sort();
      for (const node of nodes) {
        const rows = await this.storagesOn(node);
        if (rows instanceof PveApiError) {
          problems.push(`${id} not checked on ${node}: ${rows.message}`);
          continue;
        }
        const row = rows.find((r) => r.storage === id);
        if (!row || !isPveTrue(row.enabled)) {
          problems.push(`${id} is not enabled on node ${node}, where guests of tiers ${tierNames} run`);
          fixes.push(
            `pvesm set ${id} --disable 0 --nodes <its nodes, ${node} included>${managed ? ` (or list ${node} under the storage's nodes in ${this.siteFile.file})` : ""}`,
          );
        } else if (!parseList(String(row.content ?? "")).includes(BACKUP_CONTENT)) {
          problems.push(`${id} does not take backup content (content ${row.content})`);
          fixes.push(
            `pvesm set ${id} --content ${[...parseList(String(row.content ?? "")), BACKUP_CONTENT].join(",")}`,
          );
        }
      }
    }
    if (problems.length === 0) {
      const ok = [...byStorage.keys()].filter((id) => exists.has(id));
      return {
        id: "storages",
        ok: true,
        message: [
          ok.length > 0 ? `${ok.join(", ")} exist, enabled and taking backups on the tiers' nodes` : "",
          ...notes,
        ]
          .filter(Boolean)
          .join("; "),
      };
    }
    return {
      id: "storages",
      ok: false,
      message: [...problems, ...notes].join("; "),
      fix: [...new Set(fixes)].join("\n"),
    };
  }

  private async clusterJobs(): Promise<BackupJobEntry[]> {
    this.seen.jobs ??= await this.client.backupJobs();
    return this.seen.jobs;
  }

  private async excludePathCheck(): Promise<Check> {
    const jobs = await this.clusterJobs();
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
        .map((j) => `pvesh set /cluster/backup/${j.id} --delete exclude-path   # see README, Known provider issues`)
        .join("\n"),
    };
  }

  private async adoptCheck(): Promise<Check> {
    const jobs = await this.clusterJobs();
    const problems: string[] = [];
    const fixes: string[] = [];
    const existing: string[] = [];
    const notes: string[] = [];
    for (const tier of this.site.tiers) {
      const job = jobs.find((j) => sameJobId(j.id, tier.job));
      if (!job) {
        if (this.siteFile.adopt) {
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
        fixes.push(
          `${blocker.fix}   # then adopt it; or rename tier ${tier.id}'s job so that ${job.id} stays as it is`,
        );
      } else if (typeof job.pool === "string") {
        notes.push(
          `${job.id} backs up pool ${job.pool}: the first pulumi up after adopting it backs up guests ${tierVmids.join(", ")} instead (PVE drops the pool when a job gets vmids)`,
        );
      }
    }
    if (problems.length > 0) return { id: "adopt", ok: false, message: problems.join("; "), fix: fixes.join("\n") };
    if (existing.length === 0)
      return { id: "adopt", ok: true, message: "no tier job exists yet: pulumi up creates them" };
    const hint = this.siteFile.adopt
      ? "adopt is on: pulumi up imports them"
      : "managed by this stack already, or set pve-backup-tiers:adopt true for the first pulumi up (README, step 7)";
    return {
      id: "adopt",
      ok: true,
      message: [`tier jobs on the cluster: ${existing.join(", ")} (${hint})`, ...notes].join("; "),
    };
  }

  private async notificationCheck(): Promise<Check> {
    const mailing = this.site.tiers.filter((t) => (t.notification?.mailto.length ?? 0) > 0);
    if (mailing.length === 0) return { id: "notification-mode", ok: true, message: "no tier sends mail" };
    const jobs = await this.clusterJobs();
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
      for (const node of await this.tierNodes(tier)) {
        if (this.seen.offline.has(node)) continue;
        if (!defaults.has(node)) {
          try {
            const storage = (await this.client.storages()).some((s) => s.storage === tier.storage)
              ? tier.storage
              : undefined;
            defaults.set(
              node,
              String((await this.client.vzdumpDefaults(node, storage))["notification-mode"] ?? "auto"),
            );
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
}

if (require.main === module) runMain((argv) => runDoctorCommand(argv));
