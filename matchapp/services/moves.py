"""Moving a meeting to another time of its session in one step: the calendar entry is updated in place."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import local_day
from matchapp.models import Booking, BookingStatus, Role, SessionStatus, Slot, SlotStatus, User
from matchapp.services import audit, availability, locks, notifications, offers
from matchapp.services.booking import move_to_free_lane
from matchapp.services.errors import Conflict, MatchappError, SelectionError


def move_choices(booking: Booking, *, now: datetime) -> list[Slot]:
    """The times the booking can move to: one free slot per other time of its session that can still be booked
    and fits around the candidate's other meetings (gap, daily cap), soonest first."""
    if booking.session.status != SessionStatus.PUBLISHED:
        return []
    gap, cap = availability.booking_gap(), current_app.config["DAILY_BOOKING_CAP"]
    others = [b.slot for b in availability.confirmed_bookings(booking.candidate) if b.id != booking.id]
    per_day = Counter(local_day(slot.starts_at) for slot in others)
    times: dict[datetime, Slot] = {}
    for slot in availability.free_slots([booking.session], now=now)[booking.session_id]:
        if (slot.starts_at != booking.slot.starts_at and per_day[local_day(slot.starts_at)] < cap
                and not any(availability.overlaps(slot, other, gap) for other in others)):
            times.setdefault(slot.starts_at, slot)
    return list(times.values())


def move_booking(booking: Booking, slot_id: int, *, by: User, now: datetime) -> Booking:
    """Move a confirmed booking to another free time of its session in one step (rule 0: any free interviewer
    at that time), every booking rule checked as if booked anew (rules 2-5); the invite is updated in
    place (METHOD:REQUEST, same UID, SEQUENCE + 1) and the freed time is offered to the waiting list.

    :raises Conflict: the booking is cancelled, or the new time was taken meanwhile; nothing changes.
    :raises MatchappError: a candidate moves after the cancel cutoff (rule 5), the meeting has begun, the time is
        not one of the session's or is the current one; nothing changes.
    :raises SelectionError: the new time breaks a booking rule; nothing changes.
    """
    locks.hold(sessions=[booking.session_id], candidates=[booking.candidate_id])  # rule 9
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict(_l("The meeting is cancelled already."))
    old_slot = booking.slot
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    if old_slot.starts_at <= now:
        raise MatchappError(_l("The meeting has already begun, so it cannot be moved."))
    if by.role == Role.CANDIDATE and now > old_slot.starts_at - cutoff:
        raise MatchappError(_l("It is too late to move the meeting here. Please contact your consultant."))
    target = next(iter(availability.load_slots([slot_id])), None)
    if target is None or target.session_id != booking.session_id:
        raise MatchappError(_l("Choose one of the free times in this session."))
    if target.starts_at == old_slot.starts_at:
        raise MatchappError(_l("The meeting is already at %(time)s. Choose another time to move it.",
                               time=formats.slot_time(old_slot.starts_at)))
    problems = availability.check_selection(booking.candidate, [target], now=now, moving=booking)
    if problems:
        raise SelectionError(problems)
    if not move_to_free_lane(booking, availability.free_slots_at(target)):
        raise Conflict(_l("Someone else has just taken %(slot)s. Choose another time.",
                          slot=availability.slot_label(target)))
    booking.sequence += 1
    booking.timed_at = now  # its reminders follow it to the new time (services/reminders.py)
    booking.candidate.user.last_active_at = now
    db.session.flush()
    audit.record(by, "booking_moved", booking, now=now)
    notifications.tell_moved(booking, old_slot, now=now)
    if old_slot.status == SlotStatus.OPEN:
        offers.offer_free_times(booking.session, [old_slot], now=now)
    return booking
