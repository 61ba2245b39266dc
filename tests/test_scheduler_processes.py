"""Real scheduler processes (`flask --app wsgi scheduler`) against the test database and a real SMTP server:
every reminder arrives exactly once with two schedulers running, across a restart, after failing jobs, and once
more at the new time of a meeting that moved."""
from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time as clock
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select, text
from test_mail_delivery import SmtpServer, free_port

from matchapp import formats, mail
from matchapp.extensions import db
from matchapp.localtime import local_day, local_to_utc, to_local, utcnow
from matchapp.models import InterviewSession, OutboxMessage, OutboxStatus, SentNotice
from matchapp.services.booking import book_slots
from matchapp.services.session_changes import move_session

ROOT = Path(__file__).resolve().parent.parent
# Deadlines, not durations: the tests go on as soon as what they wait for happens, and these are generous so
# that a loaded machine (processes starting slowly, jobs running late) is not a failure.
WAIT_SECONDS = 120  # for the reminders of one test to arrive, or a scheduler's runs; they are due within seconds
STOP_SECONDS = 60  # for a scheduler to stop after Ctrl+C; it takes about one
MORE_RUNS = 3  # runs of each job after the last message, in which a duplicate would show
REMINDER_JOBS = ("queue_reminders", "deliver_outbox")  # the jobs that could send a reminder twice


@dataclass(frozen=True)
class Received:
    message_id: str
    recipient: str
    subject: str
    text: str


class Inbox(SmtpServer):
    """The mail-delivery tests' SMTP server on a free port, its messages read as what these tests compare."""

    def __init__(self):
        super().__init__(free_port())

    def received(self) -> list[Received]:
        return [Received(message["Message-ID"], message["To"].addresses[0].addr_spec, message["Subject"],
                         message.get_body(("plain",)).get_content()) for message in self.messages()]

    def by_subject(self, recipient: str, subject: str) -> list[Received]:
        return [m for m in self.received() if (m.recipient, m.subject) == (recipient, subject)]


def _sigint_as_in_a_terminal() -> None:
    """In the child before it starts: Ctrl+C stops it even where the tests run with SIGINT ignored (a background
    job of a shell without job control, nohup), which the child would inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Scheduler:
    """One `flask --app wsgi scheduler` process; what it prints goes to a file."""

    def __init__(self, log_path: Path, env: dict[str, str]):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler"], cwd=ROOT,
                                        env=env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, preexec_fn=_sigint_as_in_a_terminal)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> int:
        """Ctrl+C, as in a terminal; the exit code."""
        if self.running():
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8")

    def runs(self, job: str) -> tuple[int, int]:
        """How many runs of the job have started and how many have ended, as APScheduler logs them."""
        log = self.log()
        started = re.findall(rf'Running job "{job} \(trigger: [^"]*\)"', log)
        ended = re.findall(rf'Job "{job} \(trigger: [^"]*\)" executed successfully', log)
        return len(started), len(ended)


class Timeline:
    """Meetings around noon the day after tomorrow, each with one reminder a fixed number of minutes before it,
    so that a meeting's reminder can fall due a chosen number of seconds from now. Noon keeps every session
    clear of midnight and of the clock changes, whenever the test runs."""

    def __init__(self):
        self.start = utcnow().replace(microsecond=0)
        noon = local_to_utc(local_day(self.start) + timedelta(days=2), time(12))
        self.minutes = int((noon - self.start).total_seconds() // 60)

    def meeting_reminded_at(self, seconds: int) -> datetime:
        """The start of a meeting whose reminder is due `seconds` after the timeline's start (negative: before)."""
        return self.start + timedelta(seconds=seconds, minutes=self.minutes)

    def seconds_left(self, seconds: int) -> float:
        return (self.start + timedelta(seconds=seconds) - utcnow()).total_seconds()


@dataclass(frozen=True)
class Person:
    email: str
    name: str


def person(user) -> Person:
    return Person(user.email, user.name)


def reminder_subjects() -> tuple[str, str]:
    """The candidate's and the employer's reminder subjects, in Danish as every test user has it."""
    with force_locale("da"):
        return str(mail.SUBJECTS["reminder_candidate"]), str(mail.SUBJECTS["reminder_employer"])


def release_database() -> None:
    """End the test's own transaction: on SQLite even a read holds the write lock (BEGIN IMMEDIATE)."""
    db.session.commit()
    db.session.remove()


@pytest.fixture
def inbox():
    server = Inbox()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def timeline() -> Timeline:
    return Timeline()


@pytest.fixture
def start_scheduler(app, db_url, inbox, timeline, tmp_path) -> Callable[[], Scheduler]:
    """Starts scheduler processes that deliver to the inbox, each job every second; stops them all at the end."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MATCHAPP_")}
    env.update(MATCHAPP_DATABASE_URL=db_url, MATCHAPP_SECRET_KEY="test", MATCHAPP_SMTP_HOST="127.0.0.1",
               MATCHAPP_SMTP_PORT=str(inbox.port), MATCHAPP_SMTP_SECURITY="none", MATCHAPP_SMTP_TIMEOUT="10",
               MATCHAPP_REMINDER_MINUTES=str(timeline.minutes), MATCHAPP_SCHEDULER_OUTBOX_SECONDS="1",
               MATCHAPP_SCHEDULER_REMINDER_SECONDS="1", PYTHONUNBUFFERED="1")
    started: list[Scheduler] = []

    def start() -> Scheduler:
        release_database()
        scheduler = Scheduler(tmp_path / f"scheduler-{len(started) + 1}.log", env)
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.stop()


def wait_until(condition: Callable[[], object], schedulers: list[Scheduler], what: str) -> None:
    """Poll until condition holds, while the schedulers keep running."""
    deadline = clock.monotonic() + WAIT_SECONDS
    while not condition():
        for scheduler in schedulers:
            assert scheduler.running(), f"a scheduler stopped:\n{scheduler.log()}"
        assert clock.monotonic() < deadline, f"no {what} after {WAIT_SECONDS} s" + "".join(
            f"\n{scheduler.log()}" for scheduler in schedulers)
        clock.sleep(0.2)


def wait_for_more_runs(schedulers: list[Scheduler], jobs: Iterable[str], runs: int = MORE_RUNS) -> None:
    """Wait until each scheduler has run each job `runs` more times from start to end: runs that all began after
    this call, however long a loaded machine makes them take (a run under way now does not count)."""
    jobs = tuple(jobs)
    begun = {(scheduler, job): scheduler.runs(job)[0] for scheduler in schedulers for job in jobs}
    wait_until(lambda: all(scheduler.runs(job)[1] >= before + runs for (scheduler, job), before in begun.items()),
               schedulers, f"{runs} more runs of {', '.join(jobs)}")


class World:
    """Employers with sessions and candidates with bookings, built through the services."""

    def __init__(self, make, timeline: Timeline):
        self.make = make
        self.timeline = timeline
        self.course = make.course("Excel")

    def session(self, reminded_at: int, *, slots: int = 1, interviewers: int = 1):
        """A session of 10-minute slots whose first meetings' reminders are due `reminded_at` seconds into the
        test; its slots are in order of time, then interviewer."""
        starts = to_local(self.timeline.meeting_reminded_at(reminded_at))
        employer = self.make.employer()
        return self.make.session(employer, day=starts.date(), start=starts.time(),
                                 end=(starts + timedelta(minutes=10 * slots)).time(), interviewers=interviewers,
                                 closes_hours=0)

    def book(self, session, slot_index: int = 0, *, name: str, late: bool = False) -> Person:
        """A candidate books the slot, a day before the test (or now, after the reminder time: late)."""
        candidate = self.make.candidate(completed=[self.course], name=name)
        booked_at = utcnow() if late else self.timeline.start - timedelta(days=1)
        result = book_slots(candidate, [session.slots[slot_index].id], by=candidate.user, now=booked_at)
        db.session.commit()
        assert len(result.booked) == 1
        return person(candidate.user)


def assert_each_message_arrived_once(inbox: Inbox) -> int:
    """Every outbox row was sent and arrived exactly once; nothing is left to send; how many there were."""
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert {row.message_id: row.status for row in rows if row.status != OutboxStatus.SENT} == {}
    assert Counter(m.message_id for m in inbox.received()) == Counter({row.message_id: 1 for row in rows})
    duplicates = db.session.execute(
        select(SentNotice.kind, SentNotice.object_id, SentNotice.recipient_id, SentNotice.meeting_at, func.count())
        .group_by(SentNotice.kind, SentNotice.object_id, SentNotice.recipient_id, SentNotice.meeting_at)
        .having(func.count() > 1)).all()
    assert duplicates == []
    return len(rows)


def assert_reminders_arrived_once(inbox: Inbox, candidates: list[Person], employers: dict[Person, list[Person]],
                                  not_reminded: list[Person]) -> None:
    """Each candidate's reminder, and each employer's listing every booked candidate, arrived exactly once."""
    to_candidate, to_employer = reminder_subjects()
    for candidate in candidates:
        assert len(inbox.by_subject(candidate.email, to_candidate)) == 1, candidate
    for employer, booked in employers.items():
        [message] = inbox.by_subject(employer.email, to_employer)
        listed = [line.partition("  ")[2] for line in message.text.splitlines() if re.match(r"\d\d:\d\d  ", line)]
        assert listed == [c.name for c in booked], employer
    for candidate in not_reminded:
        assert inbox.by_subject(candidate.email, to_candidate) == [], candidate
    reminders = [m for m in inbox.received() if m.subject in (to_candidate, to_employer)]
    assert len(reminders) == len(candidates) + len(employers)
    assert db.session.scalar(select(func.count()).select_from(SentNotice).where(
        SentNotice.kind.contains("reminder"))) == len(candidates) + len(employers)  # not the day's retention run


def all_arrived(inbox: Inbox, candidates: list[Person], employers: Iterable[Person]) -> Callable[[], bool]:
    to_candidate, to_employer = reminder_subjects()
    return lambda: (all(inbox.by_subject(c.email, to_candidate) for c in candidates)
                    and all(inbox.by_subject(e.email, to_employer) for e in employers))


def no_failures(scheduler: Scheduler) -> None:
    log = scheduler.log()
    assert "Scheduler running" in log
    assert " ERROR " not in log, log
    assert "Traceback" not in log, log


def test_two_schedulers_running_together_send_every_reminder_exactly_once(make, timeline, inbox, start_scheduler):
    world = World(make, timeline)
    # Due when the schedulers start: Amina's reminder; the employer's lists Amina, Omar (at the same time with
    # the other interviewer, booked after his reminder time, so he gets none) and Lone (20 minutes later, whose
    # own reminder is due after the test).
    running = world.session(-30, slots=3, interviewers=2)
    amina = world.book(running, 0, name="Amina Hassan")
    omar = world.book(running, 1, name="Omar Ali", late=True)
    lone = world.book(running, 4, name="Lone Nielsen")
    # Due while they run.
    soon, later = world.session(8), world.session(16)
    peter = world.book(soon, name="Peter Jensen")
    karin = world.book(later, name="Karin Madsen")
    employers = {person(running.created_by): [amina, omar, lone], person(soon.created_by): [peter],
                 person(later.created_by): [karin]}
    candidates = [amina, peter, karin]

    schedulers = [start_scheduler(), start_scheduler()]
    wait_until(all_arrived(inbox, candidates, employers), schedulers, "reminders")
    wait_for_more_runs(schedulers, REMINDER_JOBS)  # in which a duplicate would show
    assert [scheduler.stop() for scheduler in schedulers] == [0, 0]

    assert_reminders_arrived_once(inbox, candidates, employers, not_reminded=[omar, lone])
    assert_each_message_arrived_once(inbox)
    for scheduler in schedulers:
        no_failures(scheduler)


def test_a_scheduler_stopped_and_started_again_loses_nothing_and_repeats_nothing(make, timeline, inbox,
                                                                                  start_scheduler):
    world = World(make, timeline)
    before = world.session(-30)
    amina = world.book(before, name="Amina Hassan")
    first_employer = person(before.created_by)
    inbox.delay = 0.3  # the first scheduler is still sending when it is stopped

    first = start_scheduler()
    wait_until(inbox.received, [first], "message")
    assert first.stop() == 0  # Ctrl+C in the middle of a delivery pass, which it finishes
    inbox.delay = 0.0
    # The second reminder falls due while no scheduler runs: its meeting (booked a day ago, as the first) is
    # placed now, its reminder due a second from now however long the first scheduler took, and that time passes.
    reminded_at = math.ceil(-timeline.seconds_left(0)) + 1
    during_stop = world.session(reminded_at)
    peter = world.book(during_stop, name="Peter Jensen")
    second_employer = person(during_stop.created_by)
    wait_until(lambda: timeline.seconds_left(reminded_at) < 0, [], "the second reminder time")
    assert inbox.by_subject(peter.email, reminder_subjects()[0]) == [], "no scheduler runs: nothing sends it"
    second = start_scheduler()
    wait_until(all_arrived(inbox, [amina, peter], [first_employer, second_employer]), [second], "reminders")
    wait_for_more_runs([second], REMINDER_JOBS)
    assert second.stop() == 0

    assert_reminders_arrived_once(inbox, [amina, peter], {first_employer: [amina], second_employer: [peter]},
                                  not_reminded=[])
    assert_each_message_arrived_once(inbox)
    no_failures(first)
    no_failures(second)


def meeting_time(message: Received) -> str:
    """The hours and minutes of the meeting a candidate's reminder is about, from its line "Tid: …"."""
    line = next(line for line in message.text.splitlines() if line.startswith("Tid: "))
    return re.search(r"kl\. (\d\d:\d\d)–", line).group(1)


def test_a_session_moved_after_its_reminder_is_reminded_of_once_more_at_its_new_time_by_two_schedulers(
        make, timeline, inbox, start_scheduler):
    world = World(make, timeline)
    session = world.session(-90)  # its reminder was due a minute and a half ago
    session_id, old_start = session.id, session.starts_at
    amina = world.book(session, name="Amina Hassan")
    employer = person(session.created_by)
    to_candidate, to_employer = reminder_subjects()

    schedulers = [start_scheduler(), start_scheduler()]
    wait_until(all_arrived(inbox, [amina], [employer]), schedulers, "the reminders for the first time")
    # The employer moves the session so that its reminder falls due again two seconds from now.
    now = utcnow()
    reminded_at = math.ceil((now - timeline.start).total_seconds()) + 2
    new_start = to_local(timeline.meeting_reminded_at(reminded_at))
    session = db.session.get(InterviewSession, session_id)
    move_session(session, new_start.date(), new_start.time(), by=session.created_by, now=now)
    release_database()
    wait_until(lambda: len(inbox.by_subject(amina.email, to_candidate)) == 2
               and len(inbox.by_subject(employer.email, to_employer)) == 2, schedulers,
               "the reminders for the new time")
    wait_for_more_runs(schedulers, REMINDER_JOBS)  # in which a duplicate would show
    assert [scheduler.stop() for scheduler in schedulers] == [0, 0]

    before, after = inbox.by_subject(amina.email, to_candidate)
    assert [meeting_time(before), meeting_time(after)] == [formats.clock(old_start), formats.clock(new_start)]
    assert formats.clock(old_start) != formats.clock(new_start)
    assert f"{formats.clock(new_start)}  Amina Hassan" in inbox.by_subject(employer.email, to_employer)[1].text
    assert_each_message_arrived_once(inbox)  # the "session changed" e-mails too
    assert db.session.scalar(select(func.count()).select_from(SentNotice)
                             .where(SentNotice.kind.contains("reminder"))) == 4
    for scheduler in schedulers:
        no_failures(scheduler)


def rename_table(name: str, new_name: str) -> None:
    """Rename a table, with no transaction of the test's own in the way."""
    release_database()
    with db.engine.begin() as connection:
        connection.execute(text(f"ALTER TABLE {name} RENAME TO {new_name}"))


def test_a_failing_job_is_logged_without_personal_data_and_retried_on_its_next_run(make, timeline, inbox,
                                                                                 start_scheduler):
    world = World(make, timeline)
    session = world.session(-30)
    amina = world.book(session, name="Amina Hassan")
    employer = person(session.created_by)
    people = [amina, employer]
    # The outbox table is missing for a while (as when a release starts before its migration ran): the reminders
    # job fails while writing a message full of names and addresses, and so does the delivery job.
    rename_table("outbox_message", "outbox_message_away")

    scheduler = start_scheduler()
    try:
        wait_until(lambda: scheduler.log().count("job queue_reminders failed") >= 3, [scheduler], "failures")
    finally:
        rename_table("outbox_message_away", "outbox_message")
    wait_until(all_arrived(inbox, [amina], [employer]), [scheduler], "reminders")
    wait_for_more_runs([scheduler], REMINDER_JOBS)
    assert scheduler.stop() == 0

    assert_reminders_arrived_once(inbox, [amina], {employer: [amina]}, not_reminded=[])
    assert_each_message_arrived_once(inbox)
    log = scheduler.log()
    assert re.search(r"job queue_reminders failed: \w+Error\n", log)
    assert re.search(r"job deliver_outbox failed: \w+Error\n", log)
    assert "Traceback" not in log
    for someone in people:
        assert someone.email not in log
        assert someone.name not in log
    assert "@" not in log
