"""Who calls the API: the key in the Authorization header, its scopes, its job centre. One place for each check.

- A key in the query string is refused (400 key-in-query): URLs end up in logs and browser histories.
- No key, an unknown or a revoked one: 401 unauthorized. A key without the operation's scope: 403 missing-scope.
- A key sees only its integration's job centre's people: anything else is 404 not-found, as if it did not exist.
- Every write inside `scoped()` is audited with the key's id (services/audit.py `through_key`).
"""
from __future__ import annotations

import logging
from functools import wraps

from flask import after_this_request, g, request
from flask_smorest import abort
from sqlalchemy import select

from matchapp import transaction
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import ApiKey, Booking, Candidate, CourseRun, User
from matchapp.services import audit, integrations

security_log = logging.getLogger("matchapp.security")
QUERY_NAMES_FOR_KEYS = {"api_key", "apikey", "key", "access_token", "token"}


def refuse(code: int, slug: str, detail: str | None = None, **data):
    """Stop the request with a problem of this type."""
    abort(code, problem=slug, detail=detail, **data)


def authenticate() -> None:
    """Before every API request but the document: find the key (its job centre and scopes) or refuse."""
    for name, value in request.args.items(multi=True):
        if name.lower() in QUERY_NAMES_FOR_KEYS or integrations.looks_like_key(value):
            security_log.warning("api: a key in the query string of %s %s", request.method, request.endpoint)
            refuse(400, "key-in-query", "Send the key in the Authorization header (Bearer), never in the URL.")
    kind, _, raw = request.headers.get("Authorization", "").partition(" ")
    key = integrations.find_key(raw.strip()) if kind.lower() == "bearer" else None
    if key is None:  # a security event (ASVS 16.3.1): which operation, never the key that was sent
        security_log.warning("api: no valid key for %s %s", request.method, request.endpoint)
        refuse(401, "unauthorized", headers={"WWW-Authenticate": 'Bearer realm="matchapp"'})
    g.api_key = key
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= integrations.LAST_USED_EVERY:
        key_id = key.id

        @after_this_request
        def note_use(response):  # only a request that was answered: a refused one changes nothing
            if response.status_code < 400:
                transaction.write_bookkeeping(lambda: integrations.mark_used(db.session.get(ApiKey, key_id), now=now))
            return response


def scoped(scope: str):
    """Let the view run only for a key with this scope; its writes are audited with the key's id."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if scope not in g.api_key.scope_set:
                refuse(403, "missing-scope", f"This operation needs the scope {scope}.")
            with audit.through_key(g.api_key.id):
                return view(*args, **kwargs)

        return wrapped

    return decorator


def key_bucket() -> str:
    """The rate limit's bucket: the key's public prefix (the secret never reaches Redis), else the address."""
    _kind, _, raw = request.headers.get("Authorization", "").partition(" ")
    parts = raw.strip().split("_")
    if len(parts) >= 3 and integrations.looks_like_key(raw.strip()):
        return "api-key:" + parts[1][:integrations.PREFIX_LENGTH]
    return "api-address:" + (request.remote_addr or "")


def jobcenter_id() -> int:
    return g.api_key.integration.jobcenter_id


def acting_user() -> User:
    """Who a write through the key is recorded as by: the admin who made the key (the audit event names the key)."""
    user = db.session.get(User, g.api_key.created_by_id) if g.api_key.created_by_id else None
    if user is None:
        refuse(409, "conflict", "The admin who made this key no longer exists; make a new key.")
    return user


def candidate_or_404(external_id: str) -> Candidate:
    if len(external_id) > 64:
        refuse(404, "not-found")
    candidate = db.session.scalar(select(Candidate).where(Candidate.jobcenter_id == jobcenter_id(),
                                                          Candidate.external_id == external_id))
    if candidate is None or candidate.user.erased_at is not None:
        refuse(404, "not-found")
    return candidate


def run_or_404(run_id: int) -> CourseRun:
    run = db.session.get(CourseRun, run_id)
    if run is None or run.jobcenter_id != jobcenter_id():
        refuse(404, "not-found")
    return run


def booking_or_404(booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.candidate.jobcenter_id != jobcenter_id():
        refuse(404, "not-found")
    return booking
