"""Read-only queries for the employer pages, each a fixed number of SQL statements."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.models import Booking, BookingStatus, Candidate, Course, CourseRun, Enrollment, InterviewSession, Slot


def slot_counts(session_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each session: (slots, slots with a confirmed booking)."""
    confirmed = case((Booking.status == BookingStatus.CONFIRMED, 1))
    rows = db.session.execute(
        select(Slot.session_id, func.count(func.distinct(Slot.id)), func.count(confirmed))
        .outerjoin(Booking, Booking.slot_id == Slot.id)
        .where(Slot.session_id.in_(session_ids)).group_by(Slot.session_id)
    )
    return {session_id: (slots, booked) for session_id, slots, booked in rows}


@dataclass
class SlotRow:
    slot: Slot
    booking: Booking | None = None
    courses: list[str] = field(default_factory=list)


def lanes_with_bookings(session: InterviewSession) -> dict[int, list[SlotRow]]:
    """The session's slots by lane, each with its confirmed booking and the candidate's completed courses."""
    bookings = {b.slot_id: b for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.candidate).selectinload(Candidate.user)))}
    courses: dict[int, list[str]] = {}
    candidate_ids = [b.candidate_id for b in bookings.values()]
    for candidate_id, name in db.session.execute(
        select(Enrollment.candidate_id, Course.name).join(CourseRun, Enrollment.course_run_id == CourseRun.id)
        .join(Course, CourseRun.course_id == Course.id)
        .where(Enrollment.candidate_id.in_(candidate_ids), Enrollment.completed_at.is_not(None))
        .order_by(Course.name)
    ):
        courses.setdefault(candidate_id, []).append(name)
    lanes: dict[int, list[SlotRow]] = {}
    for slot in session.slots:
        booking = bookings.get(slot.id)
        lanes.setdefault(slot.lane, []).append(
            SlotRow(slot, booking, courses.get(booking.candidate_id, []) if booking else []))
    return lanes
