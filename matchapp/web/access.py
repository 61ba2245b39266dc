"""Access checks, in one place: role decorators and loaders that answer 404 or 403."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required

from matchapp.extensions import db
from matchapp.models import Candidate, CourseRun, Role


def role_required(*roles: Role):
    """Let only signed-in users with one of these roles in; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_or_404(model, object_id: int):
    """The object with this id, or 404."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def candidate_in_my_jobcenter(candidate_id: int) -> Candidate:
    """A candidate of the signed-in consultant's job centre (admins see all); 404 if missing, 403 if not theirs."""
    candidate = get_or_404(Candidate, candidate_id)
    if current_user.role != Role.ADMIN and candidate.jobcenter_id != current_user.jobcenter_id:
        abort(403)
    return candidate


def course_run_in_my_jobcenter(run_id: int) -> CourseRun:
    """A course run of the signed-in consultant's job centre (admins see all); 404 if missing, 403 if not theirs."""
    run = get_or_404(CourseRun, run_id)
    if current_user.role != Role.ADMIN and run.jobcenter_id != current_user.jobcenter_id:
        abort(403)
    return run
