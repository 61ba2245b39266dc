"""Employers: interview sessions, their slots and who booked them."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Course, InterviewSession, Role, Slot
from matchapp.services import outcomes as outcome_service
from matchapp.services import sessions as session_service
from matchapp.services import waitlist
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404, role_required
from matchapp.web.employer import queries
from matchapp.web.employer.blueprint import bp
from matchapp.web.employer.forms import CancelForm, OutcomesForm, SessionForm
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number


def my_session(session_id: int) -> InterviewSession:
    """A session of the signed-in employer's organisation: 404 if missing, 403 if another's."""
    session = get_or_404(InterviewSession, session_id)
    if session.employer_id != current_user.employer_id:
        abort(403)
    return session


def session_form(**kwargs) -> SessionForm:
    form = SessionForm(**kwargs)
    courses = db.session.scalars(select(Course).order_by(Course.name))
    form.courses.choices = [SelectChoice(c.id, c.name) for c in courses]
    return form


@bp.get("/")
@role_required(Role.EMPLOYER)
def dashboard():
    page = db.paginate(select(InterviewSession).where(InterviewSession.employer_id == current_user.employer_id)
                       .order_by(InterviewSession.starts_at.desc()), page=page_number(), per_page=20)
    counts = queries.slot_counts([s.id for s in page.items])
    return render_template("employer/dashboard.html", page=page, counts=counts, employer=current_user.employer,
                           waiting=waitlist.waiting_counts([s.id for s in page.items]))


@bp.route("/sessions/new", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def session_new():
    form = session_form()
    if form.validate_on_submit():
        with attempt(form):
            session = session_service.create_session(form.to_draft(), by=current_user, now=utcnow())
            return redirect(url_for("employer.session", session_id=session.id))
    return render_template("employer/session_form.html", form=form, session=None), 422 if form.errors else 200


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def session_edit(session_id: int):
    session = my_session(session_id)
    form = session_form(obj=session)
    if request.method == "GET":
        form.courses.data = [c.id for c in session.courses]
        form.mode.data = session.mode.value
    if form.validate_on_submit():
        with attempt(form):
            session_service.update_draft(session, form.to_draft(), by=current_user, now=utcnow())
            return redirect(url_for("employer.session", session_id=session.id))
    return render_template("employer/session_form.html", form=form, session=session), 422 if form.errors else 200


@bp.get("/sessions/<int:session_id>")
@role_required(Role.EMPLOYER)
def session(session_id: int):
    session = my_session(session_id)
    lanes = queries.lanes_with_bookings(session)
    return render_template("employer/session.html", session=session, lanes=lanes, form=ActionForm(),
                           cancel_form=CancelForm(), started=session.starts_at <= utcnow(),
                           waiting=waitlist.waiting_counts([session.id]).get(session.id, 0))


@bp.route("/sessions/<int:session_id>/outcomes", methods=["GET", "POST"])
@role_required(Role.EMPLOYER)
def session_outcomes(session_id: int):
    session = my_session(session_id)
    if request.method == "GET":
        meetings = outcome_service.meetings_of(session)
        form = OutcomesForm.prefilled(meetings, outcome_service.outcomes_by_booking([b.id for b in meetings]))
        return render_outcomes(session, form, meetings)
    form, problem = OutcomesForm(), None
    if form.validate():
        with attempt(show=False) as tried:
            saved = outcome_service.record_outcomes(session, form.entries(), by=current_user, now=utcnow())
            flash(ngettext("%(num)d outcome is saved.", "%(num)d outcomes are saved.", saved), "success")
            return redirect(url_for("employer.session_outcomes", session_id=session.id))
        form.show_row_errors(tried.error.rows)
        problem = tried.error.message
    return render_outcomes(session, form, outcome_service.meetings_of(session), problem, status=422)


def render_outcomes(session: InterviewSession, form: OutcomesForm, meetings: list, problem=None, status: int = 200):
    return render_template("employer/session_outcomes.html", session=session, form=form,
                           meetings={b.id: b for b in meetings}, problem=problem, now=utcnow()), status


@bp.post("/sessions/<int:session_id>/publish")
@role_required(Role.EMPLOYER)
def session_publish(session_id: int):
    session = my_session(session_id)
    with attempt():
        session_service.publish_session(session, by=current_user, now=utcnow())
        flash(_("The session is published. Candidates can book it now."), "success")
    return redirect(url_for("employer.session", session_id=session.id))


@bp.post("/sessions/<int:session_id>/cancel")
@role_required(Role.EMPLOYER)
def session_cancel(session_id: int):
    session = my_session(session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Write a reason for the candidates."), "error")
    else:
        with attempt():
            count = session_service.cancel_session(session, form.reason.data, by=current_user, now=utcnow())
            flash(ngettext("The session is cancelled. %(num)d candidate has been told.",
                           "The session is cancelled. %(num)d candidates have been told.", count), "success")
    return redirect(url_for("employer.session", session_id=session.id))


@bp.post("/slots/<int:slot_id>/cancel")
@role_required(Role.EMPLOYER)
def slot_cancel(slot_id: int):
    slot = get_or_404(Slot, slot_id)
    my_session(slot.session_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("Write a reason for the candidates."), "error")
    else:
        with attempt():
            session_service.cancel_slot(slot, form.reason.data, by=current_user, now=utcnow())
            flash(_("The time is cancelled."), "success")
    return redirect(url_for("employer.session", session_id=slot.session_id))
