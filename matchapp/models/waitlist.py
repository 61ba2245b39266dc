"""A candidate waiting for a free time in a full session, and the offers made to them when one frees."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.booking import Booking
from matchapp.models.session import InterviewSession, Slot
from matchapp.models.user import Candidate, User, _enum


class WaitStatus(enum.StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"  # got a time in the session, through an offer or otherwise
    LEFT = "left"  # took themselves (or were taken) off the list, or the session ended or was cancelled


_WAITING = text("status = 'waiting'")


class WaitlistEntry(db.Model):
    __tablename__ = "waitlist_entry"
    __table_args__ = (
        # One place on a session's list per candidate at a time.
        Index("uq_waitlist_candidate_session_waiting", "candidate_id", "session_id", unique=True,
              sqlite_where=_WAITING, postgresql_where=_WAITING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("interview_session.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate.id"), index=True)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[WaitStatus] = mapped_column(_enum(WaitStatus, "wait_status"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Ahead of everyone else on the list: the employer's move of the session cancelled the candidate's meeting there
    # (rule 10). Offers take these first, then everyone in the order they joined.
    first_in_line: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    session: Mapped[InterviewSession] = relationship()
    candidate: Mapped[Candidate] = relationship()
    added_by: Mapped[User] = relationship(foreign_keys=[added_by_id])


class WaitlistOffer(db.Model):
    """A free time offered by e-mail to one waiting candidate; only the SHA-256 of the link's token is stored."""

    __tablename__ = "waitlist_offer"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("waitlist_entry.id", ondelete="CASCADE"), index=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("slot.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("booking.id"))

    entry: Mapped[WaitlistEntry] = relationship()
    slot: Mapped[Slot] = relationship()
    booking: Mapped[Booking | None] = relationship()
