"""The funnel dashboard: figures per course, employer and month, as tables and as CSV for Excel or other tools."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request, url_for
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from matchapp import formats
from matchapp.extensions import db
from matchapp.models import Course, CourseRun, Jobcenter, Role
from matchapp.services import figures, funnel, refills
from matchapp.spreadsheet import neutralise_formula
from matchapp.web.access import role_required
from matchapp.web.consultant import bp
from matchapp.web.consultant.forms import DashboardFilterForm
from matchapp.web.consultant.routes import STAFF
from matchapp.web.inputs import page_number, parse_id

CSV_FLAVOURS = ("excel", "plain")
EMPLOYERS_PER_PAGE = 25
# Which columns each table's chart draws; True: one bar group per column (the funnel's stages), one colour per course.
CHARTS = {"funnel": ([2, 3, 4, 5, 6, 13], True), "demand": ([3, 4], False), "employers": ([3, 4, 9], False),
          "months": ([2, 3], False)}


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


def funnel_filter(form: DashboardFilterForm) -> funnel.FunnelFilter:
    """The filter the form describes; a consultant's job centre is always their own."""
    jobcenter_id = current_user.jobcenter_id if current_user.role == Role.CONSULTANT else form.jobcenter_id.data
    return funnel.FunnelFilter(jobcenter_id=jobcenter_id, course_id=form.course_id.data,
                               course_run_id=form.course_run_id.data, period_from=form.period_from.data,
                               period_to=form.period_to.data)


def figure(value, kind: str) -> str:
    """A figure as the page shows it, in the page's language."""
    if value is None:
        return "–"
    if kind == "percent":
        return format_percent(value, "#,##0.0 %")
    if kind == "ratio":
        return format_decimal(value, "#,##0.00")
    return str(value)


def chart_data(table: funnel.Table) -> dict:
    """The "all" rows' figures for Chart.js: the same numbers as the table beside the chart."""
    columns, by_column = CHARTS[table.key]
    rows = table.rows[::len(funnel.GROUP_LABELS)]  # each key's first row is the one for all
    names = [str(table.columns[i].label) for i in columns]
    if by_column:
        return {"labels": names, "datasets": [{"label": str(row[0]), "data": [row[i] for i in columns]}
                                              for row in rows]}
    return {"labels": [str(row[0]) for row in rows],
            "datasets": [{"label": name, "data": [row[i] for row in rows]} for name, i in zip(names, columns,
                                                                                                strict=True)]}


def csv_cell(value, kind: str, flavour: str) -> str:
    """A cell for a spreadsheet: text that cannot run as a formula; percentages as numbers of per cent, a decimal
    comma for Danish Excel."""
    if value is None:
        return ""
    if kind == "text":
        return neutralise_formula(str(value))
    if kind in ("percent", "ratio"):
        text = f"{value * 100:.1f}" if kind == "percent" else f"{value:.2f}"
        return text.replace(".", ",") if flavour == "excel" else text
    return str(value)


def table_csv(table: funnel.Table, flavour: str) -> str:
    """The table as CSV: for Danish Excel semicolon separated with a byte order mark, else plain comma separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if flavour == "excel" else ",", lineterminator="\r\n")
    writer.writerow([neutralise_formula(f"{column.label} (%)" if column.kind == "percent" else str(column.label))
                     for column in table.columns])
    for row in table.rows:
        writer.writerow([csv_cell(value, column.kind, flavour) for value, column in zip(row, table.columns,
                                                                                          strict=True)])
    return ("\ufeff" if flavour == "excel" else "") + buffer.getvalue()


def csv_url(table: str, flavour: str) -> str:
    """The download address of a table, with the page's filter."""
    filters = {k: v for k, v in request.args.items() if k not in ("format", "page") and v}
    return url_for("consultant.dashboard_csv", table=table, format=flavour, **filters)


def page_of_employers(table: funnel.Table, page: int) -> tuple[funnel.Table, bool]:
    """One page of the employers' table (each employer is three rows: all, then one per target group), and
    whether there is a next page. The CSV files hold every employer."""
    rows = EMPLOYERS_PER_PAGE * len(funnel.GROUP_LABELS)
    start = (page - 1) * rows
    shown = funnel.Table(table.key, table.caption, table.columns, table.rows[start:start + rows])
    return shown, len(table.rows) > start + rows


@bp.get("/dashboard")
@role_required(*STAFF)
def dashboard():
    form = filter_form()
    refreshed_at = figures.refreshed_at()
    if not form.validate():
        return render_template("consultant/dashboard.html", form=form, tables=None, refreshed_at=refreshed_at), 422
    tables = funnel.dashboard_tables(funnel_filter(form))
    page = page_number()
    tables["employers"], has_next = page_of_employers(tables["employers"], page)
    return render_template("consultant/dashboard.html", form=form, tables=tables, refreshed_at=refreshed_at,
                           page=page, has_next=has_next, figure=figure, csv_url=csv_url, chart_data=chart_data,
                           refills=refills.refill_figures(funnel_filter(form)))


@bp.get("/dashboard/<table>.csv")
@role_required(*STAFF)
def dashboard_csv(table: str):
    flavour = request.args.get("format", "excel")
    if table not in funnel.TABLES or flavour not in CSV_FLAVOURS:
        abort(404)
    form = filter_form()
    if not form.validate():
        abort(400)
    figures = funnel.TABLES[table](funnel_filter(form))
    return Response(table_csv(figures, flavour), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="matchapp-{table}-{flavour}.csv"'})
