"""Candidates: move a meeting to another free time of the same session."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from matchapp.models import Role
from matchapp.web import move
from matchapp.web.access import role_required
from matchapp.web.candidate.blueprint import bp
from matchapp.web.candidate.routes import my_booking


@bp.get("/meetings/<int:booking_id>/move")
@role_required(Role.CANDIDATE)
def move_meeting(booking_id: int):
    return move.move_page(move.movable(my_booking(booking_id)), back_url=url_for("candidate.meetings"))


@bp.post("/meetings/<int:booking_id>/move")
@role_required(Role.CANDIDATE)
def move_meeting_confirm(booking_id: int):
    booking = move.movable(my_booking(booking_id))
    return move.handle_move(booking, back_url=url_for("candidate.meetings"), done_url=url_for("candidate.meetings"),
                            told=lambda time: _("Your meeting is moved to %(time)s. The employer has been told.",
                                                time=time))
