"""Each page runs the same number of SQL statements whether there is a little data or much more."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time, timedelta

from sqlalchemy import event, select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import Attendance, CourseRun, EmploymentStatus, EmploymentType, Enrollment, Result, Slot
from matchapp.services import catalogue, sessions
from matchapp.services.booking import cancel_booking
from matchapp.services.outcomes import OutcomeEntry, record_follow_ups, record_outcomes


def in_days(days: int):
    """The local date this many days from today."""
    return datetime.now(LOCAL_TZ).date() + timedelta(days=days)


def slot(session, index: int = 0) -> Slot:
    """The session's index-th slot in time order (lanes in turn)."""
    return sorted(session.slots, key=lambda s: (s.starts_at, s.lane))[index]


def hire(booking, *, by) -> None:
    """Record that the meeting led to a full-time job."""
    record_outcomes(booking.session, [OutcomeEntry(booking.id, Attendance.ATTENDED, Result.HIRED,
                                                   EmploymentType.FULL_TIME, in_days(7))], by=by, now=utcnow())
    db.session.commit()


class World:
    """An employer, a consultant and a candidate; `grow` adds sessions, slots, bookings, courses and people."""

    def __init__(self, make):
        self.make = make
        self.jobcenter = make.jobcenter()
        self.course = make.course()
        self.consultant = make.consultant(self.jobcenter)
        self.candidate = make.candidate(completed=[self.course], consultant=self.consultant)
        self.employer = make.employer()
        self.session = make.session(self.employer, day=in_days(1))
        make.session(day=in_days(2))  # another employer's session that the candidate can still book
        make.booking(self.candidate, slot(self.session))
        self.big_session = self.session
        hired_before = make.session(self.employer, day=in_days(-2))
        hire(make.booking(self.candidate, slot(hired_before), now=utcnow() - timedelta(days=5)), by=self.employer)
        self.run = db.session.scalar(select(CourseRun).join(Enrollment, Enrollment.course_run_id == CourseRun.id)
                                     .where(Enrollment.candidate_id == self.candidate.id))

    def grow(self) -> None:
        make, candidate = self.make, self.candidate
        colleague = make.consultant(self.jobcenter)
        other_course, closed_course = make.course(), make.course()
        others = [make.candidate(completed=[self.course, other_course][: 1 + i % 2],
                                 consultant=(self.consultant, colleague)[i % 2], jobcenter=self.jobcenter)
                  for i in range(6)]
        employers = [self.employer, make.employer(), make.employer(), make.employer()]
        many = [make.session(employers[i % 4], day=in_days(3 + i), start=time(9), end=time(12), interviewers=3,
                             courses=[self.course] if i % 2 else (), title=f"Job {i}") for i in range(8)]
        make.session(day=in_days(3), courses=[closed_course])  # not for this candidate
        make.session(self.employer, day=in_days(4), publish=False)
        cancelled = make.session(self.employer, day=in_days(5))
        for i, other in enumerate(others):
            for session in many:
                make.booking(other, slot(session, 3 * i))
        make.booking(candidate, slot(many[1], 30))
        make.booking(candidate, slot(many[2], 30), by=self.consultant)
        cancel_booking(make.booking(candidate, slot(many[3], 30)), reason="Syg", by=candidate.user, now=utcnow())
        past = make.session(self.employer, day=in_days(-3))
        hire(make.booking(candidate, slot(past), now=utcnow() - timedelta(days=6)), by=self.employer)
        for other in others:  # the run's completers, one with a status recorded
            catalogue.record_completion(other, self.run, utcnow() - timedelta(days=1), by=self.consultant, now=utcnow())
        record_follow_ups(self.run, {others[0].id: EmploymentStatus.EDUCATION}, by=self.consultant, now=utcnow())
        make.candidate(completed=[other_course])  # another job centre's candidate
        for course in (other_course, make.course()):
            run = catalogue.create_course_run(course, self.jobcenter, in_days(-40), in_days(-10), by=None, now=utcnow())
            catalogue.record_completion(candidate, run, utcnow() - timedelta(days=10), by=self.consultant,
                                        now=utcnow())
        sessions.cancel_session(cancelled, "Stillingen er besat", by=self.employer, now=utcnow())
        sessions.cancel_slot(slot(many[0], 1), "Frokost", by=self.employer, now=utcnow())
        self.big_session = many[0]
        db.session.commit()


@contextmanager
def counted_statements():
    """Collect every SQL statement sent to the database inside the block."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, _parameters, _context, _executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(app, client, path: str) -> list[str]:
    """The SQL statements one request for the page runs, from a fresh database session as on a server."""
    db.session.commit()  # the test's own transaction ends, as the factory's would
    # A new app context gives the request its own session: the test's session (and what it has loaded) stays out.
    with app.app_context(), counted_statements() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return statements


PAGES = {
    "candidate finds conversations": (lambda w: w.candidate.user, lambda w: "/candidate/"),
    "candidate's meetings": (lambda w: w.candidate.user, lambda w: "/candidate/meetings"),
    "employer's session": (lambda w: w.employer, lambda w: f"/employer/sessions/{w.big_session.id}"),
    "employer's dashboard": (lambda w: w.employer, lambda w: "/employer/"),
    "consultant's candidates": (lambda w: w.consultant, lambda w: "/consultant/"),
    "consultant's candidate": (lambda w: w.consultant, lambda w: f"/consultant/candidates/{w.candidate.id}"),
    "employer's outcomes": (lambda w: w.employer, lambda w: f"/employer/sessions/{w.big_session.id}/outcomes"),
    "consultant's course runs": (lambda w: w.consultant, lambda w: "/consultant/runs"),
    "consultant's follow-up": (lambda w: w.consultant, lambda w: f"/consultant/runs/{w.run.id}/follow-up"),
}


def statements_per_page(app, client, auth, world: World) -> dict[str, list[str]]:
    """Each page's statements, fetched by the user whose page it is."""
    statements = {}
    for page, (user_of, path_of) in PAGES.items():
        auth.login(user_of(world))
        statements[page] = statements_for(app, client, path_of(world))
        auth.logout()
    return statements


def test_no_page_runs_more_statements_when_there_is_much_more_data(app, client, auth, make):
    world = World(make)
    little = statements_per_page(app, client, auth, world)
    world.grow()
    much = statements_per_page(app, client, auth, world)
    grown = {page: "\n".join(much[page]) for page in PAGES if len(much[page]) != len(little[page])}
    assert {page: len(s) for page, s in much.items()} == {page: len(s) for page, s in little.items()}, grown
