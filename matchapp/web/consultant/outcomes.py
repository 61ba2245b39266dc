"""Consultants: record what came of a candidate's meeting where the employer has not, or correct the employer's
record; the consultant's record is kept beside the employer's and counts in the figures instead."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus
from matchapp.services import outcomes as outcome_service
from matchapp.transaction import attempt
from matchapp.web.access import candidate_in_my_jobcenter, get_or_404, role_required
from matchapp.web.consultant.blueprint import bp
from matchapp.web.consultant.forms import ConsultantOutcomeForm
from matchapp.web.consultant.moves import candidate_page
from matchapp.web.consultant.routes import STAFF


def meeting_of_my_candidate(booking_id: int) -> Booking:
    """A booked (not cancelled) meeting of a candidate in the consultant's job centre; 404 or 403 otherwise."""
    booking = get_or_404(Booking, booking_id)
    candidate_in_my_jobcenter(booking.candidate_id)
    if booking.status != BookingStatus.CONFIRMED:
        abort(404)
    return booking


@bp.route("/bookings/<int:booking_id>/outcome", methods=["GET", "POST"])
@role_required(*STAFF)
def booking_outcome(booking_id: int):
    booking = meeting_of_my_candidate(booking_id)
    if request.method == "GET":
        recorded = outcome_service.consultant_outcomes_by_booking([booking.id]).get(booking.id)
        return render_outcome(booking, ConsultantOutcomeForm(data=recorded and ConsultantOutcomeForm.outcome_data(
            recorded)))
    form = ConsultantOutcomeForm()
    if form.validate():
        with attempt(show=False) as tried:
            outcome_service.record_consultant_outcome(booking, form.outcome_entry(booking.id), by=current_user,
                                                      now=utcnow())
            flash(_("Your record of the meeting is saved. The figures count it instead of the employer's."),
                  "success")
            return redirect(candidate_page(booking))
        problems = getattr(tried.error, "rows", {}).get(booking.id, {})
        if problems and booking.slot.starts_at <= utcnow():
            form.show_refusal(problems)
        else:  # no form on the page (the meeting is still to come), or a refusal of the whole
            for message in list(problems.values()) or [str(tried.error.message)]:
                flash(message, "error")
    return render_outcome(booking, form, 422)


def render_outcome(booking: Booking, form: ConsultantOutcomeForm, status: int = 200):
    now = utcnow()
    return render_template("consultant/booking_outcome.html", booking=booking, form=form,
                           sides=outcome_service.both_sides([booking])[booking.id],
                           started=booking.slot.starts_at <= now, back_url=candidate_page(booking)), status
