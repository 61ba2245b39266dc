"""Moving a meeting to another free time of the same session in one step (issue 12): the calendar entry is updated
in place (METHOD:REQUEST, same UID, SEQUENCE + 1, new times), every booking rule holds for the new time, and the
freed time is bookable by others at once."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from conftest import slot_at
from flask_babel import force_locale
from icalendar import Calendar
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, danish, own_form, sign_in
from sqlalchemy import func, select

from matchapp import formats, mail
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local
from matchapp.models import AuditEvent, Booking, BookingStatus, OutboxMessage, WaitlistEntry, WaitlistOffer, WaitStatus
from matchapp.services import availability
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import Conflict, MatchappError, SelectionError
from matchapp.services.moves import move_booking


def move(booking, slot, *, now, by=None) -> Booking:
    """Move the booking as the candidate (unless `by` says otherwise) and commit as the view does."""
    moved = move_booking(booking, slot.id, by=by or booking.candidate.user, now=now)
    db.session.commit()
    return moved


def local(session, clock: str) -> datetime:
    """A local time ("HH:MM") on the session's day, in UTC."""
    hour, minute = map(int, clock.split(":"))
    return datetime.combine(to_local(session.starts_at).date(), time(hour, minute), tzinfo=LOCAL_TZ)


def invites_to(user) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email,
                                                               OutboxMessage.ical.is_not(None))
                                   .order_by(OutboxMessage.id)))


def mails_to(user, template: str) -> list[OutboxMessage]:
    with force_locale(user.language):
        subject = str(mail.SUBJECTS[template])
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email,
                                                               OutboxMessage.subject == subject)))


def state(booking: Booking) -> tuple:
    """What a refused move must leave as it was: the booking's time and SEQUENCE, the outbox, the audit trail."""
    db.session.rollback()
    db.session.refresh(booking)
    return (booking.slot_id, booking.sequence, booking.status, db.session.scalar(select(func.count(OutboxMessage.id))),
            db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "booking_moved")))


# --- The calendar entry is updated in place --------------------------------------------------------------------------

def test_moving_a_meeting_keeps_its_uid_and_raises_its_sequence_by_one_each_time(make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    uid = booking.uid

    move(booking, slot_at(session, "10:30"), now=now)
    assert (booking.uid, booking.sequence, booking.slot) == (uid, 1, slot_at(session, "10:30"))
    move(booking, slot_at(session, "10:50"), now=now)
    assert (booking.uid, booking.sequence, booking.slot) == (uid, 2, slot_at(session, "10:50"))

    assert db.session.scalar(select(func.count(Booking.id))) == 1  # moved, not cancelled and made again
    assert booking.status == BookingStatus.CONFIRMED


def test_the_candidate_and_the_employer_get_an_updated_invite_with_the_new_time(make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)

    move(booking, slot_at(session, "10:30"), now=now)

    for user in (candidate.user, session.created_by):
        latest = invites_to(user)[-1]
        calendar = Calendar.from_ical(latest.ical)
        [event] = calendar.walk("VEVENT")
        assert latest.ical_method == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        assert (str(event["UID"]), event["SEQUENCE"]) == (booking.uid, 1)
        assert event.decoded("DTSTART") == local(session, "10:30")
        [moved_mail] = mails_to(user, "booking_moved")
        assert f"{danish('Old time')}: {formats.moment(local(session, '10:00'))}" in moved_mail.body_text
        assert f"{danish('New time')}: {formats.moment(local(session, '10:30'))}" in moved_mail.body_text
        assert "10:30" in moved_mail.body_html
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "booking_moved")) == 1


def test_a_consultant_moves_a_meeting_and_is_told_without_an_invite(make, course, now):
    consultant = make.consultant()
    candidate = make.candidate(completed=[course], consultant=consultant)
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), by=consultant, now=now)

    move(booking, slot_at(session, "10:20"), by=consultant, now=now)

    assert booking.slot == slot_at(session, "10:20")
    [told] = mails_to(consultant, "booking_moved")
    assert told.ical is None  # the consultant does not attend the meeting
    assert len(mails_to(candidate.user, "booking_moved")) == 1


def test_the_freed_time_is_offered_to_the_waiting_list_and_can_be_booked_by_another_candidate(make, candidate,
                                                                                                 course, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    waiting = make.candidate(completed=[course])
    db.session.add(WaitlistEntry(session=session, candidate=waiting, added_by_id=waiting.user_id,
                                 status=WaitStatus.WAITING, created_at=now))
    db.session.commit()

    move(booking, slot_at(session, "10:30"), now=now)

    [offer] = db.session.scalars(select(WaitlistOffer)).all()
    assert (offer.entry.candidate_id, offer.slot) == (waiting.id, slot_at(session, "10:00"))
    assert len(mails_to(waiting.user, "waitlist_offer")) == 1
    other = make.booking(make.candidate(completed=[course]), slot_at(session, "10:00"), now=now)
    assert other.slot == slot_at(session, "10:00")


def test_a_move_takes_any_free_interviewer_at_the_new_time(make, candidate, course, now):
    session = make.session(interviewers=2)
    make.booking(make.candidate(completed=[course]), slot_at(session, "10:30", lane=1), now=now)
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)

    move(booking, slot_at(session, "10:30", lane=1), now=now)  # the page's slot id stands for the time (rule 0)

    assert booking.slot == slot_at(session, "10:30", lane=2)


# --- Every booking rule holds for the new time; a refusal changes nothing --------------------------------------------

def test_a_move_too_close_to_another_meeting_is_refused(make, candidate, now):
    session = make.session()
    make.booking(candidate, slot_at(make.session(start=time(10, 30), end=time(11)), "10:30"), now=now)
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    before = state(booking)

    for clock in ("10:30", "10:20"):  # at the same time; ending at 10:30 leaves no gap of five minutes
        with pytest.raises(SelectionError):
            move_booking(booking, slot_at(session, clock).id, by=candidate.user, now=now)
        assert state(booking) == before


def test_the_daily_cap_does_not_count_the_meeting_being_moved(app, make, candidate, now):
    app.config["DAILY_BOOKING_CAP"] = 2
    session = make.session()
    make.booking(candidate, slot_at(make.session(start=time(13), end=time(14)), "13:00"), now=now)
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)

    move(booking, slot_at(session, "10:40"), now=now)

    assert booking.sequence == 1
    app.config["DAILY_BOOKING_CAP"] = 1  # the cap was lowered after booking: the day holds one meeting too many
    before = state(booking)
    with pytest.raises(SelectionError):
        move_booking(booking, slot_at(session, "10:00").id, by=candidate.user, now=now)
    assert state(booking) == before


def test_a_move_to_a_time_whose_booking_has_closed_is_refused(make, candidate):
    session = make.session(closes_hours=2)
    booking = make.booking(candidate, slot_at(session, "10:50"), now=local(session, "07:00"))
    now = local(session, "08:05")  # booking for 10:00 closed at 08:00; for 10:30 it is open till 08:30
    before = state(booking)

    with pytest.raises(SelectionError):
        move_booking(booking, slot_at(session, "10:00").id, by=candidate.user, now=now)
    assert state(booking) == before
    move(booking, slot_at(session, "10:30"), now=now)
    assert booking.slot == slot_at(session, "10:30")


def test_a_candidate_cannot_move_within_the_cancel_cutoff_but_their_consultant_can(make, course):
    consultant = make.consultant()
    candidate = make.candidate(completed=[course], consultant=consultant)
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=local(session, "07:00"))
    now = local(session, "08:30")  # 1 h 30 min before the meeting
    before = state(booking)

    with pytest.raises(MatchappError) as error:
        move_booking(booking, slot_at(session, "10:50").id, by=candidate.user, now=now)

    assert type(error.value) is MatchappError  # "contact your consultant"
    assert state(booking) == before
    move(booking, slot_at(session, "10:50"), by=consultant, now=now)
    assert booking.slot == slot_at(session, "10:50")


def test_the_same_time_again_is_answered_plainly_and_changes_nothing(make, candidate, now):
    session = make.session(interviewers=2)
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    before = state(booking)

    for same_time in (slot_at(session, "10:00", lane=1), slot_at(session, "10:00", lane=2)):
        with pytest.raises(MatchappError) as error:
            move_booking(booking, same_time.id, by=candidate.user, now=now)
        assert str(error.value.message) == danish(
            "The meeting is already at %(time)s. Choose another time to move it.",
            time=formats.slot_time(slot_at(session, "10:00").starts_at))
        assert state(booking) == before


def test_a_time_of_another_session_or_a_cancelled_meeting_cannot_be_moved_to(make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    elsewhere = make.session(start=time(13), end=time(14))
    before = state(booking)

    with pytest.raises(MatchappError):
        move_booking(booking, elsewhere.slots[0].id, by=candidate.user, now=now)
    assert state(booking) == before
    cancel_booking(booking, reason=None, by=candidate.user, now=now)
    db.session.commit()
    with pytest.raises(Conflict):
        move_booking(booking, slot_at(session, "10:30").id, by=candidate.user, now=now)


# --- Races: the partial unique index decides ------------------------------------------------------------------------

def test_two_candidates_moving_into_the_last_free_time_one_gets_it(make, candidate, course, now):
    session = make.session(start=time(10), end=time(10, 30))
    other = make.candidate(completed=[course])
    mine = make.booking(candidate, slot_at(session, "10:00"), now=now)
    theirs = make.booking(other, slot_at(session, "10:10"), now=now)

    move(mine, slot_at(session, "10:20"), now=now)
    before = state(theirs)
    with pytest.raises(Conflict):
        move_booking(theirs, slot_at(session, "10:20").id, by=other.user, now=now)

    assert state(theirs) == before
    assert mine.slot == slot_at(session, "10:20")


def test_a_lost_race_for_the_new_time_ends_as_taken_not_as_an_error(make, candidate, course, now, monkeypatch):
    session = make.session(start=time(10), end=time(10, 30))
    other = make.candidate(completed=[course])
    mine = make.booking(candidate, slot_at(session, "10:00"), now=now)
    theirs = make.booking(other, slot_at(session, "10:10"), now=now)
    stale = availability.free_slots_at(slot_at(session, "10:20"))  # their look, before my move commits
    move(mine, slot_at(session, "10:20"), now=now)
    monkeypatch.setattr(availability, "free_slots_at", lambda slot: stale)
    before = state(theirs)

    with pytest.raises(Conflict):
        move_booking(theirs, slot_at(session, "10:20").id, by=other.user, now=now)

    assert state(theirs) == before
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.slot_id == slot_at(session, "10:20").id, Booking.status == BookingStatus.CONFIRMED)) == 1


def test_a_lost_race_for_one_interviewer_moves_to_the_next(make, candidate, course, now, monkeypatch):
    session = make.session(interviewers=2)
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    stale = availability.free_slots_at(slot_at(session, "10:30"))
    make.booking(make.candidate(completed=[course]), slot_at(session, "10:30", lane=1), now=now)
    monkeypatch.setattr(availability, "free_slots_at", lambda slot: stale)

    move(booking, slot_at(session, "10:30"), now=now)

    assert booking.slot == slot_at(session, "10:30", lane=2)
    assert booking.sequence == 1


# --- The pages ------------------------------------------------------------------------------------------------------

def test_a_candidate_moves_a_meeting_from_my_meetings(client, make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    sign_in(client, candidate.user)

    meetings = client.get("/candidate/meetings").text
    assert f'href="/candidate/meetings/{booking.id}/move"' in meetings
    page = client.get(f"/candidate/meetings/{booking.id}/move")
    assert page.status_code == 200
    assert own_form(page.text).checked("slot") == {"slot": str(slot_at(session, "10:00").id)}  # the current time
    response = client.post(f"/candidate/meetings/{booking.id}/move",
                           data={**own_form(page.text).hidden(), "slot": slot_at(session, "10:40").id})

    assert response.status_code == 302
    assert response.location.endswith("/candidate/meetings")
    new_time = formats.slot_time(slot_at(session, "10:40").starts_at)
    assert danish("Your meeting is moved to %(time)s. The employer has been told.", time=new_time) in alerts(
        client.get("/candidate/meetings").text)
    db.session.refresh(booking)
    assert (booking.slot, booking.sequence) == (slot_at(session, "10:40"), 1)


def test_the_move_page_says_why_a_time_cannot_be_chosen_and_changes_nothing(client, make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    elsewhere = make.session(start=time(13), end=time(14))
    sign_in(client, candidate.user)
    before = state(booking)

    for slot, status in ((slot_at(session, "10:00").id, 422), (elsewhere.slots[0].id, 422), (2**40, 422),
                         ("", 422), ("x", 422)):
        response = client.post(f"/candidate/meetings/{booking.id}/move", data={"slot": slot})
        assert response.status_code == status, slot
        assert "error-summary" in response.text
        assert state(booking) == before


def test_another_candidates_or_a_cancelled_meeting_is_not_found(client, make, candidate, course, now):
    session = make.session()
    theirs = make.booking(make.candidate(completed=[course]), slot_at(session, "10:00"), now=now)
    mine = make.booking(candidate, slot_at(session, "10:20"), now=now)
    cancel_booking(mine, reason=None, by=candidate.user, now=now)
    db.session.commit()
    sign_in(client, candidate.user)

    for booking in (theirs, mine):
        assert client.get(f"/candidate/meetings/{booking.id}/move").status_code == 404
        assert client.post(f"/candidate/meetings/{booking.id}/move",
                           data={"slot": slot_at(session, "10:40").id}).status_code == 404
    db.session.refresh(theirs)
    assert (theirs.slot, theirs.sequence) == (slot_at(session, "10:00"), 0)


def test_a_consultant_moves_their_candidates_meeting_and_others_cannot(client, make, course, now):
    consultant = make.consultant()
    candidate = make.candidate(completed=[course], consultant=consultant)
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    sign_in(client, make.consultant())  # another job centre's consultant

    assert client.get(f"/consultant/bookings/{booking.id}/move").status_code == 403
    client.post("/logout")
    sign_in(client, consultant)
    assert f'href="/consultant/bookings/{booking.id}/move"' in client.get(f"/consultant/candidates/{candidate.id}").text
    assert client.get(f"/consultant/bookings/{booking.id}/move").status_code == 200
    response = client.post(f"/consultant/bookings/{booking.id}/move", data={"slot": slot_at(session, "10:50").id})

    assert response.status_code == 302
    db.session.refresh(booking)
    assert (booking.slot, booking.sequence) == (slot_at(session, "10:50"), 1)


def test_the_move_form_needs_its_csrf_token(csrf_client, make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)

    def where() -> int:
        db.session.expire_all()
        return db.session.get(Booking, booking.id).slot_id

    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        candidate.user, f"/candidate/meetings/{booking.id}/move", None, {"slot": slot_at(session, "10:30").id}, where))


def test_a_past_meeting_cannot_be_moved(make, candidate, now):
    session = make.session()
    booking = make.booking(candidate, slot_at(session, "10:00"), now=now)
    consultant = make.consultant()

    with pytest.raises(MatchappError) as error:
        move_booking(booking, slot_at(session, "10:30").id, by=consultant,
                     now=slot_at(session, "10:00").starts_at + timedelta(minutes=1))
    assert str(error.value.message) == danish("The meeting has already begun, so it cannot be moved.")
