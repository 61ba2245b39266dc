"""The move page, shared by candidates and by consultants moving a meeting on a candidate's behalf."""
from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from matchapp import formats
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus
from matchapp.services import moves
from matchapp.services.errors import Conflict, SelectionError
from matchapp.transaction import attempt
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import parse_id


def movable(booking: Booking) -> Booking:
    """The booking, if it is a meeting that can be moved at all; 404 for a cancelled one."""
    if booking.status != BookingStatus.CONFIRMED:
        abort(404)
    return booking


def move_page(booking: Booking, *, back_url: str, chosen: int | None = None, problems: list[str] = (),
              status: int = 200):
    """The session's free times that fit, as radio buttons, with the meeting's current time among them."""
    choices = moves.move_choices(booking, now=utcnow())
    times = sorted([booking.slot, *choices], key=lambda slot: slot.starts_at)
    return render_template("booking/move.html", booking=booking, times=times, has_choices=bool(choices),
                           chosen=chosen or booking.slot_id, problems=problems, back_url=back_url,
                           form=ActionForm()), status


def handle_move(booking: Booking, *, back_url: str, done_url: str, told: Callable[[str], str]):
    """Move the booking to the chosen time and go back with a message naming it; or show the page again with
    what stood in the way (nothing is changed then)."""
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    slot_id = parse_id(request.form.get("slot"))
    if slot_id is None:
        return move_page(booking, back_url=back_url, problems=[_("Choose a new time.")], status=422)
    with attempt(show=False) as tried:
        moves.move_booking(booking, slot_id, by=current_user, now=utcnow())
        flash(told(formats.slot_time(booking.slot.starts_at)), "success")
        return redirect(done_url)
    error = tried.error
    if isinstance(error, SelectionError):
        return move_page(booking, back_url=back_url, chosen=slot_id, problems=error.problems, status=422)
    return move_page(booking, back_url=back_url, chosen=slot_id, problems=[str(error.message)],
                     status=409 if isinstance(error, Conflict) else 422)
