"""How many freed times were booked again, and how many of those through the waiting list: one figure set for the
consultants' dashboard, counted in one statement with the dashboard's filter.

- Freed: a confirmed booking cancelled before its meeting while its slot stayed open in a published session.
- Refilled: a freed booking after which a confirmed booking was made at the same time of the same session (any
  interviewer, rule 0).
- Through the waiting list: a refill booked by answering a waiting-list offer.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import aliased

from matchapp.extensions import db
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    InterviewSession,
    SessionStatus,
    Slot,
    SlotStatus,
    WaitlistOffer,
)
from matchapp.services.funnel.filters import FunnelFilter, session_conditions


@dataclass(frozen=True)
class RefillFigures:
    freed: int
    refilled: int
    through_waitlist: int


def _conditions(f: FunnelFilter) -> list:
    """The dashboard's filter: the job centre of the candidate who cancelled; sessions as the dashboard counts them
    (held in the period, aimed at the chosen course or open to any course)."""
    jobcenter = [Candidate.jobcenter_id == f.jobcenter_id] if f.jobcenter_id is not None else []
    return [*jobcenter, *session_conditions(f, InterviewSession.id, InterviewSession.local_date)]


def refill_figures(f: FunnelFilter) -> RefillFigures:
    """Freed times, those refilled, and those refilled through the waiting list (see the module's definitions)."""
    freed, freed_slot = aliased(Booking), aliased(Slot)
    refill, refill_slot = aliased(Booking), aliased(Slot)
    later = (select(refill.id).join(refill_slot, refill.slot_id == refill_slot.id)
             .where(refill.session_id == freed.session_id, refill_slot.starts_at == freed_slot.starts_at,
                    refill.status == BookingStatus.CONFIRMED, refill.created_at >= freed.cancelled_at))
    through_offer = later.where(exists().where(WaitlistOffer.booking_id == refill.id))
    freed_count, refilled, through_waitlist = db.session.execute(
        select(func.count(), func.sum(case((exists(later), 1), else_=0)),
               func.sum(case((exists(through_offer), 1), else_=0)))
        .select_from(freed)
        .join(freed_slot, freed.slot_id == freed_slot.id)
        .join(InterviewSession, InterviewSession.id == freed.session_id)
        .join(Candidate, Candidate.id == freed.candidate_id)
        .where(freed.status == BookingStatus.CANCELLED, freed.cancelled_at < freed_slot.starts_at,
               freed_slot.status == SlotStatus.OPEN, InterviewSession.status == SessionStatus.PUBLISHED,
               *_conditions(f))
    ).one()
    return RefillFigures(freed_count, refilled or 0, through_waitlist or 0)
