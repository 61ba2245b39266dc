"""Reading a course provider's participant list: an .xlsx workbook or a CSV file as Danish Excel saves it.

Only reading: every cell becomes text (a formula is its text, never its result), rows become `RosterRow`s, and a
file that cannot be read is refused with a `RosterFileError` saying why in plain words. What the rows mean is
`rosters.py`'s business.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from matchapp.services.errors import MatchappError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000
MAX_COLUMNS = 30  # a participant list has six; more are read as empty
MAX_CELL_CHARS = 300  # longer than any field takes, so that "too long" is still said; the rest is dropped
MAX_READ_ROWS = 20 * MAX_ROWS  # rows read in all, empty ones included
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a workbook's parts unpacked: far above 1,000 rows, far below a zip bomb

# The columns, by the heading a file gives them: Danish first (the template's), English accepted. A heading is
# compared without case, spaces, hyphens, dots and underscores ("E-mail", "email", "E mail").
HEADINGS = {
    "name": ("Navn", "navn", "name", "fuldtnavn", "fullname"),
    "email": ("E-mail", "email", "mail", "emailadresse", "mailadresse"),
    "phone": ("Telefon", "telefon", "tlf", "telefonnummer", "mobil", "phone"),
    "external_id": ("Ekstern id", "eksternid", "externalid"),
    "target_group": ("Målgruppe", "målgruppe", "maalgruppe", "targetgroup"),
    "completed": ("Gennemført", "gennemført", "gennemfoert", "gennemfort", "completed"),
}
REQUIRED = ("name", "email")
CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
XLSX_MAGIC = b"PK\x03\x04"
OLD_EXCEL_MAGIC = b"\xd0\xcf\x11\xe0"  # .xls (Excel 97–2003): not read


class RosterFileError(MatchappError):
    """The file cannot be read as a participant list; status is the HTTP status a page shows it with."""

    def __init__(self, message, status: int = 422):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RosterRow:
    """One participant as the file gives them: every value is text, as typed (trimmed, on one line)."""

    line: int  # the row's number in the spreadsheet (the heading is row 1 when it is the first row)
    name: str = ""
    email: str = ""
    phone: str = ""
    external_id: str = ""
    target_group: str = ""
    completed: str = ""


def _key(heading: str) -> str:
    return re.sub(r"[\s\-_.]+", "", heading).casefold()


COLUMN_OF = {_key(alias): column for column, aliases in HEADINGS.items() for alias in aliases}


def as_text(value) -> str:
    """A cell's value as text: a formula as its text (never its result), a whole number without ".0", a date as
    1.9.2026; line breaks and other control characters become one space."""
    if value is None:
        return ""
    if isinstance(value, ArrayFormula):
        value = value.text
    elif isinstance(value, DataTableFormula):
        value = ""
    elif isinstance(value, bool):
        value = "ja" if value else "nej"
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime | date):
        value = f"{value.day}.{value.month}.{value.year}"
    return CONTROL.sub(" ", str(value)[:MAX_CELL_CHARS]).strip()


def read_roster(content: bytes) -> list[RosterRow]:
    """The participants of a workbook (.xlsx, its first sheet) or a CSV file (semicolon or comma separated; UTF-8,
    with or without a byte order mark, or Windows-1252), told apart by their content, not their name.

    :raises RosterFileError: empty, too large, too many rows, not a workbook or text, or without the headings.
    """
    if len(content) > MAX_FILE_BYTES:
        raise RosterFileError(_l("The file is too large. It may be at most 2 MB."), status=413)
    if not content.strip():
        raise RosterFileError(_l("The file is empty."))
    if content.startswith(XLSX_MAGIC):
        table = _workbook_rows(content)
    elif content.startswith(OLD_EXCEL_MAGIC):
        raise RosterFileError(_l("This is an old Excel file (.xls). Save it as .xlsx or as CSV and try again."))
    else:
        table = _csv_rows(_decode(content))
    return _participants(table)


def _workbook_rows(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise RosterFileError(_l("The file could not be read. Save it as .xlsx or as CSV and try again.")) from error
    if unpacked > MAX_UNPACKED_BYTES:
        raise RosterFileError(_l("The file is too large. It may be at most 2 MB."), status=413)
    try:
        # read_only streams the sheet; cells keep what was typed: a formula is read as its text, never run.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
        try:
            sheet = workbook.worksheets[0]
            rows = _bounded([as_text(value) for value in row]
                            for row in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True))
        finally:
            workbook.close()
    except RosterFileError:
        raise
    except Exception as error:  # noqa: BLE001 - a broken workbook fails in many ways inside openpyxl and lxml
        raise RosterFileError(_l("The file could not be read. Save it as .xlsx or as CSV and try again.")) from error
    return rows


def _decode(content: bytes) -> str:
    """Text as Danish Excel saves it: "CSV UTF-8" starts with a byte order mark; plain "CSV" is Windows-1252."""
    if content.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise RosterFileError(_l("The file is neither a workbook (.xlsx) nor a CSV file. Save it as one of them "
                             "and try again."))


def _csv_rows(text: str) -> list[list[str]]:
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    try:
        return _bounded([as_text(cell) for cell in row[:MAX_COLUMNS]]
                        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise RosterFileError(_l("The file could not be read. Save it as .xlsx or as CSV and try again.")) from error


def _too_many_rows() -> RosterFileError:
    return RosterFileError(_l("The file has too many rows. It may have at most %(rows)s participants; split it "
                              "into several files.", rows=f"{MAX_ROWS:,}".replace(",", ".")), status=413)


def _bounded(rows) -> list[list[str]]:
    """The rows read until one past the limit (the heading and MAX_ROWS participants), so that a file of a million
    rows is not read to its end; empty rows count only towards a far larger limit."""
    table, filled = [], 0
    for row in rows:
        table.append(row)
        filled += any(row)
        if filled > MAX_ROWS + 1:
            break
        if len(table) > MAX_READ_ROWS:
            raise _too_many_rows()
    return table


def _participants(table: list[list[str]]) -> list[RosterRow]:
    """The rows below the heading row (the first row that is not empty), empty rows left out."""
    numbered = [(number, row) for number, row in enumerate(table, start=1) if any(row)]
    if not numbered:
        raise RosterFileError(_l("The file has no rows."))
    heading_line, headings = numbered[0]
    columns = {}
    for index, heading in enumerate(headings):
        column = COLUMN_OF.get(_key(heading))
        if column and column not in columns:
            columns[column] = index
    missing = [HEADINGS[column][0] for column in REQUIRED if column not in columns]
    if missing:
        raise RosterFileError(_l("The first row must name the columns. Missing: %(columns)s. Use the template.",
                                 columns=", ".join(missing)))
    rows = numbered[1:]
    if len(rows) > MAX_ROWS:
        raise _too_many_rows()
    if not rows:
        raise RosterFileError(_l("The file has no participants below the headings."))
    return [RosterRow(line=number, **{column: row[index] if index < len(row) else ""
                                      for column, index in columns.items()})
            for number, row in rows]
