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


class ApiKey(db.Model):
    """A key an integration calls the API with. Only the SHA-256 of the secret is stored: the key is 32 random bytes,
    too many to guess, so a fast hash is enough (a slow password hash guards low-entropy secrets). The public prefix
    finds the row; the admin sees the whole key once, when it is made."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(400))  # space-separated names from SCOPES
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    integration: Mapped[Integration] = relationship()

    @property
    def scope_set(self) -> set[str]:
        return set(self.scopes.split())
