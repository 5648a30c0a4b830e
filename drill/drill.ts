/**
 * The drill: does a guest's newest backup restore and boot? Per guest, in turn: its newest backup by
 * the status's rules (status/gather.ts, status/judge.ts); PVE's cheap check first, the archive's
 * config read back (`extractconfig`); the target storage's space; then a real restore into a new
 * vmid (`nextid`) with every network link down and no start on boot, the task followed to its end;
 * a start, and a wait (bounded) for the QEMU guest agent where the backed-up config enables it, else
 * for `running`; then stop and destroy with its disks. It never starts, stops or destroys any vmid
 * but the one it restored into, and it cleans that up on any failure and when `signal` aborts
 * (Ctrl-C): a running restore is stopped first, then the guest destroyed.
 */
import { PveApiError } from "../pve/apiError";
import type { PveGuestClient } from "../pve/client";
import { agentEnabled, configDisks, configNetworks, parseGuestConfig, withLinkDown } from "../pve/guestConfig";
import type { GuestKind } from "../pve/ids";
import { formatBytes } from "../status/document";
import { gatherStatusInput } from "../status/gather";
import { judgeStatus } from "../status/judge";
import { formatIsoTime } from "../tiers/calendar";
import type { Site, Tier } from "../tiers/config";
import type { DrillDocument, DrillGuest } from "./document";

export interface DrillOptions {
  stack: string;
  tier?: string;
  guest?: number;
  /** Where the restored disks go; default the storage of each disk in the backed-up config. */
  targetStorage?: string;
  /** The node to restore on; default the guest's own. */
  node?: string;
  dryRun?: boolean;
  keepOnFailure?: boolean;
  /** Aborts the drill (Ctrl-C): what it made is cleaned up, the rest not tried. */
  signal?: AbortSignal;
  /** Progress lines, as they happen. */
  log?: (line: string) => void;
  /** Bounds and polling (ms); defaults: a restore 4 h, a boot 5 min, a start, stop or destroy 2 min, polling every 1 s. */
  restoreTimeoutMs?: number;
  bootTimeoutMs?: number;
  taskTimeoutMs?: number;
  pollMs?: number;
}

/** The drill was aborted (Ctrl-C). */
class Interrupted extends Error {}

/** A step failed: the guest's reason, PVE's words. */
class StepFailed extends Error {}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** Runs the drill; resolves with its document (never throws for a guest's failure, only for what stops the whole). */
export async function runDrill(client: PveGuestClient, site: Site, options: DrillOptions): Promise<DrillDocument> {
  const started = new Date();
  const log = options.log ?? (() => undefined);
  const tiers = site.tiers.filter((t) => options.tier === undefined || t.id === options.tier);
  const chosen = tiers.flatMap((tier) =>
    tier.guests.filter((g) => options.guest === undefined || g.vmid === options.guest).map((g) => ({ tier, guest: g })),
  );
  const status = judgeStatus(await gatherStatusInput(client, site, options.stack, started)).document;
  const guests: DrillGuest[] = [];
  let node: string | null = options.node ?? null;
  for (const { tier, guest } of chosen) {
    if (options.signal?.aborted) break;
    const judged = status.guests.find((g) => g.vmid === guest.vmid && g.tier === tier.id);
    const resource = (await client.clusterResources("vm")).find((r) => Number(r.vmid) === guest.vmid);
    const guestNode = options.node ?? resource?.node;
    node ??= guestNode ?? null;
    const result = await drillGuest(
      client,
      { tier, vmid: guest.vmid, kind: guest.kind, name: guest.name },
      {
        node: guestNode,
        newest: judged?.newest ?? null,
        options,
        log,
      },
    );
    guests.push(result);
    if (result.outcome === "INTERRUPTED") break;
  }
  const ok = guests.length > 0 && guests.every((g) => (g.outcome === "OK" || g.outcome === "PLANNED") && g.cleanedUp);
  return { stack: options.stack, at: started.toISOString(), ok, node, guests };
}

interface GuestToDrill {
  tier: Tier;
  vmid: number;
  kind: GuestKind;
  name: string;
}

async function drillGuest(
  client: PveGuestClient,
  guest: GuestToDrill,
  ctx: {
    node?: string;
    newest: { volid: string; time: string; size: number } | null;
    options: DrillOptions;
    log: (line: string) => void;
  },
): Promise<DrillGuest> {
  const { options, log, newest } = ctx;
  const result: DrillGuest = {
    vmid: guest.vmid,
    kind: guest.kind,
    name: guest.name,
    tier: guest.tier.id,
    outcome: "OK",
    volid: newest?.volid ?? null,
    backupTime: newest?.time ?? null,
    scratchVmid: null,
    at: new Date().toISOString(),
    restoreSeconds: null,
    bootSeconds: null,
    bootCheck: null,
    cleanedUp: true,
  };
  const end = (outcome: DrillGuest["outcome"], reason?: string): DrillGuest => {
    result.outcome = outcome;
    if (reason !== undefined) result.reason = reason;
    result.at = new Date().toISOString();
    log(`${guest.kind} ${guest.vmid} ${guest.name}: ${outcome}${reason ? `: ${reason}` : ""}`);
    return result;
  };
  const node = ctx.node;
  if (!node) return end("REFUSED", `${guest.kind} ${guest.vmid} is not among the cluster's guests`);
  if (!newest) {
    return end("REFUSED", `no backup of ${guest.vmid} on ${guest.tier.storage} to restore (see npm run status)`);
  }

  // The cheap check: PVE reads the archive's header and config back.
  let config: Record<string, string>;
  try {
    config = parseGuestConfig(await client.extractConfig(node, newest.volid));
  } catch (err) {
    if (err instanceof PveApiError) return end("FAILED", `PVE could not read the archive's config: ${err.message}`);
    throw err;
  }
  const disks = configDisks(config, guest.kind);
  const bootCheck = guest.kind === "qemu" && agentEnabled(config) ? "agent" : "running";
  // The space the disks need, on each storage they go to.
  const needed = new Map<string, number>();
  for (const d of disks) {
    const target = options.targetStorage ?? d.storage ?? "local-lvm";
    needed.set(target, (needed.get(target) ?? 0) + d.size);
  }
  for (const [storage, bytes] of needed) {
    const status = await client.storageStatus(node, storage);
    if ((status.avail ?? 0) < bytes) {
      return end(
        "REFUSED",
        `${storage} on ${node} has ${formatBytes(status.avail ?? 0)} free; the archive's disks need ${formatBytes(bytes)}`,
      );
    }
  }
  const overrides: Record<string, string> = { onboot: "0" };
  for (const [key, value] of Object.entries(configNetworks(config))) overrides[key] = withLinkDown(value);
  const target = options.targetStorage ?? [...needed.keys()][0] ?? "local-lvm";

  if (options.dryRun) {
    const links = Object.keys(configNetworks(config)).join(", ") || "none";
    return end(
      "PLANNED",
      `would restore ${newest.volid} (${formatIsoTime(new Date(newest.time), "UTC")}) into a new vmid on ${target} ` +
        `(${formatBytes([...needed.values()].reduce((a, b) => a + b, 0))}), links down (${links}), ` +
        `boot it and wait for ${bootCheck === "agent" ? "the guest agent" : "running"}, then destroy it`,
    );
  }

  const scratch = await client.nextId();
  // Never a guest the site has: nextid answers a free vmid, but a drill must not act on an original.
  if (scratch === guest.vmid || (await client.clusterResources("vm")).some((r) => Number(r.vmid) === scratch)) {
    return end("FAILED", `PVE's next free vmid ${scratch} is in use; not restoring over it`);
  }
  let created = false;
  const poll = options.pollMs ?? 1000;
  try {
    const restoreStart = Date.now();
    let upid: string;
    try {
      upid = await client.restoreGuest(node, guest.kind, {
        vmid: scratch,
        archive: newest.volid,
        storage: target,
        config: overrides,
      });
    } catch (err) {
      if (err instanceof PveApiError) return end("FAILED", `PVE refused the restore: ${err.message}`);
      throw err;
    }
    created = true;
    result.scratchVmid = scratch;
    log(`${guest.kind} ${guest.vmid} ${guest.name}: restoring ${newest.volid} into ${scratch} (${upid})`);
    await followTask(client, node, upid, options.restoreTimeoutMs ?? 4 * 3600_000, poll, options.signal, "restore");
    result.restoreSeconds = seconds(Date.now() - restoreStart);

    const bootStart = Date.now();
    await followTask(
      client,
      node,
      await client.powerGuest(node, guest.kind, scratch, "start"),
      options.taskTimeoutMs ?? 120_000,
      poll,
      options.signal,
      "start",
    );
    await waitForBoot(
      client,
      node,
      guest.kind,
      scratch,
      bootCheck,
      options.bootTimeoutMs ?? 300_000,
      poll,
      options.signal,
    );
    result.bootSeconds = seconds(Date.now() - bootStart);
    result.bootCheck = bootCheck;
    end("OK");
  } catch (err) {
    if (err instanceof Interrupted) end("INTERRUPTED", `interrupted (Ctrl-C): ${err.message}`);
    else if (err instanceof StepFailed) end("FAILED", err.message);
    else if (err instanceof PveApiError) end("FAILED", err.message);
    else throw err;
  }
  if (created && !(options.keepOnFailure && result.outcome === "FAILED")) {
    result.cleanedUp = await cleanUp(client, node, guest.kind, scratch, options, log);
    if (!result.cleanedUp)
      result.reason = `${result.reason ? `${result.reason}; ` : ""}scratch guest ${scratch} is left: clean it up by hand`;
  } else if (created) {
    result.cleanedUp = false;
    log(`${guest.kind} ${guest.vmid}: scratch guest ${scratch} kept (--keep-on-failure)`);
  }
  return result;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/**
 * Follows a task to its end within `timeoutMs`: its error when it failed. On abort a running task is
 * stopped (`DELETE .../tasks/{upid}`) and followed to its end, then Interrupted is thrown.
 */
async function followTask(
  client: PveGuestClient,
  node: string,
  upid: string,
  timeoutMs: number,
  pollMs: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted) {
      await client.stopTask(node, upid);
      await followTask(client, node, upid, timeoutMs, pollMs, undefined, what).catch(() => undefined);
      throw new Interrupted(`the ${what} task was stopped`);
    }
    const status = await client.taskStatus(node, upid);
    if (status.status === "stopped") {
      if (status.exitstatus === "OK") return;
      const lines = await client.taskLogLines(node, upid).catch(() => [] as string[]);
      const cause = lines.filter((l) => /error|failed|premature|No space/i.test(l) && !l.startsWith("TASK ERROR"))[0];
      throw new StepFailed(
        `the ${what} task failed: ${status.exitstatus ?? "unknown"}${cause ? ` (log: ${cause})` : ""}`,
      );
    }
    if (Date.now() > deadline) throw new StepFailed(`the ${what} task did not end within ${seconds(timeoutMs)} s`);
    await sleep(pollMs, signal);
  }
}

/** Waits for the guest agent's ping, or `running`, within `timeoutMs`. */
async function waitForBoot(
  client: PveGuestClient,
  node: string,
  kind: GuestKind,
  vmid: number,
  check: "agent" | "running",
  timeoutMs: number,
  pollMs: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: string;
  for (;;) {
    if (signal?.aborted) throw new Interrupted("while waiting for the boot");
    try {
      if (check === "agent") {
        await client.agentPing(node, vmid);
        return;
      }
      const status = await client.guestStatus(node, kind, vmid);
      if (status.status === "running") return;
      last = `status ${status.status}`;
    } catch (err) {
      if (!(err instanceof PveApiError)) throw err;
      last = err.pveMessage?.trim() ?? err.message;
    }
    if (Date.now() > deadline) {
      const what = check === "agent" ? "the QEMU guest agent did not answer" : "it was not running";
      throw new StepFailed(`booted, but ${what} within ${seconds(timeoutMs)} s (last: ${last})`);
    }
    await sleep(pollMs, signal);
  }
}

/** Stops (when running) and destroys the scratch guest with its disks; whether it is gone. */
async function cleanUp(
  client: PveGuestClient,
  node: string,
  kind: GuestKind,
  vmid: number,
  options: DrillOptions,
  log: (line: string) => void,
): Promise<boolean> {
  const timeout = options.taskTimeoutMs ?? 120_000;
  const poll = options.pollMs ?? 1000;
  try {
    const status = await client.guestStatus(node, kind, vmid);
    if (status.status === "running") {
      await followTask(
        client,
        node,
        await client.powerGuest(node, kind, vmid, "stop"),
        timeout,
        poll,
        undefined,
        "stop",
      );
    }
    await followTask(client, node, await client.destroyGuest(node, kind, vmid), timeout, poll, undefined, "destroy");
    log(`${kind} ${vmid}: destroyed (purge, with its disks)`);
    return true;
  } catch (err) {
    // A container whose restore failed is gone already (pve-container LXC.pm removes its config).
    if (err instanceof PveApiError && /does not exist/.test(err.pveMessage ?? err.message)) return true;
    if (err instanceof PveApiError || err instanceof StepFailed) {
      log(`${kind} ${vmid}: clean-up failed: ${err.message}`);
      return false;
    }
    throw err;
  }
}
