"""What came of a meeting (read: the record the figures count; write: the job centre's record, as a consultant's),
and the 60-day follow-ups of a course run."""
from __future__ import annotations

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking
from matchapp.services import locks, outcomes
from matchapp.services.errors import Conflict, MatchappError
from matchapp.web.api.access import acting_user, booking_or_404, candidate_or_404, refuse, run_or_404, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.etags import check_if_match, etag_of
from matchapp.web.api.schemas import FollowUpIn, FollowUps, FollowUpSchema, OutcomeIn, OutcomeSchema

ETAG_HEADER = {"ETag": {"description": "Send it back as If-Match to change the outcome", "schema": {"type": "string"}}}
IF_MATCH = [{"in": "header", "name": "If-Match", "schema": {"type": "string"},
             "description": "The ETag read; required when an outcome is recorded already"}]


def counted(booking: Booking) -> dict | None:
    """The record the figures count: the consultant's (the job centre's) where there is one, else the employer's."""
    by_consultant = outcomes.consultant_outcomes_by_booking([booking.id]).get(booking.id)
    record = by_consultant or outcomes.outcomes_by_booking([booking.id]).get(booking.id)
    if record is None:
        return None
    return {"booking_id": booking.id, "recorded_by": "consultant" if by_consultant else "employer",
            "attendance": record.attendance, "result": record.result, "employment_type": record.employment_type,
            "start_date": record.start_date,
            "hours_per_week": record.hours_per_week}


@bp.get("/bookings/<int:booking_id>/outcome")
@bp.response(200, OutcomeSchema, headers=ETAG_HEADER)
@bp.doc(tags=["outcomes"])
@scoped("outcomes:read")
def outcome(booking_id: int):
    """What came of the meeting; 404 while nothing is recorded."""
    data = counted(booking_or_404(booking_id))
    if data is None:
        refuse(404, "not-found", "No outcome is recorded for this meeting yet.")
    return data, 200, {"ETag": etag_of(data)}


@bp.put("/bookings/<int:booking_id>/outcome")
@bp.arguments(OutcomeIn)
@bp.response(200, OutcomeSchema, headers=ETAG_HEADER)
@bp.doc(tags=["outcomes"], parameters=IF_MATCH)
@scoped("outcomes:write")
def outcome_put(body, booking_id: int):
    """Record what came of the meeting, as the job centre's record (it counts instead of the employer's). When an
    outcome is recorded already, send If-Match with the ETag you read."""
    booking = booking_or_404(booking_id)
    locks.hold(sessions=[booking.session_id], candidates=[booking.candidate_id])  # two writers queue up
    db.session.refresh(booking)
    current = counted(booking)
    if current is not None:
        check_if_match(etag_of(current))
    entry = outcomes.OutcomeEntry(booking_id=booking.id, **body)
    try:
        outcomes.record_consultant_outcome(booking, entry, by=acting_user(), now=utcnow())
    except outcomes.OutcomeErrors as error:
        refuse(422, "refused", str(error.message), errors={k: [v] for k, v in error.rows[booking.id].items()})
    except Conflict as error:
        refuse(409, "conflict", str(error.message))
    except MatchappError as error:
        refuse(422, "refused", str(error.message))
    data = counted(booking)
    return data, 200, {"ETag": etag_of(data)}


@bp.get("/course-runs/<int:run_id>/follow-ups")
@bp.response(200, FollowUps)
@bp.doc(tags=["outcomes"])
@scoped("outcomes:read")
def follow_ups(run_id: int):
    """The run's completers and their employment status 60 days after the course (null: not recorded)."""
    run = run_or_404(run_id)
    return {"items": [{"external_id": row.candidate.external_id, "course_run_id": run.id,
                       "status": row.status} for row in outcomes.follow_up_rows(run)]}


@bp.put("/course-runs/<int:run_id>/follow-ups/<external_id>")
@bp.arguments(FollowUpIn)
@bp.response(200, FollowUpSchema)
@bp.doc(tags=["outcomes"])
@scoped("outcomes:write")
def follow_up_put(body, run_id: int, external_id: str):
    """Record a completer's employment status 60 days after the course. A candidate who did not complete the run is
    422 refused."""
    run, candidate = run_or_404(run_id), candidate_or_404(external_id)
    try:
        outcomes.record_follow_ups(run, {candidate.id: body["status"]}, by=acting_user(), now=utcnow())
    except MatchappError as error:
        refuse(422, "refused", str(error.message))
    return {"external_id": candidate.external_id, "course_run_id": run.id, "status": body["status"]}
