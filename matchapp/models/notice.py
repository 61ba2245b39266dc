"""What the scheduler has sent: one row per notice, so that no reminder or nudge goes out twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db


class SentNotice(db.Model):
    """A notice of some kind about one object to one user. Inserting the row claims the notice: a second
    scheduler inserting the same row fails on the unique constraint and sends nothing."""

    __tablename__ = "sent_notice"
    __table_args__ = (UniqueConstraint("kind", "object_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "reminder-24h", "employer-reminder-1h"
    object_id: Mapped[int]  # the booking or session the notice is about
    recipient_id: Mapped[int]
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
