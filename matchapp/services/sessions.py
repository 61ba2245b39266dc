"""Interview sessions: planning their slots, publishing, cancelling."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import local_to_utc
from matchapp.models import (
    Booking,
    BookingStatus,
    Course,
    InterviewSession,
    MeetingMode,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
)
from matchapp.services import audit, locks, waitlist
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import Conflict, MatchappError, NotAllowed


@dataclass(frozen=True)
class SessionDraft:
    title: str
    description: str
    course_ids: list[int]
    local_date: date
    start_time: time
    end_time: time
    slot_minutes: int
    break_minutes: int
    interviewers: int
    mode: MeetingMode
    video_url: str | None
    address: str | None
    booking_closes_hours: int


@dataclass(frozen=True)
class PlannedSlot:
    lane: int
    starts_at: datetime
    ends_at: datetime


def plan_slots(draft: SessionDraft) -> list[PlannedSlot]:
    """The slots of a session: each lane split in real time from the session's start to its end, its wall-clock
    times read as calendars read them (localtime.local_to_utc).

    So every slot lasts its length and starts at a time the clock shows, on the nights the clocks change too: on the
    spring night 01:40-03:00 is a twenty-minute slot, and on the autumn night both 02:00s are slots. Changing and
    moving a published session plan their times with this function too (session_changes).
    """
    step = timedelta(minutes=draft.slot_minutes + draft.break_minutes)
    length = timedelta(minutes=draft.slot_minutes)
    starts_at = local_to_utc(draft.local_date, draft.start_time)
    ends_at = local_to_utc(draft.local_date, draft.end_time)
    planned = []
    while starts_at + length <= ends_at:
        planned += [PlannedSlot(lane, starts_at, starts_at + length) for lane in range(1, draft.interviewers + 1)]
        starts_at += step
    return planned


def _check_draft(draft: SessionDraft, *, now: datetime) -> list[PlannedSlot]:
    if draft.mode == MeetingMode.ONSITE and not draft.address:
        raise MatchappError(_l("Enter the address of the meeting."), field="address")
    planned = plan_slots(draft)
    if not planned:
        raise MatchappError(_l("The time is too short for one slot."), field="end_time")
    if planned[0].starts_at <= now:
        raise MatchappError(_l("The session must start in the future."), field="local_date")
    return planned


def _apply(session: InterviewSession, draft: SessionDraft, planned: list[PlannedSlot]) -> None:
    for field in ("title", "description", "local_date", "start_time", "end_time", "slot_minutes",
                  "break_minutes", "interviewers", "mode", "booking_closes_hours"):
        setattr(session, field, getattr(draft, field))
    session.video_url = draft.video_url if draft.mode == MeetingMode.VIDEO else None
    session.address = draft.address if draft.mode == MeetingMode.ONSITE else None
    session.courses = list(db.session.scalars(select(Course).where(Course.id.in_(draft.course_ids))))
    session.starts_at = planned[0].starts_at
    session.ends_at = max(slot.ends_at for slot in planned)
    session.slots = [Slot(lane=p.lane, starts_at=p.starts_at, ends_at=p.ends_at, status=SlotStatus.OPEN)
                     for p in planned]


def _as_saved(draft: SessionDraft) -> SessionDraft:
    """The draft as _apply stores it: courses in order, only the meeting type's own place."""
    return replace(draft, course_ids=sorted(set(draft.course_ids)),
                   video_url=draft.video_url if draft.mode == MeetingMode.VIDEO else None,
                   address=draft.address if draft.mode == MeetingMode.ONSITE else None)


def draft_of(session: InterviewSession) -> SessionDraft:
    """The draft a session was saved from."""
    return SessionDraft(
        title=session.title, description=session.description, course_ids=sorted(c.id for c in session.courses),
        local_date=session.local_date, start_time=session.start_time, end_time=session.end_time,
        slot_minutes=session.slot_minutes, break_minutes=session.break_minutes, interviewers=session.interviewers,
        mode=session.mode, video_url=session.video_url, address=session.address,
        booking_closes_hours=session.booking_closes_hours)


def create_session(draft: SessionDraft, *, by: User, now: datetime) -> InterviewSession:
    """Create a draft session with its slots.

    :raises MatchappError: the draft cannot give slots in the future, or lacks an address.
    """
    planned = _check_draft(draft, now=now)
    session = InterviewSession(employer_id=by.employer_id, created_by_id=by.id, status=SessionStatus.DRAFT,
                               created_at=now)
    _apply(session, draft, planned)
    db.session.add(session)
    db.session.flush()
    audit.record(by, "session_created", session, now=now)
    return session


def update_draft(session: InterviewSession, draft: SessionDraft, *, by: User, now: datetime) -> None:
    """Change a draft session and plan its slots again.

    :raises Conflict: the session is published or cancelled already.
    """
    if session.status != SessionStatus.DRAFT:
        raise Conflict(_l("Only a draft can be changed."))
    if _as_saved(draft) == draft_of(session):
        return  # saved again unchanged: nothing to plan anew, nothing to audit
    planned = _check_draft(draft, now=now)
    session.slots.clear()
    db.session.flush()
    _apply(session, draft, planned)
    db.session.flush()
    audit.record(by, "session_updated", session, now=now)


def publish_session(session: InterviewSession, *, by: User, now: datetime) -> None:
    """Open a draft session for booking.

    :raises NotAllowed: the organisation is not approved yet.
    :raises Conflict: the session is not a draft, or has already started.
    """
    if not session.employer.is_approved:
        raise NotAllowed(_l("Your organisation must be approved by the job centre before you can publish."))
    if session.status != SessionStatus.DRAFT:
        raise Conflict(_l("Only a draft can be published."))
    if session.starts_at <= now:
        raise Conflict(_l("The session has already started."))
    session.status = SessionStatus.PUBLISHED
    session.published_at = now
    audit.record(by, "session_published", session, now=now)


def _confirmed_bookings(slot_ids: list[int]) -> list[Booking]:
    return list(db.session.scalars(
        select(Booking).where(Booking.slot_id.in_(slot_ids), Booking.status == BookingStatus.CONFIRMED)
    ))


def cancel_slot(slot: Slot, reason: str, *, by: User, now: datetime) -> None:
    """Cancel one slot and its booking, and tell the candidate.

    :raises Conflict: the slot is cancelled already.
    """
    locks.hold_for_change([slot.session_id])  # rule 9
    if slot.status == SlotStatus.CANCELLED:
        raise Conflict(_l("The slot is cancelled already."))
    slot.status = SlotStatus.CANCELLED
    for booking in _confirmed_bookings([slot.id]):
        cancel_booking(booking, reason=reason, by=by, now=now)
    audit.record(by, "slot_cancelled", slot, now=now)


def cancel_session(session: InterviewSession, reason: str, *, by: User, now: datetime) -> int:
    """Cancel a whole session and all its bookings, telling every candidate; returns how many were booked.

    :raises Conflict: the session is cancelled already.
    """
    locks.hold_for_change([session.id])  # rule 9: a booking made meanwhile is cancelled below, or sees it cancelled
    if session.status == SessionStatus.CANCELLED:
        raise Conflict(_l("The session is cancelled already."))
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = now
    session.cancel_reason = reason
    bookings = _confirmed_bookings([slot.id for slot in session.slots])
    for slot in session.slots:
        slot.status = SlotStatus.CANCELLED
    for booking in bookings:
        cancel_booking(booking, reason=reason, by=by, now=now)
    waitlist.close_list(session, now=now)
    audit.record(by, "session_cancelled", session, now=now)
    return len(bookings)


def ensure_member(session: InterviewSession, user: User) -> None:
    """:raises NotAllowed: the user is not a member of the session's organisation."""
    if user.employer_id != session.employer_id:
        raise NotAllowed(_l("This session belongs to another organisation."))
