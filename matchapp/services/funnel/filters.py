"""The dashboard's filter and what it selects: the completions of the chosen runs, the sessions held in the period
and aimed at the chosen course, and the bookings of the chosen job centre's candidates."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, FromClause, or_, select

from matchapp.models import (
    BookingFigure,
    CompletionFigure,
    Course,
    CourseBookingFigure,
    CourseRun,
    Enrollment,
)
from matchapp.models.session import session_course
from matchapp.services import figures


@dataclass(frozen=True)
class FunnelFilter:
    """What the dashboard shows: None means all. The period bounds the course runs' end dates (and sessions' dates)."""

    jobcenter_id: int | None = None
    course_id: int | None = None
    course_run_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None


def run_conditions(f: FunnelFilter) -> list[ColumnElement]:
    """Completions of the chosen job centre's, course's and run's runs, ending within the period."""
    done = CompletionFigure
    conditions = []
    if f.jobcenter_id is not None:
        conditions.append(done.jobcenter_id == f.jobcenter_id)
    if f.course_id is not None:
        conditions.append(done.course_id == f.course_id)
    if f.course_run_id is not None:
        conditions.append(done.course_run_id == f.course_run_id)
    if f.period_from is not None:
        conditions.append(done.run_ends_on >= f.period_from)
    if f.period_to is not None:
        conditions.append(done.run_ends_on <= f.period_to)
    return conditions


def chosen_courses(f: FunnelFilter):
    """The chosen course (or the chosen run's course) as a subquery, or None when all courses are shown."""
    if f.course_run_id is not None:
        return select(CourseRun.course_id).where(CourseRun.id == f.course_run_id).scalar_subquery()
    if f.course_id is not None:
        return select(Course.id).where(Course.id == f.course_id).scalar_subquery()
    return None


def session_conditions(f: FunnelFilter, session_id, local_date) -> list[ColumnElement]:
    """Sessions held in the period, aimed at the chosen course (or the chosen run's course) or open to any course."""
    conditions = []
    if f.period_from is not None:
        conditions.append(local_date >= f.period_from)
    if f.period_to is not None:
        conditions.append(local_date <= f.period_to)
    course = chosen_courses(f)
    if course is not None:
        conditions.append(or_(
            session_id.in_(select(session_course.c.session_id).where(session_course.c.course_id == course)),
            session_id.not_in(select(session_course.c.session_id))))
    return conditions


def per_session_conditions(f: FunnelFilter, per_session: FromClause) -> list[ColumnElement]:
    """`session_conditions` for a table of figures per session (its columns session_id and local_date)."""
    return session_conditions(f, per_session.c.session_id, per_session.c.local_date)


def course_conditions(f: FunnelFilter, course_id) -> list[ColumnElement]:
    """Rows per course of the chosen course, or of sessions open to any course (course None)."""
    course = chosen_courses(f)
    return [] if course is None else [or_(course_id == course, course_id.is_(None))]


def booking_figures(f: FunnelFilter, *, by_course: bool = False) -> tuple[FromClause, list[ColumnElement]]:
    """The per-session booking figures to count (once per course a session is aimed at, if by course), and the
    condition for the chosen job centre's candidates.

    With a run chosen only its completers' bookings count: few enough to aggregate on the spot, with the same
    queries that fill the figure tables."""
    if f.course_run_id is None:
        bookings = (CourseBookingFigure if by_course else BookingFigure).__table__
    else:
        bookings = figures.booking_facts(select(Enrollment.candidate_id).where(
            Enrollment.course_run_id == f.course_run_id, Enrollment.completed_at.is_not(None))).subquery("bookings")
        if by_course:
            bookings = figures.course_booking_facts(bookings).subquery("course_bookings")
    return bookings, [bookings.c.jobcenter_id == f.jobcenter_id] if f.jobcenter_id is not None else []
