"""The course-to-job funnel, the 60-day outcome, its trend, and employers' demand and hires for the consultants'
dashboard, computed by SQL aggregation of the figure tables that `services.figures` rebuilds every few minutes.

Definitions (the dashboard page repeats them in plain words):
- The cohort is every completed enrollment in a course run that matches the filter: the job centre, the course, the
  run, and the run's end date within the period. A candidate who completed two runs of a course counts in each.
- "Had a meeting" is any confirmed booking by a completer in a session held on or after the run's start date.
  "Attended", "next step" (next interview, job offer or hire) and "hired" come from the employers' outcomes of those
  meetings. "Full-time after 60 days" is the run's follow-up status. Each completion counts once at each stage it
  reached, so that the stages of a course never exceed its completions.
- "Status not recorded": no known status was recorded at the follow-up (nothing, or "unknown"). Full-time "through a
  meeting in the app": in full-time work 60 days after and hired through a meeting in the app; "found elsewhere": in
  full-time work without such a hire.
- Employers publish for every job centre, so sessions and slots are counted for all; bookings, no-shows and hires
  count only the chosen job centre's candidates (and, with a run chosen, its completers). Sessions are those held
  within the period; with a course or run chosen, only sessions aimed at that course or open to any course.
- Each candidate belongs to one target group, so the rows of the two groups add up to the "all" row. Every table
  ends with totals; a session aimed at several courses counts once in them.
- Every share is a `shares.Share`: its part, its whole, a 95 % interval, rounded half up.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, FromClause, extract, func, or_, select

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
from matchapp.models.figures import HIRE_TYPES
from matchapp.models.session import session_course
from matchapp.services import figures
from matchapp.services.shares import Share

GROUPS = (TargetGroup.JOB_READY, TargetGroup.ACTIVITY_READY)
GROUP_LABELS = {None: _l("All"), TargetGroup.JOB_READY: _l("Job-ready"),
                TargetGroup.ACTIVITY_READY: _l("Activity-ready")}
EMPLOYMENT_LABELS = {
    EmploymentType.FULL_TIME: _l("Hired full-time"), EmploymentType.PART_TIME: _l("Hired part-time"),
    EmploymentType.SMALL_JOB: _l("Hired in a small job"), EmploymentType.INTERNSHIP: _l("Internship"),
    EmploymentType.WAGE_SUBSIDY: _l("Wage subsidy"), EmploymentType.FLEXJOB: _l("Flexjob"),
}
TREND_QUARTERS = 8  # the trend table shows the latest quarters within the filter
EMPLOYERS_PER_PAGE = 25  # the dashboard shows the employers' tables a page at a time; downloads hold them all


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
    """A column of a figure table. A count shows the row's count of that name; a share shows part out of whole
    (`shares.Share`). Some columns only apply to the rows for all target groups (e.g. sessions, which have no target
    group); text columns (the row's names) come first."""

    label: object
    kind: str = "count"  # text, count or share
    count: str = ""
    part: str = ""
    whole: str = ""
    all_only: bool = False
    on_page: bool = True  # False: only in the downloads, so that the page's table fits 1280 px (issue 15)

    def value(self, row: Row) -> int | Share | None:
        """The figure of a row in this column (not for text columns); None where it does not apply."""
        if self.all_only and row.group is not None:
            return None
        if self.kind == "share":
            if self.part not in row.counts or self.whole not in row.counts:
                return None
            return Share(row.counts[self.part], row.counts[self.whole])
        return row.counts.get(self.count)


@dataclass
class Row:
    """One row: its names (e.g. the course, then the target group), the target group (None: all) and its counts."""

    labels: list[str]
    group: TargetGroup | None
    counts: dict[str, int]
    total: bool = False  # one of the totals at the foot of the table


@dataclass
class Table:
    """One set of figures: a caption, its columns and rows. Rows come in threes for each key, all then one per target
    group, and the last three are the totals.

    For the small-number rule (`services.small_numbers`): `sums` lists counts of a row that add up to another count
    of it; `unsummed` names counts whose totals are not the sum of the rows above (a session aimed at two courses
    counts in both rows but once in the total); `things` names counts of things, not people."""

    key: str
    caption: object
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    sums: tuple[tuple[str, tuple[str, ...]], ...] = ()
    unsummed: frozenset[str] = frozenset()
    things: frozenset[str] = frozenset({"sessions", "slots"})
    keyed_by: str = "course"  # what the rows are of: the same figure in two tables is in rows of the same kind
    more: bool = False  # a page of the table's rows with more on the next page

    def page_columns(self) -> list[int]:
        """The positions of the columns the dashboard page shows; the downloads hold them all."""
        return [i for i, column in enumerate(self.columns) if column.on_page]

    def values(self, row: Row) -> list:
        """A row's cells: its names, then a figure (count, Share or None) per column."""
        return [*row.labels, *(column.value(row) for column in self.columns[len(row.labels):])]


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


def chosen_courses(f: FunnelFilter):
    """The chosen course (or the chosen run's course) as a subquery, or None when all courses are shown."""
    if f.course_run_id is not None:
        return select(CourseRun.course_id).where(CourseRun.id == f.course_run_id).scalar_subquery()
    if f.course_id is not None:
        return select(Course.id).where(Course.id == f.course_id).scalar_subquery()
    return None


def session_conditions(f: FunnelFilter, session_id, local_date) -> list[ColumnElement]:
    """Sessions held in the period, aimed at the chosen course (or the chosen run's course) or open to any course."""
    conditions = []
    if f.period_from is not None:
        conditions.append(local_date >= f.period_from)
    if f.period_to is not None:
        conditions.append(local_date <= f.period_to)
    course = chosen_courses(f)
    if course is not None:
        conditions.append(or_(
            session_id.in_(select(session_course.c.session_id).where(session_course.c.course_id == course)),
            session_id.not_in(select(session_course.c.session_id))))
    return conditions


def _session_conditions(f: FunnelFilter, per_session: FromClause) -> list[ColumnElement]:
    return session_conditions(f, per_session.c.session_id, per_session.c.local_date)


def _course_conditions(f: FunnelFilter, course_id) -> list[ColumnElement]:
    """Rows per course of the chosen course, or of sessions open to any course (course None)."""
    course = chosen_courses(f)
    return [] if course is None else [or_(course_id == course, course_id.is_(None))]


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


def _added(counts: Iterable[dict]) -> dict:
    """Counts added up name by name."""
    total: dict = {}
    for c in counts:
        for name, value in c.items():
            total[name] = total.get(name, 0) + (value or 0)
    return total


def _split(counts: dict[tuple, dict], keys: list[tuple], names: Callable[[tuple | None], list[str]], *,
           totals: dict[TargetGroup, dict] | None = None, every_row: Callable[[tuple | None], dict] | None = None,
           zeros: Iterable[str] = ()) -> list[Row]:
    """For each key, a row for all (the groups' counts added up) and one per target group; then the totals: the
    keys' counts added up, except those given in `totals` (per group). `names` gives a key's names (None: the
    totals'); `every_row` gives counts without a target group (sessions, slots) for each row of a key (None: the
    totals); `zeros` names counts that are 0 where a key has none (others do not apply there)."""
    if not keys:
        return []
    zero = dict.fromkeys(zeros, 0)
    labels = {group: str(label) for group, label in GROUP_LABELS.items()}  # translated once, not once per row
    rows = []
    summed = {g: _added(counts.get((*key, g), {}) for key in keys) for g in GROUPS}
    for key in [*keys, None]:
        groups = {g: {**zero, **summed[g], **(totals or {}).get(g, {})} if key is None else
                  {**zero, **counts.get((*key, g), {})} for g in GROUPS}
        extra = every_row(key) if every_row else {}
        for group, c in ((None, _added(groups.values())), *groups.items()):
            rows.append(Row([*names(key), labels[group]], group, {**c, **extra}, key is None))
    return rows


def _course_names(names: dict[int | None, str]) -> tuple[list[tuple], Callable[[tuple | None], list[str]]]:
    """The course keys in the order of their names (sessions open to any course last) and their names."""
    keys = [(i,) for i in sorted(names, key=lambda i: (i is None, names[i]))]
    return keys, lambda key: [names[key[0]] if key else str(_l("Total"))]


def _funnel_counts(f: FunnelFilter) -> tuple[dict[tuple, dict], dict[int, str]]:
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
        .where(*_run_conditions(f))
        .group_by(done.course_id, Course.name, done.target_group))
    counts, names = {}, {}
    for course_id, name, group, *values in rows:
        c = dict(zip(stages, (int(v or 0) for v in values), strict=True))
        c.update(not_recorded=c["completed"] - c["recorded"], elsewhere=c["full_time"] - c["through_app"],
                 not_full_time=c["recorded"] - c["full_time"])
        counts[(course_id, group)] = c
        names[course_id] = name
    return counts, names


FunnelCounts = tuple[dict[tuple, dict], dict[int, str]]


def funnel_table(f: FunnelFilter, funnel: FunnelCounts | None = None) -> Table:
    """Per course and target group: completed, had a meeting, attended, next step, hired, full-time 60 days after,
    status not recorded, and the full-time share of completers (the headline figure) and of recorded statuses."""
    counts, names = funnel or _funnel_counts(f)
    keys, label = _course_names(names)
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
    ], _split(counts, keys, label), sums=(("completed", ("recorded", "not_recorded")),))


def outcome_table(f: FunnelFilter, funnel: FunnelCounts | None = None) -> Table:
    """Per course and target group: the completers by their situation 60 days after, full-time work through a
    meeting in the app, found elsewhere, not in full-time work, or not recorded."""
    counts, names = funnel or _funnel_counts(f)
    keys, label = _course_names(names)
    return Table("outcome", _l("Full-time work 60 days after: through the app or found elsewhere"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Completed the course"), count="completed", on_page=False),
        Column(_l("In full-time work through a meeting in the app"), count="through_app"),
        Column(_l("In full-time work found elsewhere"), count="elsewhere"),
        Column(_l("Not in full-time work"), count="not_full_time"),
        Column(_l("Status not recorded"), count="not_recorded"),
        Column(_l("Share in full-time work through the app"), "share", part="through_app", whole="completed"),
    ], _split(counts, keys, label),
        sums=(("completed", ("through_app", "elsewhere", "not_full_time", "not_recorded")),
              ("completed", ("recorded", "not_recorded")), ("full_time", ("through_app", "elsewhere"))))


def quarter_label(year: int, quarter: int) -> str:
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
            .where(*_run_conditions(f))
            .group_by(done.course_id, Course.name, done.target_group, year, month)):
        quarter = (int(y), (int(m) - 1) // 3 + 1)
        quarters.add(quarter)
        names[course_id] = name
        c = counts.setdefault((course_id, group), {})
        for name, value in (("completed", completed), ("full_time", full_time)):
            for key in (name, f"{name}_{quarter[0]}_{quarter[1]}"):
                c[key] = c.get(key, 0) + int(value)
    shown = sorted(quarters)[-TREND_QUARTERS:]
    keys, label = _course_names(names)
    # With every quarter shown, the quarters add up to the funnel's completers and full-time (small-number rule).
    sums = tuple((name, tuple(f"{name}_{y}_{q}" for y, q in shown)) for name in ("completed", "full_time")) \
        if len(shown) == len(quarters) else ()
    return Table("trend", _l("In full-time work 60 days after, per quarter the course ended"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        *(Column(quarter_label(*q), "share", part=f"full_time_{q[0]}_{q[1]}", whole=f"completed_{q[0]}_{q[1]}")
          for q in shown),
    ], _split(counts, keys, label), sums=sums)


def demand_table(f: FunnelFilter, funnel: FunnelCounts | None = None, employers: tuple | None = None) -> Table:
    """Per course: employers' demand (sessions and slots aimed at it, share booked) beside its effect (hires per
    completer). Sessions open to any course have a row of their own; the totals count each session once."""
    counts, names = funnel or _funnel_counts(f)
    per_employer, offered_by = employers or _employer_counts(f)
    sessions = SessionFigure.__table__
    course_id = session_course.c.course_id
    offered = {course: {"sessions": n, "slots": int(slots or 0)} for course, n, slots in db.session.execute(
        select(course_id, func.count(), func.sum(sessions.c.open_slots))
        .select_from(sessions).outerjoin(session_course, sessions.c.session_id == session_course.c.session_id)
        .where(*_session_conditions(f, sessions), *_course_conditions(f, course_id))
        .group_by(course_id))}
    bookings, mine = _bookings(f, by_course=True)
    merged = {key: {"completed": c["completed"], "hired": c["hired"]} for key, c in counts.items()}
    for course, group, n in db.session.execute(
            select(bookings.c.course_id, bookings.c.target_group, func.sum(bookings.c.booked))
            .where(*_session_conditions(f, bookings), *_course_conditions(f, bookings.c.course_id), *mine)
            .group_by(bookings.c.course_id, bookings.c.target_group)):
        merged.setdefault((course, group), {})["booked"] = int(n)
    booked = {g: sum(per_employer.get((e, g), {}).get("booked", 0) for e in offered_by) for g in GROUPS}
    names = {**names, **_course_names_of(({key[0] for key in merged} | set(offered)) - set(names))}
    keys, label = _course_names(names)
    everything = _added(sessions_and_slots for _, sessions_and_slots in offered_by.values())  # each session once
    return Table("demand", _l("Employers' demand per course beside its effect"), [
        Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Sessions aimed at the course"), count="sessions", all_only=True, on_page=False),
        Column(_l("Slots aimed at the course"), count="slots", all_only=True),
        Column(_l("Booked slots"), count="booked"),
        Column(_l("Share booked"), "share", part="booked", whole="slots"),
        Column(_l("Completed the course"), count="completed", on_page=False), Column(_l("Hired"), count="hired"),
        Column(_l("Hires per completer"), "share", part="hired", whole="completed"),
    ], _split(merged, keys, label, totals={g: {"booked": int(booked.get(g) or 0)} for g in GROUPS},
              every_row=lambda key: everything if key is None else offered.get(key[0], {"sessions": 0, "slots": 0}),
              zeros=("booked",)),
        unsummed=frozenset({"booked", "sessions", "slots"}))


def _course_names_of(course_ids: set[int | None]) -> dict[int | None, str]:
    """The names of courses, in one statement however many (or none); None is the row of sessions open to any
    course."""
    ids = [i for i in course_ids if i is not None]
    names = dict(db.session.execute(select(Course.id, Course.name).where(Course.id.in_(ids))).all())
    return {**names, **({None: str(_l("Open to any course"))} if None in course_ids else {})}


# The booking figures' columns summed for employers, and the names of their counts: "hires" (hire outcomes) and
# "outcomes" are not the funnel's "hired" and "recorded" (completions with a hire, or a recorded follow-up).
EMPLOYER_SUMS = {"booked": "booked", "recorded": "outcomes", "candidate_no_show": "candidate_no_show",
                 "employer_no_show": "employer_no_show", "hired": "hires",
                 **{name: name.replace("hired", "hires") for name in HIRE_TYPES}}


def _employer_counts(f: FunnelFilter) -> tuple[dict[tuple, dict], dict[int, tuple[str, dict]]]:
    """Per (employer, target group): bookings, outcomes and hires (by type); and per employer its name and its
    sessions and slots."""
    sessions = SessionFigure.__table__
    offered = {employer_id: (name, {"sessions": n, "slots": int(slots or 0)})
               for employer_id, name, n, slots in db.session.execute(
        select(Employer.id, Employer.name, func.count(), func.sum(sessions.c.open_slots))
        .join(sessions, sessions.c.employer_id == Employer.id)
        .where(*_session_conditions(f, sessions))
        .group_by(Employer.id, Employer.name))}
    bookings, mine = _bookings(f)
    counts = {(employer_id, group): {name: int(v or 0) for name, v in zip(EMPLOYER_SUMS.values(), values,
                                                                          strict=True)}
              for employer_id, group, *values in db.session.execute(
        select(bookings.c.employer_id, bookings.c.target_group,
               *(func.sum(bookings.c[name]) for name in EMPLOYER_SUMS))
        .where(*_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.employer_id, bookings.c.target_group))}
    return counts, offered


def _page_of(keys: list, page: int | None) -> tuple[list, bool]:
    """All keys, or those of one page; and whether more follow."""
    if page is None:
        return keys, False
    start = (page - 1) * EMPLOYERS_PER_PAGE
    return keys[start:start + EMPLOYERS_PER_PAGE], len(keys) > start + EMPLOYERS_PER_PAGE


def employer_table(f: FunnelFilter, employers: tuple | None = None, page: int | None = None) -> Table:
    """Per employer (all, or one page of them, with the totals of all): sessions, slots, share booked, no-shows of
    both sides among recorded outcomes, hires."""
    counts, offered = employers or _employer_counts(f)
    keys, more = _page_of([(e,) for e in sorted(offered, key=lambda e: (offered[e][0], e))], page)
    return Table("employers", _l("Employers: sessions, bookings, no-shows and hires"), [
        Column(_l("Employer"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Sessions"), count="sessions", all_only=True, on_page=False),
        Column(_l("Slots"), count="slots", all_only=True),
        Column(_l("Booked slots"), count="booked"), Column(_l("Share booked"), "share", part="booked", whole="slots"),
        Column(_l("Outcomes recorded"), count="outcomes", on_page=False),
        Column(_l("Candidate did not come"), "share", part="candidate_no_show", whole="outcomes"),
        Column(_l("Employer could not attend"), "share", part="employer_no_show", whole="outcomes", on_page=False),
        Column(_l("Hires"), count="hires"),
    ], _split(counts, keys, lambda key: [offered[key[0]][0] if key else str(_l("Total"))],
              totals={g: _added(counts.get((e, g), {}) for e in offered) for g in GROUPS},
              every_row=lambda key: offered[key[0]][1] if key else _added(o[1] for o in offered.values()),
              zeros=EMPLOYER_SUMS.values()), keyed_by="employer", more=more)


def employer_course_table(f: FunnelFilter, employers: tuple | None = None, page: int | None = None) -> Table:
    """Per employer and course its sessions were aimed at (or open to any course; all, or one page of them):
    bookings and hires by type of employment. A session aimed at two courses counts under both; the totals (of all)
    count it once."""
    counts, offered = employers or _employer_counts(f)
    sessions, course_id = SessionFigure.__table__, session_course.c.course_id
    keys = db.session.execute(  # every employer's courses it held sessions for, in the order of the names
        select(sessions.c.employer_id, course_id)
        .select_from(sessions).outerjoin(session_course, sessions.c.session_id == session_course.c.session_id)
        .join(Employer, Employer.id == sessions.c.employer_id).outerjoin(Course, Course.id == course_id)
        .where(*_session_conditions(f, sessions), *_course_conditions(f, course_id))
        .group_by(sessions.c.employer_id, course_id, Employer.name, Course.name)
        .order_by(Employer.name, sessions.c.employer_id, course_id.is_(None), Course.name)
        .offset(0 if page is None else (page - 1) * EMPLOYERS_PER_PAGE)
        .limit(None if page is None else EMPLOYERS_PER_PAGE + 1)).all()
    more = page is not None and len(keys) > EMPLOYERS_PER_PAGE
    keys = [tuple(key) for key in keys[:EMPLOYERS_PER_PAGE if page is not None else None]]
    bookings, mine = _bookings(f, by_course=True)
    sums = {name: EMPLOYER_SUMS[name] for name in ("booked", "hired", *HIRE_TYPES)}
    per_course: dict[tuple, dict] = {}
    for employer_id, course, group, *values in db.session.execute(
            select(bookings.c.employer_id, bookings.c.course_id, bookings.c.target_group,
                   *(func.sum(bookings.c[name]) for name in sums))
            .where(*_session_conditions(f, bookings), *_course_conditions(f, bookings.c.course_id), *mine,
                   *([] if page is None else [bookings.c.employer_id.in_({employer_id for employer_id, _ in keys})]))
            .group_by(bookings.c.employer_id, bookings.c.course_id, bookings.c.target_group)):
        per_course[(employer_id, course, group)] = {n: int(v or 0) for n, v in zip(sums.values(), values,
                                                                                     strict=True)}
    course_names = _course_names_of({course for _, course in keys})
    return Table("employer_courses", _l("Hires per employer and course, by type of employment"), [
        Column(_l("Employer"), "text"), Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Booked slots"), count="booked"), Column(_l("Hires"), count="hires"),
        *(Column(EMPLOYMENT_LABELS[t], count=f"hires_{t.value}", on_page=t == EmploymentType.FULL_TIME)
          for t in EMPLOYMENT_LABELS),
    ], _split(per_course, keys, lambda key: [offered[key[0]][0], course_names[key[1]]] if key else
              [str(_l("Total")), ""],
              totals={g: _added(counts.get((e, g), {}) for e in offered) for g in GROUPS}, zeros=sums.values()),
        unsummed=frozenset(sums.values()), keyed_by="employer and course", more=more)


def month_table(f: FunnelFilter) -> Table:
    """Per month of the meeting: meetings (confirmed bookings) and hires."""
    bookings, mine = _bookings(f)
    counts = {(int(y), int(m), group): {"booked": int(meetings), "hires": int(hired)}
              for y, m, group, meetings, hired in db.session.execute(
        select(bookings.c.year, bookings.c.month, bookings.c.target_group, func.sum(bookings.c.booked),
               func.sum(bookings.c.hired))
        .where(*_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.year, bookings.c.month, bookings.c.target_group))}
    return Table("months", _l("Meetings and hires per month"), [
        Column(_l("Month"), "text"), Column(_l("Target group"), "text"), Column(_l("Meetings"), count="booked"),
        Column(_l("Hires"), count="hires"),
    ], _split(counts, sorted({key[:2] for key in counts}),
              lambda key: [f"{key[0]:04d}-{key[1]:02d}" if key else str(_l("Total"))], zeros=("booked", "hires")),
        keyed_by="month")


def dashboard_tables(f: FunnelFilter, page: int | None = None) -> dict[str, Table]:
    """Every figure table of the dashboard, in the page's order, with the employers' tables whole or one page of
    employers; the course funnel and the employers' counts are computed once for the tables that share them."""
    funnel, employers = _funnel_counts(f), _employer_counts(f)
    return {"funnel": funnel_table(f, funnel), "outcome": outcome_table(f, funnel), "trend": trend_table(f),
            "demand": demand_table(f, funnel, employers), "employers": employer_table(f, employers, page),
            "employer_courses": employer_course_table(f, employers, page), "months": month_table(f)}


TABLES: dict[str, Callable[[FunnelFilter], Table]] = {
    "funnel": funnel_table, "outcome": outcome_table, "trend": trend_table, "demand": demand_table,
    "employers": employer_table, "employer_courses": employer_course_table, "months": month_table,
}

# How the figures are counted, in plain words: the dashboard page and the workbook's first sheet both list them. Each
# is a format string (hence "%%"), filled in by `definitions`.
DEFINITIONS = [
    _l("Completed: completions of a run of the course that ended within the period. A candidate who completed two "
       "runs of a course counts in each."),
    _l("Had a meeting: a confirmed booking in a session held on or after the start of the course run."),
    _l("Attended, next step and hired: the employers' recorded outcomes of those meetings. A next step is a next "
       "interview, a job offer or a hire."),
    _l("In full-time work 60 days after: the follow-up status recorded for the course run. Its share is of those who "
       "completed the course, and of those with a recorded status."),
    _l("Status not recorded: no status 60 days after was recorded, or it was recorded as unknown. They are not "
       "counted as in full-time work."),
    _l("In full-time work through a meeting in the app: in full-time work 60 days after and hired through a meeting "
       "in the app (any kind of hire). Found elsewhere: in full-time work without such a hire."),
    _l("Per quarter: the quarter in which the course runs ended; the latest %(n)d quarters within the filter."),
    _l("Each share shows what it is out of and its 95 %% interval (Wilson): with few people a share is uncertain, "
       "and the interval shows how much. Shares are rounded half up to one decimal."),
    _l("Employers publish sessions for every job centre, so sessions and slots count for all; bookings, no-shows and "
       "hires count only the chosen job centre's candidates. Sessions count when held within the period; with a "
       "course chosen, those aimed at it or open to any course."),
    _l("Each candidate is job-ready or activity-ready, so the two groups add up to the row for all. The last rows of "
       "each table are the totals; a session aimed at several courses counts once in them."),
]


def definitions() -> list[str]:
    """How the figures are counted, in the reader's language."""
    return [str(text) % {"n": TREND_QUARTERS} for text in DEFINITIONS]
