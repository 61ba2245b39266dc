"""The dashboard's figures, aggregated ahead of time by `services.figures.refresh_figures` (the scheduler does it
every few minutes), so that the dashboard sums a few thousand rows instead of every booking.

These tables hold nothing of their own: a refresh rebuilds them from the bookings, outcomes and follow-ups, and
they keep no personal data beyond ids. Flags are 0 or 1, so that both databases can take their maximum.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.user import TargetGroup, _enum

HIRE_TYPES = ("hired_full_time", "hired_part_time", "hired_small_job", "hired_internship", "hired_wage_subsidy",
              "hired_flexjob")
FLAGS = ("met", "attended", "next_step", "hired", *HIRE_TYPES, "recorded", "full_time")


class CompletionFigure(db.Model):
    """One completed course enrollment and how far its candidate got: the rows of the course funnel."""

    __tablename__ = "completion_figure"
    __table_args__ = (
        # Covering indexes in the order the dashboard groups by: the database reads them in order and never sorts
        # or visits the table (the same below).
        Index("ix_completion_figure_course", "course_id", "target_group", "jobcenter_id", "course_run_id",
              "run_ends_on", *FLAGS),
    )

    enrollment_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    candidate_id: Mapped[int]
    course_run_id: Mapped[int]
    course_id: Mapped[int]
    jobcenter_id: Mapped[int]
    run_ends_on: Mapped[date]
    target_group: Mapped[TargetGroup] = mapped_column(_enum(TargetGroup, "target_group"))
    met: Mapped[int] = mapped_column(SmallInteger)
    attended: Mapped[int] = mapped_column(SmallInteger)
    next_step: Mapped[int] = mapped_column(SmallInteger)
    hired: Mapped[int] = mapped_column(SmallInteger)
    hired_full_time: Mapped[int] = mapped_column(SmallInteger)
    hired_part_time: Mapped[int] = mapped_column(SmallInteger)
    hired_small_job: Mapped[int] = mapped_column(SmallInteger)
    hired_internship: Mapped[int] = mapped_column(SmallInteger)
    hired_wage_subsidy: Mapped[int] = mapped_column(SmallInteger)
    hired_flexjob: Mapped[int] = mapped_column(SmallInteger)
    recorded: Mapped[int] = mapped_column(SmallInteger)  # a known status 60 days after the course is recorded
    full_time: Mapped[int] = mapped_column(SmallInteger)  # in full-time work 60 days after the course


class SessionFigure(db.Model):
    """One published session: whose, when, and how many slots it offered."""

    __tablename__ = "session_figure"
    __table_args__ = (Index("ix_session_figure_employer", "employer_id", "local_date", "session_id", "open_slots"),)

    session_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    employer_id: Mapped[int]
    local_date: Mapped[date]
    open_slots: Mapped[int]


class BookingFigure(db.Model):
    """The confirmed bookings of one published session by one job centre's candidates of one target group, with
    their recorded outcomes."""

    __tablename__ = "booking_figure"
    __table_args__ = (
        Index("ix_booking_figure_employer", "employer_id", "target_group", "jobcenter_id", "local_date", "session_id",
              "booked", "recorded", "candidate_no_show", "employer_no_show", "hired", *HIRE_TYPES),
        Index("ix_booking_figure_month", "year", "month", "target_group", "jobcenter_id", "local_date", "session_id",
              "booked", "hired"),
    )

    session_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    jobcenter_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    target_group: Mapped[TargetGroup] = mapped_column(_enum(TargetGroup, "target_group"), primary_key=True)
    employer_id: Mapped[int]
    local_date: Mapped[date]
    year: Mapped[int]
    month: Mapped[int]
    booked: Mapped[int]
    recorded: Mapped[int]
    candidate_no_show: Mapped[int]
    employer_no_show: Mapped[int]
    hired: Mapped[int]
    hired_full_time: Mapped[int]
    hired_part_time: Mapped[int]
    hired_small_job: Mapped[int]
    hired_internship: Mapped[int]
    hired_wage_subsidy: Mapped[int]
    hired_flexjob: Mapped[int]


class CourseBookingFigure(db.Model):
    """The booking figures of a session once per course it is aimed at, or once with no course when it is open to
    any course: employers' demand and hires per course."""

    __tablename__ = "course_booking_figure"
    __table_args__ = (
        Index("ix_course_booking_figure_course", "course_id", "employer_id", "target_group", "jobcenter_id",
              "local_date", "session_id", "booked", "hired", *HIRE_TYPES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int | None]  # None: the session is open to any course
    session_id: Mapped[int]
    employer_id: Mapped[int]
    jobcenter_id: Mapped[int]
    target_group: Mapped[TargetGroup] = mapped_column(_enum(TargetGroup, "target_group"))
    local_date: Mapped[date]
    booked: Mapped[int]
    hired: Mapped[int]
    hired_full_time: Mapped[int]
    hired_part_time: Mapped[int]
    hired_small_job: Mapped[int]
    hired_internship: Mapped[int]
    hired_wage_subsidy: Mapped[int]
    hired_flexjob: Mapped[int]


class FiguresRefresh(db.Model):
    """When the figures were last rebuilt: the dashboard says "figures as of"."""

    __tablename__ = "figures_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
