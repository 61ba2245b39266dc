"""Consultants: put a candidate on a full session's waiting list, or take them off it."""
from __future__ import annotations

from flask import redirect, url_for

from matchapp.models import InterviewSession, WaitlistEntry
from matchapp.web.access import candidate_in_my_jobcenter, get_or_404, role_required
from matchapp.web.consultant.blueprint import bp
from matchapp.web.consultant.routes import STAFF
from matchapp.web.waitlist import back_to_pick, join_list, leave_list


@bp.post("/candidates/<int:candidate_id>/sessions/<int:session_id>/waitlist")
@role_required(*STAFF)
def candidate_waitlist_join(candidate_id: int, session_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    join_list(get_or_404(InterviewSession, session_id), candidate)
    return redirect(url_for("consultant.candidate_book", candidate_id=candidate.id))


@bp.post("/waitlist/<int:entry_id>/leave")
@role_required(*STAFF)
def waitlist_leave(entry_id: int):
    entry = get_or_404(WaitlistEntry, entry_id)
    candidate = candidate_in_my_jobcenter(entry.candidate_id)
    leave_list(entry)
    endpoint = "consultant.candidate_book" if back_to_pick() else "consultant.candidate"
    return redirect(url_for(endpoint, candidate_id=candidate.id))
