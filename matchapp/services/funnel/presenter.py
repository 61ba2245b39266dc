"""What the dashboard page shows, computed and in the reader's language: each table's columns, its rows cell by cell
(a share with what it is out of and its interval), the chart drawn beside it, the pager, the freed times booked
again and how the figures are counted. The view and its templates only lay it out."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from babel.numbers import parse_pattern
from flask_babel import get_locale
from flask_babel import gettext as _

from matchapp.services import figures, funnel
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.services.funnel.shares import Share
from matchapp.services.funnel.tables import GROUP_LABELS, Column, Row, Table
from matchapp.services.refills import RefillFigures, refill_figures

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


def _cell(value, kind: str, figure: Figures) -> Cell:
    """One value of a row as the page shows it in a column of this kind (header, text or figure)."""
    if kind != "figure":
        return Cell(value, kind=kind)
    if isinstance(value, Share) and value.whole:
        return Cell(figure(value), figure.detail_of(value), "figure")
    return Cell(figure(value), kind="figure")


def _row_classes(row: Row) -> str:
    """The classes that mark a row of the totals and a row for all target groups."""
    return " ".join(name for name, on in (("figures-total", row.total), ("figures-all", row.group is None)) if on)


def page_rows(table: Table, figure: Figures) -> list[tuple[str, list[Cell]]]:
    """The table's rows as the page shows them: each row's classes (the totals, the rows for all) and the cells of
    the columns the page shows (`Table.page_columns`); the downloads hold every column."""
    kinds = ["header", *("text" if column.kind == "text" else "figure" for column in table.columns[1:])]
    shown = table.page_columns()
    rows = []
    for row in table.rows:
        values = table.values(row)
        rows.append((_row_classes(row), [_cell(values[i], kinds[i], figure) for i in shown]))
    return rows


def _percent(value: Share | None) -> float | None:
    return None if value is None or value.percent is None else float(value.percent)


def _count_labels(table: Table) -> dict[str, str]:
    """The columns' names by the count they show."""
    return {column.count: str(column.label) for column in table.columns if column.count}


def _share_chart(table: Table, everyone: list[Row], names: list[str]) -> dict:
    """The headline: one bar per course (and the totals), the share of the first count out of the second."""
    title = _("Share in full-time work 60 days after")
    part, whole = names
    return {"type": "bar", "percent": True, "title": title, "labels": [row.labels[0] for row in everyone],
            "datasets": [{"label": title, "data": [_percent(Share(row.counts.get(part, 0), row.counts.get(whole, 0)))
                                                   for row in everyone]}]}


def _stacked_chart(table: Table, everyone: list[Row], names: list[str]) -> dict:
    """One bar per course (and the totals), split into the counts as shares of the completers."""
    labels = _count_labels(table)
    return {"type": "bar", "stacked": True, "percent": True, "labels": [row.labels[0] for row in everyone],
            "datasets": [{"label": labels[n], "data": [_percent(Share(row.counts.get(n, 0),
                                                                      row.counts.get("completed", 0)))
                                                       for row in everyone]} for n in names]}


def _trend_chart(table: Table, everyone: list[Row], names: list[str]) -> dict:
    """One line per course (and the totals) through the table's shares."""
    shares = [column for column in table.columns if column.kind == "share"]
    return {"type": "line", "percent": True, "labels": [str(column.label) for column in shares],
            "datasets": [{"label": row.labels[0], "data": [_percent(column.value(row)) for column in shares]}
                         for row in everyone]}


def _rows_chart(table: Table, everyone: list[Row], names: list[str]) -> dict:
    """One bar group per row for all (not the totals), one colour per count."""
    labels = _count_labels(table)
    keyed = [row for row in everyone if not row.total]
    return {"type": "bar", "labels": [" · ".join(row.labels[:-1]) for row in keyed],
            "datasets": [{"label": labels[n], "data": [row.counts.get(n, 0) for row in keyed]} for n in names]}


CHART_KINDS: dict[str, Callable[[Table, list[Row], list[str]], dict]] = {
    "share": _share_chart, "stacked": _stacked_chart, "trend": _trend_chart, "rows": _rows_chart}


def chart_data(table: Table) -> dict | None:
    """What Chart.js draws for a table: the same figures as the table beside it (see CHARTS); None: no chart."""
    if table.key not in CHARTS:
        return None
    kind, names = CHARTS[table.key]
    everyone = [row for row in table.rows if row.group is None]  # each key's row for all, then the totals'
    return CHART_KINDS[kind](table, everyone, names)


@dataclass(frozen=True)
class ShownTable:
    """A table as the page shows it: the columns it shows, its rows cell by cell and its chart; no rows (and no
    chart) when the filter leaves nothing but the totals."""

    key: str
    caption: object
    columns: list[Column]
    rows: list[tuple[str, list[Cell]]]
    chart: dict | None


def shown_table(table: Table, figure: Figures) -> ShownTable:
    """The table as the page shows it."""
    columns = [column for column in table.columns if column.on_page]
    if len(table.rows) <= len(GROUP_LABELS):
        return ShownTable(table.key, table.caption, columns, [], None)
    return ShownTable(table.key, table.caption, columns, page_rows(table, figure), chart_data(table))


@dataclass(frozen=True)
class DashboardPage:
    """What the dashboard page shows. Without tables (a filter that is not valid) only the time of the figures."""

    refreshed_at: datetime | None
    tables: dict[str, ShownTable] | None = None
    page: int = 1
    has_next: bool = False  # the employers' tables go on on the next page
    refills: RefillFigures | None = None
    small_number_limit: int = 0
    definitions: list[str] = field(default_factory=list)


def without_figures() -> DashboardPage:
    """The page for a filter that is not valid: no figures, only their time."""
    return DashboardPage(figures.refreshed_at())


def dashboard_page(chosen: FunnelFilter, *, page: int, small_number_limit: int) -> DashboardPage:
    """The page for a filter: every table (the employers' ones a page at a time), the freed times booked again and
    how the figures are counted (the small-number rule's limit is named where the downloads apply it)."""
    refreshed_at = figures.refreshed_at()
    tables = funnel.dashboard_tables(chosen, page)
    figure = Figures()
    return DashboardPage(refreshed_at, {key: shown_table(table, figure) for key, table in tables.items()}, page,
                         any(table.more for table in tables.values()), refill_figures(chosen),
                         small_number_limit, funnel.definitions())
