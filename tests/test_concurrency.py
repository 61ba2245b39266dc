"""Fifty candidates press "Book" at the same moment, against a real server with several worker processes."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import time as time_of_day
from pathlib import Path

import pytest
import requests
from conftest import PASSWORD, csrf_token
from pages import own_form
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import Booking, BookingStatus, InterviewSession

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds at most for any one request, slow on a loaded machine; the test takes a few seconds
START_SECONDS = 120  # at most, for gunicorn to answer: its workers start slowly on a loaded machine
CANDIDATES_PER_SLOT = 10
TAKEN = "Someone else booked these times a moment before you"
BOOKED = "1 conversation is booked"


@dataclass
class Server:
    url: str
    log: Path


def _stop(process: subprocess.Popen) -> None:
    """Stop gunicorn: gracefully, then by force after ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_for_server(process: subprocess.Popen, log: Path) -> str:
    """The server's address once gunicorn listens and a worker answers /healthz."""
    deadline = time.monotonic() + START_SECONDS
    url = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        if url is None:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
            url = found.group(1) if found else None
        if url is not None:
            try:
                if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except requests.RequestException:
                pass  # the workers are still starting
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not answer within {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture
def server(app, db_url, tmp_path):
    """gunicorn with 4 worker processes of 2 threads each on the test database, CSRF on; stopped afterwards.

    It depends on `app` so that it stops before `app` empties the database.
    """
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "MATCHAPP_DATABASE_URL": db_url, "MATCHAPP_SECRET_KEY": "concurrency-test",
           "MATCHAPP_RATELIMIT_ENABLED": "0"}
    with log.open("w") as stderr:
        # Port 0: the kernel picks a free port and gunicorn logs which one.
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "4", "--threads", "2", "--bind", "127.0.0.1:0",
             "--timeout", str(TIMEOUT), "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield Server(_wait_for_server(process, log), log)
    finally:
        _stop(process)


def _sign_in(browser: requests.Session, url: str, email: str) -> str:
    """Sign in through the login form and return the CSRF token of the find page."""
    page = browser.get(f"{url}/login", timeout=TIMEOUT)
    response = browser.post(f"{url}/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                                  "password": PASSWORD}, timeout=TIMEOUT)
    assert response.url == f"{url}/candidate/", f"{email} was not signed in"
    return csrf_token(response.text)


def rushing_candidates(make, slot_ids: list[int], per_slot: int, *, jobcenter,
                       course) -> tuple[dict[int, str], dict[int, int]]:
    """`per_slot` candidates for each slot, reading English, who all choose at once: each one's e-mail address and
    the slot they choose, by candidate id."""
    emails, choice = {}, {}
    for i in range(len(slot_ids) * per_slot):
        candidate = make.candidate(jobcenter=jobcenter, completed=[course])
        candidate.user.language = "en"  # assert on the English texts, whatever translations exist
        emails[candidate.id], choice[candidate.id] = candidate.user.email, slot_ids[i % len(slot_ids)]
    return emails, choice


def test_fifty_candidates_booking_five_slots_at_once_get_five_bookings_and_45_clear_answers(server, make):
    jobcenter, course = make.jobcenter(), make.course()
    session = make.session(start=time_of_day(10), end=time_of_day(10, 50), slot_minutes=10)
    slot_ids = [slot.id for slot in sorted(session.slots, key=lambda s: s.starts_at)]
    assert len(slot_ids) == 5
    emails, choice = rushing_candidates(make, slot_ids, CANDIDATES_PER_SLOT, jobcenter=jobcenter, course=course)
    field = f"slot-{session.id}"
    # End the test's own transaction: outside a request it holds SQLite's write lock (BEGIN IMMEDIATE).
    db.session.commit()
    barrier = threading.Barrier(len(emails))
    answers: dict[int, requests.Response | Exception] = {}

    def book(candidate_id: int, browser: requests.Session, token: str) -> None:
        form = {"csrf_token": token, "action": "book", field: str(choice[candidate_id])}
        try:
            barrier.wait(timeout=TIMEOUT)
            answers[candidate_id] = browser.post(f"{server.url}/candidate/", data=form, timeout=TIMEOUT)
        except Exception as error:  # reported by the assertions below
            answers[candidate_id] = error

    with ExitStack() as stack:
        started = time.monotonic()
        browsers = {cid: stack.enter_context(requests.Session()) for cid in emails}
        tokens = {cid: _sign_in(browsers[cid], server.url, email) for cid, email in emails.items()}
        for browser in browsers.values():
            # Each booking opens a new connection: one kept alive since sign-in may be closed by the server
            # just as the request is sent (HTTP keep-alive's own race, not the app's).
            browser.close()
        signed_in = time.monotonic()
        threads = [threading.Thread(target=book, args=(cid, browsers[cid], tokens[cid])) for cid in emails]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
        burst = time.monotonic() - signed_in

    failures = {cid: a for cid, a in answers.items() if not isinstance(a, requests.Response)}
    assert not failures, failures
    assert len(answers) == len(emails)
    statuses = [r.status_code for a in answers.values() for r in (*a.history, a)]
    assert all(status < 500 for status in statuses), statuses
    assert all(a.url == f"{server.url}/candidate/booked" for a in answers.values())
    winners = {cid for cid, a in answers.items() if BOOKED in a.text and TAKEN not in a.text}
    losers = {cid for cid, a in answers.items() if TAKEN in a.text and BOOKED not in a.text}
    print(f"\n{db.engine.dialect.name}: {len(emails)} sign-ins in {signed_in - started:.1f} s; "
          f"{len(emails)} simultaneous bookings answered in {burst:.1f} s: {len(winners)} booked, "
          f"{len(losers)} told the time was taken, statuses {sorted(set(statuses))}")
    assert len(winners) == len(slot_ids)
    assert len(losers) == len(emails) - len(slot_ids)

    bookings = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).all()
    assert sorted(b.slot_id for b in bookings) == slot_ids
    assert {b.candidate_id for b in bookings} == winners
    assert all(choice[b.candidate_id] == b.slot_id for b in bookings)
    db.session.rollback()

    log = server.log.read_text()
    for trouble in ("Traceback", "database is locked", "deadlock", "WORKER TIMEOUT", "[ERROR]"):
        assert trouble not in log, log


# --- Rule 0: candidates choose a time; the app gives each a free interviewer at that time --------------------------

def _signed_in(server: Server, emails: dict[int, str], stack: ExitStack) -> dict[int, requests.Session]:
    """A browser per candidate, signed in through the login form."""
    browsers = {}
    for cid, email in emails.items():
        browsers[cid] = stack.enter_context(requests.Session())
        _sign_in(browsers[cid], server.url, email)
    return browsers


def _rush(server: Server, browsers: dict[int, requests.Session], wanted: dict[int, str],
          session: InterviewSession) -> tuple[dict, float]:
    """Every candidate reads the pick page and, all at the same moment, submits its own form with the value the
    page offers for the wanted local time ("HH:MM"). Returns the answers by candidate and the burst's seconds."""
    field = f"slot-{session.id}"
    clock = {str(slot.id): f"{to_local(slot.starts_at):%H:%M}" for slot in session.slots}
    db.session.rollback()  # SQLite: release the write lock (BEGIN IMMEDIATE) before the server needs it
    forms = {}
    for cid, browser in browsers.items():
        pick = own_form(browser.get(f"{server.url}/candidate/", timeout=TIMEOUT).text)
        offered = {clock[i["value"]]: i["value"] for i in pick.inputs if i.get("name") == field and i.get("value")}
        forms[cid] = {**pick.hidden(), "action": "book", field: offered[wanted[cid]]}
        browser.close()  # a fresh connection for the rush, as in the test above
    barrier = threading.Barrier(len(forms))
    answers: dict[int, requests.Response | Exception] = {}

    def submit(candidate_id: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            answers[candidate_id] = browsers[candidate_id].post(f"{server.url}/candidate/", data=forms[candidate_id],
                                                                timeout=TIMEOUT)
        except Exception as error:  # reported by _answered
            answers[candidate_id] = error

    started = time.monotonic()
    threads = [threading.Thread(target=submit, args=(cid,)) for cid in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)
    return answers, time.monotonic() - started


def _answered(server: Server, answers: dict, count: int) -> tuple[set[int], set[int]]:
    """Who was told "booked" and who "taken", after checking that everyone got a page and never a 5xx."""
    failures = {cid: a for cid, a in answers.items() if not isinstance(a, requests.Response)}
    assert not failures, failures
    assert len(answers) == count
    statuses = [r.status_code for a in answers.values() for r in (*a.history, a)]
    assert all(status < 500 for status in statuses), statuses
    assert all(a.url == f"{server.url}/candidate/booked" for a in answers.values())
    return ({cid for cid, a in answers.items() if BOOKED in a.text and TAKEN not in a.text},
            {cid for cid, a in answers.items() if TAKEN in a.text and BOOKED not in a.text})


def _confirmed_in(session: InterviewSession) -> list[Booking]:
    return list(db.session.scalars(select(Booking).where(Booking.session_id == session.id,
                                                         Booking.status == BookingStatus.CONFIRMED)))


def test_candidates_rushing_for_times_each_get_a_free_interviewer_and_never_share_one(server, make):
    jobcenter, course = make.jobcenter(), make.course()
    one_time = make.session(start=time_of_day(10), end=time_of_day(10, 30), slot_minutes=10, interviewers=3)
    every_time = make.session(start=time_of_day(13), end=time_of_day(13, 40), slot_minutes=10, interviewers=3)
    times = ["13:00", "13:10", "13:20", "13:30"]
    emails = {}
    for _ in range(12):
        candidate = make.candidate(jobcenter=jobcenter, completed=[course])
        candidate.user.language = "en"  # assert on the English texts, whatever translations exist
        emails[candidate.id] = candidate.user.email
    # End the test's own transaction: outside a request it holds SQLite's write lock (BEGIN IMMEDIATE).
    db.session.commit()
    with ExitStack() as stack:
        browsers = _signed_in(server, emails, stack)

        # All twelve choose 10:00, where three interviewers are free: three get it, nine are told it is taken.
        answers, burst = _rush(server, browsers, dict.fromkeys(browsers, "10:00"), one_time)
        winners, losers = _answered(server, answers, len(browsers))
        bookings = _confirmed_in(one_time)
        print(f"\n{db.engine.dialect.name}: 12 candidates choosing one time with 3 interviewers, answered in "
              f"{burst:.1f} s: {len(winners)} booked, on interviewers {sorted(b.slot.lane for b in bookings)}, "
              f"{len(losers)} told the time was taken")
        assert len(winners) == 3
        assert len(losers) == 9
        assert {b.candidate_id for b in bookings} == winners
        assert sorted(b.slot.lane for b in bookings) == [1, 2, 3]
        assert {f"{to_local(b.slot.starts_at):%H:%M}" for b in bookings} == {"10:00"}
        assert all("Book 10:10 instead" in answers[cid].text for cid in losers)  # the nearest time really free

        # Then three of them for each time of the afternoon session, all at once: a race lost on one interviewer
        # must end with the next one, so everybody gets the time they chose and every slot is booked once.
        wanted = {cid: times[i % len(times)] for i, cid in enumerate(browsers)}
        answers, burst = _rush(server, browsers, wanted, every_time)
        winners, losers = _answered(server, answers, len(browsers))
        bookings = _confirmed_in(every_time)
        print(f"{db.engine.dialect.name}: 12 candidates choosing 4 times with 3 interviewers, answered in "
              f"{burst:.1f} s: {len(winners)} booked, on {len({b.slot.lane for b in bookings})} interviewers, "
              f"{len(losers)} told the time was taken")
        assert winners == set(browsers)
        assert not losers
        assert sorted(b.slot_id for b in bookings) == sorted(slot.id for slot in every_time.slots)  # each once
        assert all(f"{to_local(b.slot.starts_at):%H:%M}" == wanted[b.candidate_id] for b in bookings)
        db.session.rollback()

    log = server.log.read_text()
    for trouble in ("Traceback", "database is locked", "deadlock", "WORKER TIMEOUT", "[ERROR]"):
        assert trouble not in log, log
