"""Outcomes of meetings, recorded by employers in one go or by a consultant one meeting at a time, the candidates' own
answers, and follow-ups 60 days after a course."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Subquery, exists, select, union_all
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.models import (
    Attendance,
    Booking,
    BookingStatus,
    Candidate,
    CandidateFeedback,
    ConsultantOutcome,
    CourseRun,
    EmploymentStatus,
    EmploymentType,
    Enrollment,
    FollowUp,
    InterviewSession,
    NextStep,
    Outcome,
    Result,
    Role,
    Slot,
    User,
)
from matchapp.models.outcome import RecordedOutcome
from matchapp.services import audit, webhooks
from matchapp.services.errors import Conflict, MatchappError, NotAllowed

FOLLOW_UP_DAYS = 60


@dataclass(frozen=True)
class OutcomeEntry:
    """One row of the outcome page; attendance None means the row is left for later."""

    booking_id: int
    attendance: Attendance | None
    result: Result | None = None
    employment_type: EmploymentType | None = None
    start_date: date | None = None
    hours_per_week: int | None = None
    note: str = ""


class OutcomeErrors(MatchappError):
    """Some rows break a rule; `rows` maps a booking id to {field: message}. Nothing was saved."""

    def __init__(self, rows: dict[int, dict[str, str]]):
        super().__init__(_l("Some rows need to be corrected. Nothing has been saved yet."))
        self.rows = rows


def meetings_of(session: InterviewSession) -> list[Booking]:
    """The session's confirmed bookings in time order, with candidate and outcome loaded."""
    return list(db.session.scalars(
        select(Booking).join(Slot, Booking.slot_id == Slot.id)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.slot), selectinload(Booking.candidate).selectinload(Candidate.user))
        .order_by(Slot.starts_at, Slot.lane)))


def _by_booking(model, booking_ids: list[int]) -> dict:
    """The rows of a per-booking record (an outcome, a consultant's outcome, a candidate's answer) by booking id."""
    return {row.booking_id: row for row in db.session.scalars(select(model).where(model.booking_id.in_(booking_ids)))}


def outcomes_by_booking(booking_ids: list[int]) -> dict[int, Outcome]:
    """The recorded outcomes of these bookings."""
    return _by_booking(Outcome, booking_ids)


def _check(entry: OutcomeEntry, booking: Booking | None, *, now: datetime) -> dict[str, str]:
    if booking is None:
        return {"attendance": str(_l("This meeting is not part of the session."))}
    if entry.attendance is None:
        # A row with any detail but no attendance would be skipped, and the detail silently lost.
        details = (entry.result, entry.employment_type, entry.start_date, entry.hours_per_week, entry.note.strip())
        return {"attendance": str(_l("Choose whether the meeting took place."))} if any(details) else {}
    if booking.slot.starts_at > now:
        return {"attendance": str(_l("The meeting has not taken place yet."))}
    if entry.attendance != Attendance.ATTENDED:
        return {}
    if entry.result is None:
        return {"result": str(_l("Choose what came of the meeting."))}
    if entry.result == Result.HIRED:
        problems = {}
        if entry.employment_type is None:
            problems["employment_type"] = str(_l("Choose the type of employment."))
        if entry.start_date is None:
            problems["start_date"] = str(_l("Enter the first day of work."))
        return problems
    return {}


def _fill(record: RecordedOutcome, entry: OutcomeEntry) -> None:
    """Copy a checked entry into a record: a result only for a meeting that took place, the job's details only for a
    hire; other details given are dropped."""
    attended = entry.attendance == Attendance.ATTENDED
    hired = attended and entry.result == Result.HIRED
    record.attendance = entry.attendance
    record.result = entry.result if attended else None
    record.employment_type = entry.employment_type if hired else None
    record.start_date = entry.start_date if hired else None
    record.hours_per_week = entry.hours_per_week if hired else None


def record_outcomes(session: InterviewSession, entries: list[OutcomeEntry], *, by: User, now: datetime) -> int:
    """Save the outcomes of a session's meetings: every row is checked first, then all are saved, or none.

    Returns how many outcomes were saved. A result applies only to a meeting that took place, and the employment
    details only to a hire; other details given are dropped.

    :raises OutcomeErrors: one or more rows break a rule.
    """
    bookings = {b.id: b for b in meetings_of(session)}
    errors = {e.booking_id: problems for e in entries
              if (problems := _check(e, bookings.get(e.booking_id), now=now))}
    if errors:
        raise OutcomeErrors(errors)
    existing = outcomes_by_booking(list(bookings))
    saved = changed = 0
    for entry in entries:
        if entry.attendance is None:
            continue
        outcome = existing.get(entry.booking_id) or Outcome(booking_id=entry.booking_id, recorded_by_id=by.id,
                                                             recorded_at=now)
        _fill(outcome, entry)
        outcome.note = entry.note.strip()
        if entry.booking_id not in existing or db.session.is_modified(outcome):
            outcome.updated_at = now
            changed += 1
            webhooks.outcome_recorded(bookings[entry.booking_id], outcome, now=now)
        db.session.add(outcome)
        saved += 1
    db.session.flush()
    if changed:  # saving the same answers again is not an event
        audit.record(by, "outcomes_recorded", session, now=now)
    return saved


def may_record_for(by: User, candidate: Candidate) -> bool:
    """A consultant of the candidate's job centre, or an admin (as everywhere in the consultants' area)."""
    return by.role == Role.ADMIN or (by.role == Role.CONSULTANT and by.jobcenter_id == candidate.jobcenter_id)


def record_consultant_outcome(booking: Booking, entry: OutcomeEntry, *, by: User,
                              now: datetime) -> ConsultantOutcome:
    """Record (or correct) a consultant's record of what came of a meeting, beside the employer's, which it never
    changes; the figures count it instead of the employer's. The entry is checked as an employer's row is
    (`_check`), and must say whether the meeting took place; the note is the employer's alone and is not kept.

    :raises NotAllowed: `by` is not a consultant of the candidate's job centre (nor an admin).
    :raises Conflict: the meeting was cancelled.
    :raises OutcomeErrors: the entry breaks a rule (the meeting has not begun, a hire without its type …).
    """
    if not may_record_for(by, booking.candidate):
        raise NotAllowed(_l("Only a consultant of the candidate's job centre can record what came of the meeting."))
    if booking.status != BookingStatus.CONFIRMED:
        raise Conflict(_l("This meeting was cancelled."))
    problems = _check(entry, booking if entry.booking_id == booking.id else None, now=now)
    if not problems and entry.attendance is None:
        problems = {"attendance": str(_l("Choose whether the meeting took place."))}
    if problems:
        raise OutcomeErrors({booking.id: problems})
    recorded = db.session.scalar(select(ConsultantOutcome).where(ConsultantOutcome.booking_id == booking.id))
    record = recorded or ConsultantOutcome(booking_id=booking.id, recorded_at=now)
    _fill(record, entry)
    if recorded is not None and not db.session.is_modified(record):
        return record  # the same record again: nothing to record
    record.recorded_by_id, record.updated_at = by.id, now
    db.session.add(record)
    db.session.flush()
    audit.record(by, "outcome_recorded_by_consultant", booking, now=now)
    webhooks.outcome_recorded(booking, record, now=now)
    return record


def consultant_outcomes_by_booking(booking_ids: list[int]) -> dict[int, ConsultantOutcome]:
    """The consultants' records of these bookings."""
    return _by_booking(ConsultantOutcome, booking_ids)


def counted_outcomes() -> Subquery:
    """Per booking, the record the figures count: the consultant's where there is one, else the employer's. Columns:
    booking_id, attendance, result, employment_type, start_date, updated_at."""
    columns = ("booking_id", "attendance", "result", "employment_type", "start_date", "updated_at")
    return union_all(
        select(*(getattr(ConsultantOutcome, c) for c in columns)),
        select(*(getattr(Outcome, c) for c in columns))
        .where(~exists().where(ConsultantOutcome.booking_id == Outcome.booking_id)),
    ).subquery("counted_outcome")


def record_candidate_feedback(booking: Booking, *, happened: bool, next_step: NextStep | None, by: User,
                              now: datetime) -> CandidateFeedback:
    """Record (or change) the candidate's answer about a meeting: did it happen, and what came of it.

    The next step is dropped when the meeting did not happen.

    :raises MatchappError: `by` is not the booking's candidate, the meeting was cancelled or has not started yet.
    """
    if booking.candidate.user_id != by.id:
        raise MatchappError(_l("Only the candidate can say how the meeting went."))
    if booking.status != BookingStatus.CONFIRMED:
        raise MatchappError(_l("This meeting was cancelled."))
    if booking.slot.starts_at > now:
        raise MatchappError(_l("You can say how the meeting went once it has begun."))
    recorded = db.session.scalar(select(CandidateFeedback).where(CandidateFeedback.booking_id == booking.id))
    feedback = recorded or CandidateFeedback(booking_id=booking.id)
    feedback.happened = happened
    feedback.next_step = next_step if happened else None
    if recorded is not None and not db.session.is_modified(feedback):
        return feedback  # the same answer again: nothing to record
    feedback.recorded_at = now
    db.session.add(feedback)
    db.session.flush()
    audit.record(by, "candidate_feedback_recorded", booking, now=now)
    return feedback


def feedback_by_booking(booking_ids: list[int]) -> dict[int, CandidateFeedback]:
    """The candidates' answers about these bookings."""
    return _by_booking(CandidateFeedback, booking_ids)


NEXT_STEP_TO_RESULT = {
    NextStep.NOTHING: Result.NO_MATCH,
    NextStep.NEXT_INTERVIEW: Result.NEXT_INTERVIEW,
    NextStep.JOB_OFFER: Result.JOB_OFFER,
    NextStep.HIRED: Result.HIRED,
}


@dataclass(frozen=True)
class BothSides:
    """The employer's outcome and the candidate's answer about one meeting, and the consultant's record, each possibly
    missing."""

    outcome: Outcome | None
    feedback: CandidateFeedback | None
    consultant: ConsultantOutcome | None = None

    @property
    def counted(self) -> RecordedOutcome | None:
        """The record the figures count: the consultant's where there is one, else the employer's."""
        return self.consultant or self.outcome

    @property
    def disagree(self) -> bool:
        """Both sides answered and say different things about whether it happened or what came of it."""
        if self.outcome is None or self.feedback is None:
            return False
        if self.feedback.happened != (self.outcome.attendance == Attendance.ATTENDED):
            return True
        # A half-given answer (no next step or result yet) is not a disagreement.
        return (self.feedback.next_step is not None and self.outcome.result is not None
                and NEXT_STEP_TO_RESULT[self.feedback.next_step] != self.outcome.result)


def both_sides(bookings: list[Booking]) -> dict[int, BothSides]:
    """For each booking id, what the employer, the candidate and the consultant said about the meeting."""
    ids = [b.id for b in bookings]
    outcomes, feedback = outcomes_by_booking(ids), feedback_by_booking(ids)
    consultants = consultant_outcomes_by_booking(ids)
    return {i: BothSides(outcomes.get(i), feedback.get(i), consultants.get(i)) for i in ids}


def follow_up_due_on(run: CourseRun) -> date:
    """The day the 60-day follow-up of a course run falls due."""
    return run.ends_on + timedelta(days=FOLLOW_UP_DAYS)


def completers_without_follow_up(run: CourseRun) -> list[Candidate]:
    """The run's candidates who completed it and whose status 60 days after is not recorded yet."""
    recorded = select(FollowUp.candidate_id).where(FollowUp.course_run_id == run.id)
    return list(db.session.scalars(
        select(Candidate).join(Enrollment, Enrollment.candidate_id == Candidate.id)
        .where(Enrollment.course_run_id == run.id, Enrollment.completed_at.is_not(None),
               Candidate.id.not_in(recorded))
        .options(selectinload(Candidate.user), selectinload(Candidate.consultant))
        .order_by(Candidate.id)))


@dataclass(frozen=True)
class Hire:
    """A hire through a meeting in matchapp, as the counted record has it (`counted_outcomes`)."""

    booking: Booking
    employment_type: EmploymentType | None
    start_date: date | None


@dataclass(frozen=True)
class FollowUpRow:
    """One completer of a run on the follow-up page: the status recorded 60 days after the course (None until a
    consultant or the candidate records one), and the latest hire through a meeting in matchapp, to mention beside it.

    A hire is never taken for a status: the dashboard counts only what is recorded, and so does this page.
    """

    candidate: Candidate
    status: EmploymentStatus | None
    hire: Hire | None

    @property
    def known(self) -> bool:
        """A status other than "unknown" is recorded: what the dashboard counts as recorded."""
        return self.status is not None and self.status != EmploymentStatus.UNKNOWN


def follow_up_rows(run: CourseRun) -> list[FollowUpRow]:
    """Every completer of the run with their recorded status (or None) and their latest hire through matchapp."""
    candidates = list(db.session.scalars(
        select(Candidate).join(Enrollment, Enrollment.candidate_id == Candidate.id)
        .where(Enrollment.course_run_id == run.id, Enrollment.completed_at.is_not(None))
        .options(selectinload(Candidate.user)).order_by(Candidate.id)))
    ids = [c.id for c in candidates]
    recorded = {f.candidate_id: f.status for f in db.session.scalars(
        select(FollowUp).where(FollowUp.course_run_id == run.id, FollowUp.candidate_id.in_(ids)))}
    counted = counted_outcomes()
    latest_hire: dict[int, Hire] = {}
    for booking, employment_type, start_date in db.session.execute(
            select(Booking, counted.c.employment_type, counted.c.start_date)
            .join(counted, counted.c.booking_id == Booking.id)
            .where(Booking.candidate_id.in_(ids), counted.c.result == Result.HIRED)
            .order_by(counted.c.start_date.is_(None).desc(), counted.c.start_date, counted.c.updated_at, Booking.id)
            .options(selectinload(Booking.session).selectinload(InterviewSession.employer))):
        latest_hire[booking.candidate_id] = Hire(booking, employment_type, start_date)  # oldest first: the last wins
    return [FollowUpRow(c, recorded.get(c.id), latest_hire.get(c.id)) for c in candidates]


def record_follow_ups(run: CourseRun, statuses: dict[int, EmploymentStatus], *, by: User, now: datetime) -> int:
    """Record (or correct) the employment status of the run's completers 60 days after the course.

    Returns how many statuses were recorded or changed; a status already recorded as given keeps who recorded it.

    :raises MatchappError: a candidate is not a completer of the run.
    """
    completers = {row.candidate.id for row in follow_up_rows(run)}
    if not set(statuses) <= completers:
        raise MatchappError(_l("One of the candidates did not complete this course run."))
    existing = {f.candidate_id: f for f in db.session.scalars(
        select(FollowUp).where(FollowUp.course_run_id == run.id))}
    changed = {c: s for c, s in statuses.items() if c not in existing or existing[c].status != s}
    for candidate_id, status in changed.items():
        follow_up = existing.get(candidate_id) or FollowUp(candidate_id=candidate_id, course_run_id=run.id)
        follow_up.status, follow_up.source, follow_up.recorded_by_id, follow_up.recorded_at = (
            status, "consultant", by.id, now)
        db.session.add(follow_up)
        webhooks.follow_up_recorded(follow_up, db.session.get(Candidate, candidate_id), now=now)
    db.session.flush()
    if changed:
        audit.record(by, "follow_ups_recorded", run, now=now)
    return len(changed)
