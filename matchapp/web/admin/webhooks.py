"""Admins: the webhook subscriptions of integrations (a job centre's own systems, added in integrations.py), and
each subscription's deliveries, with "send again" for one that failed or was lost."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import BooleanField, SelectChoice, SelectField

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import (
    Integration,
    OutboxStatus,
    Role,
    WebhookDelivery,
    WebhookSubscription,
)
from matchapp.services import webhooks
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404, role_required
from matchapp.web.admin.blueprint import bp
from matchapp.web.forms_common import ActionForm, AppForm, MultiCheckboxField, as_id, text_field
from matchapp.web.inputs import page_number

# Why each event is sent, as the form's options say it.
EVENT_LABELS = {
    "booking.created": _l("A meeting is booked (booking.created)"),
    "booking.cancelled": _l("A meeting is cancelled (booking.cancelled)"),
    "booking.moved": _l("A meeting is moved to another time (booking.moved)"),
    "session.changed": _l("The employer changes the time or place (session.changed)"),
    "waitlist.offered": _l("A free time is offered from the waiting list (waitlist.offered)"),
    "outcome.recorded": _l("What came of a meeting is recorded (outcome.recorded)"),
    "follow_up.recorded": _l("The status 60 days after a course is recorded (follow_up.recorded)"),
}
# The deliveries the page can show: all, or those of one state.
SHOWN = {"failing": _l("Failing"), "dead": _l("Given up")}


class SubscriptionForm(AppForm):
    integration_id = SelectField(_l("System"), coerce=as_id)
    url = text_field(_l("Address (URL)"), _l("Enter the address."), max_length=webhooks.URL_MAX)
    events = MultiCheckboxField(_l("Events"), choices=[SelectChoice(e, words) for e, words in EVENT_LABELS.items()])
    personal = BooleanField(_l("Include the candidate's name, e-mail address and external id (candidates:read)"))
    insecure = BooleanField(_l("Allow an address without https, for testing only"))


def _form() -> SubscriptionForm:
    form = SubscriptionForm(prefix="hook")
    form.integration_id.choices = [
        SelectChoice(i.id, f"{i.name} ({i.jobcenter.name})")
        for i in db.session.scalars(select(Integration).order_by(Integration.name))]
    return form


def _index(subscription_form: SubscriptionForm, status: int = 200):
    subscriptions = db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
    problems = dict(db.session.execute(
        select(WebhookDelivery.subscription_id, func.count())
        .where(WebhookDelivery.status == OutboxStatus.DEAD).group_by(WebhookDelivery.subscription_id)).all())
    return render_template("admin/webhooks.html", subscriptions=subscriptions, dead=problems,
                           subscription_form=subscription_form), status


@bp.get("/webhooks")
@role_required(Role.ADMIN)
def webhooks_index():
    return _index(_form())


@bp.post("/webhooks")
@role_required(Role.ADMIN)
def webhook_new():
    form = _form()
    if form.validate_on_submit():
        with attempt(form):
            subscription, secret = webhooks.subscribe(
                get_or_404(Integration, form.integration_id.data), form.url.data, form.events.data,
                personal=form.personal.data, insecure_allowed=form.insecure.data, by=current_user, now=utcnow())
            # The secret is shown on this answer only: not in a redirect's flash message, which the cookie holds.
            return render_template("admin/webhook_secret.html", subscription=subscription, secret=secret)
    return _index(form, 422)


@bp.get("/webhooks/<int:subscription_id>")
@role_required(Role.ADMIN)
def webhook(subscription_id: int):
    subscription = get_or_404(WebhookSubscription, subscription_id)
    shown = request.args.get("show") if request.args.get("show") in SHOWN else None
    query = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription.id)
    if shown == "dead":
        query = query.where(WebhookDelivery.status == OutboxStatus.DEAD)
    elif shown == "failing":
        query = query.where(WebhookDelivery.attempts > 0, WebhookDelivery.status != OutboxStatus.SENT)
    page = db.paginate(query.order_by(WebhookDelivery.id.desc()), page=page_number(), per_page=20)
    counts = dict(db.session.execute(
        select(WebhookDelivery.status, func.count()).where(WebhookDelivery.subscription_id == subscription.id)
        .group_by(WebhookDelivery.status)).all())
    return render_template("admin/webhook.html", subscription=subscription, page=page, counts=counts, shown=shown,
                           shown_labels=SHOWN, event_labels=EVENT_LABELS, form=ActionForm())


@bp.post("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/send-again")
@role_required(Role.ADMIN)
def webhook_send_again(subscription_id: int, delivery_id: int):
    delivery = get_or_404(WebhookDelivery, delivery_id)
    if delivery.subscription_id != subscription_id:
        abort(404)
    with attempt():
        webhooks.send_again(delivery, by=current_user, now=utcnow())
        flash(_("The event will be sent again."), "success")
    return redirect(url_for("admin.webhook", subscription_id=subscription_id))
