"""What the scheduler has sent: one row per notice, so that no reminder or nudge goes out twice."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db

_ABOUT_A_MEETING = text("meeting_at IS NOT NULL")
_NOT_ABOUT_A_MEETING = text("meeting_at IS NULL")


class SentNotice(db.Model):
    """A notice of some kind about one object to one user. Inserting the row claims the notice: a second
    scheduler inserting the same row fails on a unique index and sends nothing.

    A reminder is about a meeting at a time (meeting_at): it is claimed once per time, so a meeting that moves is
    reminded of again at its new time. Other notices (nudges, retention) are claimed once per object and person.
    """

    __tablename__ = "sent_notice"
    __table_args__ = (
        Index("uq_sent_notice_once", "kind", "object_id", "recipient_id", unique=True,
              sqlite_where=_NOT_ABOUT_A_MEETING, postgresql_where=_NOT_ABOUT_A_MEETING),
        Index("uq_sent_notice_meeting", "kind", "object_id", "recipient_id", "meeting_at", unique=True,
              sqlite_where=_ABOUT_A_MEETING, postgresql_where=_ABOUT_A_MEETING),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. "reminder-1440m", "employer-reminder-60m"
    object_id: Mapped[int]  # the booking or session the notice is about
    recipient_id: Mapped[int]
    # A reminder's meeting start (the booking's; the session's for the employer's); None for other notices.
    meeting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
