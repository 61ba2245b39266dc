"""E-mail: messages are rows in the outbox, written in the same transaction as the change that causes them."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from matchapp.extensions import db
from matchapp.models import OutboxMessage, User

SUBJECTS = {
    "sign_in_link": _l("Your sign-in link to matchapp"),
    "password_link": _l("Choose a password for matchapp"),
    "candidate_welcome": _l("Welcome to matchapp"),
    "staff_welcome": _l("Your matchapp account"),
    "employer_approved": _l("Your organisation can now publish interview sessions"),
    "booking_confirmed": _l("Job conversation booked"),
    "booking_made_for_you": _l("Your consultant booked a job conversation for you"),
    "booking_cancelled": _l("Job conversation cancelled"),
}


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, built from BASE_URL so that it works outside a request too."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def queue(recipient: User, template: str, *, now: datetime, **context) -> OutboxMessage:
    """Render templates/mail/<template>.txt in the recipient's language and add it to the outbox."""
    with force_locale(recipient.language or "da"):
        subject = str(SUBJECTS[template])
        body = render_template(f"mail/{template}.txt", recipient=recipient, **context)
    message = OutboxMessage(recipient=recipient.email, subject=subject, body_text=body, created_at=now)
    db.session.add(message)
    return message
