"""Issue 12 part 3: an employer changes a published session - adds or removes times and interviewers, moves the
whole session, changes its video link or address - and moves a booked meeting to another interviewer. Booked
candidates keep their meetings where they can, with an updated invite (same UID, SEQUENCE + 1) and an e-mail."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
from conftest import slot_at
from icalendar import Calendar
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, danish, field_error, form, sign_in, text
from sqlalchemy import func, select

from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    MeetingMode,
    OutboxMessage,
    Slot,
    WaitlistEntry,
    WaitStatus,
)
from matchapp.services import offers, session_changes
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import Conflict, MatchappError
from matchapp.services.session_changes import ReasonNeeded, SessionMoved


@pytest.fixture
def employer(make):
    return make.employer(name="Hotel Nørreport A/S")


@pytest.fixture
def offered(monkeypatch) -> list[list[Slot]]:
    """The free times the waiting list is offered (a list of slots per call)."""
    calls: list[list[Slot]] = []
    real = offers.offer_free_times

    def record(session, slots, *, now):
        calls.append(list(slots))
        return real(session, slots, now=now)

    monkeypatch.setattr(offers, "offer_free_times", record)
    return calls


def at(session, clock: str, lane: int = 1) -> Slot:
    """The slot of this interviewer (lane) that starts at this local time ("HH:MM"), the session's slots read again."""
    db.session.refresh(session)
    return slot_at(session, clock, lane)


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def new_mail(before: int) -> list[OutboxMessage]:
    return outbox()[before:]


def event_of(message: OutboxMessage):
    calendar = Calendar.from_ical(message.ical)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def actions() -> list[str]:
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def slot_count(session) -> int:
    return db.session.scalar(select(func.count(Slot.id)).where(Slot.session_id == session.id))


def times_of(session) -> list[tuple[int, str, str]]:
    """The session's slots as the database holds them now: (interviewer, local start, status)."""
    db.session.expire_all()
    return [(s.lane, f"{to_local(s.starts_at):%H:%M}", s.status.value) for s in session.slots]


# --- 1. Adding times and interviewers ------------------------------------------------------------------------------

def test_an_extra_hour_and_interviewer_keep_the_booked_meeting_and_offer_the_new_times(
        make, course, employer, offered, now):
    session = make.session(employer, start=time(10), end=time(11))
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:20"), now=now)
    slot_id, mails = meeting.slot_id, len(outbox())

    cancelled = session_changes.change_times(session, time(10), time(12), 2, reason=None, by=employer, now=now)
    db.session.commit()

    assert cancelled == 0
    assert slot_count(session) == 24
    assert (db.session.get(Booking, meeting.id).slot_id, meeting.status, meeting.sequence) == (
        slot_id, BookingStatus.CONFIRMED, 0)
    assert new_mail(mails) == [], "nothing changed for the booked candidate"
    assert [len(slots) for slots in offered] == [18], "the 18 new times go to the waiting list"
    assert f"{to_local(session.ends_at):%H:%M}" == "12:00"
    assert (session.start_time, session.end_time, session.interviewers) == (time(10), time(12), 2)
    assert actions()[-1] == "session_times_changed"


def test_saving_the_same_times_changes_nothing_and_sends_nothing(make, employer, offered, now):
    session = make.session(employer, interviewers=2)
    before, audited = times_of(session), len(actions())

    session_changes.change_times(session, time(10), time(11), 2, reason=None, by=employer, now=now)
    db.session.commit()

    assert times_of(session) == before
    assert len(actions()) == audited
    assert offered == []


# --- 2. Removing times and interviewers ----------------------------------------------------------------------------

def test_a_shorter_day_without_a_reason_is_refused_when_it_would_cancel_a_meeting(make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11))
    amina = make.candidate(completed=[course])
    make.booking(amina, at(session, "10:50"), now=now)
    before, mails = times_of(session), len(outbox())

    with pytest.raises(ReasonNeeded) as refused:
        session_changes.change_times(session, time(10), time(10, 30), 1, reason=" ", by=employer, now=now)
    db.session.rollback()

    assert refused.value.count == 1
    assert times_of(session) == before
    assert len(outbox()) == mails


def test_a_shorter_day_cancels_the_booked_time_with_a_reason_and_puts_the_candidate_on_the_waiting_list(
        make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11))
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:50"), now=now)
    mails = len(outbox())

    cancelled = session_changes.change_times(session, time(10), time(10, 30), 1, reason="Vi har kun en halv time",
                                             by=employer, now=now)
    db.session.commit()

    assert cancelled == 1
    assert meeting.status == BookingStatus.CANCELLED
    assert meeting.sequence == 1
    # Never-booked times are gone; the booked one stays, cancelled, since the meeting refers to it.
    assert times_of(session) == [(1, "10:00", "open"), (1, "10:10", "open"), (1, "10:20", "open"),
                                 (1, "10:50", "cancelled")]
    to_amina = [m for m in new_mail(mails) if m.recipient == amina.user.email]
    assert len(to_amina) == 1
    assert to_amina[0].ical_method == "CANCEL"
    calendar, event = event_of(to_amina[0])
    assert (str(calendar["method"]), str(event["uid"]), event["sequence"]) == ("CANCEL", meeting.uid, 1)
    assert "Vi har kun en halv time" in to_amina[0].body_text
    entry = db.session.scalar(select(WaitlistEntry).filter_by(candidate_id=amina.id, session_id=session.id))
    assert entry is not None
    assert entry.status == WaitStatus.WAITING
    assert f"{to_local(session.ends_at):%H:%M}" == "10:30"


def test_a_meeting_of_a_removed_interviewer_moves_to_a_free_interviewer_at_the_same_time(
        make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(10, 30), interviewers=2)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:10"), now=now)
    session_changes.change_interviewer(meeting, 2, by=employer, now=now)
    db.session.commit()
    assert meeting.slot.lane == 2
    mails = len(outbox())

    cancelled = session_changes.change_times(session, time(10), time(10, 30), 1, reason=None, by=employer, now=now)
    db.session.commit()

    assert cancelled == 0
    db.session.refresh(meeting)
    assert (meeting.status, meeting.slot.lane, f"{to_local(meeting.slot.starts_at):%H:%M}", meeting.sequence) == (
        BookingStatus.CONFIRMED, 1, "10:10", 0)
    assert new_mail(mails) == [], "the time and place are the same: nobody needs a new invite"
    assert {lane for lane, _, status in times_of(session) if status == "open"} == {1}


def test_removing_an_interviewer_when_both_are_booked_at_a_time_asks_for_a_reason(make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(10, 30), interviewers=2)
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    make.booking(amina, at(session, "10:00"), now=now)
    make.booking(jonas, at(session, "10:00"), now=now)

    with pytest.raises(ReasonNeeded):
        session_changes.change_times(session, time(10), time(10, 30), 1, reason=None, by=employer, now=now)
    db.session.rollback()

    session_changes.change_times(session, time(10), time(10, 30), 1, reason="Én er syg", by=employer, now=now)
    db.session.commit()
    kept = db.session.scalars(select(Booking).filter_by(session_id=session.id, status=BookingStatus.CONFIRMED)).all()
    assert [b.slot.lane for b in kept] == [1]


def test_times_that_would_start_in_the_past_are_refused(make, employer):
    session = make.session(employer, start=time(10), end=time(11))
    just_before = session.starts_at - timedelta(minutes=5)

    with pytest.raises(MatchappError):
        session_changes.change_times(session, time(9), time(11), 1, reason=None, by=employer, now=just_before)


# --- 3. Moving the whole session ------------------------------------------------------------------------------------

def test_moving_the_session_gives_every_booked_candidate_an_updated_invite_and_an_e_mail(
        make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11))
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    first = make.booking(amina, at(session, "10:00"), now=now)
    second = make.booking(jonas, at(session, "10:30"), now=now)
    uids, mails = (first.uid, second.uid), len(outbox())
    new_day = session.local_date + timedelta(days=2)

    told = session_changes.move_session(session, new_day, time(13, 15), by=employer, now=now)
    db.session.commit()

    assert told == SessionMoved(told=2)
    assert (session.local_date, session.start_time, session.end_time) == (new_day, time(13, 15), time(14, 15))
    assert (to_local(session.starts_at).date(), f"{to_local(session.starts_at):%H:%M}") == (new_day, "13:15")
    assert [f"{to_local(s.starts_at):%H:%M}" for s in session.slots] == [
        "13:15", "13:25", "13:35", "13:45", "13:55", "14:05"]
    assert (first.uid, second.uid) == uids
    assert (first.sequence, second.sequence) == (1, 1)
    sent = new_mail(mails)
    assert {m.recipient for m in sent} == {amina.user.email, jonas.user.email, employer.email}
    to_amina = [m for m in sent if m.recipient == amina.user.email]
    assert len(to_amina) == 1
    calendar, event = event_of(to_amina[0])
    assert (str(calendar["method"]), str(event["uid"]), event["sequence"]) == ("REQUEST", first.uid, 1)
    assert event["dtstart"].dt == first.slot.starts_at
    assert danish("The employer has moved the session, so your job conversation has a new time.") in \
        to_amina[0].body_text
    assert "10:00" in to_amina[0].body_text
    assert "13:15" in to_amina[0].body_text
    assert actions()[-1] == "session_moved"
    assert "session_moved" in actions()


def test_moving_the_session_by_one_slot_keeps_every_time_unique(make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11), interviewers=2)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:10"), now=now)

    session_changes.move_session(session, session.local_date, time(10, 10), by=employer, now=now)
    db.session.commit()

    assert [t for lane, t, _ in times_of(session) if lane == 1] == ["10:10", "10:20", "10:30", "10:40", "10:50",
                                                                     "11:00"]
    assert f"{to_local(meeting.slot.starts_at):%H:%M}" == "10:20"


def test_each_change_raises_the_invites_sequence_by_exactly_one(make, course, employer, now):
    session = make.session(employer)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:00"), now=now)

    session_changes.move_session(session, session.local_date, time(12), by=employer, now=now)
    db.session.commit()
    session_changes.change_place(session, video_url="https://meet.example.dk/ny", address=None, by=employer, now=now)
    db.session.commit()

    invites = [event_of(m)[1] for m in outbox() if m.recipient == amina.user.email and m.ical]
    assert [(str(e["uid"]), e["sequence"]) for e in invites] == [(meeting.uid, 0), (meeting.uid, 1), (meeting.uid, 2)]


def test_moving_into_the_past_or_past_midnight_is_refused_and_changes_nothing(make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11))
    make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    before, mails = times_of(session), len(outbox())

    with pytest.raises(MatchappError):
        session_changes.move_session(session, to_local(now).date() - timedelta(days=1), time(10), by=employer,
                                     now=now)
    db.session.rollback()
    with pytest.raises(MatchappError):
        session_changes.move_session(session, session.local_date, time(23, 30), by=employer, now=now)
    db.session.rollback()

    assert times_of(session) == before
    assert len(outbox()) == mails


def test_moving_to_the_same_day_and_time_sends_nothing(make, course, employer, now):
    session = make.session(employer)
    make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    mails = len(outbox())

    assert session_changes.move_session(session, session.local_date, time(10), by=employer, now=now).told == 0
    assert len(outbox()) == mails


# --- 4. Changing the video link or the address ----------------------------------------------------------------------

def test_a_new_video_link_reaches_every_booked_candidate_and_the_same_link_reaches_nobody(
        make, course, employer, now):
    session = make.session(employer)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:00"), now=now)
    mails = len(outbox())

    assert session_changes.change_place(session, video_url="https://meet.example.dk/x", address=None, by=employer,
                                        now=now) == 0
    assert len(outbox()) == mails

    told = session_changes.change_place(session, video_url="https://meet.example.dk/ny", address=None,
                                        by=employer, now=now)
    db.session.commit()

    assert told == 1
    assert meeting.sequence == 1
    [to_amina] = [m for m in new_mail(mails) if m.recipient == amina.user.email]
    _, event = event_of(to_amina)
    assert "https://meet.example.dk/ny" in to_amina.body_text
    assert "https://meet.example.dk/ny" in str(event.get("location", "")) + str(event.get("url", "")) + str(
        event["description"])
    assert actions()[-1] == "session_place_changed"


def test_an_on_site_session_needs_an_address(make, course, employer, now):
    session = make.session(employer)
    session.mode, session.video_url, session.address = MeetingMode.ONSITE, None, "Vej 1, 2300 København S"
    db.session.commit()
    make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)

    with pytest.raises(MatchappError):
        session_changes.change_place(session, video_url=None, address=" ", by=employer, now=now)
    db.session.rollback()
    assert session_changes.change_place(session, video_url=None, address="Havnegade 2, 1058 København K",
                                        by=employer, now=now) == 1


def test_a_session_that_has_started_or_is_a_draft_cannot_be_changed_here(make, employer, now):
    draft = make.session(employer, publish=False)
    with pytest.raises(Conflict):
        session_changes.move_session(draft, draft.local_date, time(12), by=employer, now=now)
    session = make.session(employer)
    with pytest.raises(Conflict):
        session_changes.change_place(session, video_url="https://meet.example.dk/ny", address=None, by=employer,
                                     now=session.starts_at + timedelta(minutes=1))


# --- 5. Moving a meeting to another interviewer ---------------------------------------------------------------------

def test_the_employer_moves_a_meeting_to_a_free_interviewer_at_the_same_time(make, course, employer, now):
    session = make.session(employer, interviewers=3)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:30"), now=now)
    mails = len(outbox())

    session_changes.change_interviewer(meeting, 3, by=employer, now=now)
    db.session.commit()

    assert (meeting.slot.lane, f"{to_local(meeting.slot.starts_at):%H:%M}", meeting.sequence) == (3, "10:30", 0)
    assert new_mail(mails) == []
    assert actions()[-1] == "booking_interviewer_changed"


def test_a_meeting_cannot_move_to_an_interviewer_who_is_booked_then(make, course, employer, now):
    session = make.session(employer, interviewers=2)
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    first = make.booking(amina, at(session, "10:00"), now=now)
    make.booking(jonas, at(session, "10:00"), now=now)

    for lane in (2, 7):
        with pytest.raises(Conflict):
            session_changes.change_interviewer(first, lane, by=employer, now=now)
        db.session.rollback()

    assert db.session.get(Booking, first.id).slot.lane == 1


def test_a_cancelled_meeting_cannot_be_moved(make, course, employer, now):
    session = make.session(employer, interviewers=2)
    amina = make.candidate(completed=[course])
    meeting = make.booking(amina, at(session, "10:00"), now=now)
    cancel_booking(meeting, reason=None, by=amina.user, now=now)
    db.session.commit()

    with pytest.raises(Conflict):
        session_changes.change_interviewer(meeting, 2, by=employer, now=now)


# --- The pages ------------------------------------------------------------------------------------------------------

def test_the_employer_removes_a_booked_time_on_the_page_and_is_asked_for_a_reason_first(
        client, make, course, employer, now):
    session = make.session(employer, start=time(10), end=time(11))
    make.booking(make.candidate(completed=[course]), at(session, "10:50"), now=now)
    sign_in(client, employer)
    page = client.get(f"/employer/sessions/{session.id}").text
    assert f"/employer/sessions/{session.id}/change" in page
    page = client.get(f"/employer/sessions/{session.id}/change").text
    action = f"/employer/sessions/{session.id}/change/times"
    sent = {**form(page, action).filled(), "times-end_time": "10:30"}

    refused = client.post(action, data=sent)

    assert refused.status_code == 422
    assert field_error(refused.text, "times-reason") == danish(
        "The change cancels booked meetings. Write a reason for the candidates.")
    assert form(refused.text, action).filled()["times-end_time"] == "10:30", "what the employer typed is kept"
    assert slot_count(session) == 6

    done = client.post(action, data={**sent, "times-reason": "Vi har kun en halv time"}, follow_redirects=True)

    assert danish("The times are changed. %(num)d meeting was cancelled.",
                  "The times are changed. %(num)d meetings were cancelled.", num=1) in alerts(done.text)
    assert slot_count(session) == 4


def test_bad_times_on_the_page_show_the_form_again_and_change_nothing(client, make, employer):
    session = make.session(employer)
    sign_in(client, employer)
    page = client.get(f"/employer/sessions/{session.id}/change").text
    before = times_of(session)

    for action, bad in ((f"/employer/sessions/{session.id}/change/times",
                         {"times-start_time": "11:00", "times-end_time": "10:00"}),
                        (f"/employer/sessions/{session.id}/change/times", {"times-interviewers": "11"}),
                        (f"/employer/sessions/{session.id}/change/move", {"move-local_date": "31.2.2026"}),
                        (f"/employer/sessions/{session.id}/change/place", {"place-video_url": "javascript:x"})):
        response = client.post(action, data={**form(page, action).filled(), **bad})
        assert response.status_code == 422, action
        assert danish("Please correct the following") in text(response.text)

    assert times_of(session) == before


def test_the_employer_moves_the_session_on_the_page(client, make, course, employer, now):
    session = make.session(employer)
    make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    sign_in(client, employer)
    page = client.get(f"/employer/sessions/{session.id}/change").text
    action = f"/employer/sessions/{session.id}/change/move"
    new_day = session.local_date + timedelta(days=1)

    done = client.post(action, data={**form(page, action).filled(), "move-local_date": new_day.isoformat(),
                                     "move-start_time": "09:00"}, follow_redirects=True)

    assert danish("The session is moved. %(num)d candidate has been told.",
                  "The session is moved. %(num)d candidates have been told.", num=1) in alerts(done.text)
    db.session.refresh(session)
    assert (session.local_date, session.start_time) == (new_day, time(9))


def test_the_employer_moves_a_meeting_to_another_interviewer_with_the_button_on_the_session_page(
        client, make, course, employer, now):
    session = make.session(employer, interviewers=2)
    meeting = make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    sign_in(client, employer)
    page = client.get(f"/employer/sessions/{session.id}").text
    action = f"/employer/bookings/{meeting.id}/interviewer"
    assert danish("Move to interviewer %(lane)d", lane=2) in text(page)

    done = client.post(action, data={**form(page, action).hidden(), "lane": "2"}, follow_redirects=True)

    assert danish("The meeting is moved to interviewer %(lane)d.", lane=2) in alerts(done.text)
    db.session.refresh(meeting)
    assert meeting.slot.lane == 2
    bad = client.post(action, data={**form(page, action).hidden(), "lane": "²"}, follow_redirects=True)
    assert danish("Choose one of the session's interviewers.") in alerts(bad.text)


def test_another_organisation_cannot_change_the_session(client, make, course, employer, now):
    session = make.session(employer)
    meeting = make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    sign_in(client, make.employer())

    assert client.get(f"/employer/sessions/{session.id}/change").status_code == 403
    assert client.post(f"/employer/sessions/{session.id}/change/move",
                       data={"move-local_date": "2099-01-01", "move-start_time": "10:00"}).status_code == 403
    assert client.post(f"/employer/bookings/{meeting.id}/interviewer", data={"lane": "1"}).status_code == 403


def test_the_change_forms_need_their_csrf_token(csrf_client, make, employer):
    session = make.session(employer)
    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        employer, f"/employer/sessions/{session.id}/change", f"/employer/sessions/{session.id}/change/move",
        {"move-local_date": (session.local_date + timedelta(days=1)).isoformat(), "move-start_time": "12:00"},
        lambda: times_of(session)))


def test_a_session_moved_after_a_later_start_begins_at_its_first_open_time(make, course, employer, now):
    """A time the employer removed stays as a cancelled slot when a meeting had it; the move shifts it along, but the
    session starts at its first open time, as the find page and the reminders read it."""
    session = make.session(employer, start=time(10), end=time(11))
    make.booking(make.candidate(completed=[course]), at(session, "10:00"), now=now)
    session_changes.change_times(session, time(10, 30), time(11), 1, reason="Vi starter senere", by=employer,
                                 now=now)
    new_day = session.local_date + timedelta(days=2)

    session_changes.move_session(session, new_day, time(13), by=employer, now=now)
    db.session.commit()

    assert f"{to_local(session.starts_at):%H:%M}" == "13:00"
    assert f"{to_local(session.ends_at):%H:%M}" == "13:30"
