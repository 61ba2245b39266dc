"""The offer link: GET shows the free time and a button, POST books it (the first to answer gets it)."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from wtforms.validators import NumberRange, Optional

from matchapp.localtime import utcnow
from matchapp.services import booking, offers
from matchapp.web.auth import limits
from matchapp.web.forms_common import AppForm, WholeNumberField
from matchapp.web.offers.blueprint import bp


class OfferForm(AppForm):
    """The button "Book this time"; `slot` names another free time of the session when the offered one is gone."""

    slot = WholeNumberField(validators=[Optional(), NumberRange(min=1)])


@bp.route("/<token>", methods=["GET", "POST"])
@limits.limited(limits.LINK_USE, account_key=limits.link_token)
def offer(token: str):
    # The GET only shows a button: mail scanners that open links must not book anything.
    form = OfferForm()
    try:
        if request.method == "POST":
            if not form.validate_on_submit():
                abort(400)
            answer = booking.claim_offer(token, form.slot.data, now=utcnow())
        else:
            answer = offers.look_up(token, now=utcnow())
    except offers.OfferUnknown:
        abort(404)
    except offers.OfferGone:
        abort(410)
    if answer.state == offers.BOOKED and request.method == "POST":
        # post/redirect/get: a reload shows the booking again, books nothing
        return redirect(url_for("offers.offer", token=token))
    return render_template("offers/offer.html", answer=answer, form=OfferForm(formdata=None))
