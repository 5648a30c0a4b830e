/** An iCalendar text parsed back with an independent parser (ical.js, VTIMEZONE included), for the calendar's tests. */
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
  /** DTSTART as written: its TZID and wall clock. */
  tzid: string | null;
  wall: string;
}

/** Parses an iCalendar text with ical.js, resolving TZIDs from the file's own VTIMEZONEs. */
export function parseIcs(text: string): ParsedEvent[] {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  try {
    return calendar.getAllSubcomponents("vevent").map((vevent) => {
      const event = new ICAL.Event(vevent);
      const dtstart = vevent.getFirstProperty("dtstart");
      const start = event.startDate;
      return {
        uid: event.uid,
        tier: String(vevent.getFirstPropertyValue("x-pve-tier")),
        job: String(vevent.getFirstPropertyValue("x-pve-job")),
        storage: String(vevent.getFirstPropertyValue("x-pve-storage")),
        // Written as TEXT (comma escaped); ical.js leaves X- properties it does not know raw.
        vmids: String(vevent.getFirstPropertyValue("x-pve-vmids")).replace(/\\,/g, ","),
        summary: event.summary,
        description: event.description,
        start: start.toJSDate(),
        end: event.endDate.toJSDate(),
        tzid: (dtstart?.getParameter("tzid") as string | undefined) ?? null,
        wall: start.toString(),
      };
    });
  } finally {
    ICAL.TimezoneService.reset();
  }
}
