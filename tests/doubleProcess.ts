/**
 * `npm run pve-double` as a user starts it from the README, for the end-to-end tests that follow the
 * README's commands: a process group of its own, its banner (what to export, the commands to run)
 * once it listens, and a stop for the file's afterAll.
 */
import { spawn } from "child_process";
import * as path from "path";

const ROOT = path.join(__dirname, "..");

export interface DoubleProcess {
  /** The banner, once the double listens (it ends with "Ctrl-C stops it."). */
  banner: Promise<string>;
  /** Stops the npm process group this started; nothing when it is gone already. */
  stop(): void;
}

/** Starts `npm run pve-double -- ARGS` in the project folder. */
export function startDoubleProcess(args: string[]): DoubleProcess {
  const child = spawn("npm", ["run", "--silent", "pve-double", "--", ...args], {
    cwd: ROOT,
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
  return { banner, stop };
}
