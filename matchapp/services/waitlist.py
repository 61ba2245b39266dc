"""Waiting lists: a candidate (or their consultant for them) waits for a free time in a full session.

The database carries the invariant: one waiting entry per candidate and session (a partial unique index), so two
joins at once end as one entry and a clean "already waiting" answer.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    InterviewSession,
    Role,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
)
from matchapp.services import audit, availability
from matchapp.services.errors import Conflict, MatchappError, NotAllowed


class NotEligible(MatchappError):
    """The candidate has not completed a course the session is for (rule 4)."""


class AlreadyWaiting(Conflict):
    """The candidate is on the session's waiting list already."""


class AlreadyBooked(Conflict):
    """The candidate has a meeting in the session already (rule 3)."""


class ListClosed(Conflict):
    """The session is not published, or booking for it has closed: nothing to wait for."""


class TimesFree(Conflict):
    """The session has free times: book one instead of waiting."""


def _may_act_for(by: User, candidate: Candidate, session: InterviewSession | None = None) -> bool:
    """The candidate themself, a consultant of their job centre (or an admin), or - for the session's own
    employer whose change cancelled the candidate's meeting - a member of that employer."""
    if by.role == Role.CANDIDATE:
        return by.id == candidate.user_id
    if by.role == Role.CONSULTANT:
        return by.jobcenter_id == candidate.jobcenter_id
    if by.role == Role.EMPLOYER:
        return session is not None and by.employer_id == session.employer_id
    return by.role == Role.ADMIN


def booking_closes_at(session: InterviewSession) -> datetime | None:
    """When the session's last open time stops taking bookings (rule 5); None when it has no open time."""
    last_start = db.session.scalar(
        select(func.max(Slot.starts_at)).where(Slot.session_id == session.id, Slot.status == SlotStatus.OPEN))
    if last_start is None:
        return None
    return last_start - timedelta(hours=session.booking_closes_hours)


def _has_meeting(candidate: Candidate, session: InterviewSession) -> bool:
    return bool(db.session.scalar(select(exists().where(
        Booking.session_id == session.id, Booking.candidate_id == candidate.id,
        Booking.status == BookingStatus.CONFIRMED))))


def _is_waiting(candidate: Candidate, session: InterviewSession) -> bool:
    return bool(db.session.scalar(select(exists().where(
        WaitlistEntry.session_id == session.id, WaitlistEntry.candidate_id == candidate.id,
        WaitlistEntry.status == WaitStatus.WAITING))))


def is_open(session: InterviewSession, *, now: datetime) -> bool:
    """Whether the session's waiting list takes candidates: published, by an approved employer, and its last open
    time still taking bookings (rule 5)."""
    closes_at = booking_closes_at(session)
    return (session.status == SessionStatus.PUBLISHED and session.employer.approved_at is not None
            and closes_at is not None and closes_at > now)


def join(session: InterviewSession, candidate: Candidate, *, by: User, now: datetime,
         first: bool = False) -> WaitlistEntry:
    """Put the candidate on the session's waiting list: eligible (rule 4), no meeting there yet (rule 3),
    the session published and still taking bookings (rule 5), and full when a candidate or consultant asks.
    `first`: ahead of everyone who joined the usual way (the employer's move cancelled the candidate's meeting,
    rule 10); offers take such entries first.

    :raises NotAllowed: `by` may not act for this candidate.
    :raises ListClosed: the session is not published, or booking for it has closed.
    :raises NotEligible: the candidate has not completed one of the session's courses.
    :raises AlreadyBooked: the candidate has a meeting in the session.
    :raises AlreadyWaiting: the candidate is on the list already (also when two joins race).
    :raises TimesFree: the session has free times (not raised for the employer's own change).
    """
    if not _may_act_for(by, candidate, session):
        raise NotAllowed(_l("You cannot do this for this person."))
    if not is_open(session, now=now):
        raise ListClosed(_l("Booking for this session has closed."))
    if not availability.is_eligible(session, availability.completed_course_ids(candidate)):
        raise NotEligible(_l("This session is for participants of other courses."))
    if _has_meeting(candidate, session):
        raise AlreadyBooked(_l("There is already a meeting in this session."))
    if _is_waiting(candidate, session):
        raise AlreadyWaiting(_l("You are already on the waiting list."))
    if by.role != Role.EMPLOYER and availability.free_slots([session], now=now)[session.id]:
        raise TimesFree(_l("There are free times in this session. Choose one of them."))
    entry = WaitlistEntry(session=session, candidate=candidate, added_by_id=by.id, status=WaitStatus.WAITING,
                          created_at=now, first_in_line=first)
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:
        raise AlreadyWaiting(_l("You are already on the waiting list.")) from None
    audit.record(by, "waitlist_joined", entry, now=now)
    return entry


def leave(entry: WaitlistEntry, *, by: User, now: datetime) -> None:
    """Take the candidate off the waiting list (by themself or their consultant).

    :raises NotAllowed: `by` may not act for this candidate.
    :raises Conflict: the entry is no longer waiting.
    """
    if not _may_act_for(by, entry.candidate):
        raise NotAllowed(_l("You cannot do this for this person."))
    if entry.status != WaitStatus.WAITING:
        raise Conflict(_l("You are no longer on this waiting list."))
    entry.status = WaitStatus.LEFT
    entry.ended_at = now
    db.session.flush()
    audit.record(by, "waitlist_left", entry, now=now)


def end_waiting(candidate: Candidate, session_ids: list[int], status: WaitStatus, *, now: datetime) -> None:
    """Take the candidate off the waiting lists of these sessions (they got a time there, or left)."""
    if not session_ids:
        return
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.candidate_id == candidate.id, WaitlistEntry.session_id.in_(session_ids),
               WaitlistEntry.status == WaitStatus.WAITING)
        .values(status=status, ended_at=now)
        .execution_options(synchronize_session=False)
    )


def close_list(session: InterviewSession, *, now: datetime) -> None:
    """Everyone leaves the list of a cancelled session: no time will free there."""
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.session_id == session.id, WaitlistEntry.status == WaitStatus.WAITING)
        .values(status=WaitStatus.LEFT, ended_at=now)
        .execution_options(synchronize_session=False)
    )


def forget_candidate(candidate: Candidate, *, now: datetime) -> None:
    """For an erasure: the candidate leaves every list, and their offers' links stop working (the token hashes go;
    the rows stay, so that the refill figures stay the same)."""
    db.session.execute(
        update(WaitlistEntry)
        .where(WaitlistEntry.candidate_id == candidate.id, WaitlistEntry.status == WaitStatus.WAITING)
        .values(status=WaitStatus.LEFT, ended_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(WaitlistOffer)
        .where(WaitlistOffer.entry_id.in_(select(WaitlistEntry.id).where(WaitlistEntry.candidate_id == candidate.id)))
        .values(token_hash=None)
        .execution_options(synchronize_session=False)
    )


def waiting_counts(session_ids: list[int]) -> dict[int, int]:
    """How many candidates wait, per session (sessions nobody waits for are left out)."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(WaitlistEntry.session_id, func.count())
        .where(WaitlistEntry.session_id.in_(session_ids), WaitlistEntry.status == WaitStatus.WAITING)
        .group_by(WaitlistEntry.session_id)
    )
    return {session_id: count for session_id, count in rows}


def waiting_entries(candidate: Candidate, *, now: datetime | None = None) -> list[WaitlistEntry]:
    """The candidate's waiting entries, soonest session first, with session and employer loaded; with `now`,
    only those of sessions that have not ended."""
    query = (
        select(WaitlistEntry).join(InterviewSession, WaitlistEntry.session_id == InterviewSession.id)
        .where(WaitlistEntry.candidate_id == candidate.id, WaitlistEntry.status == WaitStatus.WAITING)
        .options(selectinload(WaitlistEntry.session).selectinload(InterviewSession.employer))
        .order_by(InterviewSession.starts_at, InterviewSession.id)
    )
    if now is not None:
        query = query.where(InterviewSession.ends_at > now)
    return list(db.session.scalars(query))


def open_for_waiting(session_ids: list[int], *, now: datetime) -> set[int]:
    """Those of these sessions whose last open time still takes bookings (rule 5): a list worth joining."""
    if not session_ids:
        return set()
    rows = db.session.execute(
        select(Slot.session_id, InterviewSession.booking_closes_hours, func.max(Slot.starts_at))
        .join(InterviewSession, Slot.session_id == InterviewSession.id)
        .where(Slot.session_id.in_(session_ids), Slot.status == SlotStatus.OPEN)
        .group_by(Slot.session_id, InterviewSession.booking_closes_hours)
    )
    return {session_id for session_id, hours, last_start in rows if last_start - timedelta(hours=hours) > now}


def waiting_in(candidate: Candidate, session_ids: list[int]) -> dict[int, WaitlistEntry]:
    """The candidate's waiting entries among these sessions, by session id."""
    if not session_ids:
        return {}
    entries = db.session.scalars(select(WaitlistEntry).where(
        WaitlistEntry.candidate_id == candidate.id, WaitlistEntry.session_id.in_(session_ids),
        WaitlistEntry.status == WaitStatus.WAITING))
    return {entry.session_id: entry for entry in entries}
