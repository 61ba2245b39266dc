"""Candidates: ask to be told of a free time in a full session, and leave that waiting list again."""
from __future__ import annotations

from flask import abort, redirect, url_for

from matchapp.models import InterviewSession, Role, WaitlistEntry
from matchapp.web.access import get_or_404, role_required
from matchapp.web.candidate.blueprint import bp
from matchapp.web.candidate.routes import me
from matchapp.web.waitlist import back_to_pick, join_list, leave_list


@bp.post("/sessions/<int:session_id>/waitlist")
@role_required(Role.CANDIDATE)
def waitlist_join(session_id: int):
    join_list(get_or_404(InterviewSession, session_id), me())
    return redirect(url_for("candidate.find"))


@bp.post("/waitlist/<int:entry_id>/leave")
@role_required(Role.CANDIDATE)
def waitlist_leave(entry_id: int):
    entry = get_or_404(WaitlistEntry, entry_id)
    if entry.candidate_id != me().id:
        abort(404)  # not theirs: do not confirm that it exists
    leave_list(entry)
    return redirect(url_for("candidate.find" if back_to_pick() else "candidate.meetings"))
