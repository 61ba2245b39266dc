"""Who did what to which object, and when. The text never holds personal data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db


class AuditEvent(db.Model):
    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The API key the change came through (an integration's write; actor is then the admin who made the key).
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_key.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(String(40))  # a code from a fixed list (an erasure's), never free text
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
