/**
 * PVE's errors as the double raises them: the status, PVE's one-line message and, for a 400, the
 * errors by parameter (pve-common PVE/Exception.pm, PVE/JSONSchema.pm), and what pve-cluster's
 * config lock makes of an error raised inside it.
 */
/** An error as PVE answers it: the status, its one-line message, and for 400s the parameter errors. */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
    this.name = "PveError";
  }
}

/** PVE's `raise_param_exc`: 400 "Parameter verification failed." with the errors by parameter. */
export function paramError(errors: Record<string, string>): PveError {
  return new PveError(400, "Parameter verification failed.", errors);
}

/** PVE's `raise_perm_exc`. */
export function permissionError(what?: string): PveError {
  return new PveError(403, `Permission check failed${what ? ` (${what})` : ""}`);
}

/**
 * Code run inside pve-cluster PVE/Cluster.pm `cfs_lock_file`, as Backup.pm runs it: whatever the
 * code dies with comes back in `$@`, and Backup.pm's `die "$@"` turns an exception into its text
 * (pve-common PVE/Exception.pm `stringify`: "<code> <message>", then "<param>: <error>" a line),
 * which the API server answers with 500 (pve-manager PVE/HTTPServer.pm `rest_handler`).
 */
export function cfsLocked(code: () => void): void {
  try {
    code();
  } catch (err) {
    if (!(err instanceof PveError) || err.status === 500) throw err;
    const lines = [`${err.status} ${err.message}`, ...Object.entries(err.errors ?? {}).map(([k, v]) => `${k}: ${v}`)];
    // stringify ends each line with \n, and send adds the last one
    throw new PveError(500, lines.join("\n").replace(/\n$/, ""));
  }
}
