/**
 * The schedule engine's warnings: schedules PVE accepts that probably do not do what their author
 * meant (`weekly` is Monday, `mon..fri 22` is minute 22 of every hour, `02-30` never runs, ...).
 */
import type { Fields, ParseNotes, Spec } from "./parser";
import { ALL_DAYS } from "./parser";
import { computeNext } from "./search";
import { Zone } from "./zone";

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

export function computeWarnings(f: Fields, notes: ParseNotes): string[] {
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
  const fires = computeNext(f, Math.floor(Date.UTC(firstYear, 0, 1) / 1000), Zone.utc);
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
