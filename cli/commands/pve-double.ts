/**
 * `pve-double`: runs the PVE API double (double/server.ts) standalone, on 127.0.0.1, with the cluster
 * of a snapshot file (default the home site's day, tests/fixtures/clusters/home-day.json) and its
 * clock on that day (double/clock.ts), until Ctrl-C. It prints its URL, an API
 * token and the certificate's fingerprint, writes its CA certificate to a file for `--ca`, and the
 * commands to point `doctor` and `status` at it. `--write-env` also writes `export` lines of
 * PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN, PROXMOX_VE_INSECURE and PVE_DOUBLE_CA, for a shell to
 * source. Its flags and help: cli/program.ts.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { clockFrom, clusterOwnTime } from "../../double/clock";
import { PveApiDouble } from "../../double/server";
import { formatIsoTime } from "../../tiers/calendar";
import { InputError } from "../../tiers/input";
import { shellQuote } from "../../pve/vzdumpLog";
import { PROJECT_DIR } from "../../start/sources";
import type { CommandResult } from "../cli";
import { EXIT, errorResult } from "../exit";
import { main } from "../main";
import { CommandFlags, parseCommand } from "../program";
import { readClusterSnapshot } from "../stack";

/**
 * The cluster it serves without --cluster: the home site on its own day (jobs that ran, a failed
 * run, a weekly tier still waiting), so that the status printed below has something to say.
 */
const DEFAULT_CLUSTER = "tests/fixtures/clusters/home-day.json";

export interface StartedDouble {
  double: PveApiDouble;
  /** What the command prints once it listens. */
  banner: string;
  caFile: string;
}

/** Starts the double as the flags say; the caller stops it. Throws InputError on bad input. */
export async function startDouble(
  flags: CommandFlags["pve-double"],
  options: { unauthorizedDelayMs?: number; onRequest?: (line: string) => void } = {},
): Promise<StartedDouble> {
  const { port } = flags;
  const clusterFile = flags.cluster ?? path.relative(process.cwd(), path.join(PROJECT_DIR, DEFAULT_CLUSTER));
  const snapshot = readClusterSnapshot(clusterFile);
  let clock = () => new Date();
  let double: PveApiDouble;
  try {
    double = await PveApiDouble.start({
      cluster: snapshot,
      port,
      unauthorizedDelayMs: options.unauthorizedDelayMs ?? 3000,
      now: () => clock(),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new InputError(`--port: ${port} is in use on 127.0.0.1 (try --port 0 for a free one)`);
    throw err;
  }
  if (flags.log || options.onRequest) {
    const write = options.onRequest ?? ((line: string) => process.stderr.write(`${line}\n`));
    const seen = double.requests;
    const push = seen.push.bind(seen);
    seen.push = (...items) => {
      for (const r of items) write(`${r.method} ${r.path} ${r.status}`);
      return push(...items);
    };
  }
  const ownTime = clusterOwnTime(double.cluster);
  if (ownTime) clock = clockFrom(ownTime);
  const caFile = flags.caOut ?? path.join(os.tmpdir(), `pve-api-double-${double.port}`, "pve-root-ca.pem");
  const token = double.token();
  // A file that cannot be written (a full disk, /dev/full, a folder) stops the double it started: a
  // server left listening would keep the process from ever ending.
  const write = async (flag: string, file: string, text: string) => {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
    } catch (err) {
      await double.close();
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new InputError(`${flag}: cannot write ${file} (${code})`);
    }
  };
  await write("--ca-out", caFile, double.certificates.caPem);
  if (flags.writeEnv) await write("--write-env", flags.writeEnv, envFile(double.url, token, caFile));
  const { version } = double.cluster.version;
  const tokens = [...double.cluster.tokenSecrets.keys()];
  const banner = [
    `PVE API double on ${double.url} (cluster ${clusterFile}, PVE ${version})`,
    `  certificate  SHA-256 ${double.certificates.fingerprint256}`,
    `  CA           ${caFile}`,
    `  token        ${token}`,
    ...(tokens.length > 1
      ? [
          `  other tokens ${tokens
            .slice(1)
            .map((t) => double.token(t))
            .join(" ")}`,
        ]
      : []),
    ...(ownTime
      ? [
          `  clock        ${formatIsoTime(ownTime, double.cluster.timezone)} (the hour after the cluster's newest task or backup), running on`,
        ]
      : []),
    "",
    "Check a stack against it, and its backups' status, in another shell:",
    `  export PROXMOX_VE_API_TOKEN='${token}'`,
    `  npm run doctor -- --stack home --endpoint ${double.url} --ca ${caFile}`,
    `  npm run status -- --stack home --endpoint ${double.url} --ca ${caFile}${ownTime ? ` --at ${ownTime.toISOString().replace(".000Z", "Z")}` : ""}`,
    ...(ownTime ? ["(--at judges the status for the cluster's own day, not for today)"] : []),
    "A stack without its own proxmoxve:endpoint (and the provider) take the endpoint from the environment:",
    `  export PROXMOX_VE_ENDPOINT=${double.url} PROXMOX_VE_INSECURE=true`,
    "Ctrl-C stops it.",
    "",
  ].join("\n");
  return { double, banner, caFile };
}

/**
 * The `--write-env` file: the connection as `export` lines a shell can source (`. ./double.env`),
 * each value quoted for sh (the token holds `!`, a CA path may hold anything).
 */
function envFile(url: string, token: string, caFile: string): string {
  const variables = {
    PROXMOX_VE_ENDPOINT: url,
    PROXMOX_VE_API_TOKEN: token,
    PROXMOX_VE_INSECURE: "true",
    PVE_DOUBLE_CA: caFile,
  };
  return Object.entries(variables)
    .map(([name, value]) => `export ${name}=${shellQuote(value)}\n`)
    .join("");
}

/**
 * The command: starts the double, prints what to point the other commands at, and serves until
 * SIGINT or SIGTERM; its result (exit 0) comes once the double has stopped.
 */
export async function runDoubleCommand(argv: string[]): Promise<CommandResult> {
  let started: StartedDouble;
  try {
    const parsed = parseCommand("pve-double", argv);
    if ("exitCode" in parsed) return parsed;
    started = await startDouble(parsed.flags);
  } catch (err) {
    return errorResult(err);
  }
  const { double, banner } = started;
  // Written here, not returned: the banner shows the double's own token, which output is redacted of.
  process.stdout.write(banner);
  await untilStopped();
  await double.close();
  return { exitCode: EXIT.ok, stdout: "", stderr: "" };
}

/** How often the double looks whether npm, which started it, is still there. */
const PARENT_WATCH_MS = 500;

/**
 * Resolves when the double is to stop: Ctrl-C (SIGINT), SIGTERM, SIGHUP (its terminal closed), or,
 * started by `npm run pve-double`, npm gone. npm hands SIGINT and SIGTERM on to the script's process
 * (the script `exec`s node, so that is the double, not a shell in between), but npm killed outright
 * hands on nothing: the double would hold its port with nobody left to stop it.
 */
function untilStopped(): Promise<void> {
  return new Promise<void>((resolve) => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    let watch: NodeJS.Timeout | undefined;
    const stop = () => {
      for (const signal of signals) process.off(signal, stop);
      clearInterval(watch);
      resolve();
    };
    for (const signal of signals) process.once(signal, stop);
    if (process.env.npm_lifecycle_event === "pve-double") {
      const npm = process.ppid;
      watch = setInterval(() => process.ppid !== npm && stop(), PARENT_WATCH_MS);
    }
  });
}

// bench/status.bench.ts starts this file directly.
if (require.main === module) main(["pve-double", ...process.argv.slice(2)]);
