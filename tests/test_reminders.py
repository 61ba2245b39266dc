"""Reminders come 24 hours and 1 hour before each meeting, at those times and no other, exactly once."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import local_to_utc
from matchapp.models import OutboxMessage, SentNotice
from matchapp.services.booking import cancel_booking
from matchapp.services.moves import move_booking
from matchapp.services.reminders import send_reminders
from matchapp.services.session_changes import move_session


@pytest.fixture
def course_name() -> str:
    return "Excel"


def book_at(make, course, day: date, clock: time, *, booked_at: datetime, candidate=None):
    """A candidate books the 10-minute slot at this local time, at the moment booked_at."""
    candidate = candidate or make.candidate(completed=[course])
    session = make.session(day=day, start=clock, end=(datetime.combine(day, clock) + timedelta(minutes=30)).time(),
                           closes_hours=0, created_at=booked_at - timedelta(days=1))
    slot = next(s for s in session.slots if s.starts_at == local_to_utc(day, clock))
    return make.booking(candidate, slot, now=booked_at)


def slot_at_time(session, clock: time):
    """The session's first slot at this local time."""
    return next(s for s in session.slots if s.starts_at == local_to_utc(session.local_date, clock))


def run_clock(start: datetime, end: datetime, step: timedelta = timedelta(minutes=5)) -> dict[str, list[datetime]]:
    """Run the reminder job at every step from start to end, as the scheduler would; when each notice was queued."""
    queued: dict[str, list[datetime]] = {}
    now = start
    while now <= end:
        if send_reminders(now=now):
            for notice in db.session.scalars(select(SentNotice).where(SentNotice.sent_at == now)):
                queued.setdefault(notice.kind, []).append(now)
        db.session.commit()
        now += step
    return queued


def test_a_booking_made_three_days_ahead_gets_its_reminders_24_hours_and_1_hour_before(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))

    queued = run_clock(starts_at - timedelta(days=3), starts_at + timedelta(hours=1))

    assert queued["reminder-1440m"] == [starts_at - timedelta(hours=24)]
    assert queued["reminder-60m"] == [starts_at - timedelta(hours=1)]
    assert queued["employer-reminder-1440m"] == [starts_at - timedelta(hours=24)]
    assert queued["employer-reminder-60m"] == [starts_at - timedelta(hours=1)]
    candidate_mails = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == booking.candidate.user.email,
        OutboxMessage.subject.like("Påmindelse%"))).all()
    assert len(candidate_mails) == 2
    assert "10:00" in candidate_mails[0].body_text


def test_a_booking_made_two_hours_ahead_gets_only_the_one_hour_reminder(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    book_at(make, course, day, time(10), booked_at=starts_at - timedelta(hours=2))

    queued = run_clock(starts_at - timedelta(hours=2), starts_at + timedelta(hours=1))

    assert "reminder-1440m" not in queued
    assert queued["reminder-60m"] == [starts_at - timedelta(hours=1)]


def test_a_cancelled_booking_gets_no_reminder(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    cancel_booking(booking, reason=None, by=booking.candidate.user, now=starts_at - timedelta(days=2))
    db.session.commit()

    assert run_clock(starts_at - timedelta(days=2), starts_at + timedelta(hours=1)) == {}


@pytest.mark.parametrize(("day", "utc_hour"), [(date(2026, 3, 29), 7), (date(2026, 10, 25), 8)])
def test_reminders_around_the_clock_changes_come_at_the_right_utc_time(make, course, day, utc_hour):
    starts_at = datetime.combine(day, time(utc_hour), tzinfo=UTC)  # 09:00 Danish time on the day of the change
    assert local_to_utc(day, time(9)) == starts_at
    book_at(make, course, day, time(9), booked_at=starts_at - timedelta(days=3))

    queued = run_clock(starts_at - timedelta(hours=25), starts_at)

    # 24 hours of real time before: on these days that is 08:00 or 10:00 Danish time the day before.
    assert queued["reminder-1440m"] == [starts_at - timedelta(hours=24)]
    assert queued["reminder-60m"] == [starts_at - timedelta(hours=1)]


def test_a_second_scheduler_or_a_restart_sends_nothing_twice(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    now = starts_at - timedelta(hours=24)

    first = send_reminders(now=now)
    db.session.commit()
    again = send_reminders(now=now + timedelta(minutes=1))
    db.session.commit()

    assert (first, again) == (2, 0)  # the candidate's and the employer's 24-hour reminders, once
    assert db.session.query(OutboxMessage).filter(OutboxMessage.subject.like("Påmindelse%")).count() == 2


def test_a_scheduler_stopped_over_the_reminder_time_sends_it_late_but_not_once_the_next_one_is_due(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))

    # Down from 25 hours before until 20 hours before: the 24-hour reminder comes when it is back.
    assert run_clock(starts_at - timedelta(hours=20), starts_at - timedelta(hours=20))["reminder-1440m"]
    # Down from 2 hours before until 50 minutes before: only the 1-hour reminder, not a stale 24-hour one.
    other = book_at(make, course, day, time(10, 10), booked_at=starts_at - timedelta(days=3))
    queued = run_clock(starts_at - timedelta(minutes=50), starts_at - timedelta(minutes=50))
    assert queued["reminder-60m"]
    assert db.session.scalar(select(SentNotice).where(SentNotice.kind == "reminder-1440m",
                                                      SentNotice.object_id == other.id)) is None


# --- Reminders follow the meeting: a meeting that gets another time is reminded of at that time ------------------

QUARTER = timedelta(minutes=15)  # the reminders are due on the hour: a scheduler looking every quarter sees each


def reminder_texts(user) -> list[str]:
    """The reminders queued to this person, oldest first: their text."""
    return list(db.session.scalars(select(OutboxMessage.body_text).where(
        OutboxMessage.recipient == user.email, OutboxMessage.subject.like("Påmindelse%")).order_by(OutboxMessage.id)))


def meeting_line(text: str) -> str:
    """The line of a candidate's reminder that says when the meeting is."""
    return next(line for line in text.splitlines() if line.startswith("Tid:"))


def test_a_session_moved_after_its_24_hour_reminder_gets_reminders_for_its_new_time(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    session, employer = booking.session, booking.session.created_by
    assert run_clock(starts_at - timedelta(hours=25), starts_at - timedelta(hours=22), QUARTER)["reminder-1440m"] == [
        starts_at - timedelta(hours=24)]

    # Two hours after the reminder, the employer moves the session two days on, to 14:00.
    move_session(session, date(2026, 12, 10), time(14), by=employer, now=starts_at - timedelta(hours=22))
    db.session.commit()
    new_start = local_to_utc(date(2026, 12, 10), time(14))
    queued = run_clock(starts_at - timedelta(hours=22) + QUARTER, new_start + timedelta(hours=1), QUARTER)

    # Nothing at the old time; both reminders at the new one, to the candidate and the employer.
    assert queued == {"reminder-1440m": [new_start - timedelta(hours=24)],
                      "employer-reminder-1440m": [new_start - timedelta(hours=24)],
                      "reminder-60m": [new_start - timedelta(hours=1)],
                      "employer-reminder-60m": [new_start - timedelta(hours=1)]}
    first, tomorrow, soon = reminder_texts(booking.candidate.user)
    assert meeting_line(first) == "Tid: tirsdag 8. december 2026 kl. 10:00–10:10"
    assert [meeting_line(tomorrow), meeting_line(soon)] == ["Tid: torsdag 10. december 2026 kl. 14:00–14:10"] * 2
    assert "Du har en jobsamtale i morgen." in tomorrow
    _, *again = reminder_texts(employer)
    assert len(again) == 2
    for text in again:
        assert 'Din samtalerunde "Receptionist" begynder torsdag 10. december 2026 kl. 14:00.' in text
        assert "14:00  Kandidat" in text


def test_a_meeting_a_consultant_moves_after_its_1_hour_reminder_gets_a_new_1_hour_reminder(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    run_clock(starts_at - timedelta(hours=25), starts_at - timedelta(hours=1), QUARTER)  # both for 10:00 sent
    consultant = make.consultant()

    # Ten minutes after the 1-hour reminder (past the candidates' cut-off), the consultant moves it to 10:20.
    moved_at = starts_at - timedelta(minutes=50)
    move_booking(booking, slot_at_time(booking.session, time(10, 20)).id, by=consultant, now=moved_at)
    db.session.commit()
    queued = run_clock(moved_at + timedelta(minutes=5), starts_at + timedelta(hours=1))

    new_start = starts_at + timedelta(minutes=20)
    # Only the candidate's: the employer's session still starts at 10:00 and was reminded of.
    assert queued == {"reminder-60m": [new_start - timedelta(hours=1)]}
    texts = reminder_texts(booking.candidate.user)
    assert len(texts) == 3  # 24 hours and 1 hour before 10:00; 1 hour before 10:20
    assert meeting_line(texts[-1]) == "Tid: tirsdag 8. december 2026 kl. 10:20–10:30"


def test_a_meeting_moved_back_to_a_time_it_was_reminded_of_is_not_reminded_twice(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    run_clock(starts_at - timedelta(hours=25), starts_at - timedelta(hours=1), QUARTER)  # both for 10:00 sent
    consultant = make.consultant()
    move_booking(booking, slot_at_time(booking.session, time(10, 20)).id, by=consultant,
                 now=starts_at - timedelta(minutes=54))
    move_booking(booking, slot_at_time(booking.session, time(10)).id, by=consultant,
                 now=starts_at - timedelta(minutes=53))
    db.session.commit()

    # The job every minute until the meeting, and then again as a second scheduler would: the 1-hour reminder for
    # 10:00 went out already, and 10:20 is no longer the meeting's time.
    assert run_clock(starts_at - timedelta(minutes=52), starts_at, step=timedelta(minutes=1)) == {}
    assert run_clock(starts_at - timedelta(minutes=52), starts_at, step=timedelta(minutes=1)) == {}
    assert len(reminder_texts(booking.candidate.user)) == 2


def test_a_session_moved_to_less_than_24_hours_away_gets_no_stale_24_hour_reminder_but_the_1_hour_one(make, course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    moved_at = starts_at - timedelta(hours=46)  # 6 December at 12:00, before any reminder

    # The employer moves it to 7 December at 8:00, 20 hours later: its 24-hour reminder time has passed already.
    move_session(booking.session, date(2026, 12, 7), time(8), by=booking.session.created_by, now=moved_at)
    db.session.commit()
    new_start = local_to_utc(date(2026, 12, 7), time(8))
    queued = run_clock(moved_at, starts_at + timedelta(hours=1), QUARTER)

    assert queued == {"reminder-60m": [new_start - timedelta(hours=1)],
                      "employer-reminder-60m": [new_start - timedelta(hours=1)]}
    [soon] = reminder_texts(booking.candidate.user)
    assert meeting_line(soon) == "Tid: mandag 7. december 2026 kl. 08:00–08:10"


def test_a_session_moved_after_its_24_hour_reminder_to_less_than_24_hours_away_gets_only_the_1_hour_one(make,
                                                                                                     course):
    day = date(2026, 12, 8)
    starts_at = local_to_utc(day, time(10))
    booking = book_at(make, course, day, time(10), booked_at=starts_at - timedelta(days=3))
    run_clock(starts_at - timedelta(hours=25), starts_at - timedelta(hours=22), QUARTER)  # the 24-hour one for 10:00
    moved_at = starts_at - timedelta(hours=22)

    move_session(booking.session, day, time(9), by=booking.session.created_by, now=moved_at)  # 21 hours away
    db.session.commit()
    new_start = local_to_utc(day, time(9))
    queued = run_clock(moved_at + QUARTER, starts_at + timedelta(hours=1), QUARTER)

    assert queued == {"reminder-60m": [new_start - timedelta(hours=1)],
                      "employer-reminder-60m": [new_start - timedelta(hours=1)]}
    tomorrow, soon = reminder_texts(booking.candidate.user)
    assert meeting_line(tomorrow) == "Tid: tirsdag 8. december 2026 kl. 10:00–10:10"
    assert meeting_line(soon) == "Tid: tirsdag 8. december 2026 kl. 09:00–09:10"
