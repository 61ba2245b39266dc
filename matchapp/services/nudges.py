"""After the meetings: the "record the outcome" e-mail to employers and the 60-day follow-up to consultants.

Each is claimed once through a SentNotice row (see reminders.claim_and_queue), so it arrives exactly once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import exists, select
from sqlalchemy.orm import selectinload

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import Booking, BookingStatus, CourseRun, InterviewSession, Outcome, SessionStatus
from matchapp.services.outcomes import FOLLOW_UP_DAYS, completers_without_follow_up, meetings_of
from matchapp.services.reminders import claim_and_queue

NUDGE_AFTER = timedelta(minutes=15)  # "shortly after a session ends"
NUDGE_WITHIN = timedelta(days=7)  # older sessions are not nudged (e.g. on the first start of the scheduler)
FOLLOW_UP_WITHIN_DAYS = 30


def send_outcome_nudges(*, now: datetime) -> int:
    """Ask each employer contact, once per session, to record the outcomes that are missing."""
    missing = exists().where(Booking.session_id == InterviewSession.id, Booking.status == BookingStatus.CONFIRMED,
                             ~exists().where(Outcome.booking_id == Booking.id))
    sessions = db.session.scalars(
        select(InterviewSession)
        .where(InterviewSession.status == SessionStatus.PUBLISHED, InterviewSession.ends_at <= now - NUDGE_AFTER,
               InterviewSession.ends_at > now - NUDGE_WITHIN, missing)
        .options(selectinload(InterviewSession.created_by))).all()
    queued = 0
    for session in sessions:
        recorded = {o.booking_id for o in db.session.scalars(
            select(Outcome).join(Booking).where(Booking.session_id == session.id))}
        bookings = [b for b in meetings_of(session) if b.id not in recorded]
        queued += claim_and_queue("outcome-nudge", session.id, session.created_by, "outcome_nudge", now=now,
                                  session=session, bookings=bookings,
                                  link=mail.external_url("employer.session_outcomes", session_id=session.id))
    return queued


def send_follow_up_requests(*, now: datetime) -> int:
    """On the 60th day after a course run ends, ask each consultant for their candidates' employment status."""
    today = to_local(now).date()
    runs = db.session.scalars(select(CourseRun).where(
        CourseRun.ends_on <= today - timedelta(days=FOLLOW_UP_DAYS),
        CourseRun.ends_on > today - timedelta(days=FOLLOW_UP_DAYS + FOLLOW_UP_WITHIN_DAYS))
        .options(selectinload(CourseRun.course))).all()
    queued = 0
    for run in runs:
        candidates = [c for c in completers_without_follow_up(run) if c.consultant is not None]
        for _consultant_id, theirs in groupby(sorted(candidates, key=lambda c: c.consultant_id),
                                              key=lambda c: c.consultant_id):
            theirs = list(theirs)
            consultant = theirs[0].consultant
            queued += claim_and_queue("follow-up-60d", run.id, consultant, "follow_up_request", now=now, run=run,
                                      candidates=theirs,
                                      link=mail.external_url("consultant.run_follow_up", run_id=run.id))
    return queued
