"""What came of a meeting (the employer's record, the consultant's record and the candidate's answer, one each per
booking) and a candidate's status 60 days after a course."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.booking import Booking
from matchapp.models.user import User, _enum


class Attendance(enum.StrEnum):
    ATTENDED = "attended"
    CANDIDATE_NO_SHOW = "candidate_no_show"
    EMPLOYER_NO_SHOW = "employer_no_show"
    CANCELLED_LATE = "cancelled_late"


class Result(enum.StrEnum):
    NO_MATCH = "no_match"
    NEXT_INTERVIEW = "next_interview"
    JOB_OFFER = "job_offer"
    HIRED = "hired"


class NextStep(enum.StrEnum):
    """What the candidate says came of a meeting; the values mirror `Result` (nothing = no match)."""

    NOTHING = "nothing"
    NEXT_INTERVIEW = "next_interview"
    JOB_OFFER = "job_offer"
    HIRED = "hired"


class EmploymentType(enum.StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    SMALL_JOB = "small_job"  # småjob
    INTERNSHIP = "internship"  # virksomhedspraktik
    WAGE_SUBSIDY = "wage_subsidy"  # løntilskud
    FLEXJOB = "flexjob"


class EmploymentStatus(enum.StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    SMALL_JOB = "small_job"
    EDUCATION = "education"
    UNEMPLOYED = "unemployed"
    UNKNOWN = "unknown"


def _outcome_checks() -> tuple[CheckConstraint, ...]:
    """The rules of an outcome record, for each table that keeps one (a constraint belongs to one table)."""
    return (
        CheckConstraint("result IS NULL OR attendance = 'attended'", name="result_needs_attendance"),
        CheckConstraint("employment_type IS NULL OR result = 'hired'", name="type_needs_hire"),
        CheckConstraint("hours_per_week IS NULL OR hours_per_week BETWEEN 1 AND 60", name="hours"),
    )


class RecordedOutcome:
    """What came of a meeting, as one side recorded it: the columns the employer's and the consultant's records
    share, and who recorded it when."""

    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    attendance: Mapped[Attendance] = mapped_column(_enum(Attendance, "attendance"))
    result: Mapped[Result | None] = mapped_column(_enum(Result, "result"))
    employment_type: Mapped[EmploymentType | None] = mapped_column(_enum(EmploymentType, "employment_type"))
    start_date: Mapped[date | None]
    hours_per_week: Mapped[int | None]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Outcome(RecordedOutcome, db.Model):
    """The employer's record of a meeting. A result only when the meeting took place; a type only when hired."""

    __tablename__ = "outcome"
    __table_args__ = _outcome_checks()

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(Text, default="")  # private to the employer

    booking: Mapped[Booking] = relationship()


class ConsultantOutcome(RecordedOutcome, db.Model):
    """A consultant's record of a meeting, beside the employer's (never overwriting it): recorded where the employer
    has not, or to correct them. Where there is one, the figures count it instead of the employer's (the funnel's
    definition, `services/funnel/__init__.py`). The same rules as the employer's record; no note."""

    __tablename__ = "consultant_outcome"
    __table_args__ = _outcome_checks()

    id: Mapped[int] = mapped_column(primary_key=True)

    booking: Mapped[Booking] = relationship()
    recorded_by: Mapped[User] = relationship()  # the consultant who last changed it


class CandidateFeedback(db.Model):
    """The candidate's own answer about a meeting, given in two clicks: did it happen, then what next.

    A next step is empty until the second click, and always empty when the meeting did not happen.
    """

    __tablename__ = "candidate_feedback"
    __table_args__ = (CheckConstraint("next_step IS NULL OR happened", name="next_step_needs_meeting"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("booking.id"), unique=True)
    happened: Mapped[bool]
    next_step: Mapped[NextStep | None] = mapped_column(_enum(NextStep, "next_step"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())

    booking: Mapped[Booking] = relationship()


class FollowUp(db.Model):
    """A candidate's employment status at course end + 60 days, for one course run (the headline metric)."""

    __tablename__ = "follow_up"
    __table_args__ = (UniqueConstraint("candidate_id", "course_run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    course_run_id: Mapped[int] = mapped_column(ForeignKey("course_run.id"), index=True)
    status: Mapped[EmploymentStatus] = mapped_column(_enum(EmploymentStatus, "employment_status"))
    source: Mapped[str] = mapped_column(String(20))  # consultant, candidate or outcome
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
