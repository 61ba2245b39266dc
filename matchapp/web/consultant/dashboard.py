"""The funnel dashboard: figures per course, employer and month, as tables and charts (the downloads: `exports`)."""
from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import parse_pattern
from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from matchapp import formats
from matchapp.extensions import db
from matchapp.models import Course, CourseRun, Jobcenter, Role
from matchapp.services import figures, funnel, refills
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.services.funnel.shares import Share
from matchapp.services.funnel.tables import Table
from matchapp.web.access import role_required
from matchapp.web.consultant import bp
from matchapp.web.consultant.forms import DashboardFilterForm
from matchapp.web.consultant.routes import STAFF
from matchapp.web.inputs import page_number, parse_id

# How each table is drawn, from the counts of its rows (bars lie down, so that names read in full): "share" one bar
# per course (and the totals), the first count as a share of the second (the headline: in work 60 days after);
# "stacked" one bar per course (and the totals) split into the counts as shares of the whole; "trend" one line per
# course (and the totals) through the table's shares; "rows" one bar group per row, one colour per count.
CHARTS = {
    "funnel": ("share", ["full_time", "completed"]),
    "outcome": ("stacked", ["through_app", "elsewhere", "not_full_time", "not_recorded"]),
    "trend": ("trend", []),
    "demand": ("rows", ["slots", "booked"]),
    "employers": ("rows", ["slots", "booked", "hires"]),
    "months": ("rows", ["booked", "hires"]),
}


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


class Figures:
    """Figures as the page shows them, in the page's language: Babel's number patterns are parsed once per page,
    not once per cell, and each figure is formatted once (a dashboard has about a thousand, many alike)."""

    def __init__(self):
        self.locale = get_locale()
        self.count, self.decimal, self.percent = (parse_pattern(p) for p in ("#,##0", "#,##0.0", "#,##0.0 %"))
        self.detail = _("%(part)s of %(whole)s; 95 %%: %(low)s–%(high)s")
        self.shown: dict = {}
        self.details: dict[Share, str] = {}

    def __call__(self, value) -> str:
        """A count, or the percentage of a share; a dash where it does not apply."""
        if value not in self.shown:
            if value is None or (isinstance(value, Share) and value.percent is None):
                self.shown[value] = "–"
            elif isinstance(value, Share):
                self.shown[value] = self.percent.apply(value.percent / 100, self.locale)
            else:
                self.shown[value] = self.count.apply(value, self.locale)
        return self.shown[value]

    def detail_of(self, value: Share) -> str:
        """What a share is out of, and its 95 % interval, shown beside it."""
        if value not in self.details:
            low, high = value.interval
            self.details[value] = self.detail % {
                "part": self(value.part), "whole": self(value.whole), "low": self.decimal.apply(low, self.locale),
                "high": self.percent.apply(high / 100, self.locale)}
        return self.details[value]


@dataclass(frozen=True)
class Cell:
    """A cell as the page shows it: the text, what a share is out of with its interval, and whether it names the
    row (the row header) or is a figure (aligned right)."""

    text: str
    detail: str = ""
    kind: str = "text"  # header, text or figure


def page_rows(table: Table, figure: Figures) -> list[tuple[str, list[Cell]]]:
    """The table's rows as the page shows them: each row's classes (the totals, the rows for all) and the cells of
    the columns the page shows (`Table.page_columns`); the downloads hold every column."""
    kinds = ["header", *("text" if column.kind == "text" else "figure" for column in table.columns[1:])]
    shown = table.page_columns()
    rows = []
    for row in table.rows:
        cells = []
        values = table.values(row)
        for value, kind in ((values[i], kinds[i]) for i in shown):
            if kind != "figure":
                cells.append(Cell(value, kind=kind))
            elif isinstance(value, Share) and value.whole:
                cells.append(Cell(figure(value), figure.detail_of(value), "figure"))
            else:
                cells.append(Cell(figure(value), kind="figure"))
        classes = " ".join(name for name, on in (("figures-total", row.total), ("figures-all", row.group is None))
                           if on)
        rows.append((classes, cells))
    return rows


def chart_data(table: Table) -> dict | None:
    """What Chart.js draws for a table: the same figures as the table beside it (see CHARTS); None: no chart."""
    if table.key not in CHARTS:
        return None
    kind, names = CHARTS[table.key]
    labels = {column.count: str(column.label) for column in table.columns if column.count}
    everyone = [row for row in table.rows if row.group is None]  # each key's row for all, then the totals'
    if kind == "share":  # the headline: one bar per course (and the totals), the share of part out of whole
        title = _("Share in full-time work 60 days after")
        return {"type": "bar", "percent": True, "title": title, "labels": [row.labels[0] for row in everyone],
                "datasets": [{"label": title, "data": [_percent(Share(row.counts.get(names[0], 0),
                                                                      row.counts.get(names[1], 0)))
                                                       for row in everyone]}]}
    if kind == "stacked":
        return {"type": "bar", "stacked": True, "percent": True, "labels": [row.labels[0] for row in everyone],
                "datasets": [{"label": labels[n], "data": [_percent(Share(row.counts.get(n, 0),
                                                                          row.counts.get("completed", 0)))
                                                           for row in everyone]} for n in names]}
    if kind == "trend":
        shares = [column for column in table.columns if column.kind == "share"]
        return {"type": "line", "percent": True, "labels": [str(column.label) for column in shares],
                "datasets": [{"label": row.labels[0], "data": [_percent(column.value(row)) for column in shares]}
                             for row in everyone]}
    keyed = [row for row in everyone if not row.total]
    return {"type": "bar", "labels": [" · ".join(row.labels[:-1]) for row in keyed],
            "datasets": [{"label": labels[n], "data": [row.counts.get(n, 0) for row in keyed]} for n in names]}


def _percent(value: Share | None) -> float | None:
    return None if value is None or value.percent is None else float(value.percent)


@bp.get("/dashboard")
@role_required(*STAFF)
def dashboard():
    form = filter_form()
    refreshed_at = figures.refreshed_at()
    if not form.validate():
        return render_template("consultant/dashboard.html", form=form, tables=None, refreshed_at=refreshed_at), 422
    page = page_number()
    tables = funnel.dashboard_tables(funnel_filter(form), page)
    figure = Figures()
    return render_template("consultant/dashboard.html", form=form, tables=tables, refreshed_at=refreshed_at,
                           page=page, has_next=any(table.more for table in tables.values()),
                           page_rows=lambda table: page_rows(table, figure),
                           chart_data=chart_data, refills=refills.refill_figures(funnel_filter(form)),
                           small_number_limit=current_app.config["SMALL_NUMBER_LIMIT"],
                           definitions=funnel.definitions())
