/**
 * The schedule engine's clock: civil-date arithmetic on plain numbers and time zones through Intl,
 * with offsets cached as per-zone tables of transitions so the search never calls Intl in its loop.
 * `wallToEpoch` resolves wall-clock times the way glibc's mktime does for proxmox-time.
 */

// Local aliases: inside sandboxes such as jest's vm context every lookup of a
// global (`Math`) is slow, and these run millions of times.
const floor = Math.floor;

// ---------------------------------------------------------------------------
// Civil-date arithmetic on plain numbers (fast, no Date objects in the loop).

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  z += 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const d = doy - floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return [era * 400 + yoe + (m <= 2 ? 1 : 0), m, d];
}

/** Wall-clock fields -> "local seconds"; out-of-range fields roll over like timegm()/mktime(). */
export function wallSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const m0 = mo - 1;
  const yy = y + floor(m0 / 12);
  const mm = (((m0 % 12) + 12) % 12) + 1;
  return (daysFromCivil(yy, mm, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s;
}

export const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** Instants a JS Date can hold, with a day of slack for zone offsets. */
export const MAX_EPOCH = 8.64e12 - 2 * 86400;

// ---------------------------------------------------------------------------
// Time zones via Intl (no dependency). Offsets are cached as per-zone tables
// of transitions, so the search loop never calls Intl itself.

const UTC_ZONE_NAMES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Etc/Zulu", "Universal", "Zulu"]);
// Transition tables cover 52-week chunks, found by sampling weekly and then
// bisecting to the second. That assumes a zone never changes offset and back
// within a week, true for every zone in use (the shortest, Morocco's Ramadan
// break from DST, lasts about a month) and keeps a chunk at ~100 Intl calls.
const CHUNK = 52 * 7 * 86400;
const STEP = 7 * 86400;

export class Zone {
  private static readonly zones = new Map<string, Zone>();
  private readonly chunks = new Map<number, { offset0: number; at: number[]; offset: number[] }>();

  private constructor(
    readonly name: string,
    private readonly format?: Intl.DateTimeFormat,
  ) {}

  static readonly utc = new Zone("UTC");

  /** The zone for an IANA name; throws RangeError naming the zone when unknown. */
  static get(name: string): Zone {
    let zone = Zone.zones.get(name);
    if (zone) return zone;
    if (UTC_ZONE_NAMES.has(name)) zone = Zone.utc;
    else {
      let format: Intl.DateTimeFormat;
      try {
        if (name.trim() === "") throw new RangeError("empty");
        format = new Intl.DateTimeFormat("en-US", {
          timeZone: name,
          hourCycle: "h23",
          day: "numeric",
          hour: "numeric",
          minute: "numeric",
          second: "numeric",
        });
      } catch {
        throw new RangeError(`unknown time zone '${name}' (expected an IANA name such as 'Europe/Vienna' or 'UTC')`);
      }
      const resolved = format.resolvedOptions().timeZone;
      zone = UTC_ZONE_NAMES.has(resolved) ? Zone.utc : new Zone(resolved, format);
    }
    Zone.zones.set(name, zone);
    return zone;
  }

  get isUtc(): boolean {
    return this.format === undefined;
  }

  /** UTC offset in seconds (local = utc + offset) at instant t (Unix seconds). */
  offsetAt(t: number): number {
    if (!this.format) return 0;
    const k = floor(t / CHUNK);
    let chunk = this.chunks.get(k);
    if (!chunk) {
      chunk = this.buildChunk(k);
      this.chunks.set(k, chunk);
    }
    let offset = chunk.offset0;
    for (let i = 0; i < chunk.at.length && chunk.at[i] <= t; i++) offset = chunk.offset[i];
    return offset;
  }

  private buildChunk(k: number): { offset0: number; at: number[]; offset: number[] } {
    const start = k * CHUNK;
    const chunk = { offset0: this.rawOffset(start), at: [] as number[], offset: [] as number[] };
    let prevT = start;
    let prevOffset = chunk.offset0;
    for (let t = start + STEP; t <= start + CHUNK; t += STEP) {
      const o = this.rawOffset(t);
      while (o !== prevOffset) {
        // binary search the first second in (prevT, t] whose offset differs
        let lo = prevT;
        let hi = t;
        while (hi - lo > 1) {
          const mid = floor((lo + hi) / 2);
          if (this.rawOffset(mid) === prevOffset) lo = mid;
          else hi = mid;
        }
        prevOffset = this.rawOffset(hi);
        chunk.at.push(hi);
        chunk.offset.push(prevOffset);
        prevT = hi;
      }
      prevT = t;
    }
    return chunk;
  }

  /** Offset straight from Intl: compare the zone's wall clock with UTC's. */
  private rawOffset(t: number): number {
    const clamped = Math.max(-MAX_EPOCH, Math.min(MAX_EPOCH, t));
    // format() + regex is ~3x faster than formatToParts(); en-US prints "D, HH:MM:SS".
    const m = /^(\d+), (\d+):(\d+):(\d+)$/.exec(this.format!.format(clamped * 1000));
    let day = 0,
      hour = 0,
      minute = 0,
      second = 0;
    if (m) [day, hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    else {
      for (const part of this.format!.formatToParts(clamped * 1000)) {
        if (part.type === "day") day = Number(part.value);
        else if (part.type === "hour") hour = Number(part.value);
        else if (part.type === "minute") minute = Number(part.value);
        else if (part.type === "second") second = Number(part.value);
      }
    }
    const utcDay = civilFromDays(floor(clamped / 86400))[2];
    let dayDiff = day - utcDay;
    if (dayDiff > 1)
      dayDiff = -1; // local is still on the last day of the previous month
    else if (dayDiff < -1) dayDiff = 1; // local is already on the 1st of the next month
    return dayDiff * 86400 + hour * 3600 + minute * 60 + second - mod(clamped, 86400);
  }

  /**
   * Wall-clock "local seconds" -> instant, like glibc mktime() with
   * tm_isdst = -1 (what proxmox-time calls):
   *  - unambiguous: the one instant;
   *  - ambiguous (fall back, the hour repeats): the occurrence with offset
   *    `prefer` (glibc seeds its search with the previous offset; we pass the
   *    offset the cursor currently has), else the first occurrence;
   *  - non-existent (spring forward gap): read with the offset before the
   *    gap, i.e. moved forward by the gap length (02:30 -> 03:30 in New York),
   *    which is glibc's choice of the DST side.
   */
  wallToEpoch(local: number, prefer: number): number {
    if (!this.format) return local;
    const before = this.offsetAt(local - 86400);
    const after = this.offsetAt(local + 86400);
    const early = local - before;
    const late = local - after;
    if (before === after) return early;
    const earlyOk = this.offsetAt(early) === before;
    const lateOk = this.offsetAt(late) === after;
    if (earlyOk && lateOk) return prefer === after ? late : early;
    if (earlyOk) return early;
    if (lateOk) return late;
    return early;
  }
}
