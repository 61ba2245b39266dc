"""The tables per course: the funnel, the 60-day outcome, its trend per quarter, and employers' demand beside the
effect."""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import extract, func, select

from matchapp.extensions import db
from matchapp.models import CompletionFigure, Course, SessionFigure
from matchapp.models.session import session_course
from matchapp.services.funnel.counts import (
    EmployerCounts,
    FunnelCounts,
    course_names_of,
    employer_counts,
    funnel_counts,
)
from matchapp.services.funnel.filters import (
    FunnelFilter,
    booking_figures,
    course_conditions,
    per_session_conditions,
    run_conditions,
)
from matchapp.services.funnel.tables import GROUPS, Column, Table, added, split

TREND_QUARTERS = 8  # the trend table shows the latest quarters within the filter


def course_keys(names: dict[int | None, str]) -> tuple[list[tuple], Callable[[tuple | None], list[str]]]:
    """The course keys in the order of their names (sessions open to any course last) and their names."""
    keys = [(i,) for i in sorted(names, key=lambda i: (i is None, names[i]))]
    return keys, lambda key: [names[key[0]] if key else str(_l("Total"))]


def funnel_table(f: FunnelFilter, funnel: FunnelCounts | None = None) -> Table:
    """Per course and target group: completed, had a meeting, attended, next step, hired, full-time 60 days after,
    status not recorded, and the full-time share of completers (the headline figure) and of recorded statuses."""
    counts, names = funnel or funnel_counts(f)
    keys, label = course_keys(names)
    return Table("funnel", _l("The funnel per course: from completed course to full-time work"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Completed the course"), count="completed"), Column(_l("Had a meeting"), count="met"),
        Column(_l("Attended a meeting"), count="attended", on_page=False),
        Column(_l("Next step"), count="next_step", on_page=False), Column(_l("Hired"), count="hired"),
        Column(_l("In full-time work 60 days after"), count="full_time", on_page=False),
        Column(_l("Status not recorded"), count="not_recorded", on_page=False),
        Column(_l("Share in full-time work 60 days after"), "share", part="full_time", whole="completed"),
        Column(_l("Share in full-time work of those with a recorded status"), "share", part="full_time",
               whole="recorded", on_page=False),
    ], split(counts, keys, label), sums=(("completed", ("recorded", "not_recorded")),))


def outcome_table(f: FunnelFilter, funnel: FunnelCounts | None = None) -> Table:
    """Per course and target group: the completers by their situation 60 days after, full-time work through a
    meeting in the app, found elsewhere, not in full-time work, or not recorded."""
    counts, names = funnel or funnel_counts(f)
    keys, label = course_keys(names)
    return Table("outcome", _l("Full-time work 60 days after: through the app or found elsewhere"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Completed the course"), count="completed", on_page=False),
        Column(_l("In full-time work through a meeting in the app"), count="through_app"),
        Column(_l("In full-time work found elsewhere"), count="elsewhere"),
        Column(_l("Not in full-time work"), count="not_full_time"),
        Column(_l("Status not recorded"), count="not_recorded"),
        Column(_l("Share in full-time work through the app"), "share", part="through_app", whole="completed"),
    ], split(counts, keys, label),
        sums=(("completed", ("through_app", "elsewhere", "not_full_time", "not_recorded")),
              ("completed", ("recorded", "not_recorded")), ("full_time", ("through_app", "elsewhere"))))


def quarter_label(year: int, quarter: int) -> str:
    """A quarter as the trend table's columns name it, e.g. "Q1 2026"."""
    return str(_l("Q%(quarter)d %(year)d", quarter=quarter, year=year))


def trend_table(f: FunnelFilter) -> Table:
    """Per course and target group: the share in full-time work 60 days after, per quarter in which the course runs
    ended, the latest quarters side by side."""
    done = CompletionFigure
    year, month = extract("year", done.run_ends_on), extract("month", done.run_ends_on)
    counts: dict[tuple, dict] = {}
    names: dict[int, str] = {}
    quarters: set[tuple[int, int]] = set()
    for course_id, name, group, y, m, completed, full_time in db.session.execute(
            select(done.course_id, Course.name, done.target_group, year, month, func.count(),
                   func.sum(done.full_time))
            .join(Course, Course.id == done.course_id)
            .where(*run_conditions(f))
            .group_by(done.course_id, Course.name, done.target_group, year, month)):
        quarter = (int(y), (int(m) - 1) // 3 + 1)
        quarters.add(quarter)
        names[course_id] = name
        c = counts.setdefault((course_id, group), {})
        for name, value in (("completed", completed), ("full_time", full_time)):
            for key in (name, f"{name}_{quarter[0]}_{quarter[1]}"):
                c[key] = c.get(key, 0) + int(value)
    shown = sorted(quarters)[-TREND_QUARTERS:]
    keys, label = course_keys(names)
    # With every quarter shown, the quarters add up to the funnel's completers and full-time (small-number rule).
    sums = tuple((name, tuple(f"{name}_{y}_{q}" for y, q in shown)) for name in ("completed", "full_time")) \
        if len(shown) == len(quarters) else ()
    return Table("trend", _l("In full-time work 60 days after, per quarter the course ended"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        *(Column(quarter_label(*q), "share", part=f"full_time_{q[0]}_{q[1]}", whole=f"completed_{q[0]}_{q[1]}")
          for q in shown),
    ], split(counts, keys, label), sums=sums)


def _offered_per_course(f: FunnelFilter) -> dict[int | None, dict]:
    """Per course (None: open to any course): the sessions aimed at it and their slots."""
    sessions = SessionFigure.__table__
    course_id = session_course.c.course_id
    return {course: {"sessions": n, "slots": int(slots or 0)} for course, n, slots in db.session.execute(
        select(course_id, func.count(), func.sum(sessions.c.open_slots))
        .select_from(sessions).outerjoin(session_course, sessions.c.session_id == session_course.c.session_id)
        .where(*per_session_conditions(f, sessions), *course_conditions(f, course_id))
        .group_by(course_id))}


def _with_bookings(f: FunnelFilter, counts: dict[tuple, dict]) -> dict[tuple, dict]:
    """Per (course, target group): the funnel's completers and hires, and the slots booked in sessions aimed at the
    course (a session aimed at two courses counts under both)."""
    bookings, mine = booking_figures(f, by_course=True)
    merged = {key: {"completed": c["completed"], "hired": c["hired"]} for key, c in counts.items()}
    for course, group, n in db.session.execute(
            select(bookings.c.course_id, bookings.c.target_group, func.sum(bookings.c.booked))
            .where(*per_session_conditions(f, bookings), *course_conditions(f, bookings.c.course_id), *mine)
            .group_by(bookings.c.course_id, bookings.c.target_group)):
        merged.setdefault((course, group), {})["booked"] = int(n)
    return merged


def demand_table(f: FunnelFilter, funnel: FunnelCounts | None = None, employers: EmployerCounts | None = None
                 ) -> Table:
    """Per course: employers' demand (sessions and slots aimed at it, share booked) beside its effect (hires per
    completer). Sessions open to any course have a row of their own; the totals count each session once."""
    counts, names = funnel or funnel_counts(f)
    per_employer, offered_by = employers or employer_counts(f)
    offered = _offered_per_course(f)
    merged = _with_bookings(f, counts)
    booked = {g: sum(per_employer.get((e, g), {}).get("booked", 0) for e in offered_by) for g in GROUPS}
    names = {**names, **course_names_of(({key[0] for key in merged} | set(offered)) - set(names))}
    keys, label = course_keys(names)
    everything = added(sessions_and_slots for _, sessions_and_slots in offered_by.values())  # each session once
    return Table("demand", _l("Employers' demand per course beside its effect"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Sessions aimed at the course"), count="sessions", all_only=True, on_page=False),
        Column(_l("Slots aimed at the course"), count="slots", all_only=True),
        Column(_l("Booked slots"), count="booked"),
        Column(_l("Share booked"), "share", part="booked", whole="slots"),
        Column(_l("Completed the course"), count="completed", on_page=False), Column(_l("Hired"), count="hired"),
        Column(_l("Hires per completer"), "share", part="hired", whole="completed"),
    ], split(merged, keys, label, totals={g: {"booked": int(booked.get(g) or 0)} for g in GROUPS},
             every_row=lambda key: everything if key is None else offered.get(key[0], {"sessions": 0, "slots": 0}),
             zeros=("booked",)),
        unsummed=frozenset({"booked", "sessions", "slots"}))
