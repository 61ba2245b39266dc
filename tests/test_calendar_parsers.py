"""Every invite and feed matchapp makes is read alike by four independent parsers: icalendar, vobject with
validate=True, an in-process Radicale CalDAV server, and Mozilla's ical.js (Thunderbird's parser) run with node."""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
import vobject
from icalendar import Calendar
from radicale import Application as RadicaleApplication
from radicale import config as radicale_config
from sqlalchemy import select
from werkzeug.test import Client

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking, Candidate, MeetingMode, OutboxMessage, User
from matchapp.services import booking as booking_service
from matchapp.services import moves, session_changes, sessions

ICALJS_SCRIPT = Path(__file__).with_name("icaljs_start.mjs")
SPRING_FORWARD = date(2026, 3, 29)  # Copenhagen goes from UTC+1 to UTC+2 at 02:00
FALL_BACK = date(2026, 10, 25)  # and back to UTC+1 at 03:00


@dataclass(frozen=True)
class Meeting:
    """What one VEVENT must say, taken from the database."""
    uid: str
    sequence: int
    status: str
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, booking: Booking) -> Meeting:
        db.session.refresh(booking)
        return cls(booking.uid, booking.sequence, booking.status.value.upper(), booking.slot.starts_at,
                   booking.slot.ends_at)


@dataclass(frozen=True)
class Document:
    """An iCalendar text the app made, with the METHOD it must have (None for feeds) and its meetings."""
    text: str
    method: str | None
    meetings: list[Meeting]

    def meeting(self, uid: str) -> Meeting:
        """The meeting with this UID (a feed lists its events in no particular order)."""
        return {meeting.uid: meeting for meeting in self.meetings}[uid]


# --- Building the documents the app makes ---------------------------------------------------------------------------

def booked_on(make, candidate: Candidate, day: date, start: time = time(9)) -> Booking:
    """A meeting at `start` Danish time on `day`, planned and booked a month before.

    The factory plans sessions 60 days back, which does not reach March 2026, so the services are called with
    their own `now`.
    """
    then = datetime.combine(day, time(12), tzinfo=UTC) - timedelta(days=30)
    employer = make.employer(name="Hotel Nørreport A/S")
    draft = sessions.SessionDraft(
        title="Receptionist", description="", course_ids=[], local_date=day, start_time=start,
        end_time=(datetime.combine(day, start) + timedelta(minutes=30)).time(), slot_minutes=10, break_minutes=0,
        interviewers=1, mode=MeetingMode.VIDEO, video_url="https://meet.example.dk/reception", address=None,
        booking_closes_hours=2)
    session = sessions.create_session(draft, by=employer, now=then)
    sessions.publish_session(session, by=employer, now=then)
    db.session.commit()
    return make.booking(candidate, session.slots[0], now=then)


def invite_to(user: User, method: str) -> str:
    """The calendar part of the latest message with this METHOD in the user's outbox."""
    return db.session.scalars(
        select(OutboxMessage.ical).where(OutboxMessage.recipient == user.email, OutboxMessage.ical_method == method)
        .order_by(OutboxMessage.id.desc())).first()


def a_candidate(make) -> Candidate:
    return make.candidate(completed=[make.course()], name="Åse Ærø")


def booking_request(make, client, auth) -> Document:
    candidate = a_candidate(make)
    booking = make.booking(candidate, make.session(title="Kok på Nørrebro").slots[0])
    return Document(invite_to(candidate.user, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def candidate_cancels(make, client, auth) -> Document:
    candidate = a_candidate(make)
    booking = make.booking(candidate, make.session().slots[0])
    booking_service.cancel_booking(booking, reason="Jeg er blevet syg", by=candidate.user, now=utcnow())
    db.session.commit()
    return Document(invite_to(candidate.user, "CANCEL"), "CANCEL", [Meeting.of(booking)])


def employer_cancels_session(make, client, auth) -> Document:
    candidate = a_candidate(make)
    session = make.session()
    booking = make.booking(candidate, session.slots[0])
    sessions.cancel_session(session, "Stillingen er besat", by=session.created_by, now=utcnow())
    db.session.commit()
    return Document(invite_to(session.created_by, "CANCEL"), "CANCEL", [Meeting.of(booking)])


def spring_forward_day(make, client, auth) -> Document:
    candidate = a_candidate(make)
    booking = booked_on(make, candidate, SPRING_FORWARD)
    return Document(invite_to(candidate.user, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def fall_back_day(make, client, auth) -> Document:
    candidate = a_candidate(make)
    booking = booked_on(make, candidate, FALL_BACK)
    return Document(invite_to(candidate.user, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def next_clock_change(month: int, after: date) -> date:
    """The first last Sunday of March (3) or October (10) after a day: when Copenhagen's clocks change next."""
    for year in (after.year, after.year + 1):
        last = date(year, month, 31)
        day = last - timedelta(days=(last.weekday() - 6) % 7)
        if day > after:
            return day
    raise AssertionError("no clock change within a year")


def personal_feed(make, client, auth) -> Document:
    """The candidate's feed: a meeting tomorrow, one cancelled today, and the two on the next days the clocks change
    (a feed shows upcoming meetings and the last 30 days only, so the 2026 ones have left it)."""
    candidate = a_candidate(make)
    tomorrow = make.booking(candidate, make.session(start=time(10)).slots[0])
    cancelled = make.booking(candidate, make.session(start=time(13), end=time(14)).slots[0])
    booking_service.cancel_booking(cancelled, reason=None, by=candidate.user, now=utcnow())
    db.session.commit()
    today = utcnow().date()
    spring = booked_on(make, candidate, next_clock_change(3, today))
    autumn = booked_on(make, candidate, next_clock_change(10, today))
    auth.login(candidate.user)
    client.post("/calendar/token")
    db.session.refresh(candidate.user)
    response = client.get(f"/calendar/feed/{candidate.user.calendar_token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Document(response.get_data(as_text=True), None,
                    [Meeting.of(booking) for booking in (tomorrow, cancelled, spring, autumn)])


def booking_download(make, client, auth) -> Document:
    candidate = a_candidate(make)
    booking = make.booking(candidate, make.session().slots[0])
    auth.login(candidate.user)
    response = client.get(f"/calendar/bookings/{booking.id}.ics")
    assert response.status_code == 200
    return Document(response.get_data(as_text=True), None, [Meeting.of(booking)])


LINE_BROKEN_TITLE = "Kok\r\npå Nørrebro\rog\nAmager"
ONE_LINE_TITLE = "Kok på Nørrebro og Amager"


def meetings_with_line_breaks(make) -> tuple[Candidate, Booking, Booking]:
    """A video meeting and an on-site meeting whose title, link and address were typed with line breaks."""
    candidate = a_candidate(make)
    video = make.session(title=LINE_BROKEN_TITLE, start=time(10))
    video.video_url = "https://meet.example.dk/\r\nkok"
    onsite = make.session(title=LINE_BROKEN_TITLE, start=time(13), end=time(14))
    onsite.mode, onsite.video_url, onsite.address = MeetingMode.ONSITE, None, "Nørrebrogade 1\r\n2200 København N"
    db.session.commit()
    return candidate, make.booking(candidate, video.slots[0]), make.booking(candidate, onsite.slots[0])


def line_breaks_download(make, client, auth) -> Document:
    candidate, booking, _ = meetings_with_line_breaks(make)
    auth.login(candidate.user)
    response = client.get(f"/calendar/bookings/{booking.id}.ics")
    assert response.status_code == 200
    return Document(response.get_data(as_text=True), None, [Meeting.of(booking)])


def moved(make, times: int) -> tuple[Candidate, Booking]:
    """A meeting the candidate moved `times` times within its session, each move one slot later."""
    candidate = a_candidate(make)
    session = make.session(title="Kok på Nørrebro")
    booking = make.booking(candidate, session.slots[0])
    for later in session.slots[1:times + 1]:
        moves.move_booking(booking, later.id, by=candidate.user, now=utcnow())
        db.session.commit()
    assert booking.sequence == times
    return candidate, booking


def moved_once(make, client, auth) -> Document:
    candidate, booking = moved(make, 1)
    return Document(invite_to(candidate.user, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def moved_twice(make, client, auth) -> Document:
    candidate, booking = moved(make, 2)
    return Document(invite_to(booking.session.created_by, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def moved_twice_then_cancelled(make, client, auth) -> Document:
    candidate, booking = moved(make, 2)
    booking_service.cancel_booking(booking, reason=None, by=candidate.user, now=utcnow())
    db.session.commit()
    assert booking.sequence == 3
    return Document(invite_to(candidate.user, "CANCEL"), "CANCEL", [Meeting.of(booking)])


def changed_by_the_employer(make) -> tuple[Candidate, Booking]:
    """A meeting the candidate moved once, whose session the employer then moved a day later and whose video link
    the employer then changed: SEQUENCE 1, 2, 3."""
    candidate, booking = moved(make, 1)
    session, employer = booking.session, booking.session.created_by
    session_changes.move_session(session, session.local_date + timedelta(days=1), session.start_time, by=employer,
                                 now=utcnow())
    db.session.commit()
    assert booking.sequence == 2
    session_changes.change_place(session, video_url="https://meet.example.dk/ny-kok", address=None, by=employer,
                                 now=utcnow())
    db.session.commit()
    assert booking.sequence == 3
    return candidate, booking


def session_moved_and_link_changed(make, client, auth) -> Document:
    candidate, booking = changed_by_the_employer(make)
    return Document(invite_to(candidate.user, "REQUEST"), "REQUEST", [Meeting.of(booking)])


def session_changed_then_cancelled(make, client, auth) -> Document:
    candidate, booking = changed_by_the_employer(make)
    booking_service.cancel_booking(booking, reason=None, by=candidate.user, now=utcnow())
    db.session.commit()
    assert booking.sequence == 4
    return Document(invite_to(booking.session.created_by, "CANCEL"), "CANCEL", [Meeting.of(booking)])


DOCUMENTS = [booking_request, candidate_cancels, employer_cancels_session, spring_forward_day, fall_back_day,
             personal_feed, booking_download, line_breaks_download, moved_once, moved_twice,
             moved_twice_then_cancelled, session_moved_and_link_changed, session_changed_then_cancelled]


@pytest.fixture(params=DOCUMENTS, ids=[build.__name__ for build in DOCUMENTS])
def document(request, make, client, auth) -> Document:
    document = request.param(make, client, auth)
    assert document.text.startswith("BEGIN:VCALENDAR\r\n")
    return document


def test_the_meetings_on_the_days_the_clocks_change_start_at_nine_danish_time(make):
    candidate = a_candidate(make)
    assert booked_on(make, candidate, SPRING_FORWARD).slot.starts_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert booked_on(make, candidate, FALL_BACK).slot.starts_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


# --- (a) icalendar ---------------------------------------------------------------------------------------------------

def test_icalendar_reads_it_without_errors_and_with_the_expected_values(document):
    calendar = Calendar.from_ical(document.text)

    assert [(component.name, component.errors) for component in calendar.walk() if component.errors] == []
    assert calendar.get("METHOD") == document.method
    events = calendar.walk("VEVENT")
    assert sorted(str(event["UID"]) for event in events) == sorted(meeting.uid for meeting in document.meetings)
    for event in events:
        meeting = document.meeting(str(event["UID"]))
        assert event["SEQUENCE"] == meeting.sequence
        assert str(event["STATUS"]) == meeting.status
        assert event.decoded("DTSTART") == meeting.starts_at
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert event.decoded("DTEND") == meeting.ends_at


# --- (b) vobject ------------------------------------------------------------------------------------------------------

def test_vobject_validates_it(document):
    # validate=True checks how often each property and component may occur (one PRODID; METHOD at most once;
    # one UID and DTSTAMP per VEVENT; not both DTEND and DURATION). It does not look at parameters, so ATTENDEE's
    # ROLE/PARTSTAT/RSVP/CUTYPE pass as long as the line parses; reading also turns every value into Python.
    calendar = vobject.readOne(document.text, validate=True)

    assert len(list(vobject.readComponents(document.text))) == 1
    assert (calendar.method.value if "method" in calendar.contents else None) == document.method
    events = calendar.contents.get("vevent", [])
    assert sorted(event.uid.value for event in events) == sorted(meeting.uid for meeting in document.meetings)
    for event in events:
        meeting = document.meeting(event.uid.value)
        assert int(event.sequence.value) == meeting.sequence
        assert event.status.value == meeting.status
        assert event.dtstart.value == meeting.starts_at
        assert event.dtstart.value.utcoffset() == timedelta(0)


# --- (c) Radicale, a CalDAV server, in this process -------------------------------------------------------------------

class CalDAV:
    """A Radicale server with its storage in a temporary folder, driven through WSGI without a socket."""

    USER = "kandidat"

    def __init__(self, folder: Path):
        configuration = radicale_config.load()
        configuration.update({"storage": {"filesystem_folder": str(folder), "_filesystem_fsync": "False"},
                              "auth": {"type": "none"}, "rights": {"type": "owner_only"}}, "test", privileged=True)
        self.client = Client(RadicaleApplication(configuration))
        # With auth "none" any password is accepted, but the user name decides whose collections these are.
        self.headers = {"Authorization": "Basic " + base64.b64encode(f"{self.USER}:-".encode()).decode()}

    def request(self, method: str, path: str, body: str = "", **headers):
        return self.client.open(f"/{self.USER}/{path}", method=method, data=body.encode(),
                                headers={**self.headers, **headers})

    def uids_at(self, calendar: str, instant: datetime) -> set[str]:
        """The UIDs of the events in the calendar that take place at the instant (a CalDAV time-range query)."""
        stamp = "%Y%m%dT%H%M%SZ"
        query = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{instant:{stamp}}" end="{instant + timedelta(seconds=1):{stamp}}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
        response = self.request("REPORT", f"{calendar}/", query, Depth="1", **{"Content-Type": "application/xml"})
        assert response.status_code == 207, response.get_data(as_text=True)
        found = ET.fromstring(response.get_data()).iter("{urn:ietf:params:xml:ns:caldav}calendar-data")
        return {str(event["UID"]) for data in found for event in Calendar.from_ical(data.text).walk("VEVENT")}


@pytest.fixture
def caldav(tmp_path) -> CalDAV:
    return CalDAV(tmp_path / "radicale")


def without_method(text: str) -> str:
    """The calendar object resource of an iTIP message: RFC 4791 (4.1) forbids METHOD in a stored resource."""
    resource, count = re.subn(r"^METHOD:[^\r\n]*\r\n", "", text, flags=re.MULTILINE)
    assert count == 1
    return resource


def test_radicale_stores_it_and_finds_it_at_the_same_utc_time(document, caldav):
    if document.method:
        # An invite is stored as one event in a calendar made with MKCALENDAR.
        assert caldav.request("MKCALENDAR", "calendar/").status_code == 201
        response = caldav.request("PUT", "calendar/meeting.ics", without_method(document.text),
                                  **{"Content-Type": "text/calendar; charset=utf-8"})
    else:
        # A feed is imported whole: a PUT of a VCALENDAR on a new collection's address makes a calendar of it,
        # one resource per UID.
        response = caldav.request("PUT", "calendar/", document.text, **{"Content-Type": "text/calendar"})

    assert response.status_code == 201, response.get_data(as_text=True)
    for meeting in document.meetings:
        assert meeting.uid in caldav.uids_at("calendar", meeting.starts_at)
        assert meeting.uid not in caldav.uids_at("calendar", meeting.starts_at - timedelta(hours=1))


# --- (d) ical.js, Thunderbird's parser, run with node ----------------------------------------------------------------

def read_with_icaljs(text: str) -> dict:
    """What ical.js makes of the text: the METHOD and, per VEVENT, its UID, SEQUENCE, STATUS and UTC start/end."""
    node = shutil.which("node")
    root = Path(__file__).parent.parent
    assert node, "node is needed to run ical.js (Thunderbird's parser)"
    assert (root / "node_modules" / "ical.js").is_dir(), "run `npm install` for the devDependency ical.js"
    result = subprocess.run([node, str(ICALJS_SCRIPT)], input=text.encode(), capture_output=True, cwd=root,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def js_instant(instant: datetime) -> str:
    """An instant as JavaScript's Date.toISOString() writes it."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_icaljs_reads_the_same_utc_start(document):
    parsed = read_with_icaljs(document.text)

    assert parsed["method"] == document.method
    assert sorted(parsed["events"], key=lambda event: event["uid"]) == [
        {"uid": meeting.uid, "sequence": meeting.sequence, "status": meeting.status,
         "start": js_instant(meeting.starts_at), "end": js_instant(meeting.ends_at), "startIsUtc": True}
        for meeting in sorted(document.meetings, key=lambda meeting: meeting.uid)]


def test_icaljs_puts_the_meetings_on_the_days_the_clocks_change_at_nine_danish_time(make):
    candidate = a_candidate(make)
    booked_on(make, candidate, SPRING_FORWARD)
    spring = read_with_icaljs(invite_to(candidate.user, "REQUEST"))
    booked_on(make, candidate, FALL_BACK)
    autumn = read_with_icaljs(invite_to(candidate.user, "REQUEST"))

    assert spring["events"][0]["start"] == "2026-03-29T07:00:00.000Z"
    assert autumn["events"][0]["start"] == "2026-10-25T08:00:00.000Z"


# --- Line breaks typed into a title, a link or an address -------------------------------------------------------------

def test_a_title_link_and_address_typed_with_line_breaks_read_back_on_one_line_in_every_calendar_file(
        make, client, auth):
    candidate, video, onsite = meetings_with_line_breaks(make)
    booking_service.cancel_booking(onsite, reason="Jeg er syg.\r\nUndskyld.", by=candidate.user, now=utcnow())
    db.session.commit()
    auth.login(candidate.user)
    client.post("/calendar/token")
    db.session.refresh(candidate.user)
    files = {"invite": invite_to(candidate.user, "REQUEST"), "cancellation": invite_to(candidate.user, "CANCEL"),
             "download": client.get(f"/calendar/bookings/{video.id}.ics").get_data(as_text=True),
             "feed": client.get(f"/calendar/feed/{candidate.user.calendar_token}.ics").get_data(as_text=True)}
    places = {video.uid: "https://meet.example.dk/kok", onsite.uid: "Nørrebrogade 1 2200 København N"}

    for name, text in files.items():
        assert "\n" not in text.replace("\r\n", ""), name
        assert "\r" not in text.replace("\r\n", ""), name
        events = {str(event["UID"]): event for event in Calendar.from_ical(text).walk("VEVENT")}
        vevents = {vevent.uid.value: vevent for vevent in vobject.readOne(text, validate=True).vevent_list}
        assert events, name
        assert events.keys() == vevents.keys(), name
        for uid, event in events.items():
            assert ONE_LINE_TITLE in str(event["SUMMARY"]), name
            assert "\n" not in str(event["SUMMARY"]), name
            assert vevents[uid].summary.value == str(event["SUMMARY"]), name
            assert str(event["LOCATION"]) == vevents[uid].location.value == places[uid], name
    assert str(Calendar.from_ical(files["download"])["X-WR-CALNAME"]) == ONE_LINE_TITLE
    assert str(Calendar.from_ical(files["download"]).walk("VEVENT")[0]["URL"]) == places[video.uid]
    # A longer text keeps its line breaks, escaped as RFC 5545 says, and reads back as lines.
    [cancelled] = Calendar.from_ical(files["cancellation"]).walk("VEVENT")
    assert "Jeg er syg.\nUndskyld." in str(cancelled["DESCRIPTION"])
