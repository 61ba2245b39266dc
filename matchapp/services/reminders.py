"""Reminders before meetings: to each candidate per meeting, to the employer contact once per session.

Reminders follow the meeting's time: each is due once per time the meeting has (the booking's start; the session's
start for the employer's), so a meeting moved after its reminder went out is reminded of again at its new time,
unless that reminder's time had passed when the meeting got the new time.

Each notice is claimed by inserting a SentNotice row in a savepoint together with its outbox message, so a
second scheduler (or a restart) never sends it twice, and a crash before the commit loses nothing.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchapp import mail
from matchapp.extensions import db
from matchapp.models import Booking, BookingStatus, Candidate, InterviewSession, SentNotice, Slot, User
from matchapp.services.outcomes import meetings_of


def _window(minutes: int) -> tuple[timedelta, timedelta]:
    """This reminder is due from `minutes` before the meeting until the next, shorter reminder takes over
    (or the meeting starts): a scheduler that was stopped over the time still sends it, but never a stale one."""
    shorter = [m for m in current_app.config["REMINDER_MINUTES"] if m < minutes]
    return timedelta(minutes=minutes), timedelta(minutes=max(shorter, default=0))


def claim_and_queue(kind: str, object_id: int, recipient: User, template: str, *, now: datetime,
                    meeting_at: datetime | None = None, **context) -> bool:
    """Record the notice and queue its message in one savepoint; False if it was sent already (for a reminder:
    for the meeting at meeting_at)."""
    same_meeting = SentNotice.meeting_at.is_(None) if meeting_at is None else SentNotice.meeting_at == meeting_at
    already = db.session.scalar(select(SentNotice.id).where(
        SentNotice.kind == kind, SentNotice.object_id == object_id, SentNotice.recipient_id == recipient.id,
        same_meeting))
    if already:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentNotice(kind=kind, object_id=object_id, recipient_id=recipient.id,
                                      meeting_at=meeting_at, sent_at=now))
            db.session.flush()
            mail.queue(recipient, template, now=now, **context)
    except IntegrityError:  # another scheduler got there first
        return False
    return True


def _due_bookings(minutes: int, *, now: datetime) -> list[Booking]:
    """Confirmed bookings whose reminder `minutes` before is due now and was not past when they got their time."""
    before, superseded = _window(minutes)
    bookings = db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.status == BookingStatus.CONFIRMED, Slot.starts_at <= now + before,
               Slot.starts_at > now + superseded)
        .options(selectinload(Booking.slot), selectinload(Booking.candidate).selectinload(Candidate.user),
                 selectinload(Booking.session).selectinload(InterviewSession.employer),
                 selectinload(Booking.session).selectinload(InterviewSession.created_by))
        .order_by(Booking.session_id, Slot.starts_at, Booking.id)  # one order for every scheduler: no deadlock
    ).all()
    # A reminder whose time had passed when the meeting got its time (booked, or moved) is not sent.
    return [b for b in bookings if b.timed_at <= b.slot.starts_at - before]


def send_reminders(*, now: datetime) -> int:
    """Queue every reminder that is due, once per meeting time and recipient (reminders follow the meeting: a
    moved meeting is reminded of at its new time); returns how many were queued."""
    queued = 0
    for minutes in current_app.config["REMINDER_MINUTES"]:
        bookings = _due_bookings(minutes, now=now)
        for booking in bookings:
            queued += claim_and_queue(f"reminder-{minutes}m", booking.id, booking.candidate.user,
                                      "reminder_candidate", now=now, meeting_at=booking.slot.starts_at,
                                      booking=booking, minutes=minutes, link=mail.external_url("candidate.meetings"))
        for _session_id, of_session in groupby(bookings, key=lambda b: b.session_id):
            session = next(of_session).session
            # The employer's one reminder lists every meeting of the session, not only those due a reminder now.
            queued += claim_and_queue(f"employer-reminder-{minutes}m", session.id, session.created_by,
                                      "reminder_employer", now=now, meeting_at=session.starts_at, session=session,
                                      bookings=meetings_of(session), minutes=minutes,
                                      link=mail.external_url("employer.session", session_id=session.id))
    return queued
