"""Requests per second of the pages candidates and employers open most, each as a share of a bare "hello".

Builds a throwaway database with the migrations and the demo data, starts gunicorn (2 sync workers) on a free port
serving the app plus a bare WSGI "hello" (benchmarks/pages_wsgi.py), signs in as the demo candidate and employer,
and keeps 8 connections busy on each page in turn for a few seconds. Prints req/s, the share of hello's req/s and
the workers' CPU time per request. It prints figures and asserts none; see benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import requests
from flask import url_for
from flask_migrate import upgrade
from sqlalchemy import select
from throwaway import database_url, empty_database

from matchapp import create_app
from matchapp.demo import DEMO_PASSWORD, load_demo_data
from matchapp.extensions import db
from matchapp.models import InterviewSession, Role, User
from matchapp.services import accounts

ROOT = Path(__file__).resolve().parent.parent
MARKER_EMAIL = "pages-benchmark@bench.example"  # marks a database this script filled, which it may empty again
CANDIDATE_EMAIL = "kandidat@matchapp.example"
EMPLOYER_EMAIL = "mette@hotel-norreport.example"
HELLO_PATH = "/__hello"  # served by benchmarks/pages_wsgi.py, not by the app
TIMEOUT = 30


@dataclass
class Page:
    name: str
    path: str
    cookie: str | None = None  # the signed-in user's session cookie, "name=value"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("MATCHAPP_DATABASE_URL"),
                        help="default: $MATCHAPP_DATABASE_URL, else an SQLite file in the temporary directory")
    parser.add_argument("--seconds", type=float, default=5, help="seconds of load on each page (default 5)")
    parser.add_argument("--connections", type=int, default=8, help="requests in flight (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's sync workers (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="times each page is measured, in turns (default 3)")
    return parser.parse_args()


def fill_database(app) -> dict[str, str]:
    """The demo data, a calendar feed address for the candidate; the paths of the pages to measure."""
    with app.app_context():
        empty_database(MARKER_EMAIL)
        upgrade()
        load_demo_data()
        now = datetime.now(UTC)
        db.session.add(User(email=MARKER_EMAIL, name="Pages benchmark", role=Role.ADMIN, active=False, created_at=now))
        token = accounts.new_calendar_token(accounts.find_user(CANDIDATE_EMAIL), now=now)
        employer = accounts.find_user(EMPLOYER_EMAIL)
        session_id = db.session.scalar(select(InterviewSession.id).where(
            InterviewSession.employer_id == employer.employer_id, InterviewSession.starts_at > now)
            .order_by(InterviewSession.starts_at))
        db.session.commit()
        with app.test_request_context():
            return {"pick": url_for("candidate.find"), "meetings": url_for("candidate.meetings"),
                    "employer": url_for("employer.dashboard"),
                    "session": url_for("employer.session", session_id=session_id),
                    "feed": url_for("calendar.feed", token=token)}


def start_server(url: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn on a free port (port 0: the kernel picks one and gunicorn logs it) once a worker answers."""
    env = {**os.environ, "MATCHAPP_DATABASE_URL": url, "MATCHAPP_SECRET_KEY": "pages-benchmark",
           "MATCHAPP_RATELIMIT_ENABLED": "0"}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", "127.0.0.1:0",
             "--pythonpath", "benchmarks", "--timeout", str(TIMEOUT), "--no-control-socket", "pages_wsgi:app"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    deadline, address = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", log.read_text())
        address = found.group(1) if found else None
        if address:
            try:
                if requests.get(f"{address}{HELLO_PATH}", timeout=2).status_code == 200:
                    return process, address
            except requests.RequestException:
                pass  # the workers are still starting
        time.sleep(0.1)
    process.kill()
    sys.exit(f"gunicorn did not answer within 30 s:\n{log.read_text()}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def sign_in(address: str, email: str) -> str:
    """Sign in through the login form (CSRF on); the session cookie as "name=value"."""
    with requests.Session() as browser:
        page = browser.get(f"{address}/login", timeout=TIMEOUT)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        browser.post(f"{address}/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD},
                     timeout=TIMEOUT)
        cookies = browser.cookies.get_dict()
    name = next((n for n in cookies if n.endswith("session")), None)
    if name is None:
        sys.exit(f"Signing in as {email} failed.")
    return f"{name}={cookies[name]}"


def check(address: str, page: Page) -> int:
    """Request the page once as its user: it must answer 200 without a redirect; its size in bytes."""
    headers = {"Cookie": page.cookie} if page.cookie else {}
    response = requests.get(f"{address}{page.path}", headers=headers, timeout=TIMEOUT, allow_redirects=False)
    if response.status_code != 200:
        sys.exit(f"GET {page.path} ({page.name}) answered {response.status_code}.")
    return len(response.content)


def hammer(port: int, request: bytes, deadline: float) -> tuple[int, int]:
    """Send the request over and over on one connection at a time until the deadline; (answered 200, other)."""
    ok = other = 0
    while time.monotonic() < deadline:
        # gunicorn's sync workers close each connection after one answer (no keep-alive), as with wrk.
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(request)
            first = sock.recv(65536)
            while sock.recv(65536):
                pass
        if first[9:12] == b"200":
            ok += 1
        else:
            other += 1
    return ok, other


def cpu_seconds(master: int) -> float:
    """User and system CPU time of gunicorn's master and workers so far."""
    ticks = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # the process ended meanwhile
        if int(entry.name) == master or int(fields[1]) == master:  # fields[1]: the parent's pid
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(pool, address: str, master: int, page: Page, seconds: float, connections: int) -> tuple[float, float]:
    """Requests per second with `connections` in flight, and the server's CPU milliseconds per request."""
    port = int(address.rpartition(":")[2])
    cookie = f"Cookie: {page.cookie}\r\n" if page.cookie else ""
    request = (f"GET {page.path} HTTP/1.1\r\nHost: {address.removeprefix('http://')}\r\n{cookie}"
               f"Connection: close\r\n\r\n").encode()
    pool.starmap(hammer, [(port, request, time.monotonic() + min(1.0, seconds / 5))] * connections)  # warm-up
    cpu_before, started = cpu_seconds(master), time.monotonic()
    results = pool.starmap(hammer, [(port, request, started + seconds)] * connections)
    elapsed, cpu = time.monotonic() - started, cpu_seconds(master) - cpu_before
    ok, other = map(sum, zip(*results, strict=True))
    if other:
        sys.exit(f"GET {page.path} ({page.name}): {other} answers other than 200 under load.")
    return ok / elapsed, cpu * 1000 / ok


def main() -> None:
    args = parse_args()
    # The load generator's processes are forked before anything opens a database connection.
    pool = multiprocessing.get_context("fork").Pool(args.connections)
    url = database_url(args.database_url, "matchapp-bench-pages.sqlite")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "pages-benchmark", "RATELIMIT_ENABLED": False,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        print(f"database: {db.engine.dialect.name} ({db.engine.url.render_as_string(hide_password=True)})")
    paths = fill_database(app)
    with tempfile.TemporaryDirectory() as folder:
        process, address = start_server(url, args.workers, Path(folder) / "gunicorn.log")
        try:
            candidate, employer = sign_in(address, CANDIDATE_EMAIL), sign_in(address, EMPLOYER_EMAIL)
            pages = [Page("candidate: pick page (find conversations)", paths["pick"], candidate),
                     Page('candidate: "Mine møder"', paths["meetings"], candidate),
                     Page('employer: start page ("Our sessions")', paths["employer"], employer),
                     Page("employer: a session's page", paths["session"], employer),
                     Page("calendar feed (candidate's token)", paths["feed"]),
                     Page("/healthz", "/healthz"), Page("front page (signed out)", "/"),
                     Page("bare hello (WSGI, no Flask)", HELLO_PATH)]
            sizes = {page.name: check(address, page) for page in pages}
            print(f"gunicorn -w {args.workers} (sync) at {address}; {args.connections} connections, "
                  f"{args.seconds:g} s per page, {args.rounds} rounds; load average "
                  + " ".join(f"{load:.1f}" for load in os.getloadavg()))
            rates: dict[str, list[float]] = {page.name: [] for page in pages}
            cpu: dict[str, list[float]] = {page.name: [] for page in pages}
            for _round in range(args.rounds):
                for page in pages:
                    rate, cpu_ms = measure(pool, address, process.pid, page, args.seconds, args.connections)
                    rates[page.name].append(rate)
                    cpu[page.name].append(cpu_ms)
        finally:
            stop_server(process)
            pool.terminate()
    hello = statistics.median(rates[pages[-1].name])
    print(f"\n| page | path | req/s (median) | range of {args.rounds} | % of hello | server CPU ms/request | bytes |")
    print("|---|---|---|---|---|---|---|")
    for page in pages:
        median = statistics.median(rates[page.name])
        path = re.sub(r"/feed/[^/]+\.ics", "/feed/<token>.ics", page.path)
        print(f"| {page.name} | `{path}` | {median:,.0f} | {min(rates[page.name]):,.0f}–{max(rates[page.name]):,.0f} "
              f"| {100 * median / hello:.1f} % | {statistics.median(cpu[page.name]):.2f} | {sizes[page.name]:,} |")
    print("load average after: " + " ".join(f"{load:.1f}" for load in os.getloadavg()))


if __name__ == "__main__":
    main()
