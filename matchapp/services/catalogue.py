"""Job centres, courses, course runs and course completions."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchapp.extensions import db
from matchapp.models import Candidate, Course, CourseRun, Enrollment, Jobcenter, User
from matchapp.services import audit
from matchapp.services.errors import MatchappError


def _unique_name(model, name: str) -> str:
    name = name.strip()
    # Compared in Python: SQLite's lower() leaves Æ, Ø and Å as they are. Job centres and courses are a short list.
    if name.casefold() in {taken.casefold() for taken in db.session.scalars(select(model.name))}:
        raise MatchappError(_l("The name is in use already."), field="name")
    return name


def _add_named(row) -> None:
    """Add a row with a unique name; a name taken meanwhile (two admins at once) is the same clear refusal."""
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError as error:
        raise MatchappError(_l("The name is in use already."), field="name") from error


def create_jobcenter(name: str, *, by: User, now: datetime) -> Jobcenter:
    """Add a job centre.

    :raises MatchappError: the name is in use.
    """
    jobcenter = Jobcenter(name=_unique_name(Jobcenter, name))
    _add_named(jobcenter)
    audit.record(by, "jobcenter_created", jobcenter, now=now)
    return jobcenter


def create_course(name: str, description: str, *, by: User, now: datetime) -> Course:
    """Add a course.

    :raises MatchappError: the name is in use.
    """
    course = Course(name=_unique_name(Course, name), description=description.strip())
    _add_named(course)
    audit.record(by, "course_created", course, now=now)
    return course


def create_course_run(course: Course, jobcenter: Jobcenter, starts_on: date, ends_on: date, *, by: User,
                      now: datetime) -> CourseRun:
    """Add a run (cohort) of a course at a job centre.

    :raises MatchappError: it ends before it starts.
    """
    if ends_on < starts_on:
        raise MatchappError(_l("The end date must be on or after the start date."), field="ends_on")
    run = CourseRun(course=course, jobcenter=jobcenter, starts_on=starts_on, ends_on=ends_on)
    db.session.add(run)
    db.session.flush()
    audit.record(by, "course_run_created", run, now=now)
    return run


def record_completion(candidate: Candidate, run: CourseRun, completed_at: datetime | None, *, by: User,
                      now: datetime) -> Enrollment:
    """Enrol a candidate in a run, and mark it completed when completed_at is given (idempotent)."""
    return record_completions([(candidate, completed_at)], run, by=by, now=now)[0]


def record_completions(entries: list[tuple[Candidate, datetime | None]], run: CourseRun, *, by: User | None,
                       now: datetime) -> list[Enrollment]:
    """Enrol candidates in a run, each marked completed when their completed_at is given (idempotent): one query
    and one flush for the lot (a roster import records hundreds)."""
    ids = [candidate.id for candidate, _completed_at in entries]
    existing = {enrollment.candidate_id: enrollment for enrollment in db.session.scalars(
        select(Enrollment).where(Enrollment.course_run_id == run.id, Enrollment.candidate_id.in_(ids)))}
    enrollments = []
    for candidate, completed_at in entries:
        enrollment = existing.get(candidate.id)
        if enrollment is None:
            enrollment = existing[candidate.id] = Enrollment(candidate_id=candidate.id, course_run=run)
            db.session.add(enrollment)
        enrollment.completed_at = completed_at
        enrollments.append(enrollment)
    db.session.flush()
    for enrollment in enrollments:
        audit.record(by, "completion_recorded", enrollment, now=now)
    return enrollments
