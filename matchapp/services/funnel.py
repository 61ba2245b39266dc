"""The course-to-job funnel and employers' demand for the consultants' dashboard, computed by SQL aggregation
of the figure tables that `services.figures` rebuilds every few minutes.

Definitions (the dashboard page repeats them in plain words):
- The cohort is every completed enrollment in a course run that matches the filter: the job centre, the course, the
  run, and the run's end date within the period. A candidate who completed two runs of a course counts in each.
- "Had a meeting" is any confirmed booking by a completer in a session held on or after the run's start date.
  "Attended", "next step" (next interview, job offer or hire) and "hired" come from the employers' outcomes of those
  meetings. "Full-time after 60 days" is the run's follow-up status. Each completion counts once at each stage it
  reached, so that the stages of a course never exceed its completions.
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
from sqlalchemy import ColumnElement, FromClause, func, select

from matchapp.extensions import db
from matchapp.models import (
    BookingFigure,
    CompletionFigure,
    Course,
    CourseBookingFigure,
    CourseRun,
    Employer,
    EmploymentType,
    Enrollment,
    SessionFigure,
    TargetGroup,
)
from matchapp.models.figures import FLAGS
from matchapp.models.session import session_course
from matchapp.services import figures

GROUPS = (TargetGroup.JOB_READY, TargetGroup.ACTIVITY_READY)
GROUP_LABELS = {None: _l("All"), TargetGroup.JOB_READY: _l("Job-ready"),
                TargetGroup.ACTIVITY_READY: _l("Activity-ready")}
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


def _run_conditions(f: FunnelFilter) -> list[ColumnElement]:
    """Completions of the chosen job centre's, course's and run's runs, ending within the period."""
    done = CompletionFigure
    conditions = []
    if f.jobcenter_id is not None:
        conditions.append(done.jobcenter_id == f.jobcenter_id)
    if f.course_id is not None:
        conditions.append(done.course_id == f.course_id)
    if f.course_run_id is not None:
        conditions.append(done.course_run_id == f.course_run_id)
    if f.period_from is not None:
        conditions.append(done.run_ends_on >= f.period_from)
    if f.period_to is not None:
        conditions.append(done.run_ends_on <= f.period_to)
    return conditions


def _session_conditions(f: FunnelFilter, per_session: FromClause) -> list[ColumnElement]:
    """Sessions (of a table of per-session figures) held in the period, aimed at the chosen course (or the chosen
    run's course)."""
    conditions = []
    if f.period_from is not None:
        conditions.append(per_session.c.local_date >= f.period_from)
    if f.period_to is not None:
        conditions.append(per_session.c.local_date <= f.period_to)
    if f.course_id is not None or f.course_run_id is not None:
        courses = select(CourseRun.course_id).where(CourseRun.id == f.course_run_id) if f.course_run_id is not None \
            else select(Course.id).where(Course.id == f.course_id)
        conditions.append(per_session.c.session_id.in_(
            select(session_course.c.session_id).where(session_course.c.course_id.in_(courses))))
    return conditions


def _bookings(f: FunnelFilter, *, by_course: bool = False) -> tuple[FromClause, list[ColumnElement]]:
    """The per-session booking figures to count (once per course a session is aimed at, if by course), and the
    condition for the chosen job centre's candidates.

    With a run chosen only its completers' bookings count: few enough to aggregate on the spot, with the same
    queries that fill the figure tables."""
    if f.course_run_id is None:
        bookings = (CourseBookingFigure if by_course else BookingFigure).__table__
    else:
        bookings = figures.booking_facts(select(Enrollment.candidate_id).where(
            Enrollment.course_run_id == f.course_run_id, Enrollment.completed_at.is_not(None))).subquery("bookings")
        if by_course:
            bookings = figures.course_booking_facts(bookings).subquery("course_bookings")
    return bookings, [bookings.c.jobcenter_id == f.jobcenter_id] if f.jobcenter_id is not None else []


def _split(key_rows: dict[tuple, dict], keys: list[tuple],
           build: Callable[[tuple, TargetGroup | None, dict], list]) -> list[list]:
    """For each key, an "all" row (the groups' counts added up) followed by one row per target group. `build` makes
    a row's figures for a key, a group (None: all) and its counts; the group's name goes in the second column."""
    labels = {group: str(label) for group, label in GROUP_LABELS.items()}  # translated once, not once per row
    rows = []
    for key in keys:
        groups = {g: key_rows.get((*key, g), {}) for g in GROUPS}
        total: dict = {}
        for counts in groups.values():
            for name, value in counts.items():
                total[name] = total.get(name, 0) + value
        for group, counts in ((None, total), *groups.items()):
            row = build(key, group, counts)
            rows.append([row[0], labels[group], *row[1:]])
    return rows


def _funnel_counts(f: FunnelFilter) -> tuple[dict[tuple, dict], dict[int, str]]:
    """Per (course id, target group): the funnel's stages as counts of course completions; and the course names."""
    done = CompletionFigure
    stages = {"completed": func.count(), **{flag: func.sum(getattr(done, flag)) for flag in FLAGS}}
    rows = db.session.execute(
        select(done.course_id, Course.name, done.target_group, *stages.values())
        .join(Course, Course.id == done.course_id)
        .where(*_run_conditions(f))
        .group_by(done.course_id, Course.name, done.target_group))
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
        names[key[0]], *(c.get(stage, 0) for stage in (
            "completed", "met", "attended", "next_step", "hired", *(f"hired_{t.value}" for t in EMPLOYMENT_LABELS),
            "full_time")),
        share(c.get("full_time", 0), c.get("completed", 0))])
    return table


def demand_table(f: FunnelFilter, funnel: tuple[dict, dict] | None = None) -> Table:
    """Per course: employers' demand (sessions and slots aimed at it, share booked) beside its effect (hires per
    completer)."""
    counts, names = funnel or _funnel_counts(f)
    sessions = SessionFigure.__table__
    offered = {course_id: (name, n, slots) for course_id, name, n, slots in db.session.execute(
        select(session_course.c.course_id, Course.name, func.count(), func.sum(sessions.c.open_slots))
        .join(sessions, sessions.c.session_id == session_course.c.session_id)
        .join(Course, Course.id == session_course.c.course_id)
        .where(*_session_conditions(f, sessions))
        .group_by(session_course.c.course_id, Course.name))}
    bookings, mine = _bookings(f, by_course=True)
    booked = {(course_id, group): {"booked": n} for course_id, group, n in db.session.execute(
        select(bookings.c.course_id, bookings.c.target_group, func.sum(bookings.c.booked))
        .where(*_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.course_id, bookings.c.target_group))}
    names = {**names, **{course_id: name for course_id, (name, _, _) in offered.items()}}
    merged = {key: {**counts.get(key, {}), **booked.get(key, {})} for key in {*counts, *booked}}
    table = Table("demand", _l("Employers' demand per course beside its effect"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"), Column(_l("Sessions aimed at the course")),
        Column(_l("Slots aimed at the course")), Column(_l("Booked slots")), Column(_l("Share booked"), "percent"),
        Column(_l("Completed the course")), Column(_l("Hired")), Column(_l("Hires per completer"), "ratio"),
    ])

    def row(key, group, c):
        _, sessions, slots = offered.get(key[0], (None, 0, 0))
        everyone = group is None
        return [names[key[0]], sessions if everyone else None, slots if everyone else None,
                c.get("booked", 0), share(c.get("booked", 0), slots), c.get("completed", 0), c.get("hired", 0),
                share(c.get("hired", 0), c.get("completed", 0))]

    table.rows = _split(merged, [(course_id,) for course_id in sorted(names, key=names.get)], row)
    return table


def employer_table(f: FunnelFilter) -> Table:
    """Per employer: sessions, slots, share booked, no-shows of both sides among recorded outcomes, hires."""
    sessions = SessionFigure.__table__
    offered = {employer_id: (name, n, slots) for employer_id, name, n, slots in db.session.execute(
        select(Employer.id, Employer.name, func.count(), func.sum(sessions.c.open_slots))
        .join(sessions, sessions.c.employer_id == Employer.id)
        .where(*_session_conditions(f, sessions))
        .group_by(Employer.id, Employer.name))}
    bookings, mine = _bookings(f)
    sums = ("booked", "recorded", "candidate_no_show", "employer_no_show", "hired")
    counts = {(employer_id, group): dict(zip(sums, values, strict=True))
              for employer_id, group, *values in db.session.execute(
        select(bookings.c.employer_id, bookings.c.target_group, *(func.sum(bookings.c[name]) for name in sums))
        .where(*_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.employer_id, bookings.c.target_group))}
    table = Table("employers", _l("Employers: sessions, bookings, no-shows and hires"), [
        Column(_l("Employer"), "text"), Column(_l("Target group"), "text"), Column(_l("Sessions")),
        Column(_l("Slots")), Column(_l("Booked slots")), Column(_l("Share booked"), "percent"),
        Column(_l("Outcomes recorded")), Column(_l("Candidate did not come"), "percent"),
        Column(_l("Employer could not attend"), "percent"), Column(_l("Hires")),
    ])

    def row(key, group, c):
        name, sessions, slots = offered[key[0]]
        everyone = group is None
        return [name, sessions if everyone else None, slots if everyone else None, c.get("booked", 0),
                share(c.get("booked", 0), slots), c.get("recorded", 0),
                share(c.get("candidate_no_show", 0), c.get("recorded", 0)),
                share(c.get("employer_no_show", 0), c.get("recorded", 0)), c.get("hired", 0)]

    table.rows = _split(counts, [(e,) for e in sorted(offered, key=lambda e: (offered[e][0], e))], row)
    return table


def month_table(f: FunnelFilter) -> Table:
    """Per month of the meeting: meetings (confirmed bookings) and hires."""
    bookings, mine = _bookings(f)
    counts = {(int(y), int(m), group): {"meetings": meetings, "hired": hired}
              for y, m, group, meetings, hired in db.session.execute(
        select(bookings.c.year, bookings.c.month, bookings.c.target_group, func.sum(bookings.c.booked),
               func.sum(bookings.c.hired))
        .where(*_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.year, bookings.c.month, bookings.c.target_group))}
    table = Table("months", _l("Meetings and hires per month"), [
        Column(_l("Month"), "text"), Column(_l("Target group"), "text"), Column(_l("Meetings")), Column(_l("Hires")),
    ])
    table.rows = _split(counts, sorted({key[:2] for key in counts}), lambda key, group, c: [
        f"{key[0]:04d}-{key[1]:02d}", c.get("meetings", 0), c.get("hired", 0)])
    return table


TABLES: dict[str, Callable[[FunnelFilter], Table]] = {
    "funnel": funnel_table, "demand": demand_table, "employers": employer_table, "months": month_table,
}


def dashboard_tables(f: FunnelFilter) -> dict[str, Table]:
    """Every figure table of the dashboard, the course funnel counted once for the two tables that use it."""
    funnel = _funnel_counts(f)
    return {"funnel": funnel_table(f, funnel), "demand": demand_table(f, funnel), "employers": employer_table(f),
            "months": month_table(f)}
