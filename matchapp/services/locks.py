"""Rule 9 of docs/booking-rules.md: one locking order for every write that touches a session's times or bookings.

A write first holds, in this order and each kind in id order,

1. the rows of the sessions it touches: *shared* by a write for one candidate (booking, cancelling, moving a meeting,
   accepting an offer), so that candidates book side by side; *exclusive* by a change of the session itself
   (cancel, move, times, place, interviewer), so that no booking is written while the session changes;
2. the rows of the candidates whose meetings it writes (one candidate's writes one at a time: rules 2-4 are checked
   on a stable set of meetings);

and only then reads and writes slots, bookings and offers. A booking therefore either happens before a change (and
the change sees it: a CANCEL, or an updated invite with SEQUENCE + 1) or after it (and sees the cancelled session or
the new time). Nobody waits for a lock while holding one later in the order, so two writers never deadlock.

Every write names everything it will touch in one call, at its start; a write called inside another names a part of
what is held already (taking a lock again is free). A transaction of several writes (the retention job erasing many
candidates) names them all first. On SQLite the transaction holds the database's one write lock already
(BEGIN IMMEDIATE, matchapp/database.py), and FOR SHARE / FOR UPDATE are left out.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from matchapp.extensions import db
from matchapp.models import Booking, BookingStatus, Candidate, InterviewSession, Slot


def hold(*, sessions: Iterable[int] = (), candidates: Iterable[int] = (), change: bool = False) -> None:
    """Hold the sessions' rows (exclusive when `change`, else shared), then the candidates' rows, each in id order,
    until the transaction ends (rule 9); then everything read before is read again, as the last writer left it."""
    db.session.flush()
    session_ids, candidate_ids = sorted(set(sessions)), sorted(set(candidates))
    if session_ids:
        # FOR NO KEY UPDATE: exclusive, yet it lets others insert bookings that refer to the session once it is theirs.
        db.session.execute(select(InterviewSession.id).where(InterviewSession.id.in_(session_ids))
                           .order_by(InterviewSession.id)
                           .with_for_update(read=not change, key_share=change))
    if candidate_ids:
        db.session.execute(select(Candidate.id).where(Candidate.id.in_(candidate_ids)).order_by(Candidate.id)
                           .with_for_update())
    db.session.expire_all()


def hold_for_change(sessions: Iterable[int]) -> None:
    """Hold the sessions exclusively, then the candidates of their confirmed bookings (rule 9), for a change of the
    sessions themselves that may cancel, move or re-time any of their meetings."""
    session_ids = sorted(set(sessions))
    hold(sessions=session_ids, change=True)
    booked = db.session.scalars(select(Booking.candidate_id).where(
        Booking.session_id.in_(session_ids), Booking.status == BookingStatus.CONFIRMED)).all()
    hold(sessions=session_ids, candidates=booked, change=True)


def hold_for_candidates(candidates: Iterable[int], *, now: datetime) -> None:
    """Hold the sessions of the candidates' future confirmed meetings, then the candidates (rule 9), for writes that
    cancel all of them (an erasure)."""
    candidate_ids = sorted(set(candidates))
    meetings = db.session.scalars(
        select(Booking.session_id).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.candidate_id.in_(candidate_ids), Booking.status == BookingStatus.CONFIRMED,
               Slot.starts_at > now)).all()
    hold(sessions=meetings, candidates=candidate_ids)
