// Reads an iCalendar text on stdin with Mozilla's ical.js (the parser of Thunderbird) and prints, as JSON, the
// calendar's METHOD and for every VEVENT its UID, SEQUENCE, STATUS and start and end as UTC instants.
// Used by tests/test_calendar_parsers.py: `node tests/icaljs_start.mjs < invite.ics`.
// ical.js 2.x is an ES module ("type": "module"; dist/ical.js), so it is imported, not required.
import ICAL from "ical.js";

const chunks = [];
for await (const chunk of process.stdin) {
  chunks.push(chunk);
}
const calendar = new ICAL.Component(ICAL.parse(Buffer.concat(chunks).toString("utf8")));

const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  return {
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    start: event.startDate.toJSDate().toISOString(),
    end: event.endDate.toJSDate().toISOString(),
    startIsUtc: event.startDate.zone === ICAL.Timezone.utcTimezone,
  };
});
process.stdout.write(JSON.stringify({ method: calendar.getFirstPropertyValue("method"), events }));
