"""Courses, course runs (cohorts) and the candidates enrolled in them."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.organisation import Jobcenter


class Course(db.Model):
    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class CourseRun(db.Model):
    __tablename__ = "course_run"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    jobcenter_id: Mapped[int] = mapped_column(ForeignKey("jobcenter.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date]

    course: Mapped[Course] = relationship()
    jobcenter: Mapped[Jobcenter] = relationship()


class Enrollment(db.Model):
    __tablename__ = "enrollment"
    __table_args__ = (UniqueConstraint("candidate_id", "course_run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    course_run_id: Mapped[int] = mapped_column(ForeignKey("course_run.id"), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course_run: Mapped[CourseRun] = relationship()
