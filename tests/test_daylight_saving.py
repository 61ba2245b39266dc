"""Issue 25: the nights the clocks change. On 28 March 2027 Copenhagen's clocks jump from 02:00 to 03:00, and on
31 October 2027 they go back from 03:00 to 02:00, so 02:00-02:59 happens twice. A session on such a night keeps
every slot that really lasts its length, whether it is planned, changed or moved; and a time in the repeated hour
says which one it is, on the pages, in the e-mails and in the invite's text."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from icalendar import Calendar
from pages import danish, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import BookingStatus, OutboxMessage
from matchapp.services import session_changes
from matchapp.services.errors import MatchappError

SPRING_NIGHT = date(2027, 3, 28)  # 02:00 winter time (CET) becomes 03:00 summer time (CEST)
AUTUMN_NIGHT = date(2027, 10, 31)  # 03:00 summer time becomes 02:00 winter time: 02:00-02:59 twice


def local(instant: datetime) -> str:
    """An instant as the Danish clock shows it, with the zone's abbreviation: "02:00 CEST"."""
    return f"{to_local(instant):%H:%M %Z}"


def starts(session, lane: int = 1) -> list[str]:
    db.session.expire_all()
    return [local(slot.starts_at) for slot in sorted(session.slots, key=lambda s: s.starts_at) if slot.lane == lane]


def slot_at(session, clock: str, lane: int = 1):
    """The interviewer's slot that starts at this Danish clock time with its zone ("02:00 CET")."""
    return next(s for s in session.slots if s.lane == lane and local(s.starts_at) == clock)


def night_session(make, employer, day: date, start: str = "01:00", end: str = "04:00"):
    return make.session(employer, day=day, start=time.fromisoformat(start), end=time.fromisoformat(end),
                        slot_minutes=20)


def invites_to(user, before: int = 0) -> list[OutboxMessage]:
    """The e-mails with an invite to the user (from the before-th on)."""
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.ical.is_not(None)).order_by(OutboxMessage.id)))[before:]


def invite_text(message: OutboxMessage) -> tuple[datetime, datetime, str]:
    [event] = Calendar.from_ical(message.ical).walk("VEVENT")
    return event["dtstart"].dt, event["dtend"].dt, str(event["description"])


@pytest.fixture
def employer(make):
    return make.employer(name="Natbageriet ApS")


# --- The spring night: the hour that does not exist ------------------------------------------------------------------

def test_the_spring_night_keeps_the_twenty_minutes_from_0140_to_0300_and_says_so_everywhere(
        make, course, employer, client, auth):
    session = night_session(make, employer, SPRING_NIGHT)
    amina = make.candidate(completed=[course], name="Amina Hassan")

    assert starts(session) == ["01:00 CET", "01:20 CET", "01:40 CET", "03:00 CEST", "03:20 CEST", "03:40 CEST"]
    meeting = make.booking(amina, slot_at(session, "01:40 CET"))

    assert meeting.slot.ends_at - meeting.slot.starts_at == timedelta(minutes=20)
    [confirmed] = invites_to(amina.user)
    assert "søndag 28. marts 2027 kl. 01:40–03:00" in confirmed.body_text
    assert "søndag 28. marts 2027 kl. 01:40–03:00" in text(confirmed.body_html)
    starts_at, ends_at, description = invite_text(confirmed)
    assert (starts_at, ends_at) == (datetime(2027, 3, 28, 0, 40, tzinfo=UTC), datetime(2027, 3, 28, 1, 0, tzinfo=UTC))
    assert "søndag 28. marts 2027 kl. 01:40–03:00 (dansk tid)" in description
    auth.login(amina.user)
    assert "søndag 28. marts 2027 kl. 01:40–03:00" in text(client.get("/candidate/meetings").text)


def test_changing_the_times_on_the_spring_night_keeps_the_booked_0140_and_adds_what_a_new_session_would_have(
        make, course, employer, now):
    session = night_session(make, employer, SPRING_NIGHT, "01:00", "02:00")
    assert starts(session) == ["01:00 CET", "01:20 CET", "01:40 CET"], "02:00 is 03:00: 01:40 is a whole slot"
    meeting = make.booking(make.candidate(completed=[course]), slot_at(session, "01:40 CET"), now=now)
    slot_id = meeting.slot_id

    cancelled = session_changes.change_times(session, time(1), time(4), 1, reason=None, by=employer, now=now)
    db.session.commit()

    assert cancelled == 0
    assert starts(session) == starts(night_session(make, employer, SPRING_NIGHT, "01:00", "04:00"))
    assert (meeting.slot_id, meeting.status, meeting.sequence) == (slot_id, BookingStatus.CONFIRMED, 0)
    assert local(session.ends_at) == "04:00 CEST"


def test_moving_a_session_onto_the_spring_night_keeps_each_meeting_as_long_as_before(make, course, employer, now):
    session = night_session(make, employer, SPRING_NIGHT - timedelta(days=1), "01:00", "02:00")
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, slot_at(session, "01:40 CET"), now=now)
    before = len(invites_to(amina.user))

    moved = session_changes.move_session(session, SPRING_NIGHT, time(1), by=employer, now=now)
    db.session.commit()

    assert moved == session_changes.SessionMoved(told=1)
    assert starts(session) == ["01:00 CET", "01:20 CET", "01:40 CET"]
    assert (local(meeting.slot.starts_at), local(meeting.slot.ends_at)) == ("01:40 CET", "03:00 CEST")
    [changed] = invites_to(amina.user, before)
    assert "søndag 28. marts 2027 kl. 01:40–03:00" in changed.body_text
    assert invite_text(changed)[:2] == (datetime(2027, 3, 28, 0, 40, tzinfo=UTC),
                                        datetime(2027, 3, 28, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize("night", [SPRING_NIGHT, AUTUMN_NIGHT], ids=["spring", "autumn"])
def test_moving_a_session_over_the_change_of_the_clocks_is_refused_when_it_would_have_other_slots(
        make, course, employer, now, night):
    # 01:00-04:00 is three hours on an ordinary night, two on the spring night and four on the autumn night.
    session = night_session(make, employer, night - timedelta(days=1))
    make.booking(make.candidate(completed=[course]), session.slots[0], now=now)
    before = starts(session)

    with pytest.raises(MatchappError, match=re.escape(danish(
            "The clocks change during that time. Choose another time."))):
        session_changes.move_session(session, night, time(1), by=employer, now=now)
    db.session.rollback()

    assert starts(session) == before
    assert session.local_date == night - timedelta(days=1)


# --- The autumn night: the hour that happens twice -------------------------------------------------------------------

def test_the_autumn_night_has_both_two_oclocks_each_a_slot_of_its_own(make, employer):
    session = night_session(make, employer, AUTUMN_NIGHT)

    assert starts(session) == [
        "01:00 CEST", "01:20 CEST", "01:40 CEST", "02:00 CEST", "02:20 CEST", "02:40 CEST",
        "02:00 CET", "02:20 CET", "02:40 CET", "03:00 CET", "03:20 CET", "03:40 CET"]
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=20) for slot in session.slots)


def test_changing_the_times_on_the_autumn_night_adds_both_two_oclocks(make, course, employer, now):
    session = night_session(make, employer, AUTUMN_NIGHT, "01:00", "02:00")
    assert starts(session) == ["01:00 CEST", "01:20 CEST", "01:40 CEST"]

    session_changes.change_times(session, time(1), time(4), 1, reason=None, by=employer, now=now)
    db.session.commit()

    assert starts(session) == starts(night_session(make, employer, AUTUMN_NIGHT))
    assert len(starts(session)) == 12


@pytest.mark.parametrize(("language", "summer", "winter"), [("da", "sommertid", "vintertid"),
                                                         ("en", "summer time", "winter time")])
def test_the_find_page_says_which_two_oclock_each_time_is(make, course, employer, client, auth, language, summer,
                                                          winter):
    night_session(make, employer, AUTUMN_NIGHT)
    amina = make.candidate(completed=[course])
    amina.user.language = language
    db.session.commit()
    auth.login(amina.user)

    page = text(client.get("/candidate/").text)

    # Only the times the clock shows twice say which they are.
    assert (f"01:00 01:20 01:40 02:00 {summer} 02:20 {summer} 02:40 {summer} "
            f"02:00 {winter} 02:20 {winter} 02:40 {winter} 03:00 03:20 03:40") in page


def test_the_employers_page_lists_both_two_oclocks_apart(make, employer, client, auth):
    session = night_session(make, employer, AUTUMN_NIGHT)
    auth.login(employer)

    page = text(client.get(f"/employer/sessions/{session.id}").text)

    assert "02:00 sommertid–02:20 sommertid" in page
    assert "02:40 sommertid–02:00 vintertid" in page, "the last slot of summer time ends at the second 02:00"
    assert "02:00 vintertid–02:20 vintertid" in page


@pytest.mark.parametrize(("language", "when"), [
    ("da", "søndag 31. oktober 2027 kl. 02:00 vintertid–02:20 vintertid"),
    ("en", "Sunday 31 October 2027 at 02:00 winter time–02:20 winter time"),
])
def test_a_meeting_in_the_repeated_hour_says_which_one_in_the_e_mail_and_the_invite(
        make, course, employer, language, when):
    session = night_session(make, employer, AUTUMN_NIGHT)
    amina = make.candidate(completed=[course])
    amina.user.language = language
    db.session.commit()

    make.booking(amina, slot_at(session, "02:00 CET"))

    [confirmed] = invites_to(amina.user)
    assert when in confirmed.body_text
    assert when in text(confirmed.body_html)
    starts_at, ends_at, description = invite_text(confirmed)
    assert (starts_at, ends_at) == (datetime(2027, 10, 31, 1, 0, tzinfo=UTC),
                                    datetime(2027, 10, 31, 1, 20, tzinfo=UTC))
    assert when in description
