/**
 * The schedule engine's parser: PVE's calendar-event grammar, a hand-written port of proxmox-time's
 * nom parser, step for step (including its backtracking), because PVE's quirks - `22` is a minute,
 * `25:00` is minute 25 - come from exactly that structure. Turns an expression into the fields the
 * search (search.ts) matches and the notes the warnings (warnings.ts) need. The grammar is
 * described in index.ts, the engine's public face.
 *
 * (Over 300 lines: one parser, whose productions call each other as proxmox-time's do; split, the
 * port could no longer be read against its original step for step.)
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
export interface Spec {
  start: number;
  step: number;
  end?: number;
}

/** Field lists; an empty list means "any value" (`*`). */
export interface Fields {
  /** Weekday bit mask, Monday = bit 0 ... Sunday = bit 6; 0 = any day. */
  days: number;
  year: Spec[];
  month: Spec[];
  day: Spec[];
  hour: Spec[];
  minute: Spec[];
  second: Spec[];
}

const ZERO: Spec[] = [{ start: 0, step: 0 }];
/** Every weekday bit set: the same as no weekday given. */
export const ALL_DAYS = 0x7f;

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
export interface ParseNotes {
  keyword?: string;
  hourGiven: boolean;
  secondGiven: boolean;
  minuteText?: string;
  timeText?: string;
}

export function parseExpression(expression: string): { utc: boolean; fields: Fields; notes: ParseNotes } {
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
