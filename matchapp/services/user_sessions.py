"""Signed-in sessions kept on the server, so that they can be ended: sign-out, sign-out everywhere, a password
reset, a deactivation, an idle timeout and an absolute lifetime (shorter for staff).

Why our own small table and not a library: Flask-Session 0.8 (the kept library for server-side sessions) was
looked at. Its SQLAlchemy backend commits the app's shared db.session inside save_session (committing whatever a
view left unfinished), creates its table outside Alembic, calls datetime.utcnow (deprecated), and cannot list or
end all sessions of one user; its Redis backend would make Redis a requirement of the embedded SQLite setup.
Flask-Login stays the library for current_user; this module only decides which cookie still signs someone in.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, or_, select, update

from matchapp.extensions import db
from matchapp.models import Role, User, UserSession
from matchapp.services import audit

STAFF = (Role.CONSULTANT, Role.ADMIN)
# last_seen_at is written at most this often: a write per request would cost more than the idle timeout needs.
TOUCH_EVERY = timedelta(minutes=1)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def lifetimes(role: Role) -> tuple[timedelta, timedelta]:
    """How long a session of this role may stay idle, and how long it may last at most."""
    config = current_app.config
    prefix = "STAFF_" if role in STAFF else ""
    return (timedelta(minutes=config[f"{prefix}SESSION_IDLE_MINUTES"]),
            timedelta(hours=config[f"{prefix}SESSION_MAX_HOURS"]))


def _is_expired(row: UserSession, role: Role, now: datetime) -> bool:
    idle, longest = lifetimes(role)
    return now - row.last_seen_at >= idle or now - row.created_at >= longest


def start_session(user: User, *, action: str = "signed_in", now: datetime) -> str:
    """Start a new session for the user (audited as `action`) and return its random key; only its hash is kept.

    The user's own sessions that have expired are removed on the way.
    """
    idle, longest = lifetimes(user.role)
    db.session.execute(delete(UserSession).where(
        UserSession.user_id == user.id,
        or_(UserSession.last_seen_at <= now - idle, UserSession.created_at <= now - longest)))
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=_key_hash(key), created_at=now, last_seen_at=now))
    user.last_active_at = now  # retention counts inactivity from here
    audit.record(user, action, user, now=now)
    return key


def remove_expired_sessions(*, now: datetime) -> int:
    """Delete the sessions that have expired for every role (the scheduler's tidy-up); the number deleted."""
    longest_idle, longest = (max(pair) for pair in zip(lifetimes(Role.CANDIDATE), lifetimes(Role.ADMIN), strict=True))
    return db.session.execute(delete(UserSession).where(
        or_(UserSession.last_seen_at <= now - longest_idle, UserSession.created_at <= now - longest))).rowcount


def find_session(key: str, *, now: datetime) -> tuple[UserSession, User] | None:
    """The live session with this key and its user (one query), or None: unknown, ended, expired, or the user
    is deactivated."""
    found = db.session.execute(
        select(UserSession, User).join(User, UserSession.user_id == User.id)
        .where(UserSession.key_hash == _key_hash(key))).first()
    if found is None:
        return None
    row, user = found
    if not user.active or _is_expired(row, user.role, now):
        return None
    return row, user


def needs_touch(row: UserSession, *, now: datetime) -> bool:
    """Whether the session's last_seen_at is old enough to be written again."""
    return now - row.last_seen_at >= TOUCH_EVERY


def touch(session_id: int, *, now: datetime) -> None:
    """Record that the session is in use now (the idle timeout starts again)."""
    db.session.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


def end_session(key: str, user: User, *, now: datetime) -> None:
    """End one session (sign-out): a copy of its cookie no longer signs anyone in."""
    db.session.execute(delete(UserSession).where(UserSession.key_hash == _key_hash(key)))
    audit.record(user, "signed_out", user, now=now)


def end_all_sessions(user: User) -> int:
    """End every session of the user, in every browser; the number ended."""
    return db.session.execute(delete(UserSession).where(UserSession.user_id == user.id)).rowcount


def sign_out_everywhere(user: User, *, now: datetime) -> None:
    """The user's own "sign out everywhere": every session of theirs ends, this one too."""
    end_all_sessions(user)
    audit.record(user, "signed_out_everywhere", user, now=now)


def record_failed_sign_in(user: User | None, *, now: datetime) -> None:
    """Audit a failed sign-in: the user as actor when the address is known, no actor otherwise (and never the
    address that was typed)."""
    audit.record(user, "sign_in_failed", user, now=now)
