"""The pick-and-confirm page, shared by candidates and by consultants booking on a candidate's behalf."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchapp.localtime import utcnow
from matchapp.models import Candidate, Role
from matchapp.services.booking import book_slots
from matchapp.services.find_page import find_page
from matchapp.services.planning import auto_plan
from matchapp.transaction import attempt
from matchapp.web.booking_result import remember_result
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number, parse_id

PICK_PREFIX = "slot-"


def chosen_slot_ids(form) -> list[int]:
    """The slot ids picked on the page, one per session (fields named slot-<session id>)."""
    ids = []
    for name, value in form.items():
        slot_id = parse_id(value) if name.startswith(PICK_PREFIX) else None
        if slot_id is not None:
            ids.append(slot_id)
    return ids


def pick_page(candidate: Candidate, *, chosen: list[int] = (), problems: list[str] = (), status: int = 200,
              planned_out: list[int] = ()):
    """Render the employers' jobs the candidate can book, each once with its free times by day."""
    find = find_page(candidate, page=page_number(), staff=current_user.role != Role.CANDIDATE, chosen=chosen,
                     planned_out=planned_out, now=utcnow())
    if find is None:
        abort(404)
    return render_template("booking/pick.html", candidate=candidate, find=find, problems=problems,
                           form=ActionForm()), status


def handle_pick(candidate: Candidate, *, done_endpoint: str, **done_values):
    """Book the picked slots, or plan them ("auto-plan"), and answer with what happened."""
    if request.form.get("action") == "plan":
        session_ids = [i for i in map(parse_id, request.form.getlist("session")) if i is not None]
        if not session_ids:
            return pick_page(candidate, problems=[_("Tick the sessions you want us to plan.")], status=422)
        slots, left_out = auto_plan(candidate, session_ids, now=utcnow())
        if slots:
            flash(ngettext("We have chosen %(num)d time. Check it and press \"Book the chosen times\".",
                           "We have chosen %(num)d times that do not overlap. Check them and press \"Book the "
                           "chosen times\".", len(slots)), "info")
        return pick_page(candidate, chosen=[s.id for s in slots], planned_out=left_out,
                         problems=[_("No free time fits for this session.")] if left_out and not slots else [])
    chosen = chosen_slot_ids(request.form)
    with attempt(show=False) as tried:
        result = book_slots(candidate, chosen, by=current_user, now=utcnow())
        # Read the ids before the commit expires the objects: after it, each would be loaded again, in a new
        # transaction that on SQLite waits for the write lock once more.
        remember_result(candidate, result)
        return redirect(url_for(done_endpoint, **done_values))
    return pick_page(candidate, chosen=chosen, problems=tried.error.problems, status=422)
