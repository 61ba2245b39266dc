"""Two app hosts and one scheduler on one PostgreSQL database, with the rate limits in Redis: a rush of candidates
through a round-robin load balancer still books each time once, and the one scheduler sends every e-mail once."""
from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import time as time_of_day
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import redis
import requests
import test_rate_limits
from conftest import PASSWORD, csrf_token
from flask_babel import force_locale
from pages import own_form
from sqlalchemy import func, select
from test_concurrency import _stop, _wait_for_server, rushing_candidates
from test_scheduler_processes import (  # noqa: F401 - inbox: the SMTP server fixture
    ROOT,
    Scheduler,
    inbox,
    no_failures,
    release_database,
    wait_for_more_runs,
    wait_until,
)

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import Booking, BookingStatus, OutboxMessage, OutboxStatus

pytestmark = pytest.mark.skipif(not os.environ.get("MATCHAPP_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="two app hosts share one PostgreSQL server; SQLite is a file on one machine")

redis_url = test_rate_limits.redis_url  # the test Redis (a fixture): the one CI runs, else a private redis-server
TIMEOUT = 60  # seconds at most for any one request, slow on a loaded machine; the test takes about 30 s
CANDIDATES_PER_SLOT = 6
BOOKED = "1 conversation is booked"
TAKEN = "Someone else booked these times a moment before you"


def _environment(**settings: str) -> dict[str, str]:
    """The test's environment without its MATCHAPP_* settings, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MATCHAPP_")}
    return {**env, **{f"MATCHAPP_{name}": value for name, value in settings.items()}, "PYTHONUNBUFFERED": "1"}


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this test's own in the test Redis; the keys counted under it are deleted afterwards."""
    store = redis.Redis.from_url(redis_url)
    prefix = f"test-two-hosts-{uuid.uuid4().hex}"
    yield prefix, lambda: list(store.scan_iter(match=f"*{prefix}*"))
    if keys := list(store.scan_iter(match=f"*{prefix}*")):
        store.delete(*keys)
    store.close()


@pytest.fixture
def hosts(app, db_url, tmp_path, redis_url, redis_prefix):
    """Two gunicorn instances (two ports, standing in for two hosts), each with 2 workers of 2 threads, CSRF on,
    configured as production would be: the same secret key, the same database, the rate limits in the same Redis,
    and one trusted reverse proxy in front. Their logs, by address; stopped at the end (before `app` empties the
    database)."""
    env = _environment(DATABASE_URL=db_url, SECRET_KEY="two-hosts-test", RATELIMIT_ENABLED="1",
                       RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_KEY_PREFIX=redis_prefix[0], TRUSTED_PROXIES="1")
    with ExitStack() as stack:
        started = []
        for number in (1, 2):
            log = tmp_path / f"host-{number}.log"
            with log.open("w") as stderr:
                process = subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "2", "--bind", "127.0.0.1:0",
                     "--timeout", str(TIMEOUT), "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"],
                    cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
            stack.callback(_stop, process)
            started.append((process, log))
        yield {_wait_for_server(process, log): log for process, log in started}


@pytest.fixture
def scheduler(app, db_url, inbox, tmp_path):  # noqa: F811
    """The one scheduler process, delivering to the inbox every second; stopped at the end."""
    release_database()
    started = Scheduler(tmp_path / "scheduler.log", _environment(
        DATABASE_URL=db_url, SECRET_KEY="two-hosts-test", SMTP_HOST="127.0.0.1", SMTP_PORT=str(inbox.port),
        SMTP_SECURITY="none", SMTP_TIMEOUT="10", SCHEDULER_OUTBOX_SECONDS="1"))
    yield started
    started.stop()


class RoundRobin:
    """Stands in for the load balancer at the one public address: every request, redirects included, goes to the
    next host in turn, and carries the client's address in X-Forwarded-For as the reverse proxy adds it."""

    def __init__(self, hosts):
        self._hosts = itertools.cycle(hosts)
        self._lock = threading.Lock()
        self.posts_to_book: Counter[str] = Counter()  # which host answered the booking form

    def next_host(self) -> str:
        with self._lock:
            return next(self._hosts)

    def request(self, browser: requests.Session, address: str, method: str, path: str, **form) -> requests.Response:
        """Send one request, then follow redirects through the balancer as a browser would; the last answer."""
        while True:
            host = self.next_host()
            if method == "POST" and path == "/candidate/":
                with self._lock:
                    self.posts_to_book[host] += 1
            # A new connection each time: a kept-alive one may be closed by the server just as a request is sent.
            response = browser.request(method, host + path, data=form or None, allow_redirects=False,
                                       headers={"X-Forwarded-For": address, "Connection": "close"}, timeout=TIMEOUT)
            assert response.status_code < 500, f"{method} {path} on {host}: {response.status_code}"
            if not response.is_redirect:
                return response
            location = urlsplit(response.headers["Location"])
            method, path, form = "GET", location.path + (f"?{location.query}" if location.query else ""), {}


def _sign_in_and_fill(balancer: RoundRobin, browser: requests.Session, address: str, email: str, field: str,
                      slot_id: int) -> dict[str, str]:
    """Sign in through the login form and return the pick page's own form with the chosen time ticked."""
    token = csrf_token(balancer.request(browser, address, "GET", "/login").text)
    page = balancer.request(browser, address, "POST", "/login", csrf_token=token, email=email, password=PASSWORD)
    assert urlsplit(page.url).path == "/candidate/", f"{email} was not signed in"
    pick = own_form(page.text)
    offered = {i["value"] for i in pick.inputs if i.get("name") == field and i.get("value")}
    assert str(slot_id) in offered, offered
    return {**pick.hidden(), "action": "book", field: str(slot_id)}


def _subject(template: str, language: str) -> str:
    with force_locale(language):
        return str(mail.SUBJECTS[template])


def test_a_rush_over_two_hosts_books_each_time_once_and_one_scheduler_sends_each_email_once(
        hosts, redis_prefix, scheduler, inbox, make):  # noqa: F811
    """Every request, sign-ins and redirects included, goes to the next of the two hosts in turn, as a round-robin
    load balancer sends them; the booking form's posts are split evenly between them."""
    # Three days ahead: no reminder falls due while the test runs.
    day = (utcnow().astimezone(LOCAL_TZ) + timedelta(days=3)).date()
    jobcenter, course = make.jobcenter(), make.course()
    session = make.session(day=day, start=time_of_day(10), end=time_of_day(11), slot_minutes=10)
    slot_ids = sorted(slot.id for slot in session.slots)
    employer = session.created_by.email
    emails, choice = rushing_candidates(make, slot_ids, CANDIDATES_PER_SLOT, jobcenter=jobcenter, course=course)
    field = f"slot-{session.id}"
    release_database()
    balancer = RoundRobin(list(hosts))
    address = {cid: f"10.1.{cid // 250}.{cid % 250 + 1}" for cid in emails}  # each candidate's own machine

    with ExitStack() as stack:
        browsers = {cid: stack.enter_context(requests.Session()) for cid in emails}
        with ThreadPoolExecutor(8) as pool:
            forms = dict(zip(emails, pool.map(
                lambda cid: _sign_in_and_fill(balancer, browsers[cid], address[cid], emails[cid], field, choice[cid]),
                emails), strict=True))
        barrier = threading.Barrier(len(forms))
        answers: dict[int, requests.Response | Exception] = {}

        def book(cid: int) -> None:
            try:
                barrier.wait(timeout=TIMEOUT)
                answers[cid] = balancer.request(browsers[cid], address[cid], "POST", "/candidate/", **forms[cid])
            except Exception as error:  # reported by the assertions below
                answers[cid] = error

        threads = [threading.Thread(target=book, args=(cid,)) for cid in forms]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=TIMEOUT + 5)
        print(f"\n{len(forms)} simultaneous bookings over two hosts answered in {time.monotonic() - started:.1f} s")

    failures = {cid: a for cid, a in answers.items() if not isinstance(a, requests.Response)}
    assert not failures, failures
    assert len(answers) == len(emails)
    assert all(urlsplit(a.url).path == "/candidate/booked" for a in answers.values())
    # The rush was spread evenly over both hosts.
    assert balancer.posts_to_book == dict.fromkeys(hosts, len(emails) // 2)
    winners = {cid for cid, a in answers.items() if BOOKED in a.text and TAKEN not in a.text}
    losers = {cid for cid, a in answers.items() if TAKEN in a.text and BOOKED not in a.text}
    assert len(winners) == len(slot_ids)
    assert losers == set(emails) - winners

    bookings = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)).all()
    assert sorted(b.slot_id for b in bookings) == slot_ids  # exactly one booking per time
    assert Counter(b.candidate_id for b in bookings) == dict.fromkeys(winners, 1)  # each winner once
    assert all(choice[b.candidate_id] == b.slot_id for b in bookings)

    def everything_sent() -> bool:
        db.session.rollback()  # a fresh snapshot each time
        return (not db.session.scalars(select(OutboxMessage).where(OutboxMessage.status != OutboxStatus.SENT)).all()
                and len(inbox.received()) >= db.session.scalar(select(func.count()).select_from(OutboxMessage)))

    wait_until(everything_sent, [scheduler], "delivery of every e-mail")
    wait_for_more_runs([scheduler], ["deliver_outbox"])  # in which a duplicate would show
    assert scheduler.stop() == 0
    no_failures(scheduler)

    rows = db.session.scalars(select(OutboxMessage)).all()
    assert Counter(m.message_id for m in inbox.received()) == Counter({row.message_id: 1 for row in rows})
    booked_subject = _subject("booking_confirmed", "en")
    to_candidates = Counter(m.recipient for m in inbox.received() if m.subject == booked_subject)
    assert to_candidates == {emails[cid]: 1 for cid in winners}
    assert len(inbox.by_subject(employer, _subject("booking_confirmed", "da"))) == len(slot_ids)
    db.session.rollback()

    _, keys = redis_prefix
    assert keys(), "the sign-ins were not counted in Redis"
    for log in hosts.values():
        text = log.read_text()
        for trouble in ("Traceback", "deadlock", "WORKER TIMEOUT", "[ERROR]"):
            assert trouble not in text, text
