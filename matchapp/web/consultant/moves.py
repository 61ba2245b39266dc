"""Consultants: move a candidate's meeting to another free time of the same session."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from matchapp.models import Booking
from matchapp.web import move
from matchapp.web.access import candidate_in_my_jobcenter, get_or_404, role_required
from matchapp.web.consultant.blueprint import bp
from matchapp.web.consultant.routes import STAFF


def booking_of_my_candidate(booking_id: int) -> Booking:
    """A confirmed booking of a candidate in the consultant's job centre; 404 or 403 otherwise."""
    booking = move.movable(get_or_404(Booking, booking_id))
    candidate_in_my_jobcenter(booking.candidate_id)
    return booking


def candidate_page(booking: Booking) -> str:
    return url_for("consultant.candidate", candidate_id=booking.candidate_id, _anchor=f"booking-{booking.id}")


@bp.get("/bookings/<int:booking_id>/move")
@role_required(*STAFF)
def booking_move(booking_id: int):
    booking = booking_of_my_candidate(booking_id)
    return move.move_page(booking, back_url=candidate_page(booking))


@bp.post("/bookings/<int:booking_id>/move")
@role_required(*STAFF)
def booking_move_confirm(booking_id: int):
    booking = booking_of_my_candidate(booking_id)
    return move.handle_move(booking, back_url=candidate_page(booking), done_url=candidate_page(booking),
                            told=lambda time: _("The meeting is moved to %(time)s. The candidate and the employer "
                                                "have been told.", time=time))
