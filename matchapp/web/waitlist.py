"""Joining and leaving a waiting list from a page: shared by candidates and by consultants acting for one."""
from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from matchapp.localtime import utcnow
from matchapp.models import Candidate, InterviewSession, WaitlistEntry
from matchapp.services import waitlist
from matchapp.transaction import attempt


def join_list(session: InterviewSession, candidate: Candidate) -> None:
    """Put the candidate on the session's list, and say how it went."""
    with attempt():
        waitlist.join(session, candidate, by=current_user, now=utcnow())
        flash(_("You are on the waiting list. We will e-mail you if a time becomes free.")
              if current_user.id == candidate.user_id else
              _("%(name)s is on the waiting list and will get an e-mail if a time becomes free.",
                name=candidate.user.name), "success")


def leave_list(entry: WaitlistEntry) -> None:
    """Take the entry's candidate off the list, and say how it went."""
    with attempt():
        waitlist.leave(entry, by=current_user, now=utcnow())
        flash(_("You have left the waiting list.") if current_user.id == entry.candidate.user_id else
              _("%(name)s is no longer on the waiting list.", name=entry.candidate.user.name), "success")


def back_to_pick() -> bool:
    """Whether the button was pressed on the pick page (it says so), rather than on a list of meetings."""
    return request.form.get("back") == "pick"
