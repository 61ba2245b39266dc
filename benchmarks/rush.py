"""A rush on the booking form: N candidates confirm at M slots, C at a time, against gunicorn, on SQLite or PostgreSQL.

Fills a database built by the migrations through the app's services (employers with published sessions of M slots
in all, candidates who completed the sessions' course), starts gunicorn (4 workers of 2 threads, CSRF on) on a free
port, signs every candidate in through the login form and reads their pick page, then fires the N confirms with C
in flight, each exactly as the page's form posts it. It prints the bookings confirmed, the slots booked more than
once (counted in the database; must be 0), the 5xx answers and the confirm's p50/p95/p99, and separately those of
the result page the confirm redirects to. It prints figures and asserts none; see benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from datetime import time as clock
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import requests
from flask_migrate import upgrade
from sqlalchemy import func, select
from throwaway import database_url, empty_database

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import Booking, BookingStatus, MeetingMode, Role, TargetGroup, User
from matchapp.services import accounts, catalogue, sessions

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "rush-benchmark-password"
ADMIN_EMAIL = "rush-admin@bench.example"  # marks a database this script filled, which it may empty again
SLOTS_PER_SESSION = 10  # 10-minute slots, one interviewer: each slot is its own time
TIMEOUT = 60  # seconds for any one request


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("MATCHAPP_DATABASE_URL"),
                        help="default: $MATCHAPP_DATABASE_URL, else an SQLite file in the temporary directory")
    parser.add_argument("--attempts", type=int, default=1000, help="confirms, one per candidate (default 1,000)")
    parser.add_argument("--slots", type=int, default=100, help="slots in all, 10 a session (default 100)")
    parser.add_argument("--in-flight", type=int, default=50, help="confirms in flight at once (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker (default 2)")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


def valid_cvr(seed: int) -> str:
    """The first 8-digit number from seed*10 on that passes the modulus-11 check."""
    return next(str(n) for n in range(seed * 10, seed * 10 + 100) if accounts.cvr_is_valid(str(n)))


def fill(attempts: int, slots: int) -> list[str]:
    """Employers with published sessions of `slots` slots in all, tomorrow, and `attempts` candidates who completed
    the sessions' course, all made through the services as the app's own pages would. Returns the candidates'
    e-mail addresses."""
    now = utcnow()
    admin = User(email=ADMIN_EMAIL, name="Admin", role=Role.ADMIN, created_at=now)
    db.session.add(admin)
    jobcenter = catalogue.create_jobcenter("Jobcenter Rush", by=admin, now=now)
    course = catalogue.create_course("Kursus Rush", "", by=admin, now=now)
    today = date.today()
    run = catalogue.create_course_run(course, jobcenter, today - timedelta(days=30), today - timedelta(days=1),
                                      by=admin, now=now)
    tomorrow = datetime.now(LOCAL_TZ).date() + timedelta(days=1)
    left, n = slots, 0
    while left > 0:
        n += 1
        count = min(SLOTS_PER_SESSION, left)
        member = accounts.register_employer(accounts.EmployerRegistration(
            organisation=f"Virksomhed {n} ApS", cvr=valid_cvr(1000000 + 10 * n), address="Vej 1, 2300 København S",
            name=f"Chef {n}", email=f"chef{n}@bench.example", phone=None, password=PASSWORD), now=now)
        member.active = True  # as if they had followed the e-mailed link that finishes a registration
        accounts.approve_employer(member.employer, by=admin, now=now)
        end = (datetime.combine(tomorrow, clock(9)) + timedelta(minutes=10 * count)).time()
        draft = sessions.SessionDraft(
            title="Receptionist", description="", course_ids=[course.id], local_date=tomorrow, start_time=clock(9),
            end_time=end, slot_minutes=10, break_minutes=0, interviewers=1, mode=MeetingMode.VIDEO,
            video_url="https://meet.example.dk/rush", address=None, booking_closes_hours=2)
        sessions.publish_session(sessions.create_session(draft, by=member, now=now), by=member, now=now)
        left -= count
    password_hash = accounts.hash_password(PASSWORD)  # one hash for all: argon2 is slow on purpose
    emails = []
    for i in range(1, attempts + 1):
        candidate = accounts.create_candidate(accounts.CandidateData(
            name=f"Kandidat {i}", email=f"kandidat{i}@bench.example", phone=None, jobcenter_id=jobcenter.id,
            target_group=TargetGroup.JOB_READY, consultant_id=None), created_by=admin, now=now)
        candidate.user.password_hash = password_hash
        catalogue.record_completion(candidate, run, now - timedelta(days=1), by=admin, now=now)
        emails.append(candidate.user.email)
        if i % 200 == 0:
            db.session.commit()
    db.session.commit()
    return emails


class PageForm(HTMLParser):
    """The fields of the page's own form (method post, no action): hidden values and the radio buttons' choices."""

    def __init__(self, html: str):
        super().__init__()
        self.inside = self.done = False
        self.hidden: dict[str, str] = {}
        self.choices: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.done and attrs.get("method") == "post" and "action" not in attrs:
            self.inside = True
        elif tag == "input" and self.inside:
            if attrs.get("type") == "hidden":
                self.hidden[attrs["name"]] = attrs.get("value") or ""
            elif attrs.get("type") == "radio":
                self.choices.setdefault(attrs["name"], []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside, self.done = False, True


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def start_server(url: str, workers: int, threads: int, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free port (the kernel picks it, gunicorn logs it), CSRF on, rate limits off; its address once a
    worker answers /healthz."""
    env = {**os.environ, "MATCHAPP_DATABASE_URL": url, "MATCHAPP_SECRET_KEY": "rush-benchmark",
           "MATCHAPP_RATELIMIT_ENABLED": "0"}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads), "--bind",
             "127.0.0.1:0", "--timeout", str(TIMEOUT), "--graceful-timeout", "5", "--no-control-socket", "wsgi:app"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline, address = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
        address = found.group(1) if found else None
        if address:
            try:
                if requests.get(f"{address}/healthz", timeout=2).status_code == 200:
                    return process, address
            except requests.RequestException:
                pass  # the workers are still starting
        time.sleep(0.1)
    process.kill()
    sys.exit(f"gunicorn did not answer within 60 s:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def prepare(address: str, email: str, target: int) -> tuple[requests.Session, dict]:
    """Sign in through the login form, read the pick page and fill in its form as a person would: one time in one
    session (the target-th free time on offer), "no time here" in the others."""
    browser = requests.Session()
    page = browser.get(f"{address}/login", timeout=TIMEOUT)
    response = browser.post(f"{address}/login", data={"csrf_token": csrf_token(page.text), "email": email,
                                                      "password": PASSWORD}, timeout=TIMEOUT)
    if response.url != f"{address}/candidate/":
        sys.exit(f"{email} was not signed in (ended on {response.url})")
    form, page_number = PageForm(response.text), 1
    offered = [(name, v) for name, values in form.choices.items() for v in values if name.startswith("slot-") and v]
    while target >= len(offered):  # the pick page shows 20 sessions a page
        page_number += 1
        later = PageForm(browser.get(f"{address}/candidate/?page={page_number}", timeout=TIMEOUT).text)
        more = [(n, v) for n, values in later.choices.items() for v in values if n.startswith("slot-") and v]
        if not more:
            sys.exit(f"the pick page offers {len(offered)} times; expected more than {target}")
        target -= len(offered)
        form, offered = later, more
    name, value = offered[target]
    data = {**form.hidden, **{n: "" for n in form.choices if n.startswith("slot-")}, name: value, "action": "book"}
    browser.close()  # a fresh connection for the rush: a kept-alive one may be closed by the server mid-send
    return browser, data


def percentiles(times: list[float]) -> str:
    if len(times) < 2:
        return "n/a"
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return f"p50 {cuts[49]:.0f} / p95 {cuts[94]:.0f} / p99 {cuts[98]:.0f} ms (max {max(times):.0f})"


def main() -> None:
    args = parse_args()
    url = database_url(args.database_url, "matchapp-rush.sqlite")
    # Passwords hashed at a low argon2 cost (a hash carries its own cost, and the server verifies at that cost), so
    # that signing in 1,000 candidates takes seconds rather than minutes; the confirm never hashes a password.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "rush-benchmark", "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 8192, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        empty_database(ADMIN_EMAIL)
        upgrade()
        started = time.perf_counter()
        emails = fill(args.attempts, args.slots)
        dialect = db.engine.dialect.name
        print(f"filled in {time.perf_counter() - started:.1f} s: {args.attempts} candidates, {args.slots} slots in "
              f"{-(-args.slots // SLOTS_PER_SESSION)} sessions ({dialect})")
        db.session.remove()
        db.engine.dispose()
    rng = random.Random(args.seed)
    targets = [i % args.slots for i in range(args.attempts)]  # as many attempts at each slot
    rng.shuffle(targets)
    log = Path(tempfile.gettempdir()) / f"matchapp-rush-{os.getpid()}.log"
    process, address = start_server(url, args.workers, args.threads, log)
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(args.in_flight) as pool:
            prepared = list(pool.map(lambda pair: prepare(address, *pair), zip(emails, targets, strict=True)))
        print(f"{args.attempts} sign-ins and pick pages in {time.perf_counter() - started:.1f} s "
              f"({args.in_flight} in flight; not timed below)")
        confirm_ms, result_ms, statuses, failures = [], [], [], []
        lock = threading.Lock()
        load_before = os.getloadavg()

        def attempt(browser_and_form: tuple[requests.Session, dict]) -> None:
            browser, data = browser_and_form
            try:
                sent = time.perf_counter()
                answer = browser.post(f"{address}/candidate/", data=data, timeout=TIMEOUT, allow_redirects=False)
                answered = time.perf_counter()
                page = None
                if answer.is_redirect:
                    page = browser.get(urljoin(answer.url, answer.headers["Location"]), timeout=TIMEOUT)
                shown = time.perf_counter()
            except (requests.RequestException, KeyError) as error:
                with lock:
                    failures.append(repr(error))
                return
            with lock:
                confirm_ms.append((answered - sent) * 1000)
                statuses.append(answer.status_code)
                if page is not None:
                    result_ms.append((shown - answered) * 1000)
                    statuses.append(page.status_code)

        started = time.perf_counter()
        with ThreadPoolExecutor(args.in_flight) as pool:
            list(pool.map(attempt, prepared))
        burst = time.perf_counter() - started
        load_after = os.getloadavg()
    finally:
        stop_server(process)
    with app.app_context():
        confirmed = db.session.scalar(select(func.count()).select_from(Booking)
                                      .where(Booking.status == BookingStatus.CONFIRMED))
        per_slot = (select(Booking.slot_id).where(Booking.status == BookingStatus.CONFIRMED)
                    .group_by(Booking.slot_id).having(func.count() > 1).subquery())
        overbooked = db.session.scalar(select(func.count()).select_from(per_slot))
        db.session.remove()
    trouble = [t for t in ("Traceback", "database is locked", "deadlock", "WORKER TIMEOUT", "[ERROR]")
               if t in log.read_text()]
    print(f"{args.attempts} confirms at {args.slots} slots, {args.in_flight} in flight, gunicorn -w {args.workers} "
          f"--threads {args.threads}, {dialect}: answered in {burst:.1f} s "
          f"({args.attempts / burst:.0f} confirms/s)")
    print(f"confirmed bookings: {confirmed}")
    print(f"overbooked slots: {overbooked}")
    print(f"5xx answers: {sum(1 for s in statuses if s >= 500)}; failed requests: {len(failures)}"
          + (f" (first: {failures[0]})" if failures else ""))
    print(f"confirm POST: {percentiles(confirm_ms)}")
    print(f"result page (the redirect's target): {percentiles(result_ms)}")
    print(f"load average before / after the rush: {load_before[0]:.1f} / {load_after[0]:.1f} "
          f"({os.cpu_count()} cores)" + (f"; server log mentions: {', '.join(trouble)} ({log})" if trouble else ""))
    if not trouble:
        log.unlink()


if __name__ == "__main__":
    main()
