"""The funnel dashboard's page: figures per course, employer and month, as tables and charts (the downloads:
`exports`), for the filter on the query string."""
from __future__ import annotations

from flask import current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from matchapp import formats
from matchapp.extensions import db
from matchapp.models import Course, CourseRun, Jobcenter, Role
from matchapp.services.funnel import presenter
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.web.access import role_required
from matchapp.web.dashboard.blueprint import READERS, bp
from matchapp.web.dashboard.forms import DashboardFilterForm
from matchapp.web.inputs import page_number, parse_id


def filter_form() -> DashboardFilterForm:
    """The filter form on the query string, offering consultants only their own job centre and its runs. The runs
    offered are those of the chosen course: all runs of all courses would be a list of hundreds."""
    form = DashboardFilterForm(request.args)
    mine = current_user.role == Role.CONSULTANT
    jobcenter_query = select(Jobcenter.id, Jobcenter.name).order_by(Jobcenter.name)
    if mine:
        jobcenter_query = jobcenter_query.where(Jobcenter.id == current_user.jobcenter_id)
    everyone = [] if mine else [SelectChoice("", _("All job centres"))]
    form.jobcenter_id.choices = everyone + [SelectChoice(i, name) for i, name in db.session.execute(jobcenter_query)]
    form.course_id.choices = [SelectChoice("", _("All courses"))] + [
        SelectChoice(i, name) for i, name in db.session.execute(select(Course.id, Course.name).order_by(Course.name))]
    runs = []
    course_id = parse_id(request.args.get("course_id"))
    if course_id is not None:
        run_query = select(CourseRun.id, CourseRun.starts_on, CourseRun.ends_on).where(
            CourseRun.course_id == course_id).order_by(CourseRun.ends_on.desc(), CourseRun.id)
        if mine:
            run_query = run_query.where(CourseRun.jobcenter_id == current_user.jobcenter_id)
        runs = [SelectChoice(i, formats.day_span(starts, ends))
                for i, starts, ends in db.session.execute(run_query)]
    form.course_run_id.choices = [SelectChoice("", _("All course runs"))] + runs
    if mine:
        form.jobcenter_id.data = current_user.jobcenter_id
    return form


def funnel_filter(form: DashboardFilterForm) -> FunnelFilter:
    """The filter the form describes; a consultant's job centre is always their own."""
    jobcenter_id = current_user.jobcenter_id if current_user.role == Role.CONSULTANT else form.jobcenter_id.data
    return FunnelFilter(jobcenter_id=jobcenter_id, course_id=form.course_id.data,
                        course_run_id=form.course_run_id.data, period_from=form.period_from.data,
                        period_to=form.period_to.data)


@bp.get("")
@role_required(*READERS)
def index():
    form = filter_form()
    if not form.validate():
        return render_template("dashboard/index.html", form=form, dashboard=presenter.without_figures()), 422
    shown = presenter.dashboard_page(funnel_filter(form), page=page_number(),
                                     small_number_limit=current_app.config["SMALL_NUMBER_LIMIT"])
    return render_template("dashboard/index.html", form=form, dashboard=shown)
