"""The rate limits on signing in, links, registration and password reset: one place for their numbers and keys.

Each guarded view has two limits: one per client address (one machine trying many accounts) and one per account
(many machines trying one account, or one inbox flooded with links). The client address is the socket's, or the
one the trusted proxies report (MATCHAPP_TRUSTED_PROXIES, ProxyFix in create_app), so a client cannot pick its own
bucket by sending X-Forwarded-For. Buckets live in MATCHAPP_RATELIMIT_STORAGE_URI: Redis when several workers run.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request
from flask_limiter.util import get_remote_address

from matchapp.extensions import limiter

# (per client address, per account); "a; b" sets both, the first one used up answers 429.
SIGN_IN = ("10 per minute; 100 per hour", "5 per minute; 20 per hour")
LINK_REQUEST = ("5 per minute; 30 per hour", "3 per minute; 10 per hour")  # each one sends an e-mail
LINK_USE = ("10 per minute; 100 per hour", "5 per minute")
REGISTRATION = ("5 per minute; 20 per hour", "3 per minute; 10 per hour")
PASSWORD_FORGOT = ("5 per minute; 30 per hour", "3 per minute; 10 per hour")  # each one sends an e-mail
PASSWORD_RESET = ("10 per minute; 100 per hour", "5 per minute")


def _digest(value: str) -> str:
    """A keyed hash, so that the rate-limit store (Redis) holds no e-mail address or token in clear."""
    return hmac.new(current_app.config["SECRET_KEY"].encode(), value.encode(), hashlib.sha256).hexdigest()


def email_typed() -> str:
    """The per-account key of a form with an e-mail field: the address as typed, in any case or spacing."""
    return "email:" + _digest(request.form.get("email", "").strip().lower())


def link_token() -> str:
    """The per-account key of a link's page: its token (the account it belongs to is unknown before checking)."""
    return "token:" + _digest((request.view_args or {}).get("token", ""))


def limited(limits: tuple[str, str], account_key=email_typed):
    """Decorate a view with its per-address and per-account limits, counted on POST only."""
    per_address, per_account = limits
    by_address = limiter.limit(per_address, key_func=get_remote_address, methods=["POST"], scope="address")
    by_account = limiter.limit(per_account, key_func=account_key, methods=["POST"], scope="account")
    return lambda view: by_address(by_account(view))
