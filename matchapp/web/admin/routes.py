"""Admins: job centres, courses, course runs, consultants, and the development mailbox."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Course, CourseRun, Employer, Jobcenter, OutboxMessage, OutboxStatus, Role, User
from matchapp.services import accounts, catalogue, erasure
from matchapp.services import mailbox as outbox  # the view below is called mailbox
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404, role_required
from matchapp.web.admin.blueprint import bp
from matchapp.web.admin.forms import ConsultantForm, CourseForm, CourseRunForm, JobcenterForm
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number


def forms() -> dict:
    jobcenters = [SelectChoice(j.id, j.name) for j in db.session.scalars(select(Jobcenter).order_by(Jobcenter.name))]
    run_form, consultant_form = CourseRunForm(prefix="run"), ConsultantForm(prefix="consultant")
    courses = db.session.scalars(select(Course).order_by(Course.name))
    run_form.course_id.choices = [SelectChoice(c.id, c.name) for c in courses]
    run_form.jobcenter_id.choices = consultant_form.jobcenter_id.choices = jobcenters
    return {"jobcenter": JobcenterForm(prefix="jobcenter"), "course": CourseForm(prefix="course"),
            "run": run_form, "consultant": consultant_form}


def dashboard_page(forms: dict, status: int = 200):
    return render_template(
        "admin/dashboard.html", forms=forms,
        jobcenters=db.session.scalars(select(Jobcenter).order_by(Jobcenter.name)).all(),
        courses=db.session.scalars(select(Course).order_by(Course.name)).all(),
        runs=db.session.scalars(select(CourseRun).options(selectinload(CourseRun.course),
                                                          selectinload(CourseRun.jobcenter))
                                .order_by(CourseRun.starts_on.desc()).limit(50)).all(),
        consultants=db.session.scalars(select(User).where(User.role == Role.CONSULTANT)
                                       .options(selectinload(User.jobcenter)).order_by(User.name)).all(),
    ), status


@bp.get("/")
@role_required(Role.ADMIN)
def dashboard():
    return dashboard_page(forms())


def _create(kind: str, action, done: str):
    """Validate one of the dashboard's forms and run its service; the page again with errors otherwise."""
    all_forms = forms()
    form = all_forms[kind]
    if form.validate_on_submit():
        with attempt(form):
            action(form)
            flash(done, "success")
            return redirect(url_for("admin.dashboard"))
    return dashboard_page(all_forms, 422)


@bp.post("/jobcenters")
@role_required(Role.ADMIN)
def jobcenter_new():
    return _create("jobcenter", lambda f: catalogue.create_jobcenter(f.name.data, by=current_user, now=utcnow()),
                   _("The job centre is added."))


@bp.post("/courses")
@role_required(Role.ADMIN)
def course_new():
    return _create("course", lambda f: catalogue.create_course(f.name.data, f.description.data or "",
                                                               by=current_user, now=utcnow()),
                   _("The course is added."))


@bp.post("/course-runs")
@role_required(Role.ADMIN)
def course_run_new():
    return _create("run", lambda f: catalogue.create_course_run(
        get_or_404(Course, f.course_id.data), get_or_404(Jobcenter, f.jobcenter_id.data), f.starts_on.data,
        f.ends_on.data, by=current_user, now=utcnow()), _("The course run is added."))


@bp.post("/consultants")
@role_required(Role.ADMIN)
def consultant_new():
    return _create("consultant", lambda f: accounts.create_staff(
        name=f.name.data, email=f.email.data, role=Role.CONSULTANT,
        jobcenter=get_or_404(Jobcenter, f.jobcenter_id.data), by=current_user, now=utcnow()),
        _("The consultant is added and has been e-mailed a link to choose a password."))


@bp.post("/users/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def user_deactivate(user_id: int):
    user = get_or_404(User, user_id)
    if user.id == current_user.id:
        abort(409)  # an admin does not lock themselves out
    accounts.deactivate_user(user, by=current_user, now=utcnow())
    flash(_("%(name)s can no longer sign in.", name=user.name), "success")
    return redirect(_back_to(user))


@bp.post("/users/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def user_reactivate(user_id: int):
    user = get_or_404(User, user_id)
    with attempt():
        accounts.reactivate_user(user, by=current_user, now=utcnow())
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    return redirect(_back_to(user))


def _back_to(user: User) -> str:
    """The page the admin manages this user's access on: their organisation's, or the dashboard (consultants)."""
    if user.employer_id:
        return url_for("admin.employer", employer_id=user.employer_id)
    return url_for("admin.dashboard")


@bp.get("/employers/<int:employer_id>")
@role_required(Role.ADMIN)
def employer(employer_id: int):
    organisation = get_or_404(Employer, employer_id)
    members = db.session.scalars(select(User).where(User.employer_id == organisation.id, User.erased_at.is_(None))
                                 .order_by(User.name)).all()
    return render_template("admin/employer.html", organisation=organisation, members=members,
                           erased=erasure.is_erased(organisation), form=ActionForm())


@bp.get("/mailbox")
@role_required(Role.ADMIN)
def mailbox():
    page = db.paginate(select(OutboxMessage).order_by(OutboxMessage.id.desc()), page=page_number(), per_page=20)
    dead_count = db.session.scalar(select(func.count()).where(OutboxMessage.status == OutboxStatus.DEAD))
    outbox.record_outbox_listed(current_user, now=utcnow())
    return render_template("admin/mailbox.html", page=page, dead_count=dead_count, smtp=mail.smtp_configured(),
                           form=ActionForm())


@bp.get("/mailbox/<int:message_id>")
@role_required(Role.ADMIN)
def mailbox_message(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    body = outbox.read_message(message, admin=current_user, now=utcnow())
    return render_template("admin/mailbox_message.html", message=message, body=body, smtp=mail.smtp_configured())


@bp.post("/mailbox/<int:message_id>/send-again")
@role_required(Role.ADMIN)
def mailbox_send_again(message_id: int):
    message = get_or_404(OutboxMessage, message_id)
    if message.status != OutboxStatus.DEAD:
        abort(409)
    mail.send_again(message, now=utcnow())
    flash(_("The message will be sent again."), "success")
    return redirect(url_for("admin.mailbox"))
