"""Integrations and their API keys: made and revoked by an admin, the key shown once and stored hashed.

A key reads `mapp_<prefix>_<secret>`: the prefix (public, 8 characters) finds the row, the whole key's SHA-256 is
compared in constant time. The secret is 32 random bytes, so a fast hash is enough: nobody can try 2^256 keys,
and a slow password hash would cost every API request (docs/api.md, docs/security.md).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.models import SCOPES, ApiKey, Integration, Jobcenter, User
from matchapp.services import audit
from matchapp.services.errors import Conflict, MatchappError

KEY_START = "mapp_"
PREFIX_LENGTH = 8
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_integration(name: str, jobcenter: Jobcenter, *, by: User, now: datetime) -> Integration:
    """Add an integration: one of a job centre's own systems; its keys see only that job centre's people."""
    integration = Integration(name=name.strip(), jobcenter_id=jobcenter.id, created_by_id=by.id, created_at=now)
    db.session.add(integration)
    db.session.flush()
    audit.record(by, "integration_created", integration, now=now)
    return integration


def create_key(integration: Integration, scopes: list[str], *, by: User, now: datetime) -> tuple[ApiKey, str]:
    """Make a key with these scopes; returns the row and the key itself, which is shown once and never stored.

    :raises MatchappError: no scope, or one that does not exist.
    """
    if not scopes or not set(scopes) <= set(SCOPES):
        raise MatchappError(_l("Choose at least one scope."), field="scopes")
    prefix = secrets.token_hex(PREFIX_LENGTH // 2)
    raw = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(integration_id=integration.id, prefix=prefix, secret_hash=_digest(raw),
                 scopes=" ".join(s for s in SCOPES if s in scopes), created_by_id=by.id, created_at=now)
    db.session.add(key)
    db.session.flush()
    audit.record(by, "api_key_created", key, now=now)
    return key, raw


def revoke_key(key: ApiKey, *, by: User, now: datetime) -> None:
    """Stop a key at once: every later request with it is refused.

    :raises Conflict: it is revoked already.
    """
    if key.revoked_at is not None:
        raise Conflict(_l("The key is revoked already."))
    key.revoked_at = now
    audit.record(by, "api_key_revoked", key, now=now)


def looks_like_key(value: str) -> bool:
    """Whether a text has the shape of an API key (to refuse one sent where it would be logged: a URL)."""
    return value.startswith(KEY_START)


def find_key(raw: str) -> ApiKey | None:
    """The key that this text is, if it is one and not revoked; else None."""
    parts = raw.split("_")
    if len(parts) < 3 or not raw.startswith(KEY_START) or len(parts[1]) != PREFIX_LENGTH:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.secret_hash, _digest(raw)):
        return None
    return key


def mark_used(key: ApiKey, *, now: datetime) -> None:
    """Note when the key was last used (at most once a minute: not a write per request)."""
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_EVERY:
        key.last_used_at = now
