"""Consultants: the job centre's candidates, booking on their behalf, approving employers, the 60-day follow-up."""
from __future__ import annotations

from datetime import datetime, time

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    Booking,
    Candidate,
    Course,
    CourseRun,
    Employer,
    Enrollment,
    InterviewSession,
    Jobcenter,
    Role,
    Slot,
    TargetGroup,
    User,
)
from matchapp.services import accounts, catalogue, waitlist
from matchapp.services import outcomes as outcome_service
from matchapp.services.booking import cancel_booking
from matchapp.transaction import attempt
from matchapp.web import booking as pick
from matchapp.web import booking_result
from matchapp.web.access import candidate_in_my_jobcenter, course_run_in_my_jobcenter, get_or_404, role_required
from matchapp.web.consultant import queries
from matchapp.web.consultant.blueprint import bp
from matchapp.web.consultant.forms import CandidateForm, CompletionForm, FollowUpForm
from matchapp.web.forms_common import ActionForm, BookingCancelForm
from matchapp.web.inputs import page_number, search_text

STAFF = (Role.CONSULTANT, Role.ADMIN)


@bp.get("/")
@role_required(*STAFF)
def candidates():
    query = select(Candidate).join(User, Candidate.user_id == User.id).options(
        selectinload(Candidate.user), selectinload(Candidate.consultant)
    ).where(User.erased_at.is_(None)).order_by(User.name)
    if current_user.role == Role.CONSULTANT:
        query = query.where(Candidate.jobcenter_id == current_user.jobcenter_id)
    search = search_text()
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(User.name.ilike(pattern), User.email.ilike(pattern)))
    page = db.paginate(query, page=page_number(), per_page=20)
    return render_template("consultant/candidates.html", page=page, search=search)


def candidate_form() -> CandidateForm:
    form = CandidateForm()
    jobcenters = db.session.scalars(select(Jobcenter).order_by(Jobcenter.name)).all()
    if current_user.role == Role.CONSULTANT:
        jobcenters = [j for j in jobcenters if j.id == current_user.jobcenter_id]
    form.jobcenter_id.choices = [SelectChoice(j.id, j.name) for j in jobcenters]
    consultants = db.session.scalars(select(User).where(User.role == Role.CONSULTANT,
                                                        User.jobcenter_id.in_([j.id for j in jobcenters]))
                                     .order_by(User.name)).all()
    form.consultant_id.choices = [SelectChoice(c.id, c.name) for c in consultants]
    if request.method == "GET" and current_user.role == Role.CONSULTANT:
        form.consultant_id.data = current_user.id
    return form


@bp.route("/candidates/new", methods=["GET", "POST"])
@role_required(*STAFF)
def candidate_new():
    form = candidate_form()
    if form.validate_on_submit():
        data = accounts.CandidateData(name=form.name.data, email=form.email.data, phone=form.phone.data,
                                      jobcenter_id=form.jobcenter_id.data,
                                      target_group=TargetGroup(form.target_group.data),
                                      consultant_id=form.consultant_id.data)
        with attempt(form):
            candidate = accounts.create_candidate(data, created_by=current_user, now=utcnow())
            flash(_("The candidate is created and has been e-mailed how to sign in."), "success")
            return redirect(url_for("consultant.candidate", candidate_id=candidate.id))
    return render_template("consultant/candidate_new.html", form=form), 422 if form.errors else 200


def completion_form(candidate: Candidate) -> CompletionForm:
    form = CompletionForm()
    runs = db.session.scalars(select(CourseRun).join(Course).where(CourseRun.jobcenter_id == candidate.jobcenter_id)
                              .options(selectinload(CourseRun.course))
                              .order_by(CourseRun.ends_on.desc(), Course.name)).all()
    form.course_run_id.choices = [SelectChoice(r.id, f"{r.course.name} ({formats.day_span(r.starts_on, r.ends_on)})")
                                  for r in runs]
    return form


@bp.get("/candidates/<int:candidate_id>")
@role_required(*STAFF)
def candidate(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    return render_candidate(candidate, completion_form(candidate))


def render_candidate(candidate: Candidate, form: CompletionForm, status: int = 200):
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.candidate_id == candidate.id)
        .options(selectinload(Enrollment.course_run).selectinload(CourseRun.course))).all()
    bookings = db.session.scalars(
        select(Booking).join(Slot).where(Booking.candidate_id == candidate.id)
        .options(selectinload(Booking.slot), selectinload(Booking.booked_by),
                 selectinload(Booking.session).selectinload(InterviewSession.employer))
        .order_by(Slot.starts_at.desc())).all()
    return render_template("consultant/candidate.html", candidate=candidate, enrollments=enrollments,
                           bookings=bookings, sides=outcome_service.both_sides(bookings), form=form,
                           action_form=ActionForm(), now=utcnow(),
                           waiting=waitlist.waiting_entries(candidate, now=utcnow())), status


@bp.post("/candidates/<int:candidate_id>/completions")
@role_required(*STAFF)
def completion_add(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    form = completion_form(candidate)
    if not form.validate_on_submit():
        return render_candidate(candidate, form, 422)
    run = get_or_404(CourseRun, form.course_run_id.data)
    completed_at = datetime.combine(form.completed_on.data, time(12), tzinfo=LOCAL_TZ)
    catalogue.record_completion(candidate, run, completed_at, by=current_user, now=utcnow())
    flash(_("The course completion is recorded."), "success")
    return redirect(url_for("consultant.candidate", candidate_id=candidate.id))


@bp.post("/candidates/<int:candidate_id>/deactivate")
@role_required(*STAFF)
def candidate_deactivate(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    accounts.deactivate_user(candidate.user, by=current_user, now=utcnow())
    flash(_("%(name)s can no longer sign in.", name=candidate.user.name), "success")
    return redirect(url_for("consultant.candidate", candidate_id=candidate.id))


@bp.post("/candidates/<int:candidate_id>/reactivate")
@role_required(*STAFF)
def candidate_reactivate(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    with attempt():
        accounts.reactivate_user(candidate.user, by=current_user, now=utcnow())
        flash(_("%(name)s can sign in again.", name=candidate.user.name), "success")
    return redirect(url_for("consultant.candidate", candidate_id=candidate.id))


@bp.get("/candidates/<int:candidate_id>/book")
@role_required(*STAFF)
def candidate_book(candidate_id: int):
    return pick.pick_page(candidate_in_my_jobcenter(candidate_id))


@bp.post("/candidates/<int:candidate_id>/book")
@role_required(*STAFF)
def candidate_book_confirm(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    return pick.handle_pick(candidate, done_endpoint="consultant.candidate_booked", candidate_id=candidate.id)


@bp.get("/candidates/<int:candidate_id>/booked")
@role_required(*STAFF)
def candidate_booked(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    return booking_result.result_page(candidate,
                                      pick_url=url_for("consultant.candidate_book", candidate_id=candidate.id))


@bp.post("/bookings/<int:booking_id>/cancel")
@role_required(*STAFF)
def booking_cancel(booking_id: int):
    booking = get_or_404(Booking, booking_id)
    candidate = candidate_in_my_jobcenter(booking.candidate_id)
    form = BookingCancelForm()
    if not form.validate():
        flash(str(form.reason.errors[0]) if form.reason.errors else _("The meeting could not be cancelled."), "error")
        return redirect(url_for("consultant.candidate", candidate_id=candidate.id))
    with attempt():
        cancel_booking(booking, reason=form.reason.data or "", by=current_user, now=utcnow())
        flash(_("The meeting is cancelled. The candidate and the employer have been told."), "success")
    return redirect(url_for("consultant.candidate", candidate_id=candidate.id))


@bp.get("/employers")
@role_required(*STAFF)
def employers():
    page = db.paginate(select(Employer).order_by(Employer.approved_at.is_not(None), Employer.name), page=page_number(),
                       per_page=20)
    return render_template("consultant/employers.html", page=page, form=ActionForm())


@bp.post("/employers/<int:employer_id>/approve")
@role_required(*STAFF)
def employer_approve(employer_id: int):
    employer = get_or_404(Employer, employer_id)
    accounts.approve_employer(employer, by=current_user, now=utcnow())
    flash(_("%(name)s is approved and can publish sessions.", name=employer.name), "success")
    return redirect(url_for("consultant.employers"))


@bp.get("/runs")
@role_required(*STAFF)
def runs():
    query = select(CourseRun).join(Course).options(selectinload(CourseRun.course), selectinload(CourseRun.jobcenter)) \
        .order_by(CourseRun.ends_on.desc(), Course.name, CourseRun.id)
    if current_user.role == Role.CONSULTANT:
        query = query.where(CourseRun.jobcenter_id == current_user.jobcenter_id)
    page = db.paginate(query, page=page_number(), per_page=20)
    counts = queries.follow_up_counts([r.id for r in page.items])
    return render_template("consultant/runs.html", page=page, counts=counts, due_on=outcome_service.follow_up_due_on)


@bp.route("/runs/<int:run_id>/follow-up", methods=["GET", "POST"])
@role_required(*STAFF)
def run_follow_up(run_id: int):
    run = course_run_in_my_jobcenter(run_id)
    if request.method == "GET":
        rows = outcome_service.follow_up_rows(run)
        return render_follow_up(run, FollowUpForm.prefilled(rows), rows)
    form = FollowUpForm()
    if form.validate():
        with attempt(form):
            saved = outcome_service.record_follow_ups(run, form.statuses(), by=current_user, now=utcnow())
            flash(ngettext("The status of %(num)d candidate is saved.", "The status of %(num)d candidates is saved.",
                           saved), "success")
            return redirect(url_for("consultant.run_follow_up", run_id=run.id))
    return render_follow_up(run, form, outcome_service.follow_up_rows(run), status=422)


def render_follow_up(run: CourseRun, form: FollowUpForm, rows: list[outcome_service.FollowUpRow], status: int = 200):
    return render_template("consultant/run_follow_up.html", run=run, form=form,
                           due_on=outcome_service.follow_up_due_on(run),
                           rows={row.candidate.id: row for row in rows}), status
