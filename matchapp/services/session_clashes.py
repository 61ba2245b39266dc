"""Rule 10, no move makes a clash: which booked meetings a move of a session would put in a clash, read from the
database and planned by session_changes_plan.plan_clashes, what the change page shows the employer of them before
they confirm, and what the e-mails tell each candidate. session_changes.move_session writes the outcome.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.models import Booking, BookingStatus, Clash, InterviewSession, SlotStatus
from matchapp.services import availability, notifications, waitlist
from matchapp.services.errors import MatchappError
from matchapp.services.session_changes_plan import Clashing, FreeSlot, Meeting, plan_clashes


@dataclass(frozen=True)
class ClashShown:
    """A booked candidate that a move would put in a clash, as the change page lists them for the employer: the
    candidate's name, why (without their other meeting's details), the time they get instead (None: the meeting
    is cancelled) and whether they then wait first in line."""

    name: str
    why: Clash
    to: datetime | None
    waits: bool


class ClashesFound(MatchappError):
    """The move would put booked candidates in a clash (rule 10) and the employer has not confirmed what then
    happens to them; nothing changed. `clashes` lists them; `confirm` is the code that confirms exactly this."""

    def __init__(self, clashes: list[ClashShown], confirm: str):
        super().__init__(_l("The move puts booked candidates in a clash. Check what happens to them, then confirm."),
                         field="confirm")
        self.clashes = clashes
        self.confirm = confirm


def confirm_code(local_date: date, start_time: time, clashes: tuple[Clashing, ...]) -> str:
    """What confirms a move to this time with exactly these clashes and what happens to each (rule 10): the
    employer confirms what the page showed, and is asked again if it has changed meanwhile."""
    outcome = [(c.booking_id, c.why.value, c.to.id if c.to else None, c.waits) for c in clashes]
    return hashlib.sha256(repr((local_date.isoformat(), start_time.isoformat(), outcome)).encode()).hexdigest()[:32]


def find_clashes(session: InterviewSession, booked: dict[int, Booking], *, now: datetime) -> tuple[Clashing, ...]:
    """The meetings of the session, at the times it has now, that are in a clash (rule 10), each with where it goes
    instead (plan_clashes); booked: the confirmed bookings by slot id."""
    if not booked:
        return ()
    candidates = list({booking.candidate_id for booking in booked.values()})
    others = db.session.scalars(
        select(Booking).where(Booking.candidate_id.in_(candidates), Booking.status == BookingStatus.CONFIRMED,
                              Booking.session_id != session.id).options(selectinload(Booking.slot)))
    eligible = {candidate_id for candidate_id, courses in availability.completed_courses(candidates).items()
                if availability.is_eligible(session, courses)}
    free = [FreeSlot(slot.id, slot.starts_at, slot.ends_at) for slot in session.slots
            if slot.status == SlotStatus.OPEN and slot.id not in booked]
    return plan_clashes([_meeting(b) for b in booked.values()], [_meeting(b) for b in others], free,
                        eligible=eligible, gap=availability.booking_gap(),
                        cap=current_app.config["DAILY_BOOKING_CAP"], list_open=waitlist.is_open(session, now=now))


def _meeting(booking: Booking) -> Meeting:
    return Meeting(booking.id, booking.candidate_id, booking.slot_id, booking.slot.starts_at, booking.slot.ends_at)


def shown(booked: dict[int, Booking], clashes: tuple[Clashing, ...]) -> list[ClashShown]:
    """The clashes as the change page lists them for the employer to confirm (rule 10), worked out before the
    refusal undoes the move."""
    names = {booking.id: booking.candidate.user.name for booking in booked.values()}
    return [ClashShown(names[c.booking_id], c.why, c.to.starts_at if c.to else None, c.waits) for c in clashes]


def note(booking: Booking, clash: Clashing, *, was: tuple[datetime, datetime]) -> notifications.ClashNote:
    """What the e-mails say about the clash of the booking, at the time the move gave it (was: its time before;
    rule 10: told in plain words)."""
    return notifications.ClashNote(
        clash.why, was, (booking.slot.starts_at, booking.slot.ends_at),
        db.session.get(Booking, clash.other_id) if clash.other_id else None,
        gap_minutes=current_app.config["BOOKING_GAP_MINUTES"], cap=current_app.config["DAILY_BOOKING_CAP"],
        waits=clash.waits)
