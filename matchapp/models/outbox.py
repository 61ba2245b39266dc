"""Every e-mail, written in the same transaction as the change that causes it, and delivered later."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.user import _enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SENDING = "sending"  # claimed by a delivery pass until claimed_until
    SENT = "sent"
    DEAD = "dead"  # gave up; an admin can send it again


class OutboxMessage(db.Model):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    # The user it went to (None: someone without an account, e.g. a registration with a CVR number already known):
    # what a person's data export lists and their erasure removes.
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    ical: Mapped[str | None] = mapped_column(Text)  # the invite, CRLF line endings as icalendar wrote them
    ical_method: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "outbox_status"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))  # the error and the server's answer, never an address
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The bodies and the invite were removed (retention, or an erasure of someone they named); the row stays.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
