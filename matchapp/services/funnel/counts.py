"""The aggregations that several tables share, each computed once per page: the course funnel's counts, the
employers' counts, and the names of courses."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from matchapp.extensions import db
from matchapp.models import CompletionFigure, Course, Employer, SessionFigure
from matchapp.models.figures import HIRE_TYPES
from matchapp.services.funnel.filters import FunnelFilter, booking_figures, per_session_conditions, run_conditions

FunnelCounts = tuple[dict[tuple, dict], dict[int, str]]
EmployerCounts = tuple[dict[tuple, dict], dict[int, tuple[str, dict]]]

# The booking figures' columns summed for employers, and the names of their counts: "hires" (hire outcomes) and
# "outcomes" are not the funnel's "hired" and "recorded" (completions with a hire, or a recorded follow-up).
EMPLOYER_SUMS = {"booked": "booked", "recorded": "outcomes", "candidate_no_show": "candidate_no_show",
                 "employer_no_show": "employer_no_show", "hired": "hires",
                 **{name: name.replace("hired", "hires") for name in HIRE_TYPES}}


def funnel_counts(f: FunnelFilter) -> FunnelCounts:
    """Per (course id, target group): the funnel's stages and the 60-day outcome as counts of course completions;
    and the course names."""
    done = CompletionFigure
    stages = {"completed": func.count(), "met": func.sum(done.met), "attended": func.sum(done.attended),
              "next_step": func.sum(done.next_step), "hired": func.sum(done.hired),
              "recorded": func.sum(done.recorded), "full_time": func.sum(done.full_time),
              "through_app": func.sum(done.full_time * done.hired)}
    rows = db.session.execute(
        select(done.course_id, Course.name, done.target_group, *stages.values())
        .join(Course, Course.id == done.course_id)
        .where(*run_conditions(f))
        .group_by(done.course_id, Course.name, done.target_group))
    counts, names = {}, {}
    for course_id, name, group, *values in rows:
        c = dict(zip(stages, (int(v or 0) for v in values), strict=True))
        c.update(not_recorded=c["completed"] - c["recorded"], elsewhere=c["full_time"] - c["through_app"],
                 not_full_time=c["recorded"] - c["full_time"])
        counts[(course_id, group)] = c
        names[course_id] = name
    return counts, names


def employer_counts(f: FunnelFilter) -> EmployerCounts:
    """Per (employer, target group): bookings, outcomes and hires (by type); and per employer its name and its
    sessions and slots."""
    sessions = SessionFigure.__table__
    offered = {employer_id: (name, {"sessions": n, "slots": int(slots or 0)})
               for employer_id, name, n, slots in db.session.execute(
        select(Employer.id, Employer.name, func.count(), func.sum(sessions.c.open_slots))
        .join(sessions, sessions.c.employer_id == Employer.id)
        .where(*per_session_conditions(f, sessions))
        .group_by(Employer.id, Employer.name))}
    bookings, mine = booking_figures(f)
    counts = {(employer_id, group): {name: int(v or 0) for name, v in zip(EMPLOYER_SUMS.values(), values,
                                                                          strict=True)}
              for employer_id, group, *values in db.session.execute(
        select(bookings.c.employer_id, bookings.c.target_group,
               *(func.sum(bookings.c[name]) for name in EMPLOYER_SUMS))
        .where(*per_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.employer_id, bookings.c.target_group))}
    return counts, offered


def course_names_of(course_ids: set[int | None]) -> dict[int | None, str]:
    """The names of courses, in one statement however many (or none); None is the row of sessions open to any
    course."""
    ids = [i for i in course_ids if i is not None]
    names = dict(db.session.execute(select(Course.id, Course.name).where(Course.id.in_(ids))).all())
    return {**names, **({None: str(_l("Open to any course"))} if None in course_ids else {})}
