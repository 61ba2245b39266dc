"""Candidates: find conversations, book several in one go, my meetings, my profile."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import StringField, TextAreaField
from wtforms.validators import AnyOf, Length

from matchapp.extensions import db
from matchapp.labels import OPTION, labels
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, InterviewSession, NextStep, Role, Slot
from matchapp.services import accounts, waitlist
from matchapp.services import outcomes as outcome_service
from matchapp.services.availability import completed_course_ids
from matchapp.services.booking import cancel_booking
from matchapp.transaction import attempt
from matchapp.web import booking as pick
from matchapp.web import booking_result
from matchapp.web.access import get_or_404, role_required
from matchapp.web.candidate.blueprint import bp
from matchapp.web.forms_common import AppForm, BookingCancelForm


class PitchForm(AppForm):
    pitch = TextAreaField(_l("About me"), validators=[Length(max=500, message=_l("Write at most 500 characters."))],
                          render_kw={"rows": 5})


class FeedbackForm(AppForm):
    """One click of the two-click question: "yes" or "no" (did it happen), or a next step."""

    answer = StringField(validators=[AnyOf(["yes", "no", *NextStep])])
    next_steps = labels(NextStep, OPTION)  # the answers after "yes", each a button in the candidate's words

    def happened_and_next_step(self) -> tuple[bool, NextStep | None]:
        if self.answer.data == "no":
            return False, None
        return True, None if self.answer.data == "yes" else NextStep(self.answer.data)


def me():
    return current_user.candidate


def my_booking(booking_id: int) -> Booking:
    """The signed-in candidate's booking; 404 for another candidate's, so as not to confirm that it exists."""
    booking = get_or_404(Booking, booking_id)
    if booking.candidate_id != me().id:
        abort(404)
    return booking


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
    return booking_result.result_page(me(), pick_url=url_for("candidate.find"))


@bp.get("/meetings")
@role_required(Role.CANDIDATE)
def meetings():
    bookings = db.session.scalars(
        select(Booking).join(Slot).where(Booking.candidate_id == me().id)
        .options(selectinload(Booking.slot), selectinload(Booking.session).selectinload(InterviewSession.employer))
        .order_by(Slot.starts_at.desc())
    ).all()
    now = utcnow()
    confirmed = [b for b in bookings if b.status == BookingStatus.CONFIRMED]
    upcoming = sorted((b for b in confirmed if b.slot.ends_at > now), key=lambda b: b.slot.starts_at)
    past = [b for b in confirmed if b.slot.ends_at <= now]
    cancelled = [b for b in bookings if b.status != BookingStatus.CONFIRMED]
    return render_template("candidate/meetings.html", upcoming=upcoming, past=past, cancelled=cancelled,
                           feedback=outcome_service.feedback_by_booking([b.id for b in past]), form=BookingCancelForm(),
                           feedback_form=FeedbackForm(), now=now, waiting=waitlist.waiting_entries(me(), now=now),
                           candidate=me(), can_book=bool(completed_course_ids(me())))


@bp.post("/meetings/<int:booking_id>/cancel")
@role_required(Role.CANDIDATE)
def cancel(booking_id: int):
    booking = my_booking(booking_id)
    form = BookingCancelForm()
    if form.validate_on_submit():
        with attempt():
            cancel_booking(booking, reason=form.reason.data, by=current_user, now=utcnow())
            flash(_("The meeting is cancelled. The employer has been told."), "success")
    else:
        flash(str(form.reason.errors[0]) if form.reason.errors else _("The meeting could not be cancelled."), "error")
    return redirect(url_for("candidate.meetings"))


@bp.post("/meetings/<int:booking_id>/feedback")
@role_required(Role.CANDIDATE)
def feedback(booking_id: int):
    booking = my_booking(booking_id)
    form = FeedbackForm()
    if not form.validate_on_submit():
        abort(400)  # only the page's buttons send an answer
    happened, next_step = form.happened_and_next_step()
    with attempt():
        outcome_service.record_candidate_feedback(booking, happened=happened, next_step=next_step, by=current_user,
                                                  now=utcnow())
        half_answered = happened and next_step is None
        flash(_("Thank you. Now tell us what came of it.") if half_answered else _("Thank you. Your answer is saved."),
              "success")
    return redirect(url_for("candidate.meetings", _anchor=f"meeting-{booking.id}"))


@bp.route("/profile", methods=["GET", "POST"])
@role_required(Role.CANDIDATE)
def profile():
    form = PitchForm(obj=me())
    if form.validate_on_submit():
        accounts.update_pitch(me(), form.pitch.data, now=utcnow())
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("candidate.profile"))
    return render_template("candidate/profile.html", form=form, candidate=me())
