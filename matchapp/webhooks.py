"""Sending webhooks: the scheduler's pass over the due deliveries (services/webhooks.py writes them), each claimed
first (outbox.py), signed as the Standard Webhooks specification says and POSTed to the subscription's address.

Every attempt of a delivery carries the same webhook-id, so a receiver that got it before can tell; a receiver that
answers anything but 2xx (a redirect too) or not at all is tried again later, for WEBHOOK_GIVE_UP_HOURS, and then
the delivery is dead and shows on the admin's page. A subscription is never switched off by failures.
"""
from __future__ import annotations

import logging
import urllib.error
import urllib.request
from datetime import datetime

from flask import current_app
from standardwebhooks import Webhook

from matchapp import outbox
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import WebhookDelivery
from matchapp.outbox import DeliveryReport

log = logging.getLogger(__name__)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is a failed attempt: a signed body is never sent on to another address (nor from https to http)."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def signed_headers(event_id: str, body: str, secret: str, *, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: webhook-id, webhook-timestamp and webhook-signature (v1, HMAC-SHA256 over
    id.timestamp.body)."""
    return {"webhook-id": event_id, "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(secret).sign(event_id, at, body)}


def _post(url: str, body: str, headers: dict[str, str]) -> str | None:
    """POST the body; None when the receiver answered 2xx, else what went wrong, in words without personal data
    (the receiver's answer is not read: it may echo the payload)."""
    request = urllib.request.Request(url, data=body.encode(), method="POST", headers={
        **headers, "Content-Type": "application/json", "User-Agent": "matchapp-webhooks/1"})
    try:
        with _opener.open(request, timeout=current_app.config["WEBHOOK_TIMEOUT_SECONDS"]) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (OSError, ValueError) as error:  # refused, timed out, TLS, a broken address
        return type(getattr(error, "reason", error)).__name__
    return None if 200 <= status < 300 else f"HTTP {status}"


def deliver_due(*, now: datetime, limit: int = 500) -> DeliveryReport:
    """Send the deliveries that are due, each claimed first so that no event goes out twice from two passes.

    The signature's timestamp is the clock's when the request leaves (receivers check it against theirs); `now`
    decides what is due. Commits as it goes: this is a job, not a service.
    """
    report = DeliveryReport()
    for delivery_id in outbox.due_ids(WebhookDelivery, now=now, limit=limit):
        if not outbox.claim(WebhookDelivery, delivery_id, now=now):
            continue
        delivery = db.session.get(WebhookDelivery, delivery_id)
        subscription = delivery.subscription
        url, body = subscription.url, delivery.payload
        allowed = url.startswith("https://") or subscription.insecure_allowed
        headers = signed_headers(delivery.event_id, body, subscription.secret, at=utcnow())
        # No transaction while the receiver takes its time: on SQLite it would hold the write lock.
        db.session.commit()
        error = _post(url, body, headers) if allowed else "not https"
        if error is None:
            outbox.record_sent(delivery, now=now, report=report)
        elif outbox.record_failure(delivery, error, now=now, report=report):
            log.error("webhook delivery %s is dead after %s attempts (%s)", delivery.id, delivery.attempts, error)
        else:
            log.warning("webhook delivery %s failed (%s); next attempt %s", delivery.id, error,
                        delivery.next_attempt_at)
        db.session.commit()
    return report
