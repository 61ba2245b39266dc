"""Booking rules 1-8 (docs/booking-rules.md) on the services, with an explicit `now`, committing as a view would."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from conftest import book, slot_at
from flask_babel import force_locale
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import Booking, BookingStatus, OutboxMessage, SlotStatus
from matchapp.services import catalogue
from matchapp.services.availability import bookable_sessions, check_selection, free_slots
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import Conflict, MatchappError, SelectionError
from matchapp.services.planning import auto_plan, offer_alternatives
from matchapp.services.sessions import cancel_session, cancel_slot


def offered(candidate, result, *, now):
    """The result page's answer to the times taken meanwhile: each with the time offered instead, or None."""
    return offer_alternatives(candidate, [(slot, None) for slot in result.taken], now=now)


def confirmed_bookings(**where) -> list[Booking]:
    return list(db.session.scalars(select(Booking).filter_by(status=BookingStatus.CONFIRMED, **where)))


def booking_count() -> int:
    return db.session.scalar(select(func.count(Booking.id)))


def mails_to(user, template: str) -> int:
    """How many e-mails of this kind are in the outbox for the user."""
    with force_locale(user.language):
        subject = str(mail.SUBJECTS[template])
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipient == user.email, OutboxMessage.subject == subject))


def a_second_confirmed_booking(booking: Booking, *, candidate, slot) -> Booking:
    """A confirmed booking row written past the services, as a racing request would."""
    return Booking(slot_id=slot.id, session_id=slot.session_id, candidate_id=candidate.id,
                   booked_by_id=candidate.user_id, status=BookingStatus.CONFIRMED,
                   uid=f"race-{booking.uid}", sequence=0, created_at=booking.created_at)


# Rule 1: a slot has at most one confirmed booking.

def test_a_slot_booked_by_someone_else_is_answered_as_taken_not_booked_twice(make, candidate, course, now):
    session = make.session(start=time(10), end=time(10, 30))
    other = make.candidate(completed=[course])
    book(other, slot_at(session, "10:00"), now=now)

    result = book(candidate, slot_at(session, "10:00"), now=now)

    assert result.booked == []
    assert result.taken == [slot_at(session, "10:00")]
    assert offered(candidate, result, now=now)[0].alternative == slot_at(session, "10:10")
    assert [b.candidate_id for b in confirmed_bookings(slot_id=slot_at(session, "10:00").id)] == [other.id]


def test_the_database_refuses_a_second_confirmed_booking_of_a_slot(make, candidate, course, now):
    session = make.session()
    slot = slot_at(session, "10:00")
    [booking] = book(candidate, slot, now=now).booked
    other = make.candidate(completed=[course])

    db.session.add(a_second_confirmed_booking(booking, candidate=other, slot=slot))
    with pytest.raises(IntegrityError, match="uq_booking_slot_confirmed|UNIQUE"):
        db.session.flush()
    db.session.rollback()

    assert len(confirmed_bookings(slot_id=slot.id)) == 1


def test_a_lost_race_for_a_slot_ends_as_taken_not_as_an_error(make, candidate, course, now, monkeypatch):
    session = make.session(start=time(10), end=time(10, 20))
    other = make.candidate(completed=[course])
    book(other, slot_at(session, "10:00"), now=now)
    # The other request commits between this one's "is it free?" look and its insert: the look says free.
    monkeypatch.setattr(db.session, "scalar", lambda *args, **kwargs: False)

    result = book(candidate, slot_at(session, "10:00"), now=now)

    assert result.booked == []
    assert result.taken == [slot_at(session, "10:00")]
    assert offered(candidate, result, now=now)[0].alternative == slot_at(session, "10:10")
    assert len(confirmed_bookings(slot_id=slot_at(session, "10:00").id)) == 1
    assert confirmed_bookings(candidate_id=candidate.id) == []


# Rule 2: a candidate's meetings never overlap, with a gap (default 5 minutes).

def test_meetings_closer_than_five_minutes_are_rejected_together(make, candidate, now):
    first = make.session(start=time(10), end=time(10, 10))
    second = make.session(start=time(10, 12), end=time(10, 22))

    with pytest.raises(SelectionError) as error:
        book(candidate, slot_at(first, "10:00"), slot_at(second, "10:12"), now=now)

    assert len(error.value.problems) == 1
    assert booking_count() == 0


def test_a_meeting_too_close_to_one_already_booked_is_rejected(make, candidate, now):
    first = make.session(start=time(10), end=time(10, 10))
    second = make.session(start=time(10, 12), end=time(10, 22))
    book(candidate, slot_at(first, "10:00"), now=now)

    with pytest.raises(SelectionError):
        book(candidate, slot_at(second, "10:12"), now=now)
    db.session.rollback()

    assert [b.slot_id for b in confirmed_bookings(candidate_id=candidate.id)] == [slot_at(first, "10:00").id]


def test_a_meeting_that_starts_five_minutes_after_the_last_one_ends_is_fine(make, candidate, now):
    first = make.session(start=time(10), end=time(10, 10))
    second = make.session(start=time(10, 15), end=time(10, 25))

    result = book(candidate, slot_at(first, "10:00"), slot_at(second, "10:15"), now=now)

    assert len(result.booked) == 2
    assert len(confirmed_bookings(candidate_id=candidate.id)) == 2


def test_the_gap_between_meetings_is_a_setting(app, make, candidate, now):
    app.config["BOOKING_GAP_MINUTES"] = 15
    first = make.session(start=time(10), end=time(10, 10))
    second = make.session(start=time(10, 15), end=time(10, 25))

    assert check_selection(candidate, [slot_at(first, "10:00"), slot_at(second, "10:15")], now=now)


# Rule 3: at most one confirmed booking per candidate per session.

def test_a_candidate_picks_only_one_time_per_session(make, candidate, now):
    session = make.session()

    with pytest.raises(SelectionError):
        book(candidate, slot_at(session, "10:00"), slot_at(session, "10:40"), now=now)

    assert booking_count() == 0


def test_a_candidate_with_a_meeting_in_a_session_cannot_book_another_in_it(make, candidate, now):
    session = make.session()
    book(candidate, slot_at(session, "10:00"), now=now)

    with pytest.raises(SelectionError):
        book(candidate, slot_at(session, "10:40"), now=now)
    db.session.rollback()

    assert len(confirmed_bookings(candidate_id=candidate.id)) == 1


def test_the_database_refuses_two_confirmed_bookings_of_a_candidate_in_one_session(make, candidate, now):
    session = make.session()
    [booking] = book(candidate, slot_at(session, "10:00"), now=now).booked

    db.session.add(a_second_confirmed_booking(booking, candidate=candidate, slot=slot_at(session, "10:40")))
    with pytest.raises(IntegrityError, match="uq_booking_candidate_session_confirmed|UNIQUE"):
        db.session.flush()
    db.session.rollback()

    assert len(confirmed_bookings(candidate_id=candidate.id)) == 1


# Rule 4: only candidates who completed one of the session's courses (or any course, if none is named).

def test_a_candidate_who_completed_the_sessions_course_can_book(make, candidate, course, now):
    session = make.session(courses=[make.course("Excel"), course])

    result = book(candidate, slot_at(session, "10:00"), now=now)

    assert len(result.booked) == 1
    assert bookable_sessions(candidate, now=now) == [session]


def test_a_candidate_from_another_course_cannot_book(make, candidate, now):
    session = make.session(courses=[make.course("Datasikkerhed og GDPR")])

    with pytest.raises(SelectionError):
        book(candidate, slot_at(session, "10:00"), now=now)

    assert booking_count() == 0
    assert bookable_sessions(candidate, now=now) == []


def test_a_candidate_still_on_the_course_cannot_book_yet(make, course, now):
    session = make.session(courses=[course])
    candidate = make.candidate()
    run = catalogue.create_course_run(course, candidate.jobcenter, date.today(), date.today() + timedelta(days=30),
                                      by=None, now=now)
    catalogue.record_completion(candidate, run, None, by=None, now=now)  # enrolled, not completed
    db.session.commit()

    with pytest.raises(SelectionError):
        book(candidate, slot_at(session, "10:00"), now=now)

    assert booking_count() == 0
    assert bookable_sessions(candidate, now=now) == []


def test_a_session_naming_no_course_is_open_to_anyone_who_completed_a_course(make, candidate, now):
    session = make.session(courses=())

    result = book(candidate, slot_at(session, "10:00"), now=now)

    assert len(result.booked) == 1


def test_a_session_naming_no_course_is_closed_to_a_candidate_without_a_completed_course(make, now):
    session = make.session(courses=())
    newcomer = make.candidate(completed=())

    with pytest.raises(SelectionError):
        book(newcomer, slot_at(session, "10:00"), now=now)

    assert booking_count() == 0
    assert bookable_sessions(newcomer, now=now) == []
    assert auto_plan(newcomer, [session.id], now=now) == ([], [])


# Rule 5: booking closes before the slot; candidates cancel up to a cutoff; a daily cap stops hoarding.

def test_booking_closes_the_sessions_number_of_hours_before_the_slot(make, candidate):
    session = make.session(closes_hours=3)
    slot = slot_at(session, "10:00")

    assert check_selection(candidate, [slot], now=slot.starts_at - timedelta(hours=3, minutes=1)) == []
    with pytest.raises(SelectionError) as error:
        book(candidate, slot, now=slot.starts_at - timedelta(hours=3))
    assert len(error.value.problems) == 1

    assert booking_count() == 0
    assert free_slots([session], now=slot.starts_at - timedelta(hours=3))[session.id][0].starts_at > slot.starts_at


def test_a_candidate_cannot_cancel_within_two_hours_of_the_meeting(make, candidate, now):
    slot = slot_at(make.session(), "10:00")
    [booking] = book(candidate, slot, now=now).booked

    with pytest.raises(MatchappError) as error:
        cancel_booking(booking, reason=None, by=candidate.user, now=slot.starts_at - timedelta(hours=1, minutes=59))

    assert type(error.value) is MatchappError  # "contact your consultant", not a conflict
    assert booking.status == BookingStatus.CONFIRMED
    assert mails_to(candidate.user, "booking_cancelled") == 0


def test_a_candidate_can_cancel_until_two_hours_before_the_meeting(make, candidate, now):
    slot = slot_at(make.session(), "10:00")
    [booking] = book(candidate, slot, now=now).booked

    cancel_booking(booking, reason="Syg", by=candidate.user, now=slot.starts_at - timedelta(hours=2))
    db.session.commit()

    assert booking.status == BookingStatus.CANCELLED


def test_a_consultant_can_cancel_for_a_candidate_within_two_hours(make, candidate, now):
    consultant = make.consultant()
    slot = slot_at(make.session(), "10:00")
    [booking] = book(candidate, slot, now=now).booked

    cancel_booking(booking, reason="Syg", by=consultant, now=slot.starts_at - timedelta(minutes=30))
    db.session.commit()

    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancelled_by_id == consultant.id


def test_a_candidate_can_have_at_most_six_meetings_a_day(make, candidate, now):
    sessions = [make.session(start=time(8 + hour), end=time(8 + hour, 30)) for hour in range(7)]
    first_slots = [slot_at(session, f"{8 + hour:02d}:00") for hour, session in enumerate(sessions)]

    with pytest.raises(SelectionError, match="6"):
        book(candidate, *first_slots, now=now)
    assert booking_count() == 0

    assert len(book(candidate, *first_slots[:6], now=now).booked) == 6
    with pytest.raises(SelectionError, match="6"):
        book(candidate, first_slots[6], now=now)
    db.session.rollback()
    assert len(confirmed_bookings(candidate_id=candidate.id)) == 6


def test_the_daily_cap_counts_danish_days_not_utc_days(make, candidate, now):
    day = to_local(now).date() + timedelta(days=2)
    daytime = [make.session(day=day, start=time(8 + hour), end=time(8 + hour, 30)) for hour in range(6)]
    book(candidate, *(session.slots[0] for session in daytime), now=now)
    # 00:30 the next night in Copenhagen is still the same day in UTC.
    night = make.session(day=day + timedelta(days=1), start=time(0, 30), end=time(1))

    result = book(candidate, night.slots[0], now=now)

    assert len(result.booked) == 1


def test_the_daily_cap_is_a_setting(app, make, candidate, now):
    app.config["DAILY_BOOKING_CAP"] = 2
    sessions = [make.session(start=time(8 + hour), end=time(8 + hour, 30)) for hour in range(3)]

    with pytest.raises(SelectionError):
        book(candidate, *(session.slots[0] for session in sessions), now=now)

    assert booking_count() == 0


# Rule 6: several in one go, checked as a whole; what was taken meanwhile comes with an alternative; auto-plan.

def test_candidate_books_three_slots_in_one_go(make, candidate, now):
    sessions = [make.session(start=time(10), end=time(11)) for _ in range(3)]
    chosen = [slot_at(sessions[0], "10:00"), slot_at(sessions[1], "10:20"), slot_at(sessions[2], "10:40")]

    result = book(candidate, *chosen, now=now)

    assert [booking.slot for booking in result.booked] == chosen
    assert result.taken == []
    assert all(b.booked_by_id == candidate.user_id for b in confirmed_bookings(candidate_id=candidate.id))
    assert mails_to(candidate.user, "booking_confirmed") == 3


def test_a_consultant_books_several_slots_on_a_candidates_behalf(make, candidate, now):
    consultant = make.consultant()
    sessions = [make.session(start=time(10), end=time(11)) for _ in range(2)]

    result = book(candidate, slot_at(sessions[0], "10:00"), slot_at(sessions[1], "10:30"), by=consultant, now=now)

    assert len(result.booked) == 2
    assert {b.booked_by_id for b in confirmed_bookings(candidate_id=candidate.id)} == {consultant.id}
    assert mails_to(candidate.user, "booking_made_for_you") == 2
    assert mails_to(consultant, "booking_confirmed") == 2


def test_an_overlap_inside_the_selection_is_shown_and_nothing_is_booked(make, candidate, now):
    sessions = [make.session(start=time(10), end=time(11)) for _ in range(3)]
    chosen = [slot_at(sessions[0], "10:00"), slot_at(sessions[1], "10:30"), slot_at(sessions[2], "10:10")]

    with pytest.raises(SelectionError) as error:
        book(candidate, *chosen, now=now)
    db.session.rollback()

    assert len(error.value.problems) == 1
    assert booking_count() == 0
    assert mails_to(candidate.user, "booking_confirmed") == 0


def test_a_slot_taken_meanwhile_is_listed_with_the_nearest_free_alternative_and_the_others_are_booked(
        make, candidate, course, now):
    popular = make.session(start=time(10), end=time(11))
    early = make.session(start=time(10), end=time(10, 10))
    late = make.session(start=time(11), end=time(11, 10))
    quicker = make.candidate(completed=[course])
    book(quicker, slot_at(popular, "10:20"), now=now)

    result = book(candidate, slot_at(early, "10:00"), slot_at(popular, "10:20"), slot_at(late, "11:00"), now=now)

    assert [booking.slot for booking in result.booked] == [slot_at(early, "10:00"), slot_at(late, "11:00")]
    [taken] = offered(candidate, result, now=now)
    assert taken.slot == slot_at(popular, "10:20")
    # 10:10 is as near as 10:30 but too close to the 10:00 meeting just booked.
    assert taken.alternative == slot_at(popular, "10:30")
    assert len(confirmed_bookings(candidate_id=candidate.id)) == 2


def test_a_taken_slot_has_no_alternative_when_the_session_is_full(make, candidate, course, now):
    session = make.session(start=time(10), end=time(10, 10))
    book(make.candidate(completed=[course]), slot_at(session, "10:00"), now=now)

    result = book(candidate, slot_at(session, "10:00"), now=now)

    assert [(t.slot, t.alternative) for t in offered(candidate, result, now=now)] == [(slot_at(session, "10:00"), None)]


def test_auto_plan_picks_one_slot_per_session_with_the_gap_between_them(make, candidate, now):
    sessions = [make.session(start=time(10), end=time(11)) for _ in range(3)]

    planned, left_out = auto_plan(candidate, [s.id for s in sessions], now=now)

    assert left_out == []
    assert sorted(slot.session_id for slot in planned) == sorted(s.id for s in sessions)
    for earlier, later in zip(planned, planned[1:], strict=False):
        assert later.starts_at - earlier.ends_at >= timedelta(minutes=5)
    assert check_selection(candidate, planned, now=now) == []
    assert len(book(candidate, *planned, now=now).booked) == 3


def test_auto_plan_plans_around_meetings_already_booked(make, candidate, now):
    booked = make.session(start=time(10), end=time(10, 10))
    book(candidate, slot_at(booked, "10:00"), now=now)
    sessions = [make.session(start=time(10), end=time(11)) for _ in range(2)]

    planned, left_out = auto_plan(candidate, [booked.id, *(s.id for s in sessions)], now=now)

    # 10:10 is too close to the 10:00 meeting; 10:30 too close to 10:20.
    assert [f"{to_local(slot.starts_at):%H:%M}" for slot in planned] == ["10:20", "10:40"]
    assert {slot.session_id for slot in planned} == {s.id for s in sessions}
    assert left_out == [booked.id]  # one meeting per session: it has one already
    assert check_selection(candidate, planned, now=now) == []


def test_auto_plan_leaves_out_a_session_that_does_not_fit(make, candidate, now):
    first = make.session(start=time(10), end=time(10, 10))
    clashing = make.session(start=time(10, 5), end=time(10, 15))
    later = make.session(start=time(10, 30), end=time(10, 40))

    planned, left_out = auto_plan(candidate, [first.id, clashing.id, later.id], now=now)

    assert len(planned) == 2
    assert later.id in {slot.session_id for slot in planned}
    assert len(left_out) == 1
    assert left_out[0] in {first.id, clashing.id}


# Rule 7: an employer cancelling a slot or a session cancels its bookings and tells everyone.

def test_an_employer_cancelling_a_slot_cancels_its_booking_and_tells_the_candidate(make, candidate, now):
    employer = make.employer()
    session = make.session(employer)
    slot = slot_at(session, "10:00")
    [booking] = book(candidate, slot, now=now).booked

    # Even half an hour before: the cutoff binds candidates only.
    cancel_slot(slot, "Intervieweren er syg", by=employer, now=slot.starts_at - timedelta(minutes=30))
    db.session.commit()

    assert slot.status == SlotStatus.CANCELLED
    assert booking.status == BookingStatus.CANCELLED
    assert booking.cancel_reason == "Intervieweren er syg"
    assert booking.sequence == 1
    assert mails_to(candidate.user, "booking_cancelled") == 1
    assert slot not in free_slots([session], now=now)[session.id]


def test_an_employer_cancelling_a_session_cancels_every_booking_and_tells_each_candidate(
        make, candidate, course, now):
    employer = make.employer()
    session = make.session(employer)
    other = make.candidate(completed=[course])
    book(candidate, slot_at(session, "10:00"), now=now)
    book(other, slot_at(session, "10:30"), now=now)

    count = cancel_session(session, "Stillingen er besat", by=employer, now=now)
    db.session.commit()

    assert count == 2
    assert confirmed_bookings(session_id=session.id) == []
    for person in (candidate, other):
        assert mails_to(person.user, "booking_cancelled") == 1
    assert all(slot.status == SlotStatus.CANCELLED for slot in session.slots)
    with pytest.raises(SelectionError):
        book(make.candidate(completed=[course]), slot_at(session, "10:20"), now=now)


# Rule 8: a cancelled booking frees the slot at once; rebooking it works.

def test_a_cancelled_booking_frees_the_slot_for_another_candidate_at_once(make, candidate, course, now):
    session = make.session(start=time(10), end=time(10, 10))
    slot = slot_at(session, "10:00")
    [booking] = book(candidate, slot, now=now).booked
    assert free_slots([session], now=now)[session.id] == []

    cancel_booking(booking, reason=None, by=candidate.user, now=now)
    db.session.commit()
    assert free_slots([session], now=now)[session.id] == [slot]
    result = book(make.candidate(completed=[course]), slot, now=now)

    assert len(result.booked) == 1
    assert len(confirmed_bookings(slot_id=slot.id)) == 1


def test_a_candidate_can_rebook_the_slot_they_cancelled(make, candidate, now):
    slot = slot_at(make.session(), "10:00")
    [first] = book(candidate, slot, now=now).booked
    cancel_booking(first, reason=None, by=candidate.user, now=now)

    [second] = book(candidate, slot, now=now).booked

    assert second.id != first.id
    assert second.uid != first.uid
    assert [b.id for b in confirmed_bookings(slot_id=slot.id)] == [second.id]


def test_a_cancelled_booking_cannot_be_cancelled_twice(make, candidate, now):
    [booking] = book(candidate, slot_at(make.session(), "10:00"), now=now).booked
    cancel_booking(booking, reason=None, by=candidate.user, now=now)

    with pytest.raises(Conflict):
        cancel_booking(booking, reason=None, by=candidate.user, now=now)


# Rule 6: the time offered instead of a taken one (issue 15): another time that passes every rule, or none.

def test_no_time_is_offered_instead_when_every_other_time_breaks_a_rule(make, candidate, course, now):
    popular = make.session(start=time(10), end=time(10, 20))
    book(make.candidate(completed=[course]), slot_at(popular, "10:10"), now=now)
    early = make.session(start=time(9, 50), end=time(10))

    result = book(candidate, slot_at(early, "09:50"), slot_at(popular, "10:10"), now=now)

    assert len(result.booked) == 1
    # 10:00, the only other time, is too close to the 09:50 meeting just booked (rule 2).
    assert [(t.slot, t.alternative) for t in offered(candidate, result, now=now)] == [(slot_at(popular, "10:10"), None)]


def test_an_offer_stays_while_it_fits_and_is_replaced_when_taken(make, candidate, course, now):
    popular = make.session(start=time(10), end=time(10, 40))
    book(make.candidate(completed=[course]), slot_at(popular, "10:10"), now=now)
    [taken] = offered(candidate, book(candidate, slot_at(popular, "10:10"), now=now), now=now)
    assert taken.alternative == slot_at(popular, "10:00")

    assert offer_alternatives(candidate, [(taken.slot, taken.alternative)], now=now) == [taken]
    book(make.candidate(completed=[course]), slot_at(popular, "10:00"), now=now)
    [again] = offer_alternatives(candidate, [(taken.slot, taken.alternative)], now=now)
    assert again.alternative == slot_at(popular, "10:20")
