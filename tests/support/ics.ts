/** An iCalendar text parsed back with an independent parser (ical.js, VTIMEZONE and RRULE included), for the calendar's tests. */
import ICAL from "ical.js";

export interface ParsedEvent {
  uid: string;
  tier: string;
  job: string;
  storage: string;
  vmids: string;
  summary: string;
  description: string;
  start: Date;
  end: Date;
  /** DTSTART as written: its TZID and wall clock (of this occurrence). */
  tzid: string | null;
  wall: string;
  /** One occurrence of a recurring event (RRULE), its UID the series'. */
  recurring: boolean;
}

/** Parses an iCalendar text with ical.js, resolving TZIDs from the file's own VTIMEZONEs. */
export function parseIcs(text: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  try {
    return calendar.getAllSubcomponents("vevent").flatMap((vevent) => {
      const event = new ICAL.Event(vevent);
      const dtstart = vevent.getFirstProperty("dtstart");
      const common = {
        uid: event.uid,
        tier: String(vevent.getFirstPropertyValue("x-pve-tier")),
        job: String(vevent.getFirstPropertyValue("x-pve-job")),
        storage: String(vevent.getFirstPropertyValue("x-pve-storage")),
        // Written as TEXT (comma escaped); ical.js leaves X- properties it does not know raw.
        vmids: String(vevent.getFirstPropertyValue("x-pve-vmids")).replace(/\\,/g, ","),
        summary: event.summary,
        description: event.description,
        tzid: (dtstart?.getParameter("tzid") as string | undefined) ?? null,
        recurring: event.isRecurring(),
      };
      const at = (start: ICAL.Time, end: ICAL.Time) => ({
        ...common,
        start: start.toJSDate(),
        end: end.toJSDate(),
        wall: start.toString(),
      });
      if (!event.isRecurring()) return [at(event.startDate, event.endDate)];
      // Each occurrence of the rule, as ical.js expands it (the RRULE's UNTIL ends it).
      const occurrences: ParsedEvent[] = [];
      const iterator = event.iterator();
      for (let next = iterator.next(); next; next = iterator.next()) {
        if (occurrences.length > 10_000) throw new Error(`${event.uid}: a rule without an end`);
        const details = event.getOccurrenceDetails(next);
        occurrences.push(at(details.startDate, details.endDate));
      }
      return occurrences;
    });
  } finally {
    ICAL.TimezoneService.reset();
  }
}
