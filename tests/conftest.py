"""Fixtures: an app on SQLite (default) or PostgreSQL (MATCHAPP_TEST_DATABASE_URL), schema built by migrations."""
from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local, utcnow
from matchapp.models import Booking, MeetingMode, Role, Slot, TargetGroup, User
from matchapp.services import accounts, catalogue, sessions
from matchapp.services.booking import book_slots

PASSWORD = "correct horse battery"


def database_url(tmp_path_factory) -> str:
    """The test run's database: a file in the run's temporary folder, or MATCHAPP_TEST_DATABASE_URL on PostgreSQL.

    Under pytest-xdist each worker gets a database of its own (`test_gw0`, `test_gw1` … beside the named one on the
    same server; SQLite's temporary folders are per worker already), so that workers never see each other's rows.
    """
    url = os.environ.get("MATCHAPP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        url = worker_database(url, worker)
    # psycopg 3 is the driver, as in config.py: plain postgresql:// would ask SQLAlchemy for psycopg2.
    return re.sub(r"^postgresql://", "postgresql+psycopg://", url)


def worker_database(url: str, worker: str) -> str:
    """The URL of this xdist worker's own PostgreSQL database beside `url`'s, created when missing."""
    server = make_url(url).set(drivername="postgresql")
    name = f"{server.database}_{worker}"
    with psycopg.connect(server.render_as_string(hide_password=False), autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


def test_settings(url: str, **extra) -> dict:
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "test", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64, "ARGON2_PARALLELISM": 1, **extra}


@pytest.fixture(scope="session")
def db_url(tmp_path_factory) -> str:
    """An empty database, upgraded by the migrations once per test run."""
    url = database_url(tmp_path_factory)
    app = create_app(test_settings(url))
    with app.app_context():
        reflected = MetaData()
        reflected.reflect(db.engine)
        reflected.drop_all(db.engine)
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        db.engine.dispose()
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.fixture
def app(db_url):
    app = create_app(test_settings(db_url))
    with app.app_context():
        yield app
        empty_tables()
        db.engine.dispose()


def empty_tables() -> None:
    """Delete every row of every table (and restart PostgreSQL's id sequences), for the next test."""
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if db.engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_client(app, db_url):
    """A client of an app with CSRF protection on, as in production; it shares the `app` fixture's database."""
    csrf_app = create_app(test_settings(db_url, WTF_CSRF_ENABLED=True))
    with csrf_app.app_context():
        yield csrf_app.test_client()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, user: User, password: str = PASSWORD):
        response = self.client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, "login failed"
        return response

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    return match.group(1) or match.group(2)


@pytest.fixture
def now() -> datetime:
    return utcnow()


class Factory:
    """Builds the world a test needs through the services, committing as a view would."""

    def __init__(self):
        self.count = 0

    def _n(self) -> int:
        self.count += 1
        return self.count

    def admin(self) -> User:
        user = User(email=f"admin{self._n()}@example.dk", name="Admin", role=Role.ADMIN,
                    password_hash=accounts.hash_password(PASSWORD), created_at=utcnow())
        db.session.add(user)
        db.session.commit()
        return user

    def jobcenter(self, name: str | None = None):
        jobcenter = catalogue.create_jobcenter(name or f"Jobcenter {self._n()}", by=None, now=utcnow())
        db.session.commit()
        return jobcenter

    def consultant(self, jobcenter=None) -> User:
        jobcenter = jobcenter or self.jobcenter()
        user = accounts.create_staff(name=f"Konsulent {self._n()}", email=f"konsulent{self.count}@example.dk",
                                     role=Role.CONSULTANT, jobcenter=jobcenter, by=None, now=utcnow())
        user.password_hash = accounts.hash_password(PASSWORD)
        db.session.commit()
        return user

    def course(self, name: str | None = None):
        course = catalogue.create_course(name or f"Kursus {self._n()}", "", by=None, now=utcnow())
        db.session.commit()
        return course

    def candidate(self, *, completed=(), jobcenter=None, consultant=None, name: str | None = None):
        """A candidate who has completed the given courses (a run each, ended yesterday)."""
        n = self._n()
        jobcenter = jobcenter or (consultant.jobcenter if consultant else self.jobcenter())
        candidate = accounts.create_candidate(accounts.CandidateData(
            name=name or f"Kandidat {n}", email=f"kandidat{n}@example.dk", phone=None, jobcenter_id=jobcenter.id,
            target_group=TargetGroup.JOB_READY, consultant_id=consultant.id if consultant else None),
            created_by=consultant, now=utcnow())
        candidate.user.password_hash = accounts.hash_password(PASSWORD)
        today = date.today()
        for course in completed:
            run = catalogue.create_course_run(course, jobcenter, today - timedelta(days=30),
                                              today - timedelta(days=1), by=None, now=utcnow())
            catalogue.record_completion(candidate, run, utcnow() - timedelta(days=1), by=None, now=utcnow())
        db.session.commit()
        return candidate

    def employer(self, *, approved: bool = True, name: str | None = None) -> User:
        """A member of a newly registered organisation (approved unless said otherwise)."""
        n = self._n()
        cvr = valid_cvr(1000000 + 10 * n)  # seeds 10 apart search disjoint ranges, so no two employers share a CVR
        member = accounts.register_employer(accounts.EmployerRegistration(
            organisation=name or f"Firma {n} ApS", cvr=cvr, address="Vej 1, 2300 København S",
            name=f"Chef {n}", email=f"chef{n}@example.dk", phone=None, password=PASSWORD), now=utcnow())
        member.active = True  # as if they had followed the e-mailed link that finishes a registration
        if approved:
            accounts.approve_employer(member.employer, by=None, now=utcnow())
        db.session.commit()
        return member

    def session(self, employer: User | None = None, *, day: date | None = None, start: time = time(10),
                end: time = time(11), slot_minutes: int = 10, break_minutes: int = 0, interviewers: int = 1,
                courses=(), publish: bool = True, closes_hours: int = 2, title: str = "Receptionist",
                created_at: datetime | None = None):
        """An interview session (published unless said otherwise), by default tomorrow 10-11 local time."""
        employer = employer or self.employer()
        day = day or (datetime.now(LOCAL_TZ).date() + timedelta(days=1))
        draft = sessions.SessionDraft(
            title=title, description="", course_ids=[c.id for c in courses], local_date=day, start_time=start,
            end_time=end, slot_minutes=slot_minutes, break_minutes=break_minutes, interviewers=interviewers,
            mode=MeetingMode.VIDEO, video_url="https://meet.example.dk/x", address=None,
            booking_closes_hours=closes_hours)
        # Created "earlier", so that a test can also build a session that has already taken place.
        earlier = created_at or utcnow() - timedelta(days=60)
        session = sessions.create_session(draft, by=employer, now=earlier)
        if publish:
            sessions.publish_session(session, by=employer, now=earlier)
        db.session.commit()
        return session

    def booking(self, candidate, slot, *, by: User | None = None, now: datetime | None = None) -> Booking:
        """The candidate's meeting at the slot's time, booked as the candidate unless `by` says otherwise; the time
        must be free."""
        [booking] = book(candidate, slot, by=by, now=now).booked
        return booking


def valid_cvr(seed: int) -> str:
    """The first 8-digit number from seed*10 on that passes the modulus-11 check."""
    for candidate in range(seed * 10, seed * 10 + 100):
        if accounts.cvr_is_valid(str(candidate)):
            return str(candidate)
    raise AssertionError("no valid CVR found")


@pytest.fixture
def make(app) -> Factory:
    return Factory()


# --- The booking stories' course, candidate and bookings ------------------------------------------------------------

@pytest.fixture
def course_name() -> str:
    """The name of the `course` fixture's course; a test module names another by overriding this fixture."""
    return "Hotelbookingsystemer"


@pytest.fixture
def course(make, course_name):
    return make.course(course_name)


@pytest.fixture
def candidate(make, course):
    """A candidate who has just completed the course."""
    return make.candidate(completed=[course], name="Amina Hassan")


def slot_at(session, clock: str, lane: int = 1) -> Slot:
    """The slot of this interviewer (lane) that starts at this local time ("HH:MM")."""
    return next(s for s in session.slots if s.lane == lane and f"{to_local(s.starts_at):%H:%M}" == clock)


def book(candidate, *slots: Slot, by: User | None = None, now: datetime | None = None):
    """Book the slots with one confirm, as the candidate unless `by` says otherwise, and commit as the view does;
    the booking service's result (what was booked, and the times taken meanwhile)."""
    result = book_slots(candidate, [slot.id for slot in slots], by=by or candidate.user, now=now or utcnow())
    db.session.commit()
    return result
