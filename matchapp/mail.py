"""E-mail: messages are outbox rows written in the same transaction as the change that causes them; a delivery
pass sends them later over SMTP, each exactly once, with retries."""
from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from matchapp import ical, outbox
from matchapp.extensions import db
from matchapp.logs import redact
from matchapp.models import Booking, OutboxMessage, OutboxStatus, User
from matchapp.outbox import DeliveryReport

log = logging.getLogger(__name__)

SUBJECTS = {
    "sign_in_link": _l("Your sign-in link to matchapp"),
    "password_link": _l("Choose a password for matchapp"),
    "candidate_welcome": _l("Welcome to matchapp"),
    "staff_welcome": _l("Your matchapp account"),
    "registration_confirm": _l("Confirm your registration in matchapp"),
    "registration_known": _l("You already have an account in matchapp"),
    "registration_cvr_taken": _l("Your registration in matchapp"),
    "employer_approved": _l("Your organisation can now publish interview sessions"),
    "booking_confirmed": _l("Job conversation booked"),
    "booking_made_for_you": _l("Your consultant booked a job conversation for you"),
    "booking_cancelled": _l("Job conversation cancelled"),
    "booking_moved": _l("Your job conversation has a new time"),
    "session_changed": _l("Your job conversation has been changed"),
    "waitlist_offer": _l("A time is free for a job conversation"),
    "reminder_candidate": _l("Reminder: job conversation soon"),
    "reminder_employer": _l("Reminder: your interview session"),
    "outcome_nudge": _l("How did the job conversations go?"),
    "follow_up_request": _l("Follow-up: employment status 60 days after the course"),
    "retention_warning": _l("A candidate will be anonymised soon"),  # never the name: subjects show in lists
}


def external_url(endpoint: str, **values) -> str:
    """An absolute link for an e-mail, built from BASE_URL so that it works outside a request too."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def may_receive(recipient: User, template: str) -> bool:
    """Whether the app may e-mail this person: never an erased one, and a deactivated one only the link that
    activates a new account (a registration waits inactive until it is confirmed). Someone without an account (not
    saved, no id) is written to only in answer to what they just did."""
    if recipient.id is None:
        return True
    if recipient.erased_at is not None:
        return False
    return recipient.active or template == "registration_confirm"


def queue(recipient: User, template: str, *, now: datetime, invite: tuple[Booking, str] | None = None,
          **context) -> OutboxMessage | None:
    """Render mail/<template>.txt and .html (and the invite, if any) in the recipient's language into the outbox.

    invite is (booking, ical.REQUEST or ical.CANCEL); the invite is attached only for the meeting's attendees.
    Nothing is queued (None) for someone erased or deactivated, but for the link that activates a new account.
    """
    if not may_receive(recipient, template):
        return None
    with force_locale(recipient.language or "da"):
        subject = str(SUBJECTS[template])
        context.update(recipient=recipient, subject=subject, has_invite=invite is not None)
        text = render_template(f"mail/{template}.txt", **context)
        html = render_template(f"mail/{template}.html", **context)
        calendar = ical.booking_invite(invite[0], invite[1], recipient=recipient, now=now) if invite else None
    domain = current_app.config["MAIL_SENDER"].rpartition("@")[2]
    message = OutboxMessage(
        message_id=f"<{uuid.uuid4()}@{domain}>", recipient=recipient.email, recipient_id=recipient.id,
        subject=subject, body_text=text, body_html=html, ical=calendar, ical_method=invite[1] if invite else None,
        status=OutboxStatus.PENDING, next_attempt_at=now,
        give_up_at=now + timedelta(hours=current_app.config["MAIL_GIVE_UP_HOURS"]), created_at=now)
    db.session.add(message)
    return message


def compose(message: OutboxMessage) -> EmailMessage:
    """The MIME message every mail client accepts:
    multipart/mixed ( multipart/alternative ( text/plain, text/html, text/calendar; method=… ), invite.ics ).
    """
    config = current_app.config
    email = EmailMessage(policy=SMTP)
    email["From"] = formataddr((config["MAIL_SENDER_NAME"], config["MAIL_SENDER"]))
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    email.add_alternative(message.body_html, subtype="html", charset="utf-8", cte="quoted-printable")
    if message.ical:
        # base64 keeps the calendar's CRLF line endings and its Danish letters exactly as icalendar wrote them.
        params = {"method": message.ical_method}
        email.add_alternative(message.ical.encode(), maintype="text", subtype="calendar", cte="base64",
                              params=params)
        email.get_payload()[-1].set_param("charset", "UTF-8")
        email.add_attachment(message.ical.encode(), maintype="application", subtype="ics", filename="invite.ics")
    return email


def smtp_configured() -> bool:
    """True when an SMTP host is set; otherwise the outbox is the development mailbox."""
    return bool(current_app.config["SMTP_HOST"])


def _connect() -> smtplib.SMTP:
    config = current_app.config
    host, port, timeout = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TIMEOUT"]
    if config["SMTP_SECURITY"] == "ssl":
        server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(host, port, timeout=timeout)
        if config["SMTP_SECURITY"] == "starttls":
            server.starttls(context=ssl.create_default_context())
    if config["SMTP_USER"]:
        server.login(config["SMTP_USER"], config["SMTP_PASSWORD"] or "")
    return server


def deliver_due(*, now: datetime, limit: int = 500) -> DeliveryReport:
    """Send the outbox messages that are due, each claimed first so that no message goes twice.

    A failure waits longer each time and gives up after MAIL_GIVE_UP_HOURS (the row turns dead and shows to
    admins). Commits as it goes: this is a job, not a service. Without SMTP settings it sends nothing.
    """
    report = DeliveryReport()
    if not smtp_configured():
        return report
    server = None
    try:
        for message_id in outbox.due_ids(OutboxMessage, now=now, limit=limit):
            if not outbox.claim(OutboxMessage, message_id, now=now):
                continue
            message = db.session.get(OutboxMessage, message_id)
            outgoing = compose(message)
            # No transaction while the SMTP server takes its time: on SQLite it would hold the write lock.
            db.session.commit()
            try:
                server = server or _connect()
                server.send_message(outgoing)
            except (OSError, smtplib.SMTPException) as error:
                server = _close(server)
                _record_failure(message, error, now=now, report=report)
            else:
                outbox.record_sent(message, now=now, report=report)
            db.session.commit()
    finally:
        _close(server)
    return report


def _describe(error: Exception) -> str:
    """The error and the server's answer for the admins' mailbox and the log, without the addresses it often quotes
    ("550 5.1.1 <anna@example.dk>: Recipient address rejected")."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = error.recipients.values()
    elif isinstance(error, smtplib.SMTPResponseException):
        answers = [(error.smtp_code, error.smtp_error)]
    else:
        answers = [(None, str(error))]
    text = "; ".join(f"{code or ''} {answer.decode(errors='replace') if isinstance(answer, bytes) else answer}".strip()
                     for code, answer in answers)
    return f"{type(error).__name__}: {redact(text)}"[:300]


def _record_failure(message: OutboxMessage, error: Exception, *, now: datetime,
                    report: DeliveryReport) -> None:
    if outbox.record_failure(message, _describe(error), now=now, report=report):
        log.error("outbox message %s is dead after %s attempts (%s)", message.id, message.attempts,
                  message.last_error)
    else:
        log.warning("outbox message %s failed (%s); next attempt %s", message.id, message.last_error,
                    message.next_attempt_at)


def _close(server: smtplib.SMTP | None) -> None:
    if server is not None:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return None


def send_again(message: OutboxMessage, *, now: datetime) -> None:
    """Give a dead message a new round of attempts (an admin's "send again")."""
    outbox.start_again(message, now=now, give_up_hours=current_app.config["MAIL_GIVE_UP_HOURS"])
