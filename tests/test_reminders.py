"""Reminders come 24 hours and 1 hour before each meeting, at those times and no other, exactly once."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import local_to_utc
from matchapp.models import OutboxMessage, SentNotice
from matchapp.services.booking import cancel_booking
from matchapp.services.reminders import send_reminders


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
