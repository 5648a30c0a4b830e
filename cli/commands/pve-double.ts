/**
 * `npm run pve-double -- [--cluster FILE] [--port N] [--ca-out FILE] [--write-env FILE] [--log]`
 *
 * Runs the PVE API double (double/server.ts) standalone, on 127.0.0.1, with the cluster of a
 * snapshot file (default examples/home-cluster.json), until Ctrl-C. It prints its URL, an API token
 * and the certificate's fingerprint, writes its CA certificate to a file for `--ca`, and the
 * commands to point `npm run doctor` and `npm run status` at it. `--write-env` also writes PROXMOX_VE_ENDPOINT,
 * PROXMOX_VE_API_TOKEN and PROXMOX_VE_INSECURE lines (for a CI job's environment).
 *
 * Exit codes: 2 bad input (flags, snapshot); 3 an internal error (e.g. the port is taken).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PveApiDouble } from "../../double/server";
import { SnapshotError, parseClusterSnapshot } from "../../pve/snapshot";
import { InputError, UsageError, parseArgs, readInputFile, userErrorResult } from "../cli";
import { PROJECT_DIR } from "../../start/sources";

const USAGE =
  "usage: npm run pve-double -- [--cluster FILE] [--port N] [--ca-out FILE] [--write-env FILE] [--log]\n" +
  "  --cluster   a cluster snapshot (default examples/home-cluster.json)\n" +
  "  --port      the port on 127.0.0.1 (default 8006; 0 for any free one)\n" +
  "  --ca-out    where to write the CA certificate (default <tmp>/pve-api-double-<port>/pve-root-ca.pem)\n" +
  "  --write-env  also write PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN and PROXMOX_VE_INSECURE to this file\n" +
  "  --log       print each request (method, path, status) to stderr\n";

const SPEC = {
  cluster: { type: "string" },
  port: { type: "string" },
  "ca-out": { type: "string" },
  "write-env": { type: "string" },
  log: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface StartedDouble {
  double: PveApiDouble;
  /** What the command prints once it listens. */
  banner: string;
  caFile: string;
}

/** Parses the flags and starts the double; the caller stops it. Throws UsageError/InputError on bad input. */
export async function startDoubleCommand(
  argv: string[],
  options: { unauthorizedDelayMs?: number; onRequest?: (line: string) => void } = {},
): Promise<StartedDouble | { help: string }> {
  const { flags, positionals } = parseArgs(argv, SPEC);
  if (flags.help) return { help: USAGE };
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const port = flags.port === undefined ? 8006 : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port number: '${flags.port}'`);
  const clusterFile =
    flags.cluster ?? path.relative(process.cwd(), path.join(PROJECT_DIR, "examples/home-cluster.json"));
  let snapshot;
  try {
    snapshot = parseClusterSnapshot(readInputFile(clusterFile), clusterFile);
  } catch (err) {
    if (err instanceof SnapshotError) throw new InputError(err.message);
    throw err;
  }
  let double: PveApiDouble;
  try {
    double = await PveApiDouble.start({
      cluster: snapshot,
      port,
      unauthorizedDelayMs: options.unauthorizedDelayMs ?? 3000,
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
  const caFile = flags["ca-out"] ?? path.join(os.tmpdir(), `pve-api-double-${double.port}`, "pve-root-ca.pem");
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
  if (flags["write-env"]) {
    await write(
      "--write-env",
      flags["write-env"],
      `PROXMOX_VE_ENDPOINT=${double.url}\nPROXMOX_VE_API_TOKEN=${token}\nPROXMOX_VE_INSECURE=true\nPVE_DOUBLE_CA=${caFile}\n`,
    );
  }
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
    "",
    "Check a stack against it, and its backups' status, in another shell:",
    `  export PROXMOX_VE_API_TOKEN='${token}'`,
    `  npm run doctor -- --stack home --endpoint ${double.url} --ca ${caFile}`,
    `  npm run status -- --stack home --endpoint ${double.url} --ca ${caFile}`,
    "A stack without its own proxmoxve:endpoint (and the provider) take the endpoint from the environment:",
    `  export PROXMOX_VE_ENDPOINT=${double.url} PROXMOX_VE_INSECURE=true`,
    "Ctrl-C stops it.",
    "",
  ].join("\n");
  return { double, banner, caFile };
}

async function main(): Promise<void> {
  let started: Awaited<ReturnType<typeof startDoubleCommand>>;
  try {
    started = await startDoubleCommand(process.argv.slice(2));
  } catch (err) {
    const result = userErrorResult(err);
    process.stderr.write(result.stderr);
    process.exitCode = result.exitCode;
    return;
  }
  if ("help" in started) {
    process.stdout.write(started.help);
    return;
  }
  const { double, banner } = started;
  process.stdout.write(banner);
  const stop = () => {
    double.close().then(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 3;
  });
}
