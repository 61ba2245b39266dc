"""Job centres and employers (organisations with a CVR number)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from matchapp.database import UTCDateTime
from matchapp.extensions import db


class Jobcenter(db.Model):
    __tablename__ = "jobcenter"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)


class Employer(db.Model):
    __tablename__ = "employer"
    __table_args__ = (CheckConstraint("length(cvr) = 8", name="cvr_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    cvr: Mapped[str] = mapped_column(String(8), unique=True)
    address: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # who approved: see the audit trail

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None
