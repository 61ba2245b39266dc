"""An employer's interview session and the slots it is split into."""
from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint as Check
from sqlalchemy import Column, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.course import Course
from matchapp.models.organisation import Employer
from matchapp.models.user import User, _enum


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class MeetingMode(enum.StrEnum):
    VIDEO = "video"
    PHONE = "phone"
    ONSITE = "onsite"


class SlotStatus(enum.StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"


session_course = Table(
    "session_course",
    db.metadata,
    Column("session_id", ForeignKey("interview_session.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("course.id"), primary_key=True),
)


class InterviewSession(db.Model):
    __tablename__ = "interview_session"
    __table_args__ = (
        Check("slot_minutes BETWEEN 5 AND 60", name="slot_length"),
        Check("break_minutes BETWEEN 0 AND 60", name="break_length"),
        Check("interviewers BETWEEN 1 AND 10", name="interviewers"),
        Check("booking_closes_hours BETWEEN 0 AND 168", name="booking_closes"),
        Check("end_time > start_time", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employer.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    local_date: Mapped[date]
    start_time: Mapped[time]
    end_time: Mapped[time]
    slot_minutes: Mapped[int]
    break_minutes: Mapped[int] = mapped_column(default=0)
    interviewers: Mapped[int] = mapped_column(default=1)
    mode: Mapped[MeetingMode] = mapped_column(_enum(MeetingMode, "meeting_mode"))
    video_url: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(300))
    booking_closes_hours: Mapped[int] = mapped_column(default=2)
    status: Mapped[SessionStatus] = mapped_column(_enum(SessionStatus, "session_status"), index=True)
    # UTC bounds, kept beside the local wall-clock fields so that queries can compare with "now".
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    employer: Mapped[Employer] = relationship()
    created_by: Mapped[User] = relationship()
    courses: Mapped[list[Course]] = relationship(secondary=session_course, order_by=Course.name)
    slots: Mapped[list[Slot]] = relationship(
        back_populates="session", order_by="(Slot.starts_at, Slot.lane)", cascade="all, delete-orphan"
    )


class Slot(db.Model):
    __tablename__ = "slot"
    __table_args__ = (
        UniqueConstraint("session_id", "lane", "starts_at"),
        Check("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id", ondelete="CASCADE"), index=True)
    lane: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[SlotStatus] = mapped_column(_enum(SlotStatus, "slot_status"), default=SlotStatus.OPEN)

    session: Mapped[InterviewSession] = relationship(back_populates="slots")
