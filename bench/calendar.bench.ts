/**
 * `npm run bench -- calendar`: the schedule engine's speed on what used to be timed tests. Prints
 * figures, asserts nothing. The anchor is a week of runs of `daily` (the simplest schedule) for as
 * many jobs, measured in the same run; the other cases print their ratio to it.
 */
import { CalendarEvent } from "../tiers/calendar";

const JOBS = 2000;
const from = new Date("2026-03-02T00:00:00Z");
const until = new Date("2026-03-09T00:00:00Z");

function time(label: string, fn: () => number): { label: string; ms: number; result: number } {
  fn(); // warm up
  const t0 = performance.now();
  const result = fn();
  return { label, ms: performance.now() - t0, result };
}

const daily = CalendarEvent.parse("daily");
const mixed = ["mon..fri 02:30", "sun 04:00", "*/15", "0/6:00", "daily"].map((e) => CalendarEvent.parse(e));
const pastYear = CalendarEvent.parse("2020-01-01 00:00");
const impossible = CalendarEvent.parse("*-04-31");

const anchor = time(`anchor: a week of 'daily' for ${JOBS} jobs (Vienna)`, () => {
  let runs = 0;
  for (let job = 0; job < JOBS; job++) runs += daily.runsBetween(from, until, "Europe/Vienna").length;
  return runs;
});
const rows = [
  anchor,
  time(`a week of 5 mixed schedules for ${JOBS} jobs (Vienna)`, () => {
    let runs = 0;
    for (let job = 0; job < JOBS; job++)
      runs += mixed[job % mixed.length].runsBetween(from, until, "Europe/Vienna").length;
    return runs;
  }),
  time(`'2020-01-01 00:00' (never again), next() x ${JOBS}`, () => {
    let found = 0;
    for (let i = 0; i < JOBS; i++) if (pastYear.next(from)) found += 1;
    return found;
  }),
  time(`'*-04-31' (never), next() x ${JOBS} (Vienna)`, () => {
    let found = 0;
    for (let i = 0; i < JOBS; i++) if (impossible.next(from, "Europe/Vienna")) found += 1;
    return found;
  }),
];

console.log(`Schedule engine, node ${process.version}\n`);
const width = Math.max(...rows.map((r) => r.label.length));
for (const r of rows) {
  const ratio = r === anchor ? "" : `  ${(r.ms / anchor.ms).toFixed(1)}x the anchor`;
  console.log(`${r.label.padEnd(width)}  ${r.ms.toFixed(1).padStart(8)} ms  (${r.result} runs found)${ratio}`);
}
