"""A person's data (GDPR art. 15 and 20): a readable page and a JSON download, for the person themselves and, for a
candidate who asks at the job centre, for their consultant. Every export is audited."""
from __future__ import annotations

import json
from datetime import date, datetime

from flask import Response, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from matchapp import formats
from matchapp.jinja import LANGUAGE_NAMES
from matchapp.localtime import utcnow
from matchapp.models import Role, User
from matchapp.services import personal_data
from matchapp.web.access import candidate_in_my_jobcenter, role_required
from matchapp.web.privacy.blueprint import bp

STAFF = (Role.CONSULTANT, Role.ADMIN)
FILENAME = "matchapp-data.json"
# The readable page's column headings, one per field that some table shows.
COLUMN_LABELS = {
    "id": _l("No."), "name": _l("Name"), "email": _l("E-mail"), "phone": _l("Phone"), "role_text": _l("Role"),
    "language": _l("Language"), "jobcenter": _l("Job centre"), "organisation": _l("Organisation"),
    "active": _l("Can sign in"), "created_at": _l("Created"), "last_active_at": _l("Last active"),
    "calendar_feed": _l("Calendar feed address"), "calendar_feed_expires_at": _l("Calendar feed address expires"),
    "erased_at": _l("Erased"), "consultant": _l("Consultant"), "target_group_text": _l("Target group"),
    "pitch": _l("About you"), "cvr": _l("CVR number"), "address": _l("Address"), "approved_at": _l("Approved"),
    "course": _l("Course"), "run_starts_on": _l("Course starts"), "run_ends_on": _l("Course ends"),
    "completed_at": _l("Completed"), "title": _l("Job"), "starts_at": _l("Time"), "ends_at": _l("Ends"),
    "mode_text": _l("Meeting form"), "place": _l("Place or link"), "status_text": _l("Status"),
    "cancel_reason": _l("Reason for cancelling"), "job": _l("Job"), "employer": _l("Employer"),
    "booked_by": _l("Booked by"), "cancelled_at": _l("Cancelled"), "cancelled_by": _l("Cancelled by"),
    "booking_id": _l("Conversation no."), "attendance_text": _l("Did the meeting take place?"),
    "result_text": _l("What came of it?"), "employment_type_text": _l("Type of employment"),
    "work_starts_on": _l("First day of work"), "hours_per_week": _l("Hours a week"), "note": _l("Note"),
    "updated_at": _l("Updated"), "happened": _l("Took place"), "next_step_text": _l("What next"),
    "recorded_at": _l("Recorded"), "recorded_by": _l("Recorded by"), "subject": _l("Subject"),
    "sent_at": _l("Sent"), "text": _l("Text"), "action": _l("Action"), "object_type": _l("Kind of record"),
    "object_id": _l("Record no."), "by": _l("By"), "last_seen_at": _l("Last seen"), "purpose": _l("Purpose"),
    "expires_at": _l("Expires"), "used_at": _l("Used"), "kind": _l("Kind"),
    "session_starts_at": _l("Session starts"), "added_by": _l("Put on the list by"), "ended_at": _l("Ended"),
    "answered_at": _l("Answered"), "first_in_line": _l("First in line"),
}
# Fields whose text may run over several lines.
LONG_TEXT = {"pitch", "note", "text", "cancel_reason", "description", "address"}


def shown(key: str, value) -> str:
    """A field's value as the readable page shows it: times in Danish local time, yes/no, a dash for nothing."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key.endswith("_at"):
        return formats.moment(datetime.fromisoformat(value))
    if key.endswith("_on"):
        return formats.day(date.fromisoformat(value))
    if key == "language":
        return LANGUAGE_NAMES.get(value, value)
    if key in LONG_TEXT:
        return Markup("<br>").join(escape(line) for line in str(value).splitlines())
    return str(value)


def _export(person: User) -> dict:
    return personal_data.export_for(person, by=current_user._get_current_object(), now=utcnow())


def _page(person: User, json_href: str):
    export = _export(person)
    sections = [(source, export["tables"][source.table]["rows"]) for source in personal_data.sources_for(person)]
    return render_template("privacy/my_data.html", person=person, export=export, sections=sections,
                           labels=COLUMN_LABELS, shown=shown, json_href=json_href,
                           own=person.id == current_user.id)


def _download(person: User) -> Response:
    body = json.dumps(_export(person), ensure_ascii=False, indent=2)
    # Not cached anywhere (personal data): matchapp.web.headers answers every download with no-store.
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{FILENAME}"'})


@bp.get("/my-data")
@login_required
def my_data():
    return _page(current_user._get_current_object(), json_href=url_for("privacy.my_data_json"))


@bp.get("/my-data.json")
@login_required
def my_data_json():
    return _download(current_user._get_current_object())


@bp.get("/candidates/<int:candidate_id>/data")
@role_required(*STAFF)
def candidate_data(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    return _page(candidate.user, json_href=url_for("privacy.candidate_data_json", candidate_id=candidate.id))


@bp.get("/candidates/<int:candidate_id>/data.json")
@role_required(*STAFF)
def candidate_data_json(candidate_id: int):
    return _download(candidate_in_my_jobcenter(candidate_id).user)
