"""Webhooks: an integration's subscriptions to events, and each event's delivery to a subscription, written in the
same transaction as the change that causes it and sent later by the scheduler (Standard Webhooks, docs/webhooks.md).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.integration import Integration
from matchapp.models.outbox import OutboxStatus
from matchapp.models.user import _enum

# The events a subscription can choose, each with the scope it needs.
EVENTS = {
    "booking.created": "bookings:read",
    "booking.cancelled": "bookings:read",
    "booking.moved": "bookings:read",
    "session.changed": "bookings:read",
    "waitlist.offered": "bookings:read",
    "outcome.recorded": "outcomes:read",
    "follow_up.recorded": "outcomes:read",
}


class WebhookSubscription(db.Model):
    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integration.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[str] = mapped_column(String(400))  # event names, space-separated
    scopes: Mapped[str] = mapped_column(String(400))  # SCOPES, space-separated: which personal data payloads carry
    # The whsec_ secret the deliveries are signed with. Kept as is, because signing needs it: docs/security.md.
    secret: Mapped[str] = mapped_column(String(100))
    # An http:// (or other non-https) address, allowed by an admin for testing; shown on the page.
    insecure_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())  # who created it: the audit log

    integration: Mapped[Integration] = relationship()

    @property
    def event_names(self) -> list[str]:
        return self.events.split()

    @property
    def scope_names(self) -> list[str]:
        return self.scopes.split()


class WebhookDelivery(db.Model):
    """One event for one subscription: its payload as sent, the same id on every attempt (receivers dedupe on it),
    and the outbox's states (pending, sending, sent, dead)."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)  # the webhook-id header: msg_<uuid hex>
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscription.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[str] = mapped_column(Text)  # the JSON body
    # The candidate the event is about, and whether the payload carries their name or address: what an erasure
    # strips and a data export lists.
    candidate_id: Mapped[int | None] = mapped_column(ForeignKey("candidate.id"), index=True)
    personal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[OutboxStatus] = mapped_column(_enum(OutboxStatus, "webhook_delivery_status"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    give_up_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))  # the receiver's status or the network error
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    subscription: Mapped[WebhookSubscription] = relationship()
