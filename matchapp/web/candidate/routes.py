"""Candidates: find conversations, book several in one go, my meetings, my profile."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking, InterviewSession, Role, Slot
from matchapp.services import accounts
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import MatchappError
from matchapp.web import booking as pick
from matchapp.web.access import get_or_404, role_required
from matchapp.web.candidate import bp


class PitchForm(FlaskForm):
    pitch = TextAreaField(_l("About me"), validators=[Length(max=500, message=_l("Write at most 500 characters."))],
                          render_kw={"rows": 5})


class CancelForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=300)])


def me():
    return current_user.candidate


@bp.get("/")
@role_required(Role.CANDIDATE)
def find():
    return pick.pick_page(me())


@bp.post("/")
@role_required(Role.CANDIDATE)
def book():
    return pick.handle_pick(me(), done_endpoint="candidate.booked")


@bp.get("/booked")
@role_required(Role.CANDIDATE)
def booked():
    return pick.result_page(me(), pick_url=url_for("candidate.find"))


@bp.get("/meetings")
@role_required(Role.CANDIDATE)
def meetings():
    bookings = db.session.scalars(
        select(Booking).join(Slot).where(Booking.candidate_id == me().id)
        .options(selectinload(Booking.slot), selectinload(Booking.session).selectinload(InterviewSession.employer))
        .order_by(Slot.starts_at.desc())
    ).all()
    now = utcnow()
    upcoming = sorted((b for b in bookings if b.slot.ends_at > now and b.status == "confirmed"),
                      key=lambda b: b.slot.starts_at)
    other = [b for b in bookings if b not in upcoming]
    return render_template("candidate/meetings.html", upcoming=upcoming, other=other, form=CancelForm(), now=now)


@bp.post("/meetings/<int:booking_id>/cancel")
@role_required(Role.CANDIDATE)
def cancel(booking_id: int):
    booking = get_or_404(Booking, booking_id)
    if booking.candidate_id != me().id:
        abort(404)  # another candidate's meeting: do not even confirm that it exists
    form = CancelForm()
    if form.validate_on_submit():
        try:
            cancel_booking(booking, reason=form.reason.data, by=current_user, now=utcnow())
        except MatchappError as error:
            db.session.rollback()
            flash(str(error.message), "error")
        else:
            db.session.commit()
            flash(_("The meeting is cancelled. The employer has been told."), "success")
    return redirect(url_for("candidate.meetings"))


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.CANDIDATE)
def profile():
    form = PitchForm(obj=me())
    if form.validate_on_submit():
        accounts.update_pitch(me(), form.pitch.data, now=utcnow())
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("candidate.profile"))
    return render_template("candidate/profile.html", form=form, candidate=me())
