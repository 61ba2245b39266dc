"""The tables of the employers' side: sessions, bookings, no-shows and hires per employer, hires per employer and
course by type of employment, and meetings and hires per month."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from matchapp.extensions import db
from matchapp.labels import HEADING, labels
from matchapp.models import Course, Employer, EmploymentType, SessionFigure
from matchapp.models.figures import HIRE_TYPES
from matchapp.models.session import session_course
from matchapp.services.funnel.counts import EMPLOYER_SUMS, EmployerCounts, course_names_of, employer_counts
from matchapp.services.funnel.filters import (
    FunnelFilter,
    booking_figures,
    course_conditions,
    per_session_conditions,
)
from matchapp.services.funnel.tables import GROUPS, Column, Table, added, split

EMPLOYMENT_LABELS = labels(EmploymentType, HEADING)
EMPLOYERS_PER_PAGE = 25  # the dashboard shows the employers' tables a page at a time; downloads hold them all
# The counts per employer and course: bookings and hires, all and by type.
EMPLOYER_COURSE_SUMS = {name: EMPLOYER_SUMS[name] for name in ("booked", "hired", *HIRE_TYPES)}


def _page_of(keys: list, page: int | None) -> tuple[list, bool]:
    """All keys, or those of one page; and whether more follow."""
    if page is None:
        return keys, False
    start = (page - 1) * EMPLOYERS_PER_PAGE
    return keys[start:start + EMPLOYERS_PER_PAGE], len(keys) > start + EMPLOYERS_PER_PAGE


def employer_table(f: FunnelFilter, employers: EmployerCounts | None = None, page: int | None = None) -> Table:
    """Per employer (all, or one page of them, with the totals of all): sessions, slots, share booked, no-shows of
    both sides among recorded outcomes, hires."""
    counts, offered = employers or employer_counts(f)
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
    ], split(counts, keys, lambda key: [offered[key[0]][0] if key else str(_l("Total"))],
             totals={g: added(counts.get((e, g), {}) for e in offered) for g in GROUPS},
             every_row=lambda key: offered[key[0]][1] if key else added(o[1] for o in offered.values()),
             zeros=EMPLOYER_SUMS.values()), keyed_by="employer", more=more)


def _employer_course_keys(f: FunnelFilter, page: int | None) -> tuple[list[tuple], bool]:
    """Every employer's courses it held sessions for (all, or one page of them), in the order of the names; and
    whether more follow."""
    sessions, course_id = SessionFigure.__table__, session_course.c.course_id
    keys = db.session.execute(
        select(sessions.c.employer_id, course_id)
        .select_from(sessions).outerjoin(session_course, sessions.c.session_id == session_course.c.session_id)
        .join(Employer, Employer.id == sessions.c.employer_id).outerjoin(Course, Course.id == course_id)
        .where(*per_session_conditions(f, sessions), *course_conditions(f, course_id))
        .group_by(sessions.c.employer_id, course_id, Employer.name, Course.name)
        .order_by(Employer.name, sessions.c.employer_id, course_id.is_(None), Course.name)
        .offset(0 if page is None else (page - 1) * EMPLOYERS_PER_PAGE)
        .limit(None if page is None else EMPLOYERS_PER_PAGE + 1)).all()
    more = page is not None and len(keys) > EMPLOYERS_PER_PAGE
    return [tuple(key) for key in keys[:EMPLOYERS_PER_PAGE if page is not None else None]], more


def _per_employer_course(f: FunnelFilter, keys: list[tuple], page: int | None) -> dict[tuple, dict]:
    """Per (employer, course, target group): bookings and hires by type; with a page, only of its employers."""
    bookings, mine = booking_figures(f, by_course=True)
    on_page = [] if page is None else [bookings.c.employer_id.in_({employer_id for employer_id, _ in keys})]
    return {(employer_id, course, group): {n: int(v or 0) for n, v in zip(EMPLOYER_COURSE_SUMS.values(), values,
                                                                         strict=True)}
            for employer_id, course, group, *values in db.session.execute(
        select(bookings.c.employer_id, bookings.c.course_id, bookings.c.target_group,
               *(func.sum(bookings.c[name]) for name in EMPLOYER_COURSE_SUMS))
        .where(*per_session_conditions(f, bookings), *course_conditions(f, bookings.c.course_id), *mine, *on_page)
        .group_by(bookings.c.employer_id, bookings.c.course_id, bookings.c.target_group))}


def employer_course_table(f: FunnelFilter, employers: EmployerCounts | None = None, page: int | None = None
                          ) -> Table:
    """Per employer and course its sessions were aimed at (or open to any course; all, or one page of them):
    bookings and hires by type of employment. A session aimed at two courses counts under both; the totals (of all)
    count it once."""
    counts, offered = employers or employer_counts(f)
    keys, more = _employer_course_keys(f, page)
    per_course = _per_employer_course(f, keys, page)
    course_names = course_names_of({course for _, course in keys})
    return Table("employer_courses", _l("Hires per employer and course, by type of employment"), [
        Column(_l("Employer"), "text"), Column(_l("Course"), "text"), Column(_l("Target group"), "text"),
        Column(_l("Booked slots"), count="booked"), Column(_l("Hires"), count="hires"),
        *(Column(EMPLOYMENT_LABELS[t], count=f"hires_{t.value}", on_page=t == EmploymentType.FULL_TIME)
          for t in EMPLOYMENT_LABELS),
    ], split(per_course, keys, lambda key: [offered[key[0]][0], course_names[key[1]]] if key else
             [str(_l("Total")), ""],
             totals={g: added(counts.get((e, g), {}) for e in offered) for g in GROUPS},
             zeros=EMPLOYER_COURSE_SUMS.values()),
        unsummed=frozenset(EMPLOYER_COURSE_SUMS.values()), keyed_by="employer and course", more=more)


def month_table(f: FunnelFilter) -> Table:
    """Per month of the meeting: meetings (confirmed bookings) and hires."""
    bookings, mine = booking_figures(f)
    counts = {(int(y), int(m), group): {"booked": int(meetings), "hires": int(hired)}
              for y, m, group, meetings, hired in db.session.execute(
        select(bookings.c.year, bookings.c.month, bookings.c.target_group, func.sum(bookings.c.booked),
               func.sum(bookings.c.hired))
        .where(*per_session_conditions(f, bookings), *mine)
        .group_by(bookings.c.year, bookings.c.month, bookings.c.target_group))}
    return Table("months", _l("Meetings and hires per month"), [
        Column(_l("Month"), "text"), Column(_l("Target group"), "text"), Column(_l("Meetings"), count="booked"),
        Column(_l("Hires"), count="hires"),
    ], split(counts, sorted({key[:2] for key in counts}),
             lambda key: [f"{key[0]:04d}-{key[1]:02d}" if key else str(_l("Total"))], zeros=("booked", "hires")),
        keyed_by="month")
