"""Integrations: a job centre's own systems that talk to matchapp through the API and receive its webhooks.

An admin creates an integration for one job centre; it sees only that job centre's people. What it may do is
given as scopes, on each API key and each webhook subscription: see docs/api.md.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.organisation import Jobcenter

# What an API key may do, and which personal data a webhook subscription's payloads may carry.
SCOPES = (
    "courses:read", "courses:write",  # courses and course runs
    "candidates:read", "candidates:write",  # candidates, by the job centre's external id; names and addresses
    "rosters:write",  # roster imports and course completions
    "sessions:read",  # sessions and their free times
    "bookings:read", "bookings:write",  # bookings; write is cancel
    "outcomes:read", "outcomes:write",  # outcomes and 60-day follow-ups
    "figures:read",  # the funnel figures, with the small-number rule of the downloads
)


class Integration(db.Model):
    __tablename__ = "integration"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    jobcenter_id: Mapped[int] = mapped_column(ForeignKey("jobcenter.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    jobcenter: Mapped[Jobcenter] = relationship()
