"""Booking and cancelling (rules 0, 1, 5, 6 and 8 of docs/booking-rules.md): book several times with one confirm,
each atomically; book a time offered from the waiting list; cancel; put a booking on another interviewer's slot.
What can be booked is decided in services/availability.py, who is told in services/notifications.py.

Every write here starts by holding its sessions and its candidate in the one locking order of rule 9
(services/locks.py): a booking made while an employer changes the session happens wholly before or wholly after
the change."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchapp.extensions import db
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    Role,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
    WaitStatus,
)
from matchapp.services import audit, availability, locks, notifications, offers, waitlist
from matchapp.services.errors import Conflict, MatchappError, SelectionError


@dataclass(frozen=True)
class BookingResult:
    """What one confirm booked, and the chosen times whose interviewers were all booked meanwhile. The times to
    offer instead are looked for after the commit (planning.offer_alternatives), outside the booking's transaction."""

    booked: list[Booking]
    taken: list[Slot]


def book_slots(candidate: Candidate, slot_ids: list[int], *, by: User, now: datetime) -> BookingResult:
    """Book several times with one confirm (rule 6); each slot id stands for its time in its session (rule 0).

    The selection is checked as a whole first; then each time is booked with a free interviewer in its own
    savepoint, so a time taken meanwhile (all interviewers booked) is reported as taken while the others are
    booked.

    :raises SelectionError: the selection breaks a rule as a whole; nothing is booked.
    """
    locks.hold(sessions=db.session.scalars(select(Slot.session_id).where(Slot.id.in_(slot_ids))),
               candidates=[candidate.id])
    slots = availability.load_slots(slot_ids)
    if len(slots) != len(set(slot_ids)):
        raise SelectionError([str(_l("One of the chosen times does not exist."))])
    problems = availability.check_selection(candidate, slots, now=now)
    if problems:
        raise SelectionError(problems)
    candidate.user.last_active_at = now  # retention counts the candidate's inactivity from here
    booked, lost = [], []
    for slot in slots:
        booking = _insert_booking(candidate, slot, by=by, now=now)
        (booked if booking else lost).append(booking or slot)
    waitlist.end_waiting(candidate, [booking.session_id for booking in booked], WaitStatus.BOOKED, now=now)
    for booking in booked:
        audit.record(by, "booking_created", booking, now=now)
        notifications.tell_booked(booking, now=now)
    return BookingResult(booked, lost)


def _insert_booking(candidate: Candidate, slot: Slot, *, by: User, now: datetime) -> Booking | None:
    """Book the slot's time with any free interviewer (rule 0), or None when all of them are taken.

    Each interviewer's slot is tried in its own savepoint: a concurrent booking of the same slot ends as an
    IntegrityError on the partial unique index (rule 1), and the next interviewer is tried.
    """
    for lane_slot in availability.free_slots_at(slot):
        booking = Booking(slot=lane_slot, session_id=lane_slot.session_id, candidate=candidate, booked_by_id=by.id,
                          status=BookingStatus.CONFIRMED, uid=f"{uuid.uuid4()}@matchapp", sequence=0,
                          created_at=now, timed_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(booking)
        except IntegrityError:
            continue
        return booking
    return None


def claim_offer(raw: str, slot_id: int | None, *, now: datetime) -> offers.OfferAnswer:
    """Book the offered time (or, when it is gone, another free time of the same session) for the candidate:
    the first to answer gets it (rules 0 and 1, through book_slots); the others stay on the waiting list.

    Returns BOOKED with the booking, or GONE (with another time that fits, if any) when it was taken meanwhile;
    ALREADY_BOOKED or LEFT when the candidate has meanwhile got a time in the session or left the list.

    :raises OfferUnknown: no offer has this link.
    :raises OfferGone: the offer has been used or has expired.
    """
    seen = offers.find_offer(raw, now=now)
    locks.hold(sessions=[seen.slot.session_id], candidates=[seen.entry.candidate_id])
    offer = offers.find_offer(raw, now=now, lock=True)
    if offer.booking is not None:  # answered twice (a double click): the first answer stands
        return offers.OfferAnswer(offer, offers.BOOKED, booking=offer.booking)
    entry = offer.entry
    if entry.status != WaitStatus.WAITING:
        return offers.OfferAnswer(offer, offers.ALREADY_BOOKED if entry.status == WaitStatus.BOOKED else offers.LEFT)
    chosen = db.session.get(Slot, slot_id) if slot_id is not None else offer.slot
    if chosen is None or chosen.session_id != offer.slot.session_id:
        raise offers.OfferUnknown(_l("The time does not exist."))
    savepoint = db.session.begin_nested()  # a time taken meanwhile changes nothing
    try:
        result = book_slots(entry.candidate, [chosen.id], by=entry.candidate.user, now=now)
    except SelectionError as error:
        savepoint.rollback()
        slot, _problems = offers.fitting_slot(offer, now=now)
        return offers.OfferAnswer(offer, offers.GONE, slot, problems=error.problems)
    if not result.booked:
        savepoint.rollback()
        slot, _problems = offers.fitting_slot(offer, now=now)
        return offers.OfferAnswer(offer, offers.GONE, slot)
    savepoint.commit()
    offer.answered_at = now
    offer.booking = result.booked[0]
    audit.record(entry.candidate.user, "waitlist_offer_claimed", offer, now=now)
    return offers.OfferAnswer(offer, offers.BOOKED, booking=result.booked[0])


def cancel_booking(booking: Booking, *, reason: str | None, by: User | None, now: datetime,
                   clash: notifications.ClashNote | None = None) -> None:
    """Cancel a booking and free its slot at once (rule 8); everyone involved is told (by None: the app itself,
    when a retention job erases a candidate), with the clash that cancelled it when an employer's change did (rule 10).

    :raises Conflict: the booking is cancelled already.
    :raises MatchappError: a candidate cancels after the cutoff (rule 5).
    """
    locks.hold(sessions=[booking.session_id], candidates=[booking.candidate_id])
    if booking.status == BookingStatus.CANCELLED:
        raise Conflict(_l("The meeting is cancelled already."))
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    if by is not None and by.role == Role.CANDIDATE and now > booking.slot.starts_at - cutoff:
        raise MatchappError(_l("It is too late to cancel here. Please contact your consultant."))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by_id = by.id if by else None
    booking.cancel_reason = reason or None
    booking.sequence += 1
    db.session.flush()
    audit.record(by, "booking_cancelled", booking, now=now)
    notifications.tell_cancelled(booking, reason=reason, now=now, clash=clash)
    if booking.slot.status == SlotStatus.OPEN and booking.session.status == SessionStatus.PUBLISHED:
        offers.offer_free_times(booking.session, [booking.slot], now=now)


def move_to_free_lane(booking: Booking, slots: list[Slot]) -> bool:
    """Put the booking on the first of these slots it gets (one interviewer's slot each, rule 0); False when every
    one was booked meanwhile.

    Each slot is tried in its own savepoint: a concurrent booking of it ends as an IntegrityError on the partial
    unique index (rule 1), and the next one is tried.
    """
    for slot in slots:
        try:
            with db.session.begin_nested():
                booking.slot = slot
                db.session.flush()
        except IntegrityError:
            continue
        return True
    return False
