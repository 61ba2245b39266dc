"""Employers change a published session: its times and interviewers, its day, its place; and move a booked meeting
to another interviewer."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchapp.localtime import utcnow
from matchapp.models import Booking, InterviewSession, Role
from matchapp.services import session_changes
from matchapp.services.session_changes import ReasonNeeded
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404, role_required
from matchapp.web.employer import queries
from matchapp.web.employer.blueprint import bp
from matchapp.web.employer.forms import InterviewerForm, MoveForm, PlaceForm, TimesForm
from matchapp.web.employer.routes import my_session


def _forms(session: InterviewSession, **sent) -> dict:
    """The page's three forms: the one sent (with what the employer typed), the others showing the session."""
    shown = {
        "times": lambda: TimesForm(prefix="times", formdata=None, data={
            "start_time": session.start_time, "end_time": session.end_time, "interviewers": session.interviewers}),
        "move": lambda: MoveForm(prefix="move", formdata=None, data={
            "local_date": session.local_date, "start_time": session.start_time}),
        "place": lambda: PlaceForm(prefix="place", formdata=None, data={
            "video_url": session.video_url, "address": session.address}),
    }
    return {name: sent.get(name) or make() for name, make in shown.items()}


def render_change(session: InterviewSession, *, ask_reason: bool = False, status: int = 200, **sent):
    forms = _forms(session, **sent)
    booked = sum(1 for rows in queries.lanes_with_bookings(session).values() for row in rows if row.booking)
    return render_template("employer/session_change.html", session=session, booked=booked,
                           ask_reason=ask_reason or bool(forms["times"].reason.data), **forms), status


def _apply(session: InterviewSession, form, change, message):
    """Validate the sent form, make the change and go back to the session; else the page again (422)."""
    ask_reason = False
    if form.validate_on_submit():
        with attempt(form) as tried:
            count = change(form)
            flash(message(count), "success")
            return redirect(url_for("employer.session", session_id=session.id))
        ask_reason = isinstance(tried.error, ReasonNeeded)
    return render_change(session, ask_reason=ask_reason, status=422, **{form._prefix.rstrip("-"): form})


@bp.get("/sessions/<int:session_id>/change")
@role_required(Role.EMPLOYER)
def session_change(session_id: int):
    return render_change(my_session(session_id))


@bp.post("/sessions/<int:session_id>/change/times")
@role_required(Role.EMPLOYER)
def session_change_times(session_id: int):
    session = my_session(session_id)
    return _apply(session, TimesForm(prefix="times"), lambda form: session_changes.change_times(
        session, form.start_time.data, form.end_time.data, form.interviewers.data, reason=form.reason.data,
        by=current_user, now=utcnow()), lambda cancelled: ngettext(
        "The times are changed. %(num)d meeting was cancelled.",
        "The times are changed. %(num)d meetings were cancelled.", cancelled) if cancelled
        else _("The times are changed."))


@bp.post("/sessions/<int:session_id>/change/move")
@role_required(Role.EMPLOYER)
def session_move(session_id: int):
    session = my_session(session_id)
    return _apply(session, MoveForm(prefix="move"), lambda form: session_changes.move_session(
        session, form.local_date.data, form.start_time.data, by=current_user, now=utcnow()), lambda told: ngettext(
        "The session is moved. %(num)d candidate has been told.",
        "The session is moved. %(num)d candidates have been told.", told))


@bp.post("/sessions/<int:session_id>/change/place")
@role_required(Role.EMPLOYER)
def session_change_place(session_id: int):
    session = my_session(session_id)
    return _apply(session, PlaceForm(prefix="place"), lambda form: session_changes.change_place(
        session, video_url=form.video_url.data, address=form.address.data, by=current_user, now=utcnow()),
        lambda told: ngettext("The place is changed. %(num)d candidate has been told.",
                              "The place is changed. %(num)d candidates have been told.", told))


@bp.post("/bookings/<int:booking_id>/interviewer")
@role_required(Role.EMPLOYER)
def booking_interviewer(booking_id: int):
    booking = get_or_404(Booking, booking_id)
    my_session(booking.session_id)
    form = InterviewerForm()
    if not form.validate_on_submit():
        flash(_("Choose one of the session's interviewers."), "error")
        return redirect(url_for("employer.session", session_id=booking.session_id))
    with attempt():
        session_changes.change_interviewer(booking, form.lane.data, by=current_user, now=utcnow())
        flash(_("The meeting is moved to interviewer %(lane)d.", lane=form.lane.data), "success")
    return redirect(url_for("employer.session", session_id=booking.session_id))
