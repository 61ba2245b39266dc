"""Rebuilding the dashboard's figure tables (`models.figures`) from the bookings, outcomes and follow-ups.

A meeting's outcome is the record the figures count (`outcomes.counted_outcomes`): the consultant's where there is
one, else the employer's.

The dashboard would otherwise join every booking on every request; at 100,000 bookings that takes seconds. The
scheduler calls `refresh_figures` every few minutes; each aggregation is one INSERT … SELECT, so the figures are
computed by the database and a refresh replaces them whole, in one transaction.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import FromClause, Select, and_, case, delete, extract, func, insert, select

from matchapp.extensions import db
from matchapp.models import (
    Attendance,
    Booking,
    BookingFigure,
    BookingStatus,
    Candidate,
    CompletionFigure,
    CourseBookingFigure,
    CourseRun,
    EmploymentStatus,
    EmploymentType,
    Enrollment,
    FiguresRefresh,
    FollowUp,
    InterviewSession,
    Result,
    SessionFigure,
    SessionStatus,
    Slot,
    SlotStatus,
)
from matchapp.models.figures import HIRE_TYPES
from matchapp.models.session import session_course
from matchapp.services.outcomes import counted_outcomes

NEXT_STEPS = (Result.NEXT_INTERVIEW, Result.JOB_OFFER, Result.HIRED)


def _flag(condition) -> object:
    """1 when any joined row meets the condition, else 0."""
    return func.max(case((condition, 1), else_=0))


def completion_facts() -> Select:
    """Per completed enrollment: the run, the candidate's target group, and whether the candidate had a meeting (a
    confirmed booking in a session held on or after the run's start), attended one, got a next step or a hire (by
    type) by the counted outcome, has a known status recorded at the run's 60-day follow-up, and was then in
    full-time work."""
    outcome = counted_outcomes()
    meeting = (select(Booking.id, Booking.candidate_id, InterviewSession.local_date)
               .join(InterviewSession, Booking.session_id == InterviewSession.id)
               .where(Booking.status == BookingStatus.CONFIRMED)).subquery("meeting")
    return (select(Enrollment.id.label("enrollment_id"), Enrollment.candidate_id,
                   CourseRun.id.label("course_run_id"), CourseRun.course_id, CourseRun.jobcenter_id,
                   CourseRun.ends_on.label("run_ends_on"), Candidate.target_group,
                   _flag(meeting.c.id.is_not(None)).label("met"),
                   _flag(outcome.c.attendance == Attendance.ATTENDED).label("attended"),
                   _flag(outcome.c.result.in_(NEXT_STEPS)).label("next_step"),
                   _flag(outcome.c.result == Result.HIRED).label("hired"),
                   *(_flag(outcome.c.employment_type == t).label(f"hired_{t.value}") for t in EmploymentType),
                   _flag(FollowUp.status.is_not(None) & (FollowUp.status != EmploymentStatus.UNKNOWN))
                   .label("recorded"),
                   _flag(FollowUp.status == EmploymentStatus.FULL_TIME).label("full_time"))
            .join(CourseRun, Enrollment.course_run_id == CourseRun.id)
            .join(Candidate, Enrollment.candidate_id == Candidate.id)
            .outerjoin(meeting, and_(meeting.c.candidate_id == Enrollment.candidate_id,
                                     meeting.c.local_date >= CourseRun.starts_on))
            .outerjoin(outcome, outcome.c.booking_id == meeting.c.id)
            .outerjoin(FollowUp, and_(FollowUp.candidate_id == Enrollment.candidate_id,
                                      FollowUp.course_run_id == CourseRun.id))
            .where(Enrollment.completed_at.is_not(None))
            .group_by(Enrollment.id, Enrollment.candidate_id, CourseRun.id, CourseRun.course_id,
                      CourseRun.jobcenter_id, CourseRun.ends_on, Candidate.target_group))


def session_facts() -> Select:
    """Per published session: the employer, the day and the slots still offered."""
    return (select(InterviewSession.id.label("session_id"), InterviewSession.employer_id, InterviewSession.local_date,
                   func.count(Slot.id).label("open_slots"))
            .outerjoin(Slot, and_(Slot.session_id == InterviewSession.id, Slot.status == SlotStatus.OPEN))
            .where(InterviewSession.status == SessionStatus.PUBLISHED)
            .group_by(InterviewSession.id, InterviewSession.employer_id, InterviewSession.local_date))


def booking_facts(candidate_ids: Select | None = None) -> Select:
    """Per published session, job centre and target group of the candidates (only those given, if any): the
    confirmed bookings, the outcomes recorded (by either side), and by the counted outcome the no-shows of both sides
    and the hires (all, and by type)."""
    outcome = counted_outcomes()
    query = (select(Booking.session_id, Candidate.jobcenter_id, Candidate.target_group, InterviewSession.employer_id,
                    InterviewSession.local_date, extract("year", InterviewSession.local_date).label("year"),
                    extract("month", InterviewSession.local_date).label("month"),
                    func.count(Booking.id).label("booked"), func.count(outcome.c.booking_id).label("recorded"),
                    func.count(case((outcome.c.attendance == Attendance.CANDIDATE_NO_SHOW, 1)))
                    .label("candidate_no_show"),
                    func.count(case((outcome.c.attendance == Attendance.EMPLOYER_NO_SHOW, 1)))
                    .label("employer_no_show"),
                    func.count(case((outcome.c.result == Result.HIRED, 1))).label("hired"),
                    *(func.count(case((outcome.c.employment_type == t, 1))).label(f"hired_{t.value}")
                      for t in EmploymentType))
             .select_from(Booking)
             .join(InterviewSession, InterviewSession.id == Booking.session_id)
             .join(Candidate, Candidate.id == Booking.candidate_id)
             .outerjoin(outcome, outcome.c.booking_id == Booking.id)
             .where(Booking.status == BookingStatus.CONFIRMED, InterviewSession.status == SessionStatus.PUBLISHED)
             .group_by(Booking.session_id, Candidate.jobcenter_id, Candidate.target_group,
                       InterviewSession.employer_id, InterviewSession.local_date))
    if candidate_ids is not None:
        query = query.where(Booking.candidate_id.in_(candidate_ids))
    return query


def course_booking_facts(bookings: FromClause) -> Select:
    """Per-session booking figures (`booking_facts`' columns) once per course the session is aimed at, or once with
    no course for a session open to any course."""
    return (select(session_course.c.course_id, bookings.c.session_id, bookings.c.employer_id, bookings.c.jobcenter_id,
                   bookings.c.target_group, bookings.c.local_date, bookings.c.booked, bookings.c.hired,
                   *(bookings.c[name] for name in HIRE_TYPES))
            .select_from(bookings)
            .outerjoin(session_course, bookings.c.session_id == session_course.c.session_id))


REFRESH_LOCK = 0x6D61_7463  # PostgreSQL advisory lock key for refreshes ("matc")


def refresh_figures(*, now: datetime) -> None:
    """Replace the figure tables with figures computed from the data as it is now.

    Two refreshes at once (two schedulers) take turns: on SQLite every writing transaction does (BEGIN
    IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock makes the second wait for the first's commit."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(REFRESH_LOCK)))
    for model, facts in ((CompletionFigure, completion_facts()), (SessionFigure, session_facts()),
                         (BookingFigure, booking_facts()),
                         (CourseBookingFigure, course_booking_facts(BookingFigure.__table__))):
        db.session.execute(delete(model))
        db.session.execute(insert(model.__table__).from_select(list(facts.selected_columns.keys()), facts))
    db.session.execute(delete(FiguresRefresh))
    db.session.add(FiguresRefresh(id=1, refreshed_at=now))
    db.session.flush()


def refreshed_at() -> datetime | None:
    """When the figures were last rebuilt, or None if never."""
    return db.session.scalar(select(FiguresRefresh.refreshed_at))
