"""Courses, the job centre's course runs, and completions of a run (what a roster says)."""
from __future__ import annotations

from datetime import UTC

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Course, CourseRun, Jobcenter
from matchapp.services import catalogue
from matchapp.web.api.access import acting_user, candidate_or_404, jobcenter_id, refuse, run_or_404, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.pages import page_of
from matchapp.web.api.schemas import (
    CompletionIn,
    CompletionSchema,
    CoursePage,
    CourseRunIn,
    CourseRunPage,
    CourseRunSchema,
    ListArgs,
)


@bp.get("/courses")
@bp.arguments(ListArgs, location="query")
@bp.response(200, CoursePage)
@bp.doc(tags=["courses"])
@scoped("courses:read")
def courses(args):
    """Every course, in pages."""
    return page_of(select(Course), Course.id, args,
                   lambda c: {"id": c.id, "name": c.name, "description": c.description})


@bp.get("/course-runs")
@bp.arguments(ListArgs, location="query")
@bp.response(200, CourseRunPage)
@bp.doc(tags=["courses"])
@scoped("courses:read")
def course_runs(args):
    """The job centre's course runs (cohorts), in pages."""
    return page_of(select(CourseRun).where(CourseRun.jobcenter_id == jobcenter_id()), CourseRun.id, args, dump_run)


def dump_run(run: CourseRun) -> dict:
    return {"id": run.id, "course_id": run.course_id, "starts_on": run.starts_on, "ends_on": run.ends_on}


@bp.post("/course-runs")
@bp.arguments(CourseRunIn)
@bp.response(201, CourseRunSchema)
@bp.doc(tags=["courses"])
@scoped("courses:write")
def course_run_new(body):
    """Add a run (cohort) of a course at the key's job centre."""
    course = db.session.get(Course, body["course_id"])
    if course is None:
        refuse(422, "invalid", errors={"course_id": ["No such course."]})
    run = catalogue.create_course_run(course, db.session.get(Jobcenter, jobcenter_id()), body["starts_on"],
                                      body["ends_on"], by=acting_user(), now=utcnow())
    return dump_run(run)


@bp.post("/course-runs/<int:run_id>/completions")
@bp.arguments(CompletionIn)
@bp.response(200, CompletionSchema)
@bp.doc(tags=["courses"])
@scoped("rosters:write")
def completion(body, run_id: int):
    """Enrol a candidate (by external id) in the run, completed at the time given (null: not completed).
    Sending the same again changes nothing."""
    run, candidate = run_or_404(run_id), candidate_or_404(body["external_id"])
    completed_at = body["completed_at"].astimezone(UTC) if body["completed_at"] else None
    try:
        with db.session.begin_nested():
            enrollment = catalogue.record_completion(candidate, run, completed_at, by=acting_user(), now=utcnow())
    except IntegrityError:  # the same enrolment sent twice at once: the other request wrote it
        refuse(409, "conflict", "The same completion was recorded meanwhile; send it again to change it.")
    return {"external_id": candidate.external_id, "course_run_id": run.id, "completed_at": enrollment.completed_at}
