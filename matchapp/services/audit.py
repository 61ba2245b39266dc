"""Audit trail entries."""
from __future__ import annotations

from datetime import datetime

from matchapp.extensions import db
from matchapp.models import AuditEvent, User


def record(actor: User | None, action: str, obj, *, now: datetime, reason: str | None = None) -> None:
    """Add an audit event: actor, action and object type and id only, never personal data (obj may be None, as
    for a failed sign-in with an unknown address); reason is a code from a fixed list, never free text."""
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action,
                              object_type=type(obj).__name__ if obj is not None else "",
                              object_id=getattr(obj, "id", None),
                              reason=reason, created_at=now))
