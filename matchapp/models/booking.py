"""A candidate's booking of one slot."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.session import InterviewSession, Slot
from matchapp.models.user import Candidate, User, _enum


class BookingStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Clash(enum.StrEnum):
    """Why a meeting cannot be at a time for its candidate (rules 2, 4 and 5 of docs/booking-rules.md), as a change
    of the session by the employer would put it (rule 10). Not stored: the e-mails and the change page say it."""

    NOT_ELIGIBLE = "not_eligible"  # the candidate has not completed a course the session is for (rule 4)
    SAME_TIME = "same_time"  # another of the candidate's meetings at the same time (rule 2)
    TOO_CLOSE = "too_close"  # another of their meetings closer than the gap (rule 2)
    DAILY_CAP = "daily_cap"  # the most meetings a day the candidate may have already (rule 5)


_CONFIRMED = text("status = 'confirmed'")
_CANCELLED = text("status = 'cancelled'")


def _booked_at(context) -> datetime:
    return context.get_current_parameters()["created_at"]


class Booking(db.Model):
    __tablename__ = "booking"
    __table_args__ = (
        # Rule 1: a slot has at most one confirmed booking.
        Index("uq_booking_slot_confirmed", "slot_id", unique=True,
              sqlite_where=_CONFIRMED, postgresql_where=_CONFIRMED),
        # Rule 3: at most one confirmed booking per candidate per interview session.
        Index("uq_booking_candidate_session_confirmed", "candidate_id", "session_id", unique=True,
              sqlite_where=_CONFIRMED, postgresql_where=_CONFIRMED),
        # The dashboard's freed times look at the few cancelled bookings only (services/refills.py).
        Index("ix_booking_cancelled", "session_id", "slot_id", sqlite_where=_CANCELLED, postgresql_where=_CANCELLED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id"), index=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[BookingStatus] = mapped_column(_enum(BookingStatus, "booking_status"))
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the meeting got its current time: when booked, then at each move to another time (a reminder whose
    # time had passed by then is not sent). A row written without it got its time when it was booked.
    timed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=_booked_at)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancel_reason: Mapped[str | None] = mapped_column(Text)

    slot: Mapped[Slot] = relationship()
    session: Mapped[InterviewSession] = relationship()
    candidate: Mapped[Candidate] = relationship()
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])
