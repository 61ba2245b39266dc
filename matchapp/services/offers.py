"""Offers from the waiting list: a freed or added time is offered by e-mail to the session's waiting candidates in
the order they joined (those the employer's move put first in line before the others); a link in the e-mail books
it if it is still free, and the first to answer gets it.

This module sits below services/booking.py: booking.cancel_booking offers the freed time here, and
booking.claim_offer books the time an offer's link answers for.
"""
from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matchapp import mail
from matchapp.extensions import db
from matchapp.models import (
    Booking,
    InterviewSession,
    SessionStatus,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
)
from matchapp.services import audit, availability, webhooks
from matchapp.services.errors import MatchappError

OPEN, GONE, BOOKED, ALREADY_BOOKED, LEFT = "open", "gone", "booked", "already_booked", "left"


class OfferUnknown(MatchappError):
    """No offer has this link (maps to 404)."""


class OfferGone(MatchappError):
    """The offer has expired or has been used (maps to 410)."""


@dataclass(frozen=True)
class OfferAnswer:
    """What the offer's page shows: its state (OPEN, GONE, BOOKED, ALREADY_BOOKED, LEFT), the time to book (the
    offered one, or another free time of the session that fits when it is gone), the booking made, and why the
    time cannot be booked."""

    offer: WaitlistOffer
    state: str
    slot: Slot | None = None
    booking: Booking | None = None
    problems: list[str] = field(default_factory=list)


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _offerable(session: InterviewSession, slot: Slot, *, now: datetime) -> bool:
    """The slot's time is free (an interviewer at it, rule 0) and can still be booked: never within the cut-off."""
    return (session.status == SessionStatus.PUBLISHED and slot.session_id == session.id
            and slot.status == SlotStatus.OPEN and availability.closes_at(slot) > now
            and bool(availability.free_slots_at(slot)))


def _open_offers(session: InterviewSession, *, now: datetime) -> list[WaitlistOffer]:
    """The session's offers that can still be answered: not answered, not expired, to someone still waiting."""
    return list(db.session.scalars(
        select(WaitlistOffer).join(Slot).join(WaitlistEntry)
        .where(Slot.session_id == session.id, WaitlistOffer.answered_at.is_(None), WaitlistOffer.expires_at > now,
               WaitlistEntry.status == WaitStatus.WAITING)
        .options(selectinload(WaitlistOffer.slot))
    ))


def offer_free_times(session: InterviewSession, slots: list[Slot], *, now: datetime) -> int:
    """Offer the free slots (freed by a cancellation or a move, or added by the employer) to the session's waiting
    candidates; returns how many offers were made.

    Candidates are taken in the order they joined, those first in line (waitlist.join's `first`, rule 10) before
    everyone else; each gets at most one offer per call, for the time that fits them (every booking rule, checked by
    availability.check_selection) and has the fewest open offers, and each time gets at most
    WAITLIST_OFFERS_PER_TIME open offers. An offer expires when booking for its time closes.
    """
    times: dict[datetime, Slot] = {}
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.lane)):
        if slot.starts_at not in times and _offerable(session, slot, now=now):
            times[slot.starts_at] = slot
    if not times:
        return 0
    cap = current_app.config["WAITLIST_OFFERS_PER_TIME"]
    already = _open_offers(session, now=now)
    counts = Counter(offer.slot.starts_at for offer in already if offer.slot.starts_at in times)
    offered = {(offer.entry_id, offer.slot.starts_at) for offer in already}
    entries = db.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.session_id == session.id, WaitlistEntry.status == WaitStatus.WAITING)
        .order_by(WaitlistEntry.first_in_line.desc(), WaitlistEntry.created_at, WaitlistEntry.id)
    )
    made = 0
    for entry in entries:
        if all(counts[start] >= cap for start in times):
            break
        if not mail.may_receive(entry.candidate.user, "waitlist_offer"):
            continue
        fitting = [slot for start, slot in times.items()
                   if counts[start] < cap and (entry.id, start) not in offered
                   and not availability.check_selection(entry.candidate, [slot], now=now)]
        if fitting:
            slot = min(fitting, key=lambda s: (counts[s.starts_at], s.starts_at))
            _make_offer(entry, slot, now=now)
            counts[slot.starts_at] += 1
            made += 1
    return made


def _make_offer(entry: WaitlistEntry, slot: Slot, *, now: datetime) -> WaitlistOffer:
    """Store the offer (only the hash of its link's token) and e-mail the link to the candidate."""
    raw = secrets.token_urlsafe(32)
    offer = WaitlistOffer(entry=entry, slot=slot, token_hash=_token_hash(raw), created_at=now,
                          expires_at=availability.closes_at(slot))
    db.session.add(offer)
    db.session.flush()
    audit.record(None, "waitlist_offer_made", offer, now=now)
    mail.queue(entry.candidate.user, "waitlist_offer", now=now, offer=offer, slot=slot, session=slot.session,
               link=mail.external_url("offers.offer", token=raw))
    webhooks.waitlist_offered(offer, now=now)
    return offer


def find_offer(raw: str, *, now: datetime, lock: bool = False) -> WaitlistOffer:
    """The offer of this link, if it can still be answered (with `lock`, locked for the answer: rule 1).

    :raises OfferUnknown: no offer has this link.
    :raises OfferGone: the offer has been used or has expired.
    """
    query = select(WaitlistOffer).where(WaitlistOffer.token_hash == _token_hash(raw))
    if lock:  # two answers to one link (a double click) are taken one after the other (PostgreSQL)
        query = query.with_for_update().execution_options(populate_existing=True)
    offer = db.session.scalar(query)
    if offer is None:
        raise OfferUnknown(_l("The link does not exist."))
    if offer.booking_id is None and (offer.answered_at is not None or offer.expires_at <= now):
        raise OfferGone(_l("The link has expired or has been used."))
    return offer  # one that booked keeps showing what it booked: a reload of the answer loses nothing


def fitting_slot(offer: WaitlistOffer, *, now: datetime) -> tuple[Slot | None, list[str]]:
    """The offered time if it is free and fits the candidate (rules 0 and 2-5); else the free time of the session
    nearest to it that fits (None if there is none), and why the offered time cannot be booked."""
    candidate, slot = offer.entry.candidate, offer.slot
    if _offerable(slot.session, slot, now=now):
        problems = availability.check_selection(candidate, [slot], now=now)
        if not problems:
            return slot, []
    else:
        problems = []
    others = [s for s in availability.free_slots([slot.session], now=now)[slot.session_id]
              if s.starts_at != slot.starts_at and not availability.check_selection(candidate, [s], now=now)]
    return min(others, key=lambda s: abs(s.starts_at - slot.starts_at), default=None), problems


def look_up(raw: str, *, now: datetime) -> OfferAnswer:
    """What the offer's link shows, changing nothing (mail scanners open links).

    :raises OfferUnknown: no offer has this link.
    :raises OfferGone: the offer has been used or has expired.
    """
    offer = find_offer(raw, now=now)
    if offer.booking is not None:
        return OfferAnswer(offer, BOOKED, booking=offer.booking)
    if offer.entry.status == WaitStatus.BOOKED:
        return OfferAnswer(offer, ALREADY_BOOKED)
    if offer.entry.status == WaitStatus.LEFT:
        return OfferAnswer(offer, LEFT)
    slot, problems = fitting_slot(offer, now=now)
    return OfferAnswer(offer, OPEN if slot is offer.slot else GONE, slot, problems=problems)

