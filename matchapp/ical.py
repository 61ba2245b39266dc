"""Calendar invites (RFC 5545 / iTIP) for bookings, and personal calendar feeds, built with icalendar."""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from icalendar import Alarm, Calendar, Event, vCalAddress

from matchapp import formats
from matchapp.labels import meeting_place
from matchapp.models import Booking, BookingStatus, User

PRODID = "-//Københavns Kommune//matchapp//DA"
REQUEST = "REQUEST"
CANCEL = "CANCEL"
LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def one_line(text: str) -> str:
    """Text for a one-line value (SUMMARY, LOCATION, the calendar's and people's names): its line breaks as spaces.

    A title typed with a line break must not break the file: icalendar escapes line breaks in TEXT values, but not in
    every property (X-WR-CALNAME), and calendar clients show a summary on one line anyway.
    """
    return LINE_BREAKS.sub(" ", text).strip()


def _uri(link: str) -> str:
    """A link without tabs and line breaks, which URL parsers (WHATWG) drop and icalendar refuses in a URI."""
    return re.sub(r"[\t\r\n]", "", link)


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _takes_part(booking: Booking, reader: User | None) -> bool:
    return reader is not None and reader.id in (booking.candidate.user_id, booking.session.created_by_id)


def _event(booking: Booking, *, now: datetime, cancelled: bool, reader: User | None) -> Event:
    """One meeting as a VEVENT: UTC times, the Danish local time and the details in the text.

    Least exposure: the only ATTENDEE is the reader, and only if they take part (the candidate or the employer
    contact); everyone else is named in the text, never with an e-mail address. ORGANIZER is the app's mailbox,
    which nobody reads: the invite asks for no reply (RSVP=FALSE) and says where to make changes.
    """
    session, slot = booking.session, booking.slot
    sender = current_app.config["MAIL_SENDER"]
    event = Event()
    event.add("uid", booking.uid)
    event.add("sequence", booking.sequence)
    event.add("dtstamp", now)
    event.add("dtstart", slot.starts_at)
    event.add("dtend", slot.ends_at)
    event.add("created", booking.created_at)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    title, employer = one_line(session.title), one_line(session.employer.name)
    event.add("summary", _("Job conversation: %(job)s at %(employer)s", job=title, employer=employer))
    place = one_line(meeting_place(session))
    # Calendar clients make a join button of a bare link in LOCATION; an address goes there as it is.
    event.add("location", one_line(session.address or "") if session.mode == "onsite"
              else (_uri(session.video_url) if session.video_url else place))
    if session.video_url:
        event.add("url", _uri(session.video_url))
    # Clients show DTSTART in their own zone; the text names the Danish time so that nobody is in doubt.
    lines = [
        _("Time: %(start)s–%(end)s (Danish time)", start=formats.moment(slot.starts_at),
          end=formats.clock(slot.ends_at)),
        _("Job: %(job)s", job=title),
        _("Employer: %(employer)s", employer=employer),
        _("Candidate: %(name)s", name=one_line(booking.candidate.user.name)),
        _("Employer contact: %(name)s", name=one_line(session.created_by.name)),
        place,
    ]
    if cancelled and booking.cancel_reason:
        lines.append(_("Reason: %(reason)s", reason=booking.cancel_reason))
    if not cancelled:
        lines.append(_("To move or cancel the meeting, use matchapp: %(url)s. Answers sent from your calendar are "
                       "not read.", url=current_app.config["BASE_URL"]))
    event.add("description", "\n".join(lines))
    organizer = vCalAddress.new(sender, cn=employer)
    event.add("organizer", organizer)
    if _takes_part(booking, reader):
        # No reply is asked for (RSVP=FALSE): the ORGANIZER mailbox is not read, and the reader said yes already by
        # booking (the candidate) or by publishing the session (the employer). Changes go through the app.
        event.add("attendee", vCalAddress.new(reader.email, cn=one_line(reader.name), role="REQ-PARTICIPANT",
                                              partstat="ACCEPTED", rsvp=False, cutype="INDIVIDUAL"))
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _("Job conversation in 15 minutes"))
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    return event


def booking_invite(booking: Booking, method: str, *, recipient: User, now: datetime) -> str:
    """The iTIP message for a booking, as sent to recipient (its only ATTENDEE): REQUEST while it stands (on booking
    and on every change), CANCEL after.

    The UID never changes; the caller raises booking.sequence on every change, so clients replace the event.
    """
    calendar = _calendar(method)
    calendar.add_component(_event(booking, now=now, cancelled=method == CANCEL, reader=recipient))
    return calendar.to_ical().decode()


def calendar_feed(bookings: Iterable[Booking], *, now: datetime, name: str, reader: User) -> str:
    """A subscribable calendar of meetings, as the reader sees it (the only ATTENDEE, where they take part);
    cancelled ones stay, marked cancelled, for 30 days."""
    calendar = _calendar(None)
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for booking in bookings:
        cancelled = booking.status == BookingStatus.CANCELLED
        if cancelled and booking.cancelled_at and booking.cancelled_at < now - timedelta(days=30):
            continue
        calendar.add_component(_event(booking, now=now, cancelled=cancelled, reader=reader))
    return calendar.to_ical().decode()
