"""Read-only queries for the consultant pages, each a fixed number of SQL statements."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from matchapp.extensions import db
from matchapp.models import Enrollment, FollowUp


def follow_up_counts(run_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each course run: (completers, completers whose status 60 days after is not recorded yet)."""
    rows = db.session.execute(
        select(Enrollment.course_run_id, func.count(Enrollment.id), func.count(Enrollment.id) - func.count(FollowUp.id))
        .outerjoin(FollowUp, and_(FollowUp.candidate_id == Enrollment.candidate_id,
                                  FollowUp.course_run_id == Enrollment.course_run_id))
        .where(Enrollment.course_run_id.in_(run_ids), Enrollment.completed_at.is_not(None))
        .group_by(Enrollment.course_run_id))
    return {run_id: (completers, missing) for run_id, completers, missing in rows}
