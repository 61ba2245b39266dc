"""Time the consultants' dashboard over 100,000 past bookings with outcomes, on SQLite or PostgreSQL.

Fills a database built by the migrations with a seeded, made-up history (course runs, completers, employers'
sessions, bookings, outcomes and 60-day follow-ups), inserted in bulk, then requests the dashboard through the Flask
test client as a consultant (their job centre) and as an admin (everything), and prints the median and p95 times.
Before timing, it rebuilds the dashboard's figure tables as the scheduler does every few minutes, and prints how
long that took.
It prints figures and asserts none; see benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import bisect
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock

from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text
from throwaway import database_url, empty_database
from werkzeug.exceptions import MethodNotAllowed, NotFound

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import local_to_utc
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
    Jobcenter,
    MeetingMode,
    Outcome,
    Result,
    Role,
    SessionStatus,
    Slot,
    SlotStatus,
    TargetGroup,
    User,
)
from matchapp.models.session import session_course
from matchapp.services import accounts, figures

PASSWORD = "benchmark"
ADMIN_EMAIL = "admin@bench.example"  # marks a database this script filled, which it may empty again
JOBCENTERS = 4
COURSES = 19  # as many as in Copenhagen's evaluation
EMPLOYERS = 400
RUN_SIZE = 20  # participants per course run, of whom 18 complete
SLOT_TIMES = 6  # 9:00-11:00 local, 15 minutes plus a 5 minute break, two interviewers: 12 slots a session
HISTORY_DAYS = 3 * 365
HIRE_TYPES = {
    TargetGroup.JOB_READY: {EmploymentType.FULL_TIME: 50, EmploymentType.PART_TIME: 20, EmploymentType.SMALL_JOB: 10,
                            EmploymentType.INTERNSHIP: 10, EmploymentType.WAGE_SUBSIDY: 7, EmploymentType.FLEXJOB: 3},
    TargetGroup.ACTIVITY_READY: {EmploymentType.FULL_TIME: 15, EmploymentType.PART_TIME: 15,
                                 EmploymentType.SMALL_JOB: 30, EmploymentType.INTERNSHIP: 25,
                                 EmploymentType.WAGE_SUBSIDY: 10, EmploymentType.FLEXJOB: 5},
}
HIRE_STATUS = {EmploymentType.FULL_TIME: EmploymentStatus.FULL_TIME, EmploymentType.PART_TIME:
               EmploymentStatus.PART_TIME, EmploymentType.SMALL_JOB: EmploymentStatus.SMALL_JOB,
               EmploymentType.FLEXJOB: EmploymentStatus.PART_TIME}
OTHER_STATUS = {EmploymentStatus.FULL_TIME: 10, EmploymentStatus.PART_TIME: 8, EmploymentStatus.SMALL_JOB: 6,
                EmploymentStatus.EDUCATION: 6, EmploymentStatus.UNEMPLOYED: 55, EmploymentStatus.UNKNOWN: 15}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("MATCHAPP_DATABASE_URL"),
                        help="default: $MATCHAPP_DATABASE_URL, else an SQLite file in the temporary directory")
    parser.add_argument("--bookings", type=int, default=100_000, help="confirmed past bookings (default 100,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per user (default 30)")
    parser.add_argument("--path", default="/consultant/dashboard", help="the page to time, with any query string")
    parser.add_argument("--reuse", action="store_true", help="time a database this script filled before, as it is")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def check_route(app, path: str) -> None:
    """Stop with a clear message when the page does not exist (yet)."""
    try:
        app.url_map.bind("localhost").match(path.partition("?")[0], method="GET")
    except (NotFound, MethodNotAllowed):
        sys.exit(f"GET {path} does not exist in this version of matchapp (the dashboard is the endpoint "
                 f"dashboard.index); nothing was filled or timed.")


def weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


class History:
    """The rows of a made-up history, with explicit ids so that they can be inserted in bulk, parents first."""

    def __init__(self, bookings: int, seed: int):
        self.rng = random.Random(seed)
        self.today = date.today()
        self.now = datetime.now(UTC)
        self.rows: dict = {table: [] for table in (Jobcenter, Course, Employer, User, Candidate, CourseRun, Enrollment,
                                                   InterviewSession, session_course, Slot, Booking, Outcome,
                                                   FollowUp)}
        self.hires: dict[int, tuple[date, EmploymentType]] = {}  # candidate id -> the first hire
        self._people(candidates=max(RUN_SIZE, bookings // 5))
        self._sessions(bookings)
        self._follow_ups()

    def _user(self, role: Role, email: str, name: str, **extra) -> int:
        user_id = len(self.rows[User]) + 1
        self.rows[User].append(dict(id=user_id, email=email, name=name, phone=None, role=role, password_hash=None,
                                    language="da", jobcenter_id=None, employer_id=None, active=True,
                                    calendar_token=None, created_at=self.now - timedelta(days=HISTORY_DAYS + 60))
                               | extra)
        return user_id

    def _people(self, candidates: int) -> None:
        rng, hashed = self.rng, accounts.hash_password(PASSWORD)
        self.rows[Jobcenter] = [dict(id=i, name=f"Jobcenter {i}") for i in range(1, JOBCENTERS + 1)]
        self.rows[Course] = [dict(id=i, name=f"Kursus {i}", description="") for i in range(1, COURSES + 1)]
        self._user(Role.ADMIN, ADMIN_EMAIL, "Admin", password_hash=hashed)
        self.consultants = {j: self._user(Role.CONSULTANT, f"konsulent{j}@bench.example", f"Konsulent {j}",
                                          jobcenter_id=j, password_hash=hashed) for j in range(1, JOBCENTERS + 1)}
        self.contacts = {}
        for e in range(1, EMPLOYERS + 1):
            self.rows[Employer].append(dict(id=e, name=f"Virksomhed {e} ApS", cvr=f"{e:08d}", address="Vej 1",
                                            created_at=self.now - timedelta(days=HISTORY_DAYS + 30),
                                            approved_at=self.now - timedelta(days=HISTORY_DAYS + 29)))
            self.contacts[e] = self._user(Role.EMPLOYER, f"chef{e}@bench.example", f"Chef {e}", employer_id=e)
        self.runs_by_course: dict[int, list[tuple[date, int]]] = {c: [] for c in range(1, COURSES + 1)}
        self.completers: dict[int, list[tuple[int, TargetGroup]]] = {}
        self.group: dict[int, TargetGroup] = {}
        for run_id in range(1, candidates // RUN_SIZE + 1):
            course, jobcenter = rng.randint(1, COURSES), rng.randint(1, JOBCENTERS)
            ends_on = weekday_on_or_before(self.today - timedelta(days=rng.randint(14, HISTORY_DAYS)))
            self.rows[CourseRun].append(dict(id=run_id, course_id=course, jobcenter_id=jobcenter,
                                             starts_on=ends_on - timedelta(days=39), ends_on=ends_on))
            self.runs_by_course[course].append((ends_on, run_id))
            self.completers[run_id] = []
            for place in range(RUN_SIZE):
                candidate_id = len(self.rows[Candidate]) + 1
                group = TargetGroup.ACTIVITY_READY if rng.random() < 0.4 else TargetGroup.JOB_READY
                user_id = self._user(Role.CANDIDATE, f"kandidat{candidate_id}@bench.example",
                                     f"Kandidat {candidate_id}", jobcenter_id=jobcenter)
                self.rows[Candidate].append(dict(id=candidate_id, user_id=user_id, jobcenter_id=jobcenter,
                                                 consultant_id=self.consultants[jobcenter], target_group=group,
                                                 pitch=""))
                completed = place < RUN_SIZE - 2
                finished = datetime.combine(ends_on, clock(14), tzinfo=UTC) if completed else None
                self.rows[Enrollment].append(dict(id=candidate_id, candidate_id=candidate_id, course_run_id=run_id,
                                                  completed_at=finished))
                self.group[candidate_id] = group
                if completed:
                    self.completers[run_id].append((candidate_id, group))
        for runs in self.runs_by_course.values():
            runs.sort()

    def _sessions(self, bookings: int) -> None:
        rng, runs = self.rng, self.rows[CourseRun]
        while len(self.rows[Booking]) < bookings:
            source = rng.choice(runs)
            day = weekday_on_or_before(min(source["ends_on"] + timedelta(days=rng.randint(3, 45)),
                                           self.today - timedelta(days=1)))
            courses = {source["course_id"]} | ({rng.randint(1, COURSES)} if rng.random() < 0.3 else set())
            pool = [c for course in courses for c in self._completers_before(course, day)]
            if not pool:
                continue
            session_id = len(self.rows[InterviewSession]) + 1
            employer = rng.randint(1, EMPLOYERS)
            slot_ids = self._session(session_id, employer, day, courses)
            wanted = min(rng.randint(7, 12), len(pool), bookings - len(self.rows[Booking]))
            for slot_id, (candidate_id, group) in zip(rng.sample(slot_ids, wanted), rng.sample(pool, wanted),
                                                      strict=True):
                self._booking(session_id, slot_id, candidate_id, group, employer, day)
            if rng.random() < 0.1:  # a cancelled booking too, now and then
                self._booking(session_id, rng.choice(slot_ids), rng.choice(pool)[0], None, employer, day)

    def _completers_before(self, course: int, day: date) -> list[tuple[int, TargetGroup]]:
        """Completers of the course's runs that ended in the 60 days before the day."""
        runs = self.runs_by_course[course]
        first = bisect.bisect_left(runs, (day - timedelta(days=60), 0))
        last = bisect.bisect_left(runs, (day, 0))
        return [c for _ends_on, run_id in runs[first:last] for c in self.completers[run_id]]

    def _session(self, session_id: int, employer: int, day: date, courses: set[int]) -> list[int]:
        starts = [local_to_utc(day, clock(9 + i // 3, 20 * (i % 3))) for i in range(SLOT_TIMES)]
        self.rows[InterviewSession].append(dict(
            id=session_id, employer_id=employer, created_by_id=self.contacts[employer], title="Samtale",
            description="", local_date=day, start_time=clock(9), end_time=clock(11), slot_minutes=15,
            break_minutes=5, interviewers=2, mode=MeetingMode.VIDEO, video_url="https://meet.example.dk/x",
            address=None, booking_closes_hours=2, status=SessionStatus.PUBLISHED, starts_at=starts[0],
            ends_at=starts[-1] + timedelta(minutes=15), created_at=starts[0] - timedelta(days=20),
            published_at=starts[0] - timedelta(days=20), cancelled_at=None, cancel_reason=None))
        self.rows[session_course].extend(dict(session_id=session_id, course_id=c) for c in courses)
        slot_ids = []
        for lane in (1, 2):
            for starts_at in starts:
                slot_ids.append(len(self.rows[Slot]) + 1)
                self.rows[Slot].append(dict(id=slot_ids[-1], session_id=session_id, lane=lane, starts_at=starts_at,
                                            ends_at=starts_at + timedelta(minutes=15), status=SlotStatus.OPEN))
        return slot_ids

    def _booking(self, session_id: int, slot_id: int, candidate_id: int, group: TargetGroup | None, employer: int,
                 day: date) -> None:
        """A confirmed booking with its outcome, or (group None) a booking that was cancelled."""
        rng, booking_id = self.rng, len(self.rows[Booking]) + len(self.rows.get("cancelled", [])) + 1
        starts_at = self.rows[Slot][slot_id - 1]["starts_at"]
        row = dict(id=booking_id, slot_id=slot_id, session_id=session_id, candidate_id=candidate_id,
                   booked_by_id=self.rows[Candidate][candidate_id - 1]["user_id"], status=BookingStatus.CONFIRMED,
                   uid=f"bench-{booking_id}@matchapp", sequence=0, created_at=starts_at - timedelta(days=5),
                   cancelled_at=None, cancelled_by_id=None, cancel_reason=None)
        if group is None:
            row.update(status=BookingStatus.CANCELLED, sequence=1, cancelled_at=starts_at - timedelta(days=2),
                       cancelled_by_id=row["booked_by_id"])
            self.rows.setdefault("cancelled", []).append(row)
            return
        self.rows[Booking].append(row)
        if day > self.today - timedelta(days=7) and rng.random() < 0.7:
            return  # recent: the employer has not recorded it yet
        attendance = rng.choices(list(Attendance), weights=[84, 10, 3, 3])[0]
        result = rng.choices(list(Result), weights=[55, 25, 8, 12])[0] if attendance == Attendance.ATTENDED else None
        hire = rng.choices(list(HIRE_TYPES[group]), weights=list(HIRE_TYPES[group].values()))[0] \
            if result == Result.HIRED else None
        if hire:
            self.hires.setdefault(candidate_id, (day, hire))
        recorded_at = starts_at + timedelta(days=1)
        self.rows[Outcome].append(dict(
            id=len(self.rows[Outcome]) + 1, booking_id=booking_id, attendance=attendance, result=result,
            employment_type=hire, start_date=day + timedelta(days=14) if hire else None,
            hours_per_week=37 if hire else None, note="", recorded_by_id=self.contacts[employer],
            recorded_at=recorded_at, updated_at=recorded_at))

    def _follow_ups(self) -> None:
        """The 60-day status of every completer of the runs that ended more than 60 days ago."""
        rng = self.rng
        for run in self.rows[CourseRun]:
            due = run["ends_on"] + timedelta(days=60)
            if due >= self.today:
                continue
            for candidate_id, _group in self.completers[run["id"]]:
                day, hire = self.hires.get(candidate_id, (None, None))
                status = HIRE_STATUS.get(hire) if day and day <= due else None
                status = status or rng.choices(list(OTHER_STATUS), weights=list(OTHER_STATUS.values()))[0]
                self.rows[FollowUp].append(dict(
                    id=len(self.rows[FollowUp]) + 1, candidate_id=candidate_id, course_run_id=run["id"],
                    status=status, source="consultant", recorded_by_id=self.consultants[run["jobcenter_id"]],
                    recorded_at=datetime.combine(due + timedelta(days=3), clock(10), tzinfo=UTC)))


def insert_history(history: History) -> dict[str, int]:
    """Insert every row with executemany in batches, parents first; returns the row count of each table."""
    rows = dict(history.rows)
    rows[Booking] = sorted(rows[Booking] + rows.pop("cancelled", []), key=lambda r: r["id"])
    counts = {}
    for model, table_rows in rows.items():
        table = getattr(model, "__table__", model)
        for start in range(0, len(table_rows), 5000):
            db.session.execute(insert(table), table_rows[start:start + 5000])
        counts[table.name] = len(table_rows)
    if db.engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
        for name in counts:
            if name != session_course.name:
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {name}))"))
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()
    return counts


def time_page(app, path: str, email: str, requests: int) -> tuple[list[float], int, int]:
    """Sign in, request the page once to warm up, then `requests` times; the times in ms, status and size."""
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        sys.exit(f"Signing in as {email} failed ({response.status_code}).")
    first = client.get(path)
    if first.status_code != 200:
        sys.exit(f"GET {path} as {email} answered {first.status_code}:\n{first.get_data(as_text=True)[:2000]}")
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            sys.exit(f"GET {path} as {email} answered {response.status_code} on a later request.")
    return times, first.status_code, len(first.data)


def main() -> None:
    args = parse_args()
    url = database_url(args.database_url, "matchapp-bench.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False, "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64,
                      "ARGON2_PARALLELISM": 1})
    check_route(app, args.path)
    with app.app_context():
        print(f"database: {db.engine.dialect.name} ({db.engine.url.render_as_string(hide_password=True)})")
        if args.reuse:
            upgrade()  # a database filled by an older version gets the newer tables
            bookings = db.session.scalar(select(func.count()).select_from(Booking))
            print(f"reusing the filled database: {bookings:,} bookings")
        else:
            empty_database(ADMIN_EMAIL)
            upgrade()
            started = time.perf_counter()
            history = History(args.bookings, args.seed)
            generated = time.perf_counter()
            counts = insert_history(history)
            print(f"filled in {time.perf_counter() - started:.1f} s (generating {generated - started:.1f} s): "
                  + ", ".join(f"{name} {count:,}" for name, count in counts.items()))
        started = time.perf_counter()
        figures.refresh_figures(now=datetime.now(UTC))
        db.session.commit()
        print(f"refreshed the dashboard's figures (the scheduler's job) in {time.perf_counter() - started:.1f} s")
        db.session.remove()
    for who, email in (("consultant of Jobcenter 1", "konsulent1@bench.example"), ("admin (all)", ADMIN_EMAIL)):
        times, _status, size = time_page(app, args.path, email, args.requests)
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
        print(f"GET {args.path} as {who}: median {statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
              f"({args.requests} requests after one warm-up, {size:,} bytes)")


if __name__ == "__main__":
    main()
