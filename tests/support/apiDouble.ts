/**
 * The PVE API double as the tests use it: the cluster snapshots it serves (tests/fixtures/clusters/),
 * the error of an API call that must fail, and `npm run pve-double` started as a user starts it from
 * the README (a process group of its own, its banner once it listens, a stop for the file's afterAll).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PveApiError } from "../../pve/apiError";
import { PveClient } from "../../pve/client";
import { PveApiDouble } from "../../double/server";
import { ClusterSnapshot, parseClusterSnapshot } from "../../pve/snapshot";
import { PROJECT_DIR } from "../../start/sources";

const CLUSTER_FIXTURES = path.join(__dirname, "..", "fixtures", "clusters");

/** A cluster snapshot file, parsed (a fresh copy each call: change it freely). */
export function loadCluster(file: string): ClusterSnapshot {
  return parseClusterSnapshot(fs.readFileSync(file, "utf8"), file);
}

/** tests/fixtures/clusters/<name>.json, parsed. */
export function fixtureCluster(name: string): ClusterSnapshot {
  return loadCluster(path.join(CLUSTER_FIXTURES, `${name}.json`));
}

/** The error of an API call that must fail; anything else fails the test. */
export async function apiFailure(call: Promise<unknown>): Promise<PveApiError> {
  try {
    await call;
  } catch (err) {
    if (err instanceof PveApiError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

export interface DoubleProcess {
  /** The banner, once the double listens (it ends with "Ctrl-C stops it."). */
  banner: Promise<string>;
  /** Stops the npm process group this started; nothing when it is gone already. */
  stop(): void;
  /** npm's process id (the group's leader). */
  pid: number;
}

/** Starts `npm run pve-double -- ARGS` in the project folder. */
export function startDoubleProcess(args: string[]): DoubleProcess {
  const child = spawn("npm", ["run", "--silent", "pve-double", "--", ...args], {
    cwd: PROJECT_DIR,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const banner = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s: ${out}${err}`)), 60_000);
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("Ctrl-C stops it.")) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    child.on("exit", (code) => reject(new Error(`pve-double exited ${code}: ${out}${err}`)));
  });
  const stop = () => {
    if (!child.pid) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
  };
  return { banner, stop, pid: child.pid! };
}

/** A test file's PVE API double (in-process) and its clients. */
export interface ServedDouble {
  /** Set before the file's first test. */
  double: PveApiDouble;
  /** A client of the double as a token (default: the README's), closed after the file. */
  as(tokenId?: string): PveClient;
}

/**
 * One PVE API double for a test file, serving the home cluster's day (home-day) at `now`, reloaded
 * before each test; registers the file's hooks.
 */
export function serveHomeDay(now: Date): ServedDouble {
  const clients: PveClient[] = [];
  const served: ServedDouble = {
    double: undefined as unknown as PveApiDouble,
    as(tokenId = "pulumi@pve!backup-tiers") {
      const client = new PveClient({
        endpoint: served.double.url,
        token: served.double.token(tokenId),
        ca: served.double.certificates.caPem,
        retries: 0,
      });
      clients.push(client);
      return client;
    },
  };
  beforeAll(async () => {
    served.double = await PveApiDouble.start({ cluster: fixtureCluster("home-day"), now: () => now });
  });
  beforeEach(() => served.double.load(fixtureCluster("home-day")));
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await served.double.close();
  });
  return served;
}
