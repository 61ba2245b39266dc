"""The dashboard's downloads: each table as CSV (for Danish Excel, or plain), and every table in one workbook for a
committee, whose first sheet names the filter, the time of the figures, the small-number rule and the definitions.

Downloads follow the small-number rule (`services.funnel.small_numbers`) unless exact figures are asked for with
`numbers=exact`: those are for use inside the job centre, like the page itself.
"""
from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date
from decimal import Decimal

from flask import abort, current_app, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import CourseRun, Role
from matchapp.services import figures, funnel
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.services.funnel.shares import Share
from matchapp.services.funnel.small_numbers import Cell, Hidden, cell, hidden_cells
from matchapp.services.funnel.tables import Column, Row, Table
from matchapp.spreadsheet import neutralise_formula
from matchapp.web.access import role_required
from matchapp.web.dashboard.blueprint import READERS, bp
from matchapp.web.dashboard.forms import DashboardFilterForm
from matchapp.web.dashboard.routes import filter_form, funnel_filter

CSV_FLAVOURS = ("excel", "plain")
NUMBERS = ("protected", "exact")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Each table's sheet: a sheet's name has at most 31 characters, so the captions go on the sheets' first rows.
SHEET_NAMES = {"funnel": _l("Funnel"), "outcome": _l("Outcome after 60 days"), "trend": _l("Trend per quarter"),
               "demand": _l("Demand"), "employers": _l("Employers"), "employer_courses": _l("Employers and courses"),
               "months": _l("Months")}
BOLD = Font(bold=True)
WRAPPED = Alignment(wrap_text=True, vertical="top")


def header(table: Table) -> list[str]:
    """The names of a download's columns: each share as five, its count, what it is out of, the percentage and its
    95 % interval."""
    names = []
    for column in table.columns:
        label = str(column.label)
        if column.kind != "share":
            names.append(label)
            continue
        names += [_("%(label)s: count", label=label), _("%(label)s: out of", label=label),
                  _("%(label)s (%%)", label=label), _("%(label)s: 95 %% interval from (%%)", label=label),
                  _("%(label)s: 95 %% interval to (%%)", label=label)]
    return names


def _share_cells(table: Table, row: Row, column: Column, value: Share | None, hidden: set[Cell], limit: int
                 ) -> list:
    """A share's five cells: its count, what it is out of, the percentage and its interval. A hidden share shows
    which of its two counts are hidden and leaves its percentage and interval empty."""
    if value is None:
        return [None] * 5
    part = Hidden(limit) if cell(table, row, column.part) in hidden else value.part
    whole = Hidden(limit) if cell(table, row, column.whole) in hidden else value.whole
    if isinstance(part, Hidden) or isinstance(whole, Hidden):
        return [part, whole, None, None, None]
    return [part, whole, value.percent, *(value.interval or (None, None))]


def rows(table: Table, hidden: set[Cell], limit: int) -> list[list]:
    """The table's rows cell by cell, as `header` names the columns: text, a count, a percentage (Decimal), a
    figure withheld by the small-number rule (`hidden`, see `small_numbers.hidden_cells`) or None (does not apply,
    or nothing to divide by)."""
    cells_of_rows = []
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, table.values(row), strict=True):
            if column.kind == "text":
                cells.append(value)
            elif column.kind == "count":
                cells.append(Hidden(limit) if value is not None and cell(table, row, column.count) in hidden else value)
            else:
                cells += _share_cells(table, row, column, value, hidden, limit)
        cells_of_rows.append(cells)
    return cells_of_rows


def csv_cell(value, flavour: str) -> str:
    """A cell for a spreadsheet: text that cannot run as a formula; percentages as numbers of per cent, with a
    decimal comma for Danish Excel; a hidden figure as "<5"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, Decimal):
        return str(value).replace(".", ",") if flavour == "excel" else str(value)
    return str(value)


def table_csv(table: Table, flavour: str, hidden: set[Cell], limit: int) -> str:
    """The table as CSV: for Danish Excel semicolon separated with a byte order mark, else plain comma separated."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if flavour == "excel" else ",", lineterminator="\r\n")
    writer.writerow([neutralise_formula(name) for name in header(table)])
    writer.writerows([csv_cell(value, flavour) for value in cells] for cells in rows(table, hidden, limit))
    return ("\ufeff" if flavour == "excel" else "") + buffer.getvalue()


def _put(sheet: Worksheet, row: int, values: list, *, bold: bool = False, wrapped: bool = False) -> None:
    """One row of cells: text always as text (a course named "=HYPERLINK(…)" must never become a formula), counts
    as numbers, percentages as numbers with one decimal, a hidden figure as the text "<5"."""
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column)
        if isinstance(value, str | Hidden):
            cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))  # control characters Excel refuses
            cell.data_type = "s"  # set after the value: openpyxl takes a text starting with "=" for a formula
        elif isinstance(value, Decimal):
            cell.value = float(value)
            cell.number_format = "0.0"
        else:
            cell.value = value
        if bold:
            cell.font = BOLD
        if wrapped:
            cell.alignment = WRAPPED


def _sheet_name(name: str) -> str:
    """A sheet's name as Excel allows it: at most 31 characters, none of []:*?/\\."""
    return "".join(ch for ch in name if ch not in "[]:*?/\\")[:31]


def _table_sheet(book: Workbook, table: Table, hidden: set[Cell], limit: int) -> None:
    """A sheet of one table: its caption, the header (bold, frozen with the rows' names), the rows, totals in bold."""
    sheet = book.create_sheet(_sheet_name(str(SHEET_NAMES[table.key])))
    _put(sheet, 1, [str(table.caption)], bold=True)
    names = header(table)
    _put(sheet, 2, names, bold=True, wrapped=True)
    for number, (row, cells) in enumerate(zip(table.rows, rows(table, hidden, limit), strict=True), start=3):
        _put(sheet, number, cells, bold=row.total)
    texts = sum(column.kind == "text" for column in table.columns)
    sheet.freeze_panes = sheet.cell(row=3, column=texts + 1)
    for column in range(1, len(names) + 1):
        longest = max((len(str(row[column - 1])) for row in sheet.iter_rows(min_row=3, values_only=True)),
                      default=0)
        sheet.column_dimensions[get_column_letter(column)].width = min(40, max(longest, 10) + 2) \
            if column <= texts else 16


def _about_sheet(book: Workbook, about: list[tuple[str, str]], tables: dict[str, Table]) -> None:
    """The first sheet: what the figures are (the filter, their time, the small-number rule), how they are counted,
    and what each sheet holds; each line's first cell in bold."""
    sheet = book.active
    sheet.title = _sheet_name(_("About the figures"))
    lines = [[_("Figures from course to job, from matchapp")], [], *([label, value] for label, value in about),
             [], [_("How the figures are counted")], *(["", definition] for definition in funnel.definitions()),
             [], [_("Sheets")], *([_sheet_name(str(SHEET_NAMES[key])), str(table.caption)]
                                 for key, table in tables.items())]
    for number, line in enumerate(lines, start=1):
        _put(sheet, number, line, wrapped=True)
        sheet.cell(row=number, column=1).font = BOLD
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 100


def workbook(tables: dict[str, Table], about: list[tuple[str, str]], limit: int) -> bytes:
    """The committee's workbook: the sheet about the figures, then a sheet per table. No personal data: the
    properties name matchapp, not the person who downloaded it."""
    book = Workbook()
    book.properties.creator = book.properties.lastModifiedBy = "matchapp"
    book.properties.title = _("Figures from course to job, from matchapp")
    _about_sheet(book, about, tables)
    hidden = hidden_cells(tables.values(), limit)
    for table in tables.values():
        _table_sheet(book, table, hidden, limit)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def numbers_asked() -> str:
    """Protected (the small-number rule, the default) or exact figures. :raises NotFound: for anything else."""
    numbers = request.args.get("numbers", "protected")
    if numbers not in NUMBERS:
        abort(404)
    return numbers


def small_number_limit(numbers: str) -> int:
    """The small-number rule's limit for the figures asked for: 0 (none) for exact figures."""
    return 0 if numbers == "exact" else current_app.config["SMALL_NUMBER_LIMIT"]


def valid_filter() -> DashboardFilterForm:
    """The page's filter form, validated. :raises BadRequest: when the filter is not one the page would show."""
    form = filter_form()
    if not form.validate():
        abort(400)
    return form


def _choice(field, value) -> str:
    """The name a filter field offers for a value (a job centre's or course's name, a run's dates)."""
    return next((str(choice.label) for choice in field.choices if choice.value == value), "")


def _period(chosen: FunnelFilter, day, dash: str = "–") -> str | None:
    """The period in words, with each day as `day` writes it; None for all time."""
    first, last = chosen.period_from, chosen.period_to
    if first and last:
        return f"{day(first)}{dash}{day(last)}"
    if first or last:
        return _("from %(day)s", day=day(first)) if first else _("until %(day)s", day=day(last))
    return None


def about_rows(form: DashboardFilterForm, chosen: FunnelFilter, numbers: str, limit: int
               ) -> list[tuple[str, str]]:
    """The workbook's account of itself: the filter in words, the time of the figures and of the file, the rule."""
    refreshed_at = figures.refreshed_at()
    if numbers == "exact":
        rule = _("Exact figures, only for use inside the job centre.")
    elif limit > 1:
        rule = _("Counts of people from 1 to %(below)d are shown as “<%(limit)d”, and a share is left empty when "
                 "what it counts or is out of is hidden; where a hidden figure could be worked out from a total, "
                 "another figure of that total is hidden too. Zero is shown. Sessions and slots are never hidden.",
                 below=limit - 1, limit=limit)
    else:
        rule = _("No small-number rule is set: the figures are exact.")
    return [
        (_("Job centre"), _choice(form.jobcenter_id, chosen.jobcenter_id) if chosen.jobcenter_id
         else _("All job centres")),
        (_("Course"), _choice(form.course_id, chosen.course_id) if chosen.course_id else _("All courses")),
        (_("Course run"), _choice(form.course_run_id, chosen.course_run_id) if chosen.course_run_id
         else _("All course runs")),
        (_("Period (the course ended)"), _period(chosen, formats.short_day) or _("All")),
        (_("Figures as of (Danish time)"), formats.moment(refreshed_at) if refreshed_at else _("Not computed yet")),
        (_("File made (Danish time)"), formats.moment(utcnow())),
        (_("Small numbers"), rule),
    ]


def _file_part(name: str) -> str:
    """A name typed by a person, fit for a file name in a header: no control characters, quotes, slashes or other
    characters that file systems refuse, at most 60 characters."""
    kept = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" and ch not in "\"'/\\:*?<>|;,%")
    return " ".join(kept.split())[:60].strip()


def file_name(what: str, form: DashboardFilterForm, chosen: FunnelFilter, numbers: str, *,
              flavour: str = "", extension: str) -> str:
    """A download's file name, naming its filter: matchapp-funnel-Jobcenter Amager-Datasikkerhed og GDPR-2026-01-01-
    2026-06-30-excel.csv. The job centre is named when an administrator chose it: a consultant's figures are always
    their own job centre's."""
    parts = ["matchapp", what]
    if current_user.role != Role.CONSULTANT and chosen.jobcenter_id:
        parts.append(_file_part(_choice(form.jobcenter_id, chosen.jobcenter_id)))
    if chosen.course_id:
        parts.append(_file_part(_choice(form.course_id, chosen.course_id)))
    if chosen.course_run_id:
        run = db.session.get(CourseRun, chosen.course_run_id)
        parts.append(_file_part(_("run %(starts)s to %(ends)s", starts=run.starts_on.isoformat(),
                                  ends=run.ends_on.isoformat())))
    parts.append(_file_part(_period(chosen, date.isoformat, "-") or ""))
    parts += ["exact" if numbers == "exact" else "", flavour]
    return "-".join(part for part in parts if part) + f".{extension}"


def _page_filter() -> dict[str, str]:
    """The dashboard page's filter, from its query string."""
    return {k: v for k, v in request.args.items() if k not in ("format", "page", "numbers") and v}


@bp.app_template_global()
def csv_url(table: str, flavour: str) -> str:
    """The CSV download of a table with the page's filter (protected figures)."""
    return url_for("dashboard.csv_file", table=table, format=flavour, **_page_filter())


@bp.app_template_global()
def workbook_url(numbers: str = "protected") -> str:
    """The workbook of every table with the page's filter."""
    filters = _page_filter()
    if numbers != "protected":
        filters["numbers"] = numbers
    return url_for("dashboard.workbook_file", **filters)


@bp.get("/<table>.csv")
@role_required(*READERS)
def csv_file(table: str):
    flavour = request.args.get("format", "excel")
    if table not in funnel.TABLES or flavour not in CSV_FLAVOURS:
        abort(404)
    numbers = numbers_asked()
    form = valid_filter()
    chosen = funnel_filter(form)
    limit = small_number_limit(numbers)
    if limit > 1:  # protected together with the other tables, so that no two downloads differ in what they hide
        tables = funnel.dashboard_tables(chosen)
        shown, hidden = tables[table], hidden_cells(tables.values(), limit)
    else:
        shown, hidden = funnel.TABLES[table](chosen), set()
    body = table_csv(shown, flavour, hidden, limit)
    return send_file(io.BytesIO(body.encode()), mimetype="text/csv", as_attachment=True,
                     download_name=file_name(table, form, chosen, numbers, flavour=flavour, extension="csv"))


@bp.get("/figures.xlsx")
@role_required(*READERS)
def workbook_file():
    numbers = numbers_asked()
    form = valid_filter()
    chosen = funnel_filter(form)
    limit = small_number_limit(numbers)
    body = workbook(funnel.dashboard_tables(chosen), about_rows(form, chosen, numbers, limit), limit)
    return send_file(io.BytesIO(body), mimetype=XLSX, as_attachment=True,
                     download_name=file_name("figures", form, chosen, numbers, extension="xlsx"))
