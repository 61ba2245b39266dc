"""The admins' view of the outbox: who reads it is audited, and live sign-in links are hidden once mail is sent."""
from __future__ import annotations

import re
from datetime import datetime

from matchapp import mail
from matchapp.models import OutboxMessage, User
from matchapp.services import audit

# The e-mailed links whose reader can act as the recipient: sign in, set a password, finish a registration.
SECRET_LINK_ENDPOINTS = ("auth.link_sign_in", "auth.password_reset", "auth.register_confirm")
# Link tokens are secrets.token_urlsafe(32): 43 characters. The length keeps /password/forgot and the like readable.
_TOKEN = r"[A-Za-z0-9_-]{40,}"
MASK = "…"


def _secret_links() -> re.Pattern:
    prefixes = [mail.external_url(endpoint, token="TOKEN").partition("TOKEN")[0] for endpoint in SECRET_LINK_ENDPOINTS]
    return re.compile(f"({'|'.join(map(re.escape, prefixes))}){_TOKEN}")


def mask_secret_links(text: str) -> str:
    """The text with the token of every sign-in, password and registration link replaced by an ellipsis."""
    return _secret_links().sub(rf"\g<1>{MASK}", text)


def record_outbox_listed(admin: User, *, now: datetime) -> None:
    """Audit an admin's look at the outbox list (it shows who was e-mailed about what)."""
    audit.record(admin, "outbox_listed", None, now=now)


def read_message(message: OutboxMessage, *, admin: User, now: datetime) -> str:
    """The text of a message as an admin may read it, and an audit row saying they did (every reading).

    With a mail server configured, the links have gone to their owners, so their tokens are hidden here; without
    one (development), this page is how links are followed, and the audit row is the trace of who followed which.
    """
    audit.record(admin, "outbox_message_read", message, now=now)
    if mail.smtp_configured():
        return mask_secret_links(message.body_text)
    return message.body_text
