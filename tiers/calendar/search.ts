/**
 * The schedule engine's search: the next run of parsed fields after an instant, as proxmox-time's
 * CalendarEvent::compute_next_event does it, step for step, on the node's wall clock (zone.ts).
 */
import type { Fields, Spec } from "./parser";
import { ALL_DAYS } from "./parser";
import { MAX_EPOCH, Zone, civilFromDays, mod, wallSeconds } from "./zone";

// Local aliases: inside sandboxes such as jest's vm context every lookup of a
// global (`Math`) is slow, and these run millions of times.
const floor = Math.floor;
const abs = Math.abs;

// ---------------------------------------------------------------------------
// Field matching, as DateTimeValue::list_contains / find_next.

export function contains(list: Spec[], v: number): boolean {
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
export function computeNext(f: Fields, from: number, zone: Zone): number | undefined {
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
