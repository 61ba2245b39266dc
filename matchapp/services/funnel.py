"""The course-to-job funnel and employers' demand for the consultants' dashboard, computed by SQL aggregation.

Definitions (the dashboard page repeats them in plain words):
- The cohort is every candidate with a completed enrollment in a course run that matches the filter: the job
  centre, the course, the run, and the run's end date within the period.
- "Had a meeting" is any confirmed booking by a completer in a session held on or after the run's start date.
  "Attended", "next step" (next interview, job offer or hire) and "hired" come from the employers' outcomes of those
  meetings. "Full-time after 60 days" is the run's follow-up status. All are distinct candidates, so that the stages
  of a course never exceed its completers.
- Employers publish for every job centre, so sessions and slots are counted for all; bookings, no-shows and hires
  count only the chosen job centre's candidates (and, with a run chosen, its completers). Sessions are those held
  within the period; with a course or run chosen, only sessions aimed at that course.
- Each candidate belongs to one target group, so the rows of the two groups add up to the "all" row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, case, distinct, extract, func, select

from matchapp.extensions import db
from matchapp.models import (
    Attendance,
    Booking,
    BookingStatus,
    Candidate,
    Course,
    CourseRun,
    Employer,
    EmploymentStatus,
    EmploymentType,
    Enrollment,
    FollowUp,
    InterviewSession,
    Outcome,
    Result,
    SessionStatus,
    Slot,
    SlotStatus,
    TargetGroup,
)
from matchapp.models.session import session_course

GROUPS = (TargetGroup.JOB_READY, TargetGroup.ACTIVITY_READY)
GROUP_LABELS = {None: _l("All"), TargetGroup.JOB_READY: _l("Job-ready"),
                TargetGroup.ACTIVITY_READY: _l("Activity-ready")}
NEXT_STEPS = (Result.NEXT_INTERVIEW, Result.JOB_OFFER, Result.HIRED)
EMPLOYMENT_LABELS = {
    EmploymentType.FULL_TIME: _l("Hired full-time"), EmploymentType.PART_TIME: _l("Hired part-time"),
    EmploymentType.SMALL_JOB: _l("Hired in a small job"), EmploymentType.INTERNSHIP: _l("Internship"),
    EmploymentType.WAGE_SUBSIDY: _l("Wage subsidy"), EmploymentType.FLEXJOB: _l("Flexjob"),
}


@dataclass(frozen=True)
class FunnelFilter:
    """What the dashboard shows: None means all. The period bounds the course runs' end dates (and sessions' dates)."""

    jobcenter_id: int | None = None
    course_id: int | None = None
    course_run_id: int | None = None
    period_from: date | None = None
    period_to: date | None = None


@dataclass(frozen=True)
class Column:
    """A column of a figure table; kind is text, count, percent (a fraction 0-1) or ratio."""

    label: object
    kind: str = "count"


@dataclass
class Table:
    """One set of figures: a caption, its columns and rows of values (None where a figure does not apply)."""

    key: str
    caption: object
    columns: list[Column]
    rows: list[list] = field(default_factory=list)


def share(part: int | None, whole: int | None) -> float | None:
    """part / whole, or None when there is nothing to divide by."""
    return part / whole if part is not None and whole else None


def _count_if(condition: ColumnElement, counted: ColumnElement) -> ColumnElement:
    """COUNT(DISTINCT CASE WHEN condition THEN counted END)."""
    return func.count(distinct(case((condition, counted))))


def _run_conditions(f: FunnelFilter) -> list[ColumnElement]:
    """Course runs of the chosen job centre, course and run, ending within the period."""
    conditions = []
    if f.jobcenter_id is not None:
        conditions.append(CourseRun.jobcenter_id == f.jobcenter_id)
    if f.course_id is not None:
        conditions.append(CourseRun.course_id == f.course_id)
    if f.course_run_id is not None:
        conditions.append(CourseRun.id == f.course_run_id)
    if f.period_from is not None:
        conditions.append(CourseRun.ends_on >= f.period_from)
    if f.period_to is not None:
        conditions.append(CourseRun.ends_on <= f.period_to)
    return conditions


def _session_conditions(f: FunnelFilter) -> list[ColumnElement]:
    """Published sessions held in the period, aimed at the chosen course (or the chosen run's course)."""
    conditions = [InterviewSession.status == SessionStatus.PUBLISHED]
    if f.period_from is not None:
        conditions.append(InterviewSession.local_date >= f.period_from)
    if f.period_to is not None:
        conditions.append(InterviewSession.local_date <= f.period_to)
    if f.course_id is not None or f.course_run_id is not None:
        courses = select(CourseRun.course_id).where(CourseRun.id == f.course_run_id) if f.course_run_id is not None \
            else select(Course.id).where(Course.id == f.course_id)
        conditions.append(InterviewSession.id.in_(
            select(session_course.c.session_id).where(session_course.c.course_id.in_(courses))))
    return conditions


def _booker_conditions(f: FunnelFilter) -> list[ColumnElement]:
    """Bookings by the chosen job centre's candidates (and the chosen run's completers)."""
    conditions = [Booking.status == BookingStatus.CONFIRMED]
    if f.jobcenter_id is not None:
        conditions.append(Candidate.jobcenter_id == f.jobcenter_id)
    if f.course_run_id is not None:
        conditions.append(Booking.candidate_id.in_(select(Enrollment.candidate_id).where(
            Enrollment.course_run_id == f.course_run_id, Enrollment.completed_at.is_not(None))))
    return conditions


def _split(key_rows: dict[tuple, dict], keys: list[tuple], build: Callable[[tuple, object, dict], list]) -> list[list]:
    """For each key, an "all" row (the groups' counts added up) followed by one row per target group."""
    rows = []
    for key in keys:
        groups = {g: key_rows.get((*key, g), {}) for g in GROUPS}
        total: dict = {}
        for counts in groups.values():
            for name, value in counts.items():
                total[name] = total.get(name, 0) + value
        rows.append(build(key, GROUP_LABELS[None], total))
        rows.extend(build(key, GROUP_LABELS[g], groups[g]) for g in GROUPS)
    return rows


def _funnel_counts(f: FunnelFilter) -> tuple[dict[tuple, dict], dict[int, str]]:
    """Per (course id, target group): the funnel's stages as counts of distinct completers; and the course names."""
    completer = (select(Enrollment.candidate_id, CourseRun.id.label("run_id"), CourseRun.course_id,
                        CourseRun.starts_on, Candidate.target_group)
                 .join(CourseRun, Enrollment.course_run_id == CourseRun.id)
                 .join(Candidate, Enrollment.candidate_id == Candidate.id)
                 .where(Enrollment.completed_at.is_not(None), *_run_conditions(f))).subquery("completer")
    meeting = (select(Booking.id, Booking.candidate_id, InterviewSession.local_date)
               .join(InterviewSession, Booking.session_id == InterviewSession.id)
               .where(Booking.status == BookingStatus.CONFIRMED)).subquery("meeting")
    who = completer.c.candidate_id
    stages = {
        "completed": func.count(distinct(who)),
        "met": _count_if(meeting.c.id.is_not(None), who),
        "attended": _count_if(Outcome.attendance == Attendance.ATTENDED, who),
        "next_step": _count_if(Outcome.result.in_(NEXT_STEPS), who),
        "hired": _count_if(Outcome.result == Result.HIRED, who),
        **{f"hired_{t.value}": _count_if(Outcome.employment_type == t, who) for t in EmploymentType},
        "full_time": _count_if(FollowUp.status == EmploymentStatus.FULL_TIME, who),
    }
    rows = db.session.execute(
        select(completer.c.course_id, Course.name, completer.c.target_group, *stages.values())
        .join(Course, Course.id == completer.c.course_id)
        .outerjoin(meeting, and_(meeting.c.candidate_id == who, meeting.c.local_date >= completer.c.starts_on))
        .outerjoin(Outcome, Outcome.booking_id == meeting.c.id)
        .outerjoin(FollowUp, and_(FollowUp.candidate_id == who, FollowUp.course_run_id == completer.c.run_id))
        .group_by(completer.c.course_id, Course.name, completer.c.target_group))
    counts, names = {}, {}
    for course_id, name, group, *values in rows:
        counts[(course_id, group)] = dict(zip(stages, values, strict=True))
        names[course_id] = name
    return counts, names


def funnel_table(f: FunnelFilter, funnel: tuple[dict, dict] | None = None) -> Table:
    """Per course and target group: completed, had a meeting, attended, next step, hired (by type), full-time 60 days
    after, and that last as a share of the completers (the headline figure)."""
    counts, names = funnel or _funnel_counts(f)
    table = Table("funnel", _l("The funnel per course: from completed course to full-time work"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"), Column(_l("Completed the course")),
        Column(_l("Had a meeting")), Column(_l("Attended a meeting")), Column(_l("Next step")), Column(_l("Hired")),
        *(Column(label) for label in EMPLOYMENT_LABELS.values()),
        Column(_l("In full-time work 60 days after")), Column(_l("Share in full-time work 60 days after"), "percent"),
    ])
    table.rows = _split(counts, [(course_id,) for course_id in sorted(names, key=names.get)], lambda key, group, c: [
        names[key[0]], group, *(c.get(stage, 0) for stage in (
            "completed", "met", "attended", "next_step", "hired", *(f"hired_{t.value}" for t in EMPLOYMENT_LABELS),
            "full_time")),
        share(c.get("full_time", 0), c.get("completed", 0))])
    return table


def demand_table(f: FunnelFilter, funnel: tuple[dict, dict] | None = None) -> Table:
    """Per course: employers' demand (sessions and slots aimed at it, share booked) beside its effect (hires per
    completer)."""
    counts, names = funnel or _funnel_counts(f)
    offered = {course_id: (name, sessions, slots) for course_id, name, sessions, slots in db.session.execute(
        select(session_course.c.course_id, Course.name, func.count(distinct(InterviewSession.id)), func.count(Slot.id))
        .join(InterviewSession, InterviewSession.id == session_course.c.session_id)
        .join(Course, Course.id == session_course.c.course_id)
        .outerjoin(Slot, and_(Slot.session_id == InterviewSession.id, Slot.status == SlotStatus.OPEN))
        .where(*_session_conditions(f))
        .group_by(session_course.c.course_id, Course.name))}
    booked = {(course_id, group): {"booked": n} for course_id, group, n in db.session.execute(
        select(session_course.c.course_id, Candidate.target_group, func.count(Booking.id))
        .join(InterviewSession, InterviewSession.id == session_course.c.session_id)
        .join(Booking, Booking.session_id == InterviewSession.id)
        .join(Candidate, Candidate.id == Booking.candidate_id)
        .where(*_session_conditions(f), *_booker_conditions(f))
        .group_by(session_course.c.course_id, Candidate.target_group))}
    names = {**names, **{course_id: name for course_id, (name, _, _) in offered.items()}}
    merged = {key: {**counts.get(key, {}), **booked.get(key, {})} for key in {*counts, *booked}}
    table = Table("demand", _l("Employers' demand per course beside its effect"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"), Column(_l("Sessions aimed at the course")),
        Column(_l("Slots aimed at the course")), Column(_l("Booked slots")), Column(_l("Share booked"), "percent"),
        Column(_l("Completed the course")), Column(_l("Hired")), Column(_l("Hires per completer"), "ratio"),
    ])

    def row(key, group, c):
        _, sessions, slots = offered.get(key[0], (None, 0, 0))
        everyone = group == GROUP_LABELS[None]
        return [names[key[0]], group, sessions if everyone else None, slots if everyone else None,
                c.get("booked", 0), share(c.get("booked", 0), slots), c.get("completed", 0), c.get("hired", 0),
                share(c.get("hired", 0), c.get("completed", 0))]

    table.rows = _split(merged, [(course_id,) for course_id in sorted(names, key=names.get)], row)
    return table


def employer_table(f: FunnelFilter) -> Table:
    """Per employer: sessions, slots, share booked, no-shows of both sides among recorded outcomes, hires."""
    offered = {employer_id: (name, sessions, slots) for employer_id, name, sessions, slots in db.session.execute(
        select(Employer.id, Employer.name, func.count(distinct(InterviewSession.id)), func.count(Slot.id))
        .join(InterviewSession, InterviewSession.employer_id == Employer.id)
        .outerjoin(Slot, and_(Slot.session_id == InterviewSession.id, Slot.status == SlotStatus.OPEN))
        .where(*_session_conditions(f))
        .group_by(Employer.id, Employer.name))}
    figures = {"booked": func.count(Booking.id), "recorded": func.count(Outcome.id),
               "candidate_no_show": func.count(case((Outcome.attendance == Attendance.CANDIDATE_NO_SHOW, 1))),
               "employer_no_show": func.count(case((Outcome.attendance == Attendance.EMPLOYER_NO_SHOW, 1))),
               "hired": func.count(case((Outcome.result == Result.HIRED, 1)))}
    counts = {(employer_id, group): dict(zip(figures, values, strict=True))
              for employer_id, group, *values in db.session.execute(
        select(InterviewSession.employer_id, Candidate.target_group, *figures.values())
        .select_from(Booking)
        .join(InterviewSession, InterviewSession.id == Booking.session_id)
        .join(Candidate, Candidate.id == Booking.candidate_id)
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .where(*_session_conditions(f), *_booker_conditions(f))
        .group_by(InterviewSession.employer_id, Candidate.target_group))}
    table = Table("employers", _l("Employers: sessions, bookings, no-shows and hires"), [
        Column(_l("Employer"), "text"), Column(_l("Target group"), "text"), Column(_l("Sessions")),
        Column(_l("Slots")), Column(_l("Booked slots")), Column(_l("Share booked"), "percent"),
        Column(_l("Outcomes recorded")), Column(_l("Candidate did not come"), "percent"),
        Column(_l("Employer could not attend"), "percent"), Column(_l("Hires")),
    ])

    def row(key, group, c):
        name, sessions, slots = offered[key[0]]
        everyone = group == GROUP_LABELS[None]
        return [name, group, sessions if everyone else None, slots if everyone else None, c.get("booked", 0),
                share(c.get("booked", 0), slots), c.get("recorded", 0),
                share(c.get("candidate_no_show", 0), c.get("recorded", 0)),
                share(c.get("employer_no_show", 0), c.get("recorded", 0)), c.get("hired", 0)]

    table.rows = _split(counts, [(e,) for e in sorted(offered, key=lambda e: (offered[e][0], e))], row)
    return table


def month_table(f: FunnelFilter) -> Table:
    """Per month of the meeting: meetings (confirmed bookings) and hires."""
    year, month = extract("year", InterviewSession.local_date), extract("month", InterviewSession.local_date)
    counts = {(int(y), int(m), group): {"meetings": meetings, "hired": hired}
              for y, m, group, meetings, hired in db.session.execute(
        select(year, month, Candidate.target_group, func.count(Booking.id),
               func.count(case((Outcome.result == Result.HIRED, 1))))
        .select_from(Booking)
        .join(InterviewSession, InterviewSession.id == Booking.session_id)
        .join(Candidate, Candidate.id == Booking.candidate_id)
        .outerjoin(Outcome, Outcome.booking_id == Booking.id)
        .where(*_session_conditions(f), *_booker_conditions(f))
        .group_by(year, month, Candidate.target_group))}
    table = Table("months", _l("Meetings and hires per month"), [
        Column(_l("Month"), "text"), Column(_l("Target group"), "text"), Column(_l("Meetings")), Column(_l("Hires")),
    ])
    table.rows = _split(counts, sorted({key[:2] for key in counts}), lambda key, group, c: [
        f"{key[0]:04d}-{key[1]:02d}", group, c.get("meetings", 0), c.get("hired", 0)])
    return table


TABLES: dict[str, Callable[[FunnelFilter], Table]] = {
    "funnel": funnel_table, "demand": demand_table, "employers": employer_table, "months": month_table,
}


def dashboard_tables(f: FunnelFilter) -> dict[str, Table]:
    """Every figure table of the dashboard, the course funnel counted once for the two tables that use it."""
    funnel = _funnel_counts(f)
    return {"funnel": funnel_table(f, funnel), "demand": demand_table(f, funnel), "employers": employer_table(f),
            "months": month_table(f)}
