"""What a candidate can book: the free times, when booking closes, who is eligible, and whether a selection of
times passes the booking rules as a whole (rules 0 and 2-5 of docs/booking-rules.md). Reads only; changes nothing.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import local_day
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    Employer,
    Enrollment,
    InterviewSession,
    SessionStatus,
    Slot,
    SlotStatus,
)
from matchapp.models.course import CourseRun
from matchapp.models.session import session_course


@dataclass(frozen=True)
class FreeTime:
    """A time that can be booked in a session, and one free interviewer's slot that stands for it (rule 0)."""

    slot_id: int
    session_id: int
    starts_at: datetime


def booking_gap() -> timedelta:
    """The least time between two of a candidate's meetings (rule 2)."""
    return timedelta(minutes=current_app.config["BOOKING_GAP_MINUTES"])


def overlaps(a: Slot, b: Slot, gap: timedelta) -> bool:
    """Whether two meetings are closer than the gap (rule 2)."""
    return a.starts_at < b.ends_at + gap and b.starts_at < a.ends_at + gap


def closes_at(slot: Slot) -> datetime:
    """When booking the slot closes (rule 5)."""
    return slot.starts_at - timedelta(hours=slot.session.booking_closes_hours)


def slot_label(slot: Slot) -> str:
    """A slot as the rules' messages name it (rules 2-5): its time and employer."""
    return f"{formats.slot_time(slot.starts_at)} ({slot.session.employer.name})"


def completed_course_ids(candidate: Candidate) -> set[int]:
    """The courses the candidate has completed (rule 4)."""
    return completed_courses([candidate.id])[candidate.id]


def completed_courses(candidate_ids: list[int]) -> dict[int, set[int]]:
    """The courses each of these candidates has completed, in one query (rule 4)."""
    completed: dict[int, set[int]] = {candidate_id: set() for candidate_id in candidate_ids}
    rows = db.session.execute(
        select(Enrollment.candidate_id, CourseRun.course_id).join(CourseRun, Enrollment.course_run_id == CourseRun.id)
        .where(Enrollment.candidate_id.in_(candidate_ids), Enrollment.completed_at.is_not(None)))
    for candidate_id, course_id in rows:
        completed[candidate_id].add(course_id)
    return completed


def is_eligible(session: InterviewSession, course_ids: set[int]) -> bool:
    """Whether these completed courses let a candidate book the session (rule 4): one of its courses, or any
    completed course if it names none."""
    named = {course.id for course in session.courses}
    return bool(course_ids & named if named else course_ids)


def _eligible(session_alias, course_ids: set[int]):
    """SQL condition (rule 4): the candidate completed one of the session's courses, or any if it names none."""
    if not course_ids:
        return false()
    named = select(session_course.c.session_id).where(session_course.c.session_id == session_alias.id)
    return or_(~exists(named), exists(named.where(session_course.c.course_id.in_(course_ids))))


def confirmed_bookings(candidate: Candidate) -> list[Booking]:
    """The candidate's confirmed bookings, with slot, session and employer loaded (rules 2 and 3)."""
    return list(db.session.scalars(
        select(Booking).where(Booking.candidate_id == candidate.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.slot).selectinload(Slot.session).selectinload(InterviewSession.employer))
    ))


def bookable_sessions_query(candidate: Candidate, *, now: datetime) -> Select:
    """Published future sessions of approved employers that the candidate is eligible for (rule 4), soonest first."""
    return (
        select(InterviewSession).join(Employer)
        .where(InterviewSession.status == SessionStatus.PUBLISHED, InterviewSession.ends_at > now,
               Employer.approved_at.is_not(None), _eligible(InterviewSession, completed_course_ids(candidate)))
        .options(contains_eager(InterviewSession.employer), selectinload(InterviewSession.courses))
        .order_by(InterviewSession.starts_at, InterviewSession.id)
    )


def bookable_sessions(candidate: Candidate, *, now: datetime) -> list[InterviewSession]:
    """The sessions of bookable_sessions_query, as a list (rule 4)."""
    return list(db.session.scalars(bookable_sessions_query(candidate, now=now)))


def offer_key(session: InterviewSession) -> tuple:
    """What makes sessions one offer to candidates (rule 3): the same employer and job, met the same way for as
    long. A candidate talks to an employer about a job once, on whichever of its days."""
    return session.employer_id, session.title, session.mode, session.address, session.slot_minutes


def sessions_to_offer(candidate: Candidate, *, now: datetime) -> list[list[InterviewSession]]:
    """What the find page offers: the bookable sessions, grouped by offer_key, soonest offer first; left out are
    the employers' jobs the candidate has a meeting about already (rule 3, and its other days)."""
    other = aliased(InterviewSession)
    met = exists().where(Booking.session_id == other.id, Booking.candidate_id == candidate.id,
                         Booking.status == BookingStatus.CONFIRMED, other.employer_id == InterviewSession.employer_id,
                         other.title == InterviewSession.title)
    offers: dict[tuple, list[InterviewSession]] = {}
    for session in db.session.scalars(bookable_sessions_query(candidate, now=now).where(~met)):
        offers.setdefault(offer_key(session), []).append(session)
    return list(offers.values())


def free_times(sessions: list[InterviewSession], *, now: datetime) -> dict[int, list[FreeTime]]:
    """For each session, its start times with a free interviewer that can still be booked, in order (rules 0
    and 5): one row per time from the database, not one object per interviewer's slot."""
    closes = {session.id: timedelta(hours=session.booking_closes_hours) for session in sessions}
    by_session: dict[int, list[FreeTime]] = {session_id: [] for session_id in closes}
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    rows = db.session.execute(
        select(Slot.session_id, Slot.starts_at, func.min(Slot.id))
        .where(Slot.session_id.in_(closes), Slot.status == SlotStatus.OPEN, ~taken)
        .group_by(Slot.session_id, Slot.starts_at).order_by(Slot.starts_at, Slot.session_id)
    )
    for session_id, starts_at, slot_id in rows:
        if starts_at - closes[session_id] > now:
            by_session[session_id].append(FreeTime(slot_id, session_id, starts_at))
    return by_session


def free_slots(sessions: list[InterviewSession], *, now: datetime) -> dict[int, list[Slot]]:
    """For each session, its open slots without a confirmed booking that can still be booked (rules 1 and 5)."""
    by_session: dict[int, list[Slot]] = {session.id: [] for session in sessions}
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    slots = db.session.scalars(
        select(Slot).where(Slot.session_id.in_(by_session), Slot.status == SlotStatus.OPEN, ~taken)
        .order_by(Slot.starts_at, Slot.lane)
    )
    for slot in slots:
        if closes_at(slot) > now:
            by_session[slot.session_id].append(slot)
    return by_session


def free_slots_at(slot: Slot) -> list[Slot]:
    """The open slots without a confirmed booking in the slot's session that start when it does: one per free
    interviewer (rule 0), in the interviewers' order."""
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    return list(db.session.scalars(
        select(Slot).where(Slot.session_id == slot.session_id, Slot.starts_at == slot.starts_at,
                           Slot.status == SlotStatus.OPEN, ~taken).order_by(Slot.lane)
    ))


def load_slots(slot_ids: list[int]) -> list[Slot]:
    """The slots with these ids, with session, employer, creator and courses loaded; unknown ids are left out
    (rule 6: the selection is checked as a whole)."""
    return list(db.session.scalars(
        select(Slot).where(Slot.id.in_(slot_ids))
        .options(joinedload(Slot.session).options(joinedload(InterviewSession.employer),
                                                  joinedload(InterviewSession.created_by),
                                                  selectinload(InterviewSession.courses)))
        .order_by(Slot.starts_at)
    ))


def check_selection(candidate: Candidate, slots: list[Slot], *, now: datetime,
                    moving: Booking | None = None) -> list[str]:
    """Every reason why this selection cannot be booked as a whole (rules 2-5); empty when it can. When `moving`
    a booking, the selection is its new time and the booking itself is left out, as if booked anew."""
    if not slots:
        return [str(_l("Choose at least one time."))]
    course_ids = completed_course_ids(candidate)
    existing = [booking for booking in confirmed_bookings(candidate) if moving is None or booking.id != moving.id]
    booked_sessions = {booking.session_id for booking in existing}
    booked = [booking.slot for booking in existing]
    problems: list[str] = []
    for slot in slots:
        problems += _slot_problems(slot, course_ids, booked_sessions, now=now)
    return [*problems, *_twice_in_a_session(slots), *_too_close(slots, booked), *_over_daily_cap(slots, booked)]


def _slot_problems(slot: Slot, course_ids: set[int], booked_sessions: set[int], *, now: datetime) -> list[str]:
    """Why this one time cannot be booked: no longer offered (rule 0) or closed (rule 5), for other courses
    (rule 4), or in a session the candidate has a meeting in already (rule 3)."""
    problems = []
    session = slot.session
    if session.status != SessionStatus.PUBLISHED or not _time_offered(slot):
        problems.append(str(_l("%(slot)s is no longer offered.", slot=slot_label(slot))))
    elif closes_at(slot) <= now:
        problems.append(str(_l("Booking for %(slot)s has closed.", slot=slot_label(slot))))
    if not is_eligible(session, course_ids):
        problems.append(str(_l("%(slot)s is for participants of other courses.", slot=slot_label(slot))))
    if session.id in booked_sessions:
        problems.append(str(_l("You already have a meeting in the session at %(employer)s.",
                               employer=session.employer.name)))
    return problems


def _time_offered(slot: Slot) -> bool:
    """Some interviewer still offers the slot's time (rule 0), even when this slot itself is cancelled."""
    return slot.status == SlotStatus.OPEN or bool(db.session.scalar(select(exists().where(
        Slot.session_id == slot.session_id, Slot.starts_at == slot.starts_at, Slot.status == SlotStatus.OPEN))))


def _twice_in_a_session(slots: list[Slot]) -> list[str]:
    """One problem per session chosen more than once (rule 3), in the order of the selection."""
    per_session = Counter(slot.session_id for slot in slots)
    problems = []
    for slot in slots:
        if per_session[slot.session_id] > 1:
            problems.append(str(_l("Choose only one time at %(employer)s.", employer=slot.session.employer.name)))
            per_session[slot.session_id] = 0
    return problems


def _too_close(slots: list[Slot], booked: list[Slot]) -> list[str]:
    """Each chosen time closer than the gap to another chosen time or to one of the candidate's meetings
    (rule 2), soonest first."""
    gap = booking_gap()
    ordered = sorted(slots, key=lambda s: s.starts_at)
    problems = []
    for i, slot in enumerate(ordered):
        problems += [str(_l("%(a)s and %(b)s are too close together.", a=slot_label(slot), b=slot_label(other)))
                     for other in ordered[i + 1:] if overlaps(slot, other, gap)]
        problems += [str(_l("%(a)s is too close to your meeting %(b)s.", a=slot_label(slot), b=slot_label(mine)))
                     for mine in booked if overlaps(slot, mine, gap)]
    return problems


def _over_daily_cap(slots: list[Slot], booked: list[Slot]) -> list[str]:
    """Each day on which the chosen times and the candidate's meetings pass the daily cap (rule 5)."""
    cap = current_app.config["DAILY_BOOKING_CAP"]
    per_day = Counter(local_day(slot.starts_at) for slot in [*booked, *slots])
    return [str(_l("You can have at most %(cap)d meetings on %(day)s.", cap=cap, day=formats.day_month(day)))
            for day, count in sorted(per_day.items()) if count > cap]
