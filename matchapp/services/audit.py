"""Audit trail entries."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from matchapp.extensions import db
from matchapp.models import AuditEvent, User

# The API key the current change comes through, if any: every event recorded meanwhile carries its id.
_through_key: ContextVar[int | None] = ContextVar("audit_through_key", default=None)


def record(actor: User | None, action: str, obj, *, now: datetime, reason: str | None = None) -> None:
    """Add an audit event: actor, action and object type and id only, never personal data (obj may be None, as
    for a failed sign-in with an unknown address); reason is a code from a fixed list, never free text. Inside
    `through_key()` the event also names the API key."""
    db.session.add(AuditEvent(actor_id=actor.id if actor else None, action=action,
                              object_type=type(obj).__name__ if obj is not None else "",
                              object_id=getattr(obj, "id", None), api_key_id=_through_key.get(),
                              reason=reason, created_at=now))


@contextmanager
def through_key(key_id: int) -> Iterator[None]:
    """Record every audit event of the block as made through this API key (an integration's request)."""
    token = _through_key.set(key_id)
    try:
        yield
    finally:
        _through_key.reset(token)
