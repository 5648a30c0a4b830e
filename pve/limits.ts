/**
 * How much of a PVE endpoint a command will read, in one place: a broken or hostile endpoint (a body
 * that never ends, task pages that ignore `start`, a log of endless pages) ends the command within
 * these bounds with exit 2, naming the endpoint and the bound, instead of looping or filling memory.
 * docs/doctor.md states the values.
 */
export const PVE_LIMITS = {
  /** The largest answer body read. PVE's biggest answers here (a storage's content, 1000 tasks) are a few MB. */
  maxBodyBytes: 16 * 1024 * 1024,
  /** Pages of one paginated listing (tasks, a task's log): 100 pages of 1000 tasks or 500 log lines. */
  maxPages: 100,
  /** All pages of one paginated listing together. */
  maxListingBytes: 64 * 1024 * 1024,
  /** Everything a command asks of the endpoint, retries and back-off included. */
  commandDeadlineMs: 5 * 60_000,
  /**
   * How far in the future a backup's time may be before it is not believed: a node's clock a little
   * ahead of this machine's is no reason to refuse its backups; a backup from next week is.
   */
  clockSkewSeconds: 3600,
} as const;

/** Bytes as the limits' messages say them: 16 MB. */
export function megabytes(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}
