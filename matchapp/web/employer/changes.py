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
from matchapp.services.errors import MatchappError
from matchapp.services.session_changes import ReasonNeeded, SessionMoved
from matchapp.services.session_clashes import ClashesFound
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


def render_change(session: InterviewSession, *, asked: MatchappError | None = None, status: int = 200, **sent):
    """The change page; `asked`: the service's question before a change that affects booked candidates (a reason
    for the meetings it cancels, or the confirmation of what a move does to those it puts in a clash)."""
    forms = _forms(session, **sent)
    booked = sum(1 for rows in queries.lanes_with_bookings(session).values() for row in rows if row.booking)
    return render_template("employer/session_change.html", session=session, booked=booked,
                           ask_reason=isinstance(asked, ReasonNeeded) or bool(forms["times"].reason.data),
                           clashes=asked if isinstance(asked, ClashesFound) else None, **forms), status


def _apply(session: InterviewSession, form, change, message):
    """Validate the sent form, make the change and go back to the session; else the page again (422), asking what
    the service asks for first (ReasonNeeded, ClashesFound)."""
    asked = None
    if form.validate_on_submit():
        with attempt(form) as tried:
            count = change(form)
            flash(message(count), "success")
            return redirect(url_for("employer.session", session_id=session.id))
        asked = tried.error
    return render_change(session, asked=asked, status=422, **{form._prefix.rstrip("-"): form})


def _moved(done: SessionMoved) -> str:
    """What the employer is told after a move: how many candidates were told, and what the clashes did (rule 10)."""
    words = [ngettext("The session is moved. %(num)d candidate has been told.",
                      "The session is moved. %(num)d candidates have been told.", done.told)]
    if done.other_time:
        words.append(_("%(num)d of them got another time in the session, because of a clash.",
                       num=done.other_time))
    if done.cancelled:
        words.append(ngettext("%(num)d meeting was cancelled, because of a clash.",
                              "%(num)d meetings were cancelled, because of a clash.", done.cancelled))
    return " ".join(words)


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
        session, form.local_date.data, form.start_time.data, confirm=form.confirm.data, by=current_user,
        now=utcnow()), _moved)


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
