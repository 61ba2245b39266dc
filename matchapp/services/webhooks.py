"""Webhooks for a job centre's systems (docs/webhooks.md): an admin subscribes an integration's address to events;
each event is a delivery row written in the same transaction as the change that causes it (like an e-mail in the
outbox), and webhooks.py sends it later, signed as the Standard Webhooks specification says.

A payload carries ids and what changed; of the candidate it names only matchapp's id, unless the subscription has
the `candidates:read` scope (then also the job centre's external id, the name and the e-mail address). Free text
(a cancel reason, an employer's note) is never in a payload. A subscription sees only its job centre's candidates.
"""
from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from matchapp import outbox
from matchapp.extensions import db
from matchapp.models import (
    EVENTS,
    SCOPES,
    Booking,
    Candidate,
    ConsultantOutcome,
    FollowUp,
    Integration,
    OutboxStatus,
    Outcome,
    Role,
    Slot,
    User,
    WaitlistOffer,
    WebhookDelivery,
    WebhookSubscription,
)
from matchapp.services import audit
from matchapp.services.errors import Conflict, MatchappError

PERSONAL_SCOPE = "candidates:read"
URL_MAX = 2000


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# -- the admin's side -------------------------------------------------------------------------------------------------

def new_secret() -> str:
    """A signing secret as the Standard Webhooks specification writes it: whsec_ and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url: str, *, insecure_allowed: bool) -> str:
    """The address, stripped, if deliveries may go to it: https (or, allowed for testing, http), a host, no user name
    or password in it (they would show on the page).

    :raises MatchappError: it may not.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        raise MatchappError(_l("Enter a full address, such as https://example.dk/webhooks."), field="url") from None
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > URL_MAX:
        raise MatchappError(_l("Enter a full address, such as https://example.dk/webhooks."), field="url")
    if parts.username or parts.password:
        raise MatchappError(_l("The address may not hold a user name or a password."), field="url")
    if parts.scheme != "https" and not insecure_allowed:
        raise MatchappError(_l("The address must start with https://. Only a test address may use http://, "
                               "and only if you allow it below."), field="url")
    return url


def subscribe(integration: Integration, url: str, events: list[str], *, personal: bool, insecure_allowed: bool,
              by: User, now: datetime) -> tuple[WebhookSubscription, str]:
    """Subscribe the integration's address to events; returns the subscription and its secret, which is shown once.

    The scopes are those the events need, and `candidates:read` when the payloads may carry the candidate's
    name and e-mail address (`personal`). Allowing an address without https is audited on its own.

    :raises MatchappError: no event or an unknown one, or an address deliveries may not go to.
    """
    if not events or not set(events) <= set(EVENTS):
        raise MatchappError(_l("Choose at least one event."), field="events")
    url = check_url(url, insecure_allowed=insecure_allowed)
    scopes = {EVENTS[event] for event in events} | ({PERSONAL_SCOPE} if personal else set())
    secret = new_secret()
    subscription = WebhookSubscription(
        integration_id=integration.id, url=url, events=" ".join(e for e in EVENTS if e in events),
        scopes=" ".join(s for s in SCOPES if s in scopes), secret=secret,
        insecure_allowed=insecure_allowed and not url.startswith("https://"), created_at=now)
    db.session.add(subscription)
    db.session.flush()
    audit.record(by, "webhook_subscribed", subscription, now=now)
    if subscription.insecure_allowed:
        audit.record(by, "webhook_insecure_address_allowed", subscription, now=now)
    return subscription, secret


def send_again(delivery: WebhookDelivery, *, by: User, now: datetime) -> None:
    """Send a delivery again (an admin's "send again"), with the same event id, so a receiver that has it already
    knows it; a new round of attempts.

    :raises Conflict: it is waiting to be sent already.
    """
    if delivery.status not in (OutboxStatus.SENT, OutboxStatus.DEAD):
        raise Conflict(_l("The delivery is waiting to be sent already."))
    outbox.start_again(delivery, now=now, give_up_hours=current_app.config["WEBHOOK_GIVE_UP_HOURS"])
    audit.record(by, "webhook_delivery_sent_again", delivery, now=now)


def _name_by_id(deliveries, **marks) -> int:
    """Leave only the candidate's id (and the marks) in each payload; how many were changed."""
    changed = 0
    for delivery in deliveries:
        body = json.loads(delivery.payload)
        body["data"]["candidate"] = {"id": delivery.candidate_id, **marks}
        delivery.payload, delivery.personal = json.dumps(body, ensure_ascii=False), False
        changed += 1
    db.session.flush()
    return changed


def forget_candidate(candidate: Candidate) -> int:
    """Strip an erased candidate's external id, name and e-mail address from every payload that carries them, sent
    or not (the events stay, naming only the candidate's id); returns how many payloads were changed."""
    return _name_by_id(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.candidate_id == candidate.id, WebhookDelivery.personal.is_(True))), erased=True)


def purge_delivered(*, now: datetime) -> int:
    """Strip the candidate's external id, name and e-mail address from payloads delivered more than
    RETENTION_WEBHOOK_DAYS ago (the job centre's system has them); dead ones keep theirs until an admin has dealt
    with them. Returns how many payloads were changed."""
    cutoff = now - timedelta(days=current_app.config["RETENTION_WEBHOOK_DAYS"])
    return _name_by_id(db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.personal.is_(True), WebhookDelivery.status == OutboxStatus.SENT,
        WebhookDelivery.sent_at <= cutoff)))


def forget_employer(employer_id: int) -> int:
    """Replace an erased organisation's name by its pseudonym (#<id>) in every payload that names it (for a sole
    proprietorship the name is a person's); returns how many payloads were changed."""
    changed = 0
    for delivery in db.session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.payload.contains(f'"employer": {{"id": {employer_id}, "name": '))):
        body = json.loads(delivery.payload)
        body["data"]["session"]["employer"]["name"] = f"#{employer_id}"
        delivery.payload = json.dumps(body, ensure_ascii=False)
        changed += 1
    db.session.flush()
    return changed


# -- events -----------------------------------------------------------------------------------------------------------

def _candidate(candidate: Candidate, subscription: WebhookSubscription) -> tuple[dict, bool]:
    """The candidate as the subscription may see them, and whether that holds personal data beyond the id."""
    if candidate.user.erased_at is not None:
        return {"id": candidate.id, "erased": True}, False
    if PERSONAL_SCOPE not in subscription.scope_names:
        return {"id": candidate.id}, False
    return {"id": candidate.id, "external_id": candidate.external_id, "name": candidate.user.name,
            "email": candidate.user.email}, True


def _subscribers(candidate: Candidate, event: str) -> list[WebhookSubscription]:
    return [subscription for subscription in db.session.scalars(
        select(WebhookSubscription).join(Integration)
        .where(Integration.jobcenter_id == candidate.jobcenter_id).order_by(WebhookSubscription.id))
        if event in subscription.event_names]


def emit(event: str, candidate: Candidate, data: dict, *, now: datetime) -> int:
    """Write a delivery of the event to every subscription of the candidate's job centre that chose it, in the
    caller's transaction; returns how many."""
    subscriptions = _subscribers(candidate, event)
    give_up = now + timedelta(hours=current_app.config["WEBHOOK_GIVE_UP_HOURS"])
    for subscription in subscriptions:
        seen, personal = _candidate(candidate, subscription)
        body = {"type": event, "timestamp": _iso(now), "data": {**data, "candidate": seen}}
        db.session.add(WebhookDelivery(
            event_id=f"msg_{uuid.uuid4().hex}", subscription_id=subscription.id, event=event,
            payload=json.dumps(body, ensure_ascii=False), candidate_id=candidate.id, personal=personal,
            status=OutboxStatus.PENDING, next_attempt_at=now, give_up_at=give_up, created_at=now))
    return len(subscriptions)


def _times(slot: Slot) -> dict:
    return {"starts_at": _iso(slot.starts_at), "ends_at": _iso(slot.ends_at)}


def _booking(booking: Booking) -> dict:
    session = booking.session
    return {"booking": {"id": booking.id, "status": booking.status.value, "sequence": booking.sequence,
                        "booked_by": "consultant" if booking.booked_by.role == Role.CONSULTANT else "candidate",
                        **_times(booking.slot)},
            "session": {"id": session.id, "title": session.title, "mode": session.mode.value,
                        "employer": {"id": session.employer_id, "name": session.employer.name}}}


def booking_created(booking: Booking, *, now: datetime) -> None:
    """booking.created: a candidate booked a time, or a consultant booked one for them."""
    emit("booking.created", booking.candidate, _booking(booking), now=now)


def booking_cancelled(booking: Booking, *, now: datetime) -> None:
    """booking.cancelled: by the candidate, a consultant, the employer, or the app (an erasure)."""
    by = db.session.get(User, booking.cancelled_by_id) if booking.cancelled_by_id else None
    cancelled_by = by.role.value if by is not None else "system"
    emit("booking.cancelled", booking.candidate,
         {**_booking(booking), "cancelled_at": _iso(booking.cancelled_at), "cancelled_by": cancelled_by}, now=now)


def booking_moved(booking: Booking, old_slot: Slot, *, now: datetime) -> None:
    """booking.moved: the candidate (or a consultant) moved the meeting to another time of its session."""
    emit("booking.moved", booking.candidate, {**_booking(booking), "previous": _times(old_slot)}, now=now)


def session_changed(booking: Booking, *, old_times: tuple[datetime, datetime] | None, now: datetime) -> None:
    """session.changed: the employer changed the time (previous: the meeting's old time) or the place of a meeting
    (previous: null)."""
    previous = {"starts_at": _iso(old_times[0]), "ends_at": _iso(old_times[1])} if old_times else None
    emit("session.changed", booking.candidate,
         {**_booking(booking), "previous": previous, "place_changed": old_times is None}, now=now)


def waitlist_offered(offer: WaitlistOffer, *, now: datetime) -> None:
    """waitlist.offered: a freed time was offered to a candidate on the session's waiting list."""
    slot = offer.slot
    emit("waitlist.offered", offer.entry.candidate,
         {"offer": {"id": offer.id, "expires_at": _iso(offer.expires_at), **_times(slot)},
          "session": {"id": slot.session_id, "title": slot.session.title}}, now=now)


def outcome_recorded(booking: Booking, record: Outcome | ConsultantOutcome, *, now: datetime) -> None:
    """outcome.recorded: the employer or a consultant recorded (or corrected) what came of a meeting; the note is
    left out (free text)."""
    emit("outcome.recorded", booking.candidate, {
        "booking": {"id": booking.id, "session_id": booking.session_id},
        "outcome": {"recorded_by": "consultant" if isinstance(record, ConsultantOutcome) else "employer",
                    "attendance": record.attendance.value if record.attendance else None,
                    "result": record.result.value if record.result else None,
                    "employment_type": record.employment_type.value if record.employment_type else None,
                    "start_date": record.start_date.isoformat() if record.start_date else None,
                    "hours_per_week": record.hours_per_week}}, now=now)


def follow_up_recorded(follow_up: FollowUp, candidate: Candidate, *, now: datetime) -> None:
    """follow_up.recorded: a candidate's employment status 60 days after a course was recorded or corrected."""
    emit("follow_up.recorded", candidate, {"follow_up": {
        "course_run_id": follow_up.course_run_id, "status": follow_up.status.value, "source": follow_up.source,
        "recorded_at": _iso(follow_up.recorded_at)}}, now=now)
