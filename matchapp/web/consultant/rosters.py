"""Importing a course provider's participant list into a course run: upload, preview, confirm, result.

Nothing is written before the consultant confirms. The preview carries the rows it read, signed with the app's
secret (itsdangerous), in a hidden field of its confirm form, so the file is not kept anywhere between the two
requests; confirming checks the rows against the database again (`rosters.import_roster`). The answer is kept in the
signed session cookie (numbers only), so that reloading the result page shows it again.
"""
from __future__ import annotations

import csv
import io

from flask import Response, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import format_number
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from itsdangerous import BadSignature, URLSafeTimedSerializer
from openpyxl import Workbook
from openpyxl.styles import Font
from wtforms import HiddenField

from matchapp.localtime import utcnow
from matchapp.models import CourseRun, Role
from matchapp.services import rosters
from matchapp.services.errors import Conflict
from matchapp.services.roster_files import HEADINGS, MAX_FILE_BYTES, MAX_ROWS, RosterFileError, RosterRow, read_roster
from matchapp.transaction import attempt
from matchapp.web.access import course_run_in_my_jobcenter, role_required
from matchapp.web.consultant.blueprint import bp
from matchapp.web.forms_common import AppForm
from matchapp.web.inputs import body_limit

STAFF = (Role.CONSULTANT, Role.ADMIN)
SALT = "roster-import"
PREVIEW_SECONDS = 2 * 60 * 60  # a preview left open longer is read again from the file
UPLOAD_BODY_BYTES = MAX_FILE_BYTES + 64 * 1024  # the file and the form around it
CONFIRM_BODY_BYTES = 4 * 1024 * 1024  # 1,000 rows of the longest cells, signed, with room to spare
RESULTS = "roster_results"
KEEP_RESULTS = 5
FIELDS = ("line", "name", "email", "phone", "external_id", "target_group", "completed")
EXAMPLE = ("Anna Jensen", "anna.jensen@example.dk", "12345678", "", "jobparat", "ja")


class RosterUploadForm(AppForm):
    file = FileField(_l("The participant list (.xlsx or .csv)"),
                     validators=[FileRequired(_l("Choose the file with the participant list."))],
                     render_kw={"accept": ".xlsx,.csv"})


class RosterConfirmForm(AppForm):
    rows = HiddenField()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def signed_rows(run: CourseRun, rows: list[RosterRow]) -> str:
    """The rows read from the file, for the confirm form: signed, bound to the run and the signed-in user."""
    return _serializer().dumps({"run": run.id, "user": current_user.id,
                                "rows": [[getattr(row, name) for name in FIELDS] for row in rows]})


def _row(values) -> RosterRow:
    if (not isinstance(values, list) or len(values) != len(FIELDS) or not isinstance(values[0], int)
            or not all(isinstance(value, str) for value in values[1:])):
        raise BadSignature("not a row")
    return RosterRow(**dict(zip(FIELDS, values, strict=True)))


def unsigned_rows(run: CourseRun, signed: str) -> list[RosterRow] | None:
    """The rows of a preview of this run made for this user, or None (forged, altered, too old, someone else's)."""
    try:
        data = _serializer().loads(signed or "", max_age=PREVIEW_SECONDS)
        if data.get("run") != run.id or data.get("user") != current_user.id:
            return None
        rows = [_row(values) for values in data["rows"]]
    except (BadSignature, AttributeError, KeyError, TypeError):
        return None
    return rows if 0 < len(rows) <= MAX_ROWS else None


def render_upload(run: CourseRun, form: RosterUploadForm, status: int = 200):
    return render_template("consultant/roster_upload.html", run=run, form=form, max_rows=format_number(MAX_ROWS),
                           headings=[aliases[0] for aliases in HEADINGS.values()]), status


def render_preview(check: rosters.RosterCheck, rows: list[RosterRow], *, changed: bool = False, status: int = 200):
    form = RosterConfirmForm(data={"rows": signed_rows(check.run, rows)})
    return render_template("consultant/roster_preview.html", run=check.run, check=check, form=form,
                           changed=changed), status


@bp.get("/runs/<int:run_id>/roster")
@role_required(*STAFF)
def roster_upload(run_id: int):
    return render_upload(course_run_in_my_jobcenter(run_id), RosterUploadForm())


@bp.post("/runs/<int:run_id>/roster")
@role_required(*STAFF)
@body_limit(UPLOAD_BODY_BYTES)
def roster_preview(run_id: int):
    run = course_run_in_my_jobcenter(run_id)
    form = RosterUploadForm()
    if not form.validate_on_submit():
        return render_upload(run, form, 422)
    try:
        rows = read_roster(form.file.data.read(MAX_FILE_BYTES + 1))
    except RosterFileError as error:
        form.file.errors = [str(error.message)]
        return render_upload(run, form, error.status)
    return render_preview(rosters.check_roster(run, rows), rows)


@bp.post("/runs/<int:run_id>/roster/confirm")
@role_required(*STAFF)
@body_limit(CONFIRM_BODY_BYTES)
def roster_confirm(run_id: int):
    run = course_run_in_my_jobcenter(run_id)
    form = RosterConfirmForm()
    rows = unsigned_rows(run, form.rows.data) if form.validate_on_submit() else None
    if rows is None:
        upload = RosterUploadForm(formdata=None)
        upload.file.errors = [str(_l("The preview is no longer valid. Upload the file again."))]
        return render_upload(run, upload, 400)
    with attempt(show=False) as tried:
        result = rosters.import_roster(run, rows, by=current_user, now=utcnow())
        results = {**(session.get(RESULTS) or {}), str(run.id): [result.created, result.enrolled, result.completed,
                                                                  result.unchanged]}
        session[RESULTS] = dict(list(results.items())[-KEEP_RESULTS:])
        return redirect(url_for("consultant.roster_imported", run_id=run.id), 303)
    if isinstance(tried.error, rosters.RosterChanged):
        return render_preview(tried.error.check, rows, changed=True, status=409)
    upload = RosterUploadForm(formdata=None)
    upload.file.errors = [str(tried.error.message)]
    return render_upload(run, upload, 409 if isinstance(tried.error, Conflict) else 422)


@bp.get("/runs/<int:run_id>/roster/imported")
@role_required(*STAFF)
def roster_imported(run_id: int):
    run = course_run_in_my_jobcenter(run_id)
    numbers = (session.get(RESULTS) or {}).get(str(run.id))
    if not numbers:
        return redirect(url_for("consultant.roster_upload", run_id=run.id))
    result = rosters.ImportResult(*numbers)
    return render_template("consultant/roster_imported.html", run=run, result=result)


@bp.get("/roster-template")
@role_required(*STAFF)
def roster_template():
    """The participant list's columns as a file to fill in: a workbook, or with ?format=csv Danish Excel's CSV."""
    headings = [aliases[0] for aliases in HEADINGS.values()]
    kind = request.args.get("format", "xlsx")
    if kind == "csv":
        text = io.StringIO()
        csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([headings, EXAMPLE])
        return _download(("\ufeff" + text.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", "csv")
    if kind != "xlsx":
        abort(404)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Deltagere"
    sheet.append(headings)
    sheet.append(list(EXAMPLE))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEF", (24, 30, 14, 14, 18, 12), strict=True):
        sheet.column_dimensions[column].width = width
    data = io.BytesIO()
    workbook.save(data)
    return _download(data.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")


def _download(content: bytes, mimetype: str, suffix: str) -> Response:
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="deltagerliste.{suffix}"'})
