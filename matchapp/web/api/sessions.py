"""Employers' published interview sessions to come, and their free times (read only)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import InterviewSession, SessionStatus
from matchapp.services import availability
from matchapp.web.api.access import refuse, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.pages import page_of
from matchapp.web.api.schemas import FreeTimes, ListArgs, SessionPage


def _published(now):
    return (select(InterviewSession)
            .where(InterviewSession.status == SessionStatus.PUBLISHED, InterviewSession.ends_at > now)
            .options(selectinload(InterviewSession.employer), selectinload(InterviewSession.courses)))


def dump(session: InterviewSession) -> dict:
    return {"id": session.id, "title": session.title, "employer": session.employer.name,
            "starts_at": session.starts_at, "ends_at": session.ends_at, "mode": session.mode.value,
            "course_ids": [course.id for course in session.courses]}


@bp.get("/sessions")
@bp.arguments(ListArgs, location="query")
@bp.response(200, SessionPage)
@bp.doc(tags=["sessions"])
@scoped("sessions:read")
def sessions(args):
    """Published sessions that have not ended, in pages."""
    return page_of(_published(utcnow()), InterviewSession.id, args, dump)


@bp.get("/sessions/<int:session_id>/free-times")
@bp.response(200, FreeTimes)
@bp.doc(tags=["sessions"])
@scoped("sessions:read")
def free_times(session_id: int):
    """The session's times that can still be booked (a free interviewer, booking not closed)."""
    now = utcnow()
    session = db.session.scalar(_published(now).where(InterviewSession.id == session_id))
    if session is None:
        refuse(404, "not-found")
    times = availability.free_times([session], now=now)[session.id]
    return {"items": [{"starts_at": t.starts_at, "slot_id": t.slot_id} for t in times]}
