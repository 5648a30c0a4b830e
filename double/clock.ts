/**
 * The time the standalone double (`npm run pve-double`) answers for. A snapshot with a task history
 * or backups is a day of a cluster: the double's clock starts in the whole hour after its newest task
 * ended (or backup was made) and runs on from there, so `next-run` and the node's time are of that
 * day, and the status judged for that instant (`--at`) sees the day as it was. Without either, the
 * real clock.
 */
import type { DoubleCluster } from "./cluster";

const HOUR_SECONDS = 3600;

/** The whole hour after the cluster's newest task or backup, or undefined when it has neither. */
export function clusterOwnTime(cluster: DoubleCluster): Date | undefined {
  const seconds = [
    ...cluster.tasks.map((t) => t.endtime ?? t.starttime),
    ...cluster.backups.flatMap((b) => (b.ctime === undefined ? [] : [b.ctime])),
  ];
  if (seconds.length === 0) return undefined;
  return new Date((Math.floor(Math.max(...seconds) / HOUR_SECONDS) + 1) * HOUR_SECONDS * 1000);
}

/** A clock that reads `start` now and runs on in real time. */
export function clockFrom(start: Date): () => Date {
  const offset = start.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}
