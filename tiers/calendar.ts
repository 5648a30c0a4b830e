/**
 * Proxmox VE calendar events: the one schedule engine of this project.
 *
 * PVE validates and runs backup-job schedules with the Rust crate proxmox-time
 * (`CalendarEvent`, a systemd.time look-alike). This module re-implements that
 * grammar and its next-run search so that the Pulumi program, the policy pack
 * and the commands all agree with what a PVE node will accept and do. The
 * ground truth is tests/fixtures/pve-calendar-vectors.jsonl (output of PVE's
 * own parser); the parser below deliberately mirrors proxmox-time's nom parser
 * step by step (including its backtracking), because PVE's quirks - `22` is a
 * minute, `25:00` is minute 25 - come from exactly that structure.
 *
 * Grammar (after an optional trailing `UTC`):
 *   keyword                      daily weekly monthly yearly annually quarterly
 *                                semiannually semi-annually hourly minutely
 *                                (whole string, lower case)
 *   [weekdays] [date] [time]     at least one of the three parts
 *   weekdays  = range{,range}    range = day[..day], day = mon|monday|... (any case)
 *   date      = [Y-]M-D          each component a list (below); Y < 2200
 *   time      = [H:]M[:S]        each component a list; a lone number is a MINUTE
 *   list      = * | * /N | item{,item}
 *   item      = v | v/N | a..b | a..b/N
 *
 * Time zones and DST. A node evaluates a schedule on its local wall clock
 * (unless it ends in `UTC`); proxmox-time does that with libc's localtime()
 * and mktime(tm_isdst = -1), editing broken-down fields and re-normalizing
 * after every edit. We reproduce that with Intl-derived offsets, which gives:
 *  - spring forward: a wall time inside the gap is normalized past it (02:30
 *    becomes 03:30), the field no longer matches, and the search moves on:
 *    a once-a-day `02:30` job is skipped that day; `*\/15` jumps 01:45 -> 03:00.
 *  - fall back: a time in the repeated hour runs once, at its first
 *    occurrence (`01:30` runs at 01:30 DST); minute-repeating schedules step
 *    from 01:45 DST to 02:00 standard time, i.e. the repeated hour is not run twice.
 * Nothing loops: every step moves the wall clock forward and the search
 * stops after proxmox-time's own limit of 1000 steps.
 */

/** A schedule PVE would reject; the message says what is wrong and where. */
export class CalendarEventError extends Error {
  constructor(
    message: string,
    /** The expression that failed to parse. */
    readonly expression: string,
    /** 0-based index into `expression` where parsing stopped. */
    readonly position: number,
  ) {
    super(message);
    this.name = "CalendarEventError";
  }
}

/**
 * One component value. proxmox-time has Single(v), Range(a, b) and
 * Repeated(start, step, end?); all three are the same arithmetic progression
 * (Single = step 0, Range = step 1 with an end), so one shape serves, and the
 * contains/findNext rules below reproduce proxmox-time's results exactly.
 */
interface Spec {
  start: number;
  step: number;
  end?: number;
}

/** Field lists; an empty list means "any value" (`*`). */
interface Fields {
  /** Weekday bit mask, Monday = bit 0 ... Sunday = bit 6; 0 = any day. */
  days: number;
  year: Spec[];
  month: Spec[];
  day: Spec[];
  hour: Spec[];
  minute: Spec[];
  second: Spec[];
}

// Local aliases: inside sandboxes such as jest's vm context every lookup of a
// global (`Math`) is slow, and these run millions of times.
const floor = Math.floor;
const abs = Math.abs;

const ZERO: Spec[] = [{ start: 0, step: 0 }];
const ALL_DAYS = 0x7f;

/** Keyword shortcuts; values as in proxmox-time (note: `weekly` is Monday). */
const KEYWORDS: ReadonlyMap<string, Omit<Fields, "year">> = (() => {
  const midnight = { hour: ZERO, minute: ZERO, second: ZERO };
  const months = (...m: number[]): Spec[] => m.map((v) => ({ start: v, step: 0 }));
  const first: Spec[] = [{ start: 1, step: 0 }];
  const yearly = { days: 0, ...midnight, day: first, month: months(1) };
  const semi = { days: 0, ...midnight, day: first, month: months(1, 7) };
  return new Map(
    Object.entries({
      minutely: { days: 0, month: [], day: [], hour: [], minute: [], second: ZERO },
      hourly: { days: 0, month: [], day: [], hour: [], minute: ZERO, second: ZERO },
      daily: { days: 0, month: [], day: [], ...midnight },
      weekly: { days: 1, month: [], day: [], ...midnight },
      monthly: { days: 0, month: [], day: first, ...midnight },
      yearly,
      annually: yearly,
      quarterly: { days: 0, ...midnight, day: first, month: months(1, 4, 7, 10) },
      semiannually: semi,
      "semi-annually": semi,
    }),
  );
})();

// Maps, not object literals: a lookup must not find "constructor" & co.
const WEEKDAYS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    mon: 0,
    monday: 0,
    tue: 1,
    tuesday: 1,
    wed: 2,
    wednesday: 2,
    thu: 3,
    thursday: 3,
    fri: 4,
    friday: 4,
    sat: 5,
    saturday: 5,
    sun: 6,
    sunday: 6,
  }),
);
const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

// ---------------------------------------------------------------------------
// Parser: a hand-written port of proxmox-time's nom combinators. Every failure
// is recoverable (nom `Err::Error`), so opt()/separated_list1() backtrack.

type Res<T> = { ok: true; pos: number; value: T } | { ok: false; pos: number; expected: string };
const ok = <T>(pos: number, value: T): Res<T> => ({ ok: true, pos, value });
const fail = <T>(pos: number, expected: string): Res<T> => ({ ok: false, pos, expected });

class Parser {
  constructor(readonly s: string) {}

  /** parse_time_comp: digits, value must be < max. */
  number(pos: number, max: number): Res<number> {
    let end = pos;
    while (end < this.s.length && this.s.charCodeAt(end) >= 48 && this.s.charCodeAt(end) <= 57) end++;
    if (end === pos) return fail(pos, "a number");
    const v = Number(this.s.slice(pos, end));
    return v < max ? ok(end, v) : fail(pos, `a number below ${max}`);
  }

  /** parse_date_time_comp: v | v/N | a..b | a..b/N. */
  comp(pos: number, max: number): Res<Spec> {
    const first = this.number(pos, max);
    if (!first.ok) return first;
    let p = first.pos;
    if (this.s.startsWith("..", p)) {
      const end = this.number(p + 2, max);
      if (end.ok) {
        if (first.value > end.value) return fail(pos, "a range whose start is not bigger than its end");
        p = end.pos;
        if (this.s[p] === "/") {
          const rep = this.number(p + 1, max);
          return rep.ok ? ok(rep.pos, { start: first.value, step: rep.value, end: end.value }) : rep;
        }
        return ok(p, { start: first.value, step: 1, end: end.value });
      }
    }
    if (this.s[p] === "/") {
      const rep = this.number(p + 1, max);
      return rep.ok ? ok(rep.pos, { start: first.value, step: rep.value }) : rep;
    }
    return ok(p, { start: first.value, step: 0 });
  }

  /** parse_date_time_comp_list: `*`, `*\/N` (N > 0) or comma list of items. */
  list(pos: number, start: number, max: number): Res<Spec[]> {
    if (this.s[pos] === "*") {
      if (this.s[pos + 1] === "/") {
        const rep = this.number(pos + 2, max);
        if (!rep.ok) return rep;
        if (rep.value > 0) return ok(rep.pos, [{ start, step: rep.value }]);
      }
      return ok(pos + 1, []);
    }
    return this.separated(pos, (p) => this.comp(p, max));
  }

  /** nom separated_list1(tag(","), item): stops (without consuming ",") at the first bad item. */
  separated<T>(pos: number, item: (p: number) => Res<T>): Res<T[]> {
    const first = item(pos);
    if (!first.ok) return first;
    const values = [first.value];
    let p = first.pos;
    while (this.s[p] === ",") {
      const next = item(p + 1);
      if (!next.ok) break;
      values.push(next.value);
      p = next.pos;
    }
    return ok(p, values);
  }

  space(pos: number): number {
    while (this.s[pos] === " " || this.s[pos] === "\t") pos++;
    return pos;
  }

  weekday(pos: number): Res<number> {
    let end = pos;
    while (end < this.s.length && /[A-Za-z]/.test(this.s[end])) end++;
    const day = end > pos ? WEEKDAYS.get(this.s.slice(pos, end).toLowerCase()) : undefined;
    return day === undefined ? fail(pos, "weekday") : ok(end, day);
  }

  /** parse_weekdays_range: day or day..day; a reversed range wraps over Sunday. */
  weekdayRange(pos: number): Res<number> {
    const a = this.weekday(pos);
    if (!a.ok) return a;
    if (this.s.startsWith("..", a.pos)) {
      const b = this.weekday(a.pos + 2);
      if (b.ok) {
        let mask = 0;
        if (a.value <= b.value) for (let d = a.value; d <= b.value; d++) mask |= 1 << d;
        else for (let d = 0; d < 7; d++) if (d >= a.value || d <= b.value) mask |= 1 << d;
        return ok(b.pos, mask);
      }
    }
    return ok(a.pos, 1 << a.value);
  }

  /** parse_date_spec: Y-M-D, else M-D. */
  date(pos: number): Res<{ year: Spec[]; month: Spec[]; day: Spec[] }> {
    const y = this.list(pos, 0, 2200); // 2200: systemd's upper limit, kept by proxmox-time
    if (y.ok && this.s[y.pos] === "-") {
      const m = this.list(y.pos + 1, 1, 13);
      if (m.ok && this.s[m.pos] === "-") {
        const d = this.list(m.pos + 1, 1, 32);
        if (d.ok) return ok(d.pos, { year: y.value, month: m.value, day: d.value });
      }
    }
    const m = this.list(pos, 1, 13);
    if (m.ok && this.s[m.pos] === "-") {
      const d = this.list(m.pos + 1, 1, 32);
      if (d.ok) return ok(d.pos, { year: [], month: m.value, day: d.value });
    }
    return fail(pos, "date");
  }

  /**
   * parse_time_spec: opt(H ":"), M, opt(":" S). The hour is optional and is
   * tried first, so `22` (no colon) is a minute, and `25:00` (25 is no hour)
   * is minute 25, second 0.
   */
  time(pos: number): Res<{ hour?: Spec[]; minute: Spec[]; second?: Spec[]; minuteText: string }> {
    let p = pos;
    let hour: Spec[] | undefined;
    const h = this.list(p, 0, 24);
    if (h.ok && this.s[h.pos] === ":") {
      hour = h.value;
      p = h.pos + 1;
    }
    const m = this.list(p, 0, 60);
    if (!m.ok) return m;
    const minuteText = this.s.slice(p, m.pos);
    p = m.pos;
    let second: Spec[] | undefined;
    if (this.s[p] === ":") {
      const sec = this.list(p + 1, 0, 60);
      if (sec.ok) {
        second = sec.value;
        p = sec.pos;
      }
    }
    return ok(p, { hour, minute: m.value, second, minuteText });
  }
}

/** Facts about the source the warnings need (the parsed fields alone lose them). */
interface ParseNotes {
  keyword?: string;
  hourGiven: boolean;
  secondGiven: boolean;
  minuteText?: string;
  timeText?: string;
}

function parseExpression(expression: string): { utc: boolean; fields: Fields; notes: ParseNotes } {
  let text = expression;
  let utc = false;
  // proxmox-time strips a literal "UTC" suffix and the spaces before it first.
  if (text.endsWith("UTC")) {
    utc = true;
    text = text.slice(0, -3).replace(/ +$/, "");
  }
  const error = (pos: number, reason: string): CalendarEventError =>
    new CalendarEventError(
      `unable to parse calendar event at '${text.slice(pos)}' (position ${pos}): ${reason}`,
      expression,
      pos,
    );

  const notes: ParseNotes = { hourGiven: false, secondGiven: false };
  const fields: Fields = { days: 0, year: [], month: [], day: [], hour: ZERO, minute: ZERO, second: ZERO };
  const p = new Parser(text);
  let pos = 0;
  let hasDays = false;

  if (/^[A-Za-z]/.test(text)) {
    const keyword = KEYWORDS.get(text);
    if (keyword) {
      notes.keyword = text;
      return { utc, fields: { year: [], ...keyword }, notes };
    }
    const days = p.separated(0, (at) => p.weekdayRange(at));
    if (!days.ok) {
      const word = /^[A-Za-z-]+/.exec(text.slice(days.pos))?.[0] ?? "";
      const lower = word.toLowerCase();
      const reason = KEYWORDS.has(lower)
        ? `'${lower}' is a keyword and must be the whole schedule, in lower case` +
          ` (for a time of day write e.g. '03:00' or '*-*-* 03:00')`
        : `expected a weekday (mon..sun) or a keyword (${[...KEYWORDS.keys()].join(", ")}), got '${word}'`;
      throw error(days.pos, reason);
    }
    for (const mask of days.value) fields.days |= mask;
    hasDays = true;
    pos = p.space(days.pos);
  }

  const date = p.date(pos);
  if (date.ok) {
    fields.year = date.value.year;
    fields.month = date.value.month;
    fields.day = date.value.day;
    pos = p.space(date.pos);
  }

  const time = p.time(pos);
  if (time.ok) {
    fields.hour = time.value.hour ?? [];
    fields.minute = time.value.minute;
    fields.second = time.value.second ?? ZERO;
    notes.hourGiven = time.value.hour !== undefined;
    notes.secondGiven = time.value.second !== undefined;
    notes.minuteText = time.value.minuteText;
    notes.timeText = text.slice(pos, time.pos);
    pos = time.pos;
  }

  if (!hasDays && !date.ok && !time.ok) {
    throw error(pos, "expected a weekday, a date (Y-M-D or M-D) or a time (H:M[:S])");
  }
  if (pos !== text.length) {
    const rest = text.slice(pos);
    const hint = /^-[A-Za-z]/.test(rest)
      ? " (weekday ranges are written with '..', e.g. mon..fri)"
      : /^\s+[\d*]/.test(rest) && !notes.hourGiven
        ? " (cron syntax is not supported; write e.g. '03:00' or 'mon..fri 22:30')"
        : "";
    throw error(pos, `unexpected '${rest}' after a complete schedule${hint}`);
  }
  return { utc, fields, notes };
}

// ---------------------------------------------------------------------------
// Field matching, as DateTimeValue::list_contains / find_next.

function contains(list: Spec[], v: number): boolean {
  for (const s of list) {
    if (v < s.start) continue;
    if (s.step === 0 ? v === s.start : (v - s.start) % s.step === 0 && (s.end === undefined || v <= s.end)) {
      return true;
    }
  }
  return false;
}

/** Smallest value of `list` that is greater than `v` (proxmox-time's rules, e.g. ranges only step by one). */
function findNext(list: Spec[], v: number): number | undefined {
  let best: number | undefined;
  for (const s of list) {
    let n: number | undefined;
    if (v < s.start) n = s.start;
    else if (s.step > 0) {
      n = s.start + floor((v - s.start + s.step) / s.step) * s.step;
      if (s.end !== undefined && n > s.end) n = undefined;
    }
    if (n !== undefined && (best === undefined || n < best)) best = n;
  }
  return best;
}

// ---------------------------------------------------------------------------
// Civil-date arithmetic on plain numbers (fast, no Date objects in the loop).

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
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
function wallSeconds(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const m0 = mo - 1;
  const yy = y + floor(m0 / 12);
  const mm = (((m0 % 12) + 12) % 12) + 1;
  return (daysFromCivil(yy, mm, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s;
}

const mod = (a: number, b: number): number => ((a % b) + b) % b;

/** Instants a JS Date can hold, with a day of slack for zone offsets. */
const MAX_EPOCH = 8.64e12 - 2 * 86400;

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

class Zone {
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

/**
 * proxmox-time's TmEditor: broken-down wall-clock fields that every edit
 * re-normalizes through mktime (overflowing fields roll over, DST gaps move
 * forward). Reproducing this, rather than doing cleverer date math, is what
 * makes DST days behave as on a PVE node.
 */
class Cursor {
  year = 0;
  month = 0;
  day = 0;
  hour = 0;
  min = 0;
  sec = 0;
  /** Monday = 0 ... Sunday = 6 (TmEditor::day_num). */
  dayNum = 0;
  offset = 0;
  t = 0;

  constructor(
    private readonly zone: Zone,
    t: number,
  ) {
    this.setEpoch(t);
  }

  private setEpoch(t: number): void {
    this.t = t;
    this.offset = this.zone.offsetAt(t);
    const local = t + this.offset;
    const days = floor(local / 86400);
    [this.year, this.month, this.day] = civilFromDays(days);
    const sod = local - days * 86400;
    this.hour = floor(sod / 3600);
    this.min = floor((sod % 3600) / 60);
    this.sec = sod % 60;
    this.dayNum = mod(days + 3, 7); // 1970-01-01 was a Thursday
  }

  private set(y: number, mo: number, d: number, h: number, mi: number, s: number): void {
    this.setEpoch(this.zone.wallToEpoch(wallSeconds(y, mo, d, h, mi, s), this.offset));
  }

  addYears(n: number): void {
    if (n !== 0) this.set(this.year + n, 1, 1, 0, 0, 0);
  }
  addMonths(n: number): void {
    if (n !== 0) this.set(this.year, this.month + n, 1, 0, 0, 0);
  }
  addDays(n: number): void {
    if (n !== 0) this.set(this.year, this.month, this.day + n, 0, 0, 0);
  }
  setTime(h: number, mi: number, s: number): void {
    this.set(this.year, this.month, this.day, h, mi, s);
  }
  setMinSec(mi: number, s: number): void {
    this.set(this.year, this.month, this.day, this.hour, mi, s);
  }
  setSec(s: number): void {
    this.set(this.year, this.month, this.day, this.hour, this.min, s);
  }
}

/** proxmox-time gives up after this many steps; we do too, so "no next run" agrees (and is fast). */
const MAX_STEPS = 1000;

/** CalendarEvent::compute_next_event, step for step: first run at or after `from` (Unix seconds). */
function computeNext(f: Fields, from: number, zone: Zone): number | undefined {
  if (!(abs(from) < MAX_EPOCH)) return undefined;
  const anyDay = f.days === 0 || f.days === ALL_DAYS;
  const t = new Cursor(zone, from);
  for (let count = 0; count <= MAX_STEPS; count++) {
    if (abs(t.t) > MAX_EPOCH || t.year < 0) return undefined;
    if (f.year.length && !contains(f.year, t.year)) {
      const n = findNext(f.year, t.year);
      if (n === undefined) return undefined; // no later year in the list: never again
      t.addYears(n - t.year);
      continue;
    }
    if (f.month.length && !contains(f.month, t.month)) {
      const n = findNext(f.month, t.month);
      if (n !== undefined) t.addMonths(n - t.month);
      else t.addYears(1);
      continue;
    }
    if (f.day.length && !contains(f.day, t.day)) {
      const n = findNext(f.day, t.day);
      if (n !== undefined) t.addDays(n - t.day);
      else t.addMonths(1);
      continue;
    }
    if (!anyDay && !(f.days & (1 << t.dayNum))) {
      let n = t.dayNum + 1;
      while (n < 7 && !(f.days & (1 << n))) n++;
      t.addDays(n - t.dayNum); // n === 7: Monday of next week
      continue;
    }
    if (f.hour.length && !contains(f.hour, t.hour)) {
      const n = findNext(f.hour, t.hour);
      if (n !== undefined) t.setTime(n, 0, 0);
      else t.addDays(1);
      continue;
    }
    if (f.minute.length && !contains(f.minute, t.min)) {
      const n = findNext(f.minute, t.min);
      if (n !== undefined) t.setMinSec(n, 0);
      else t.setTime(t.hour + 1, 0, 0);
      continue;
    }
    if (f.second.length && !contains(f.second, t.sec)) {
      const n = findNext(f.second, t.sec);
      if (n !== undefined) t.setSec(n);
      else t.setMinSec(t.min + 1, 0);
      continue;
    }
    return t.t;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Warnings: valid schedules that probably do not do what their author meant.

function describeList(list: Spec[]): string {
  return list
    .map((s) =>
      s.step === 0
        ? `${s.start}`
        : s.step === 1 && s.end !== undefined
          ? `${s.start}..${s.end}`
          : `${s.start}/${s.step}`,
    )
    .join(",");
}

function computeWarnings(f: Fields, notes: ParseNotes): string[] {
  const warnings: string[] = [];
  if (notes.keyword === "weekly") {
    warnings.push("'weekly' runs on Mondays at 00:00, not on the weekday the job was created");
  }
  if (!notes.keyword && notes.minuteText !== undefined && !notes.hourGiven) {
    const m = notes.minuteText;
    const minutes = describeList(f.minute);
    if (notes.secondGiven) {
      // `25:00`: 25 is no hour (0-23), so proxmox-time reads minute:second.
      warnings.push(
        `'${notes.timeText}' has no valid hour (hours are 0-23), so PVE reads it as minute:second: ` +
          (f.minute.length ? `it runs at minute ${minutes} of every hour` : "it runs every minute"),
      );
    } else if (f.minute.length && f.minute.every((s) => s.step <= 1)) {
      // `mon..fri 22`: a time without a colon is a minute, not an hour.
      const single = f.minute.length === 1 && f.minute[0].step === 0 ? f.minute[0].start : undefined;
      warnings.push(
        `'${m}' has no hour, so PVE reads it as a minute: runs at minute ${minutes} of every hour` +
          (single !== undefined && single < 24 ? `, not at ${single}:00 (write '${single}:00' for that)` : ""),
      );
    }
  }
  if (!notes.keyword && notes.hourGiven && f.hour.length && !f.minute.length) {
    warnings.push(`minute is '*': runs every minute of hour(s) ${describeList(f.hour)}, not once an hour`);
  }
  if (notes.secondGiven && !f.second.length) {
    warnings.push("second is '*': runs every second");
  }
  if (f.day.length && f.days !== 0 && f.days !== ALL_DAYS) {
    warnings.push(
      "both a weekday and a day of month are given: PVE runs only when both match (e.g. Friday the 13th), " +
        "unlike cron, where either one matching is enough",
    );
  }
  const firstDay = f.day.length ? Math.min(...f.day.map((s) => s.start)) : 1;
  // One search from the first allowed year (>= 1970) tells "never" (e.g. `02-30`) apart from "rare".
  const firstYear = f.year.length ? Math.max(1970, Math.min(...f.year.map((s) => s.start))) : 1970;
  const fires = computeNext(f, floor(Date.UTC(firstYear, 0, 1) / 1000), Zone.utc);
  if (fires === undefined) {
    warnings.push("this schedule never runs: no date matches all of its fields");
  } else if (firstDay >= 29) {
    const leap = firstDay === 29 && f.month.length === 1 && f.month[0].step === 0 && f.month[0].start === 2;
    warnings.push(
      leap
        ? "February 29 exists only in leap years: this runs once every four years"
        : `day ${firstDay} does not exist in every month: the run is skipped in shorter months, not moved to the last day`,
    );
  }
  return warnings;
}

// ---------------------------------------------------------------------------
// Public API

/** A parsed PVE calendar event (a backup job's `schedule`). */
export class CalendarEvent {
  /** The expression as given. */
  readonly expression: string;
  /** True when the expression ends in `UTC`: evaluated in UTC whatever the node's zone. */
  readonly utc: boolean;
  /** Valid-but-surprising readings, in plain words (e.g. `mon..fri 22` is minute 22 of every hour). */
  readonly warnings: string[];
  private readonly fields: Fields;

  private constructor(expression: string, utc: boolean, fields: Fields, warnings: string[]) {
    this.expression = expression;
    this.utc = utc;
    this.fields = fields;
    this.warnings = warnings;
  }

  /** Parses like PVE; throws CalendarEventError when PVE would reject the expression. */
  static parse(expression: string): CalendarEvent {
    const { utc, fields, notes } = parseExpression(expression);
    return new CalendarEvent(expression, utc, fields, computeWarnings(fields, notes));
  }

  /**
   * The first run strictly after `after`, or undefined when the event never
   * fires again (found within proxmox-time's step limit, as on PVE).
   * `timeZone` (IANA, default "UTC") is the node's zone, used for the wall
   * clock unless the expression ends in `UTC`; an unknown zone throws RangeError.
   */
  next(after: Date, timeZone = "UTC"): Date | undefined {
    const zone = this.zoneFor(timeZone);
    const t = computeNext(this.fields, toSeconds(after) + 1, zone);
    return t === undefined ? undefined : new Date(t * 1000);
  }

  /**
   * The last run strictly before `before`, or undefined when it never fired before then (searched
   * back to 1970). PVE only ever searches forwards; this searches forwards over windows reaching
   * back from `before`, each twice as long as the last, so it is the forward search's own answer.
   */
  previous(before: Date, timeZone = "UTC"): Date | undefined {
    const until = new Date((toSeconds(before) - 1) * 1000);
    for (let window = 60; ; window *= 2) {
      const after = new Date(Math.max(0, until.getTime() - window * 1000));
      const runs = this.collect(after, Number.POSITIVE_INFINITY, toSeconds(until), timeZone);
      if (runs.length > 0) return runs[runs.length - 1];
      if (after.getTime() === 0) return undefined;
    }
  }

  /** Up to `count` consecutive runs strictly after `after` (fewer when the event stops firing). */
  nextRuns(after: Date, count: number, timeZone = "UTC"): Date[] {
    return this.collect(after, count, undefined, timeZone);
  }

  /** All runs with after < run <= until, at most `limit` (e.g. a week of runs for a policy check). */
  runsBetween(after: Date, until: Date, timeZone = "UTC", limit = 100_000): Date[] {
    return this.collect(after, limit, toSeconds(until), timeZone);
  }

  private collect(after: Date, count: number, until: number | undefined, timeZone: string): Date[] {
    const zone = this.zoneFor(timeZone);
    const runs: Date[] = [];
    let last = toSeconds(after);
    while (runs.length < count) {
      const t = computeNext(this.fields, last + 1, zone);
      if (t === undefined || (until !== undefined && t > until)) break;
      runs.push(new Date(t * 1000));
      last = t;
    }
    return runs;
  }

  private zoneFor(timeZone: string): Zone {
    const zone = Zone.get(timeZone); // validate even when unused, so typos surface
    return this.utc ? Zone.utc : zone;
  }
}

function toSeconds(date: Date): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError("invalid Date");
  return floor(ms / 1000); // PVE works in whole seconds
}

/** Parse without throwing, for validation paths (policy pack, CLI). */
export function tryParseCalendarEvent(
  expression: string,
): { ok: true; event: CalendarEvent } | { ok: false; error: string } {
  try {
    return { ok: true, event: CalendarEvent.parse(expression) };
  } catch (err) {
    if (err instanceof CalendarEventError) return { ok: false, error: err.message };
    throw err;
  }
}

/** True when `timeZone` is an IANA zone name this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    Zone.get(timeZone);
    return true;
  } catch {
    return false;
  }
}

/**
 * ISO-8601 without milliseconds: `2026-01-04T04:00:00Z` in UTC, else the wall
 * clock of `timeZone` with its offset, e.g. `2026-01-04T04:00:00-05:00`.
 */
export function formatIsoTime(date: Date, timeZone = "UTC"): string {
  const zone = Zone.get(timeZone);
  const t = toSeconds(date);
  const offset = zone.offsetAt(t);
  const local = t + offset;
  const days = floor(local / 86400);
  const [y, mo, d] = civilFromDays(days);
  const sod = local - days * 86400;
  const p2 = (n: number): string => String(n).padStart(2, "0");
  const wall = `${String(y).padStart(4, "0")}-${p2(mo)}-${p2(d)}T${p2(floor(sod / 3600))}:${p2(floor((sod % 3600) / 60))}:${p2(sod % 60)}`;
  if (zone.isUtc) return `${wall}Z`;
  const abs = Math.abs(offset);
  return `${wall}${offset < 0 ? "-" : "+"}${p2(floor(abs / 3600))}:${p2(floor((abs % 3600) / 60))}`;
}

/**
 * A wall-clock time in `timeZone` as an instant (seconds may overflow and
 * roll over). Same DST rules as the schedule search: a repeated time is its
 * first occurrence, a skipped one moves forward by the gap.
 */
export function zonedTimeToDate(
  wall: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number },
  timeZone = "UTC",
): Date {
  const zone = Zone.get(timeZone);
  const local = wallSeconds(wall.year, wall.month, wall.day, wall.hour ?? 0, wall.minute ?? 0, wall.second ?? 0);
  return new Date(zone.wallToEpoch(local, Number.NaN) * 1000);
}

/** English weekday name (Monday first), handy when printing runs. */
export function weekdayName(date: Date, timeZone = "UTC"): string {
  const zone = Zone.get(timeZone);
  const t = toSeconds(date);
  return WEEKDAY_NAMES[mod(floor((t + zone.offsetAt(t)) / 86400) + 3, 7)];
}

// ---------------------------------------------------------------------------
// How often an event fires: for the tiers' `frequent` flag and the policies that judge schedules
// (one that never fires, one that fires hourly or more often). Computed from the fields, not by
// listing runs: `*:*:*` fires 86,400 times a day.

/** Whether the event fires at all after `after` (false: never again, as PVE's own search finds). */
export function firesAfter(event: CalendarEvent, after: Date, timeZone = "UTC"): boolean {
  return event.next(after, timeZone) !== undefined;
}

/**
 * The shortest time between two consecutive runs, in seconds, on the schedule's wall clock (a DST
 * change can shorten or skip one interval a year on a node's local clock); undefined when the event
 * fires at most once. `mon..fri 22` (minute 22 of every hour) gives 3600, `sun 04:00` a week.
 */
export function minimumInterval(event: CalendarEvent): number | undefined {
  // Bracket access reads the class's private fields: this block is the engine too.
  const f = event["fields"];
  const hours = expandList(f.hour, 24);
  const minutes = expandList(f.minute, 60);
  const seconds = expandList(f.second, 60);
  // On a day it fires, the times are hours × minutes × seconds in order, so consecutive runs are
  // the next second, the next minute's first second, or the next hour's first minute and second.
  const spanS = seconds[seconds.length - 1] - seconds[0];
  const spanMS = (minutes[minutes.length - 1] - minutes[0]) * 60 + spanS;
  let shortest = Math.min(
    smallestStep(seconds),
    smallestStep(minutes) * 60 - spanS,
    smallestStep(hours) * 3600 - spanMS,
  );
  const first = hours[0] * 3600 + minutes[0] * 60 + seconds[0];
  const last = hours[hours.length - 1] * 3600 + minutes[minutes.length - 1] * 60 + seconds[seconds.length - 1];
  const days = shortestDayGap(f);
  if (days === null) return undefined; // no day matches: it never fires
  if (days !== undefined) shortest = Math.min(shortest, days * 86400 - (last - first));
  return Number.isFinite(shortest) ? shortest : undefined;
}

/** Whether the event fires hourly or more often: what a tier must say it means (`frequent: true`). */
export function runsHourlyOrMoreOften(event: CalendarEvent): boolean {
  return (minimumInterval(event) ?? Number.POSITIVE_INFINITY) <= 3600;
}

/** The smallest difference between consecutive values (sorted), infinite for fewer than two. */
function smallestStep(values: number[]): number {
  let step = Number.POSITIVE_INFINITY;
  for (let i = 1; i < values.length; i++) step = Math.min(step, values[i] - values[i - 1]);
  return step;
}

/** The values in [0, size) a field list matches (an empty list matches all). */
function expandList(list: Spec[], size: number): number[] {
  const values: number[] = [];
  for (let v = 0; v < size; v++) if (list.length === 0 || contains(list, v)) values.push(v);
  return values;
}

/**
 * The fewest days between two days the event fires on; undefined when it fires on one day only,
 * null when on none. Without a year the Gregorian calendar repeats every 400 years (weekdays too:
 * 146,097 days are 20,871 weeks), so 401 years from 2000 hold every gap; with years, PVE's range.
 */
function shortestDayGap(f: Fields): number | undefined | null {
  const anyDay = f.days === 0 || f.days === ALL_DAYS;
  if (!f.year.length && !f.month.length && !f.day.length) {
    if (anyDay) return 1;
    // Weekdays only: the shortest step from one of them to the next, round the week.
    const weekdays = expandList([], 7).filter((d) => f.days & (1 << d));
    return Math.min(...weekdays.map((d, i) => (weekdays[i + 1] ?? weekdays[0] + 7) - d));
  }
  const [fromYear, toYear] = f.year.length ? [1970, 2200] : [2000, 2401];
  const months = expandList(f.month, 13).filter((m) => m >= 1);
  const days = expandList(f.day, 32).filter((d) => d >= 1);
  let previous: number | undefined;
  let shortest: number | undefined;
  for (let y = fromYear; y < toYear; y++) {
    if (f.year.length && !contains(f.year, y)) continue;
    for (const m of months) {
      const first = daysFromCivil(y, m, 1);
      const length = daysFromCivil(m === 12 ? y + 1 : y, m === 12 ? 1 : m + 1, 1) - first;
      for (const d of days) {
        if (d > length) break;
        const z = first + d - 1;
        if (!anyDay && !(f.days & (1 << mod(z + 3, 7)))) continue; // 1970-01-01 was a Thursday
        if (previous !== undefined) {
          shortest = Math.min(shortest ?? Number.POSITIVE_INFINITY, z - previous);
          if (shortest === 1) return 1;
        }
        previous = z;
      }
    }
  }
  return previous === undefined ? null : shortest;
}
