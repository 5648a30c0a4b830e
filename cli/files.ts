/**
 * The files a user names on the command line: inputs read whole but bounded (`--cluster`,
 * `--policy-config`, `--status`, `--ca`), JSON inputs read and validated in one place, and outputs
 * (`--out`, `--prometheus`) replaced atomically. Each problem is an InputError naming the file.
 */
import * as fs from "fs";
import * as path from "path";
import type * as z from "zod";
import { InputError, parseJsonDocument } from "../tiers/input";

/** The largest input file a command reads (snapshots, policy configs, status documents). */
const MAX_INPUT_BYTES = 64 * 1024 * 1024;

/**
 * Reads a user-named input file as text. Only regular files up to `maxBytes`: a device, a FIFO or a
 * huge file is refused at once, before a byte is read, instead of hanging or filling memory.
 */
export function readInputFile(file: string, maxBytes = MAX_INPUT_BYTES): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(`${file}: cannot read (${code === "ENOENT" ? "no such file" : code})`);
  }
  if (!stat.isFile()) throw new InputError(`${file}: not a regular file`);
  if (stat.size > maxBytes) {
    throw new InputError(`${file}: too large (${stat.size} bytes; at most ${maxBytes} are read)`);
  }
  try {
    return fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new InputError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** What a file that is not a regular one is, for messages. */
function fileKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return "a directory";
  if (stat.isBlockDevice()) return "a block device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

/**
 * Writes a user-named output file (`--out`, `--prometheus`). A regular file, or a new one, is
 * replaced whole and atomically: a temporary file beside it, then a rename, so a reader
 * (node-exporter, a browser) sees the old or the new, never half; a symbolic link stays, its target
 * is replaced. What exists and is not a regular file is never replaced: a character device or a
 * FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written in place, as the user meant; a FIFO without a
 * reader, a directory, a block device or a socket is refused.
 */
export function writeOutputFile(file: string, text: string): void {
  const cannot = (err: unknown) => new InputError(`${file}: cannot write (${(err as NodeJS.ErrnoException).code})`);
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw cannot(err);
  }
  if (stat && (stat.isCharacterDevice() || stat.isFIFO())) {
    try {
      if (stat.isFIFO()) {
        // Opening a FIFO for writing waits for a reader; without one it would wait for ever.
        fs.closeSync(fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      }
      fs.writeFileSync(file, text);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENXIO") throw new InputError(`${file}: a FIFO nobody reads`);
      throw cannot(err);
    }
    return;
  }
  if (stat && !stat.isFile()) throw new InputError(`${file}: ${fileKind(stat)}, not replaced; name a file`);
  let target = file;
  try {
    if (stat) target = fs.realpathSync(file);
  } catch (err) {
    throw cannot(err);
  }
  const temp = path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(temp, text);
    fs.renameSync(temp, target);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw cannot(err);
  }
}

/**
 * Reads a user-named JSON file and validates it against `schema` (tiers/input.ts `parseJsonDocument`):
 * `what` names what it should be, `emptyHint` says how such a file is written when it is empty.
 */
export function readJsonFile<T>(
  file: string,
  schema: z.ZodType<T>,
  options: { what?: string; emptyHint?: string } = {},
): T {
  return parseJsonDocument(readInputFile(file), file, schema, options);
}
