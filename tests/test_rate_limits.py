"""Rate limits on signing in, links, registration and password reset: per client address and per account, keyed on
the real client address behind trusted proxies, answered with the site's own page, and shared by all workers."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import conftest
import pytest
import redis
import requests
from conftest import csrf_token
from limits import parse_many
from pages import danish
from test_concurrency import _stop, _wait_for_server

from matchapp import create_app
from matchapp.extensions import db
from matchapp.web.auth import limits

ROOT = Path(__file__).resolve().parent.parent
# A database of its own on the Redis that CI runs; each run counts under its own key prefix besides.
REDIS_URL = os.environ.get("MATCHAPP_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")
TIMEOUT = 60  # seconds at most for any one request: a loaded machine answers slowly
PROXY = "10.0.0.2"  # the reverse proxy's own address, as the app's socket sees it


def per_minute(limit: str) -> int:
    """How many attempts a minute a limit such as "5 per minute; 20 per hour" lets through."""
    return next(item.amount for item in parse_many(limit) if item.get_expiry() == 60)


def email(account: int, spelling: int = 0) -> str:
    """An account's e-mail address, typed in one of several ways (case and spaces) that all mean the same."""
    typed = f"person{account}@example.dk"
    return [typed, typed.upper(), f"  {typed.title()} "][spelling % 3]


def token(account: int) -> str:
    return f"{account:04d}-" + "x" * 40


@dataclass(frozen=True)
class Guarded:
    """A form behind the rate limits: its limits, and what an attempt on an account posts where."""

    name: str
    limits: tuple[str, str]
    url: Callable[[int], str]
    data: Callable[[int, int], dict]

    def __str__(self) -> str:
        return self.name


GUARDED = [
    Guarded("sign-in", limits.SIGN_IN, lambda a: "/login",
            lambda a, s: {"email": email(a, s), "password": "not the password"}),
    Guarded("link request", limits.LINK_REQUEST, lambda a: "/link", lambda a, s: {"email": email(a, s)}),
    Guarded("link use", limits.LINK_USE, lambda a: f"/link/{token(a)}", lambda a, s: {}),
    Guarded("registration confirmation", limits.LINK_USE, lambda a: f"/register/confirm/{token(a)}",
            lambda a, s: {}),
    Guarded("registration", limits.REGISTRATION, lambda a: "/register",
            lambda a, s: {"email": email(a, s), "organisation": "Bageriet ApS", "cvr": "12345674"}),
    Guarded("password forgot", limits.PASSWORD_FORGOT, lambda a: "/password/forgot",
            lambda a, s: {"email": email(a, s)}),
    Guarded("password reset", limits.PASSWORD_RESET, lambda a: f"/password/{token(a)}",
            lambda a, s: {"password": "a new long password", "confirm": "a new long password"}),
]


@pytest.fixture
def limited_client(app, db_url):
    """Build a test client of an app with its rate limits on, counted in memory, behind `trusted_proxies` proxies.

    It depends on `app`, which is built first: the limiter is one object that each new app configures.
    """
    built = []

    def build(*, trusted_proxies: int = 0, storage: str = "memory://"):
        limited_app = create_app(conftest.test_settings(
            db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=storage, TRUSTED_PROXIES=trusted_proxies))
        built.append(limited_app)
        return limited_app.test_client()

    yield build
    for limited_app in built:
        with limited_app.app_context():
            db.session.remove()
            db.engine.dispose()


def attempt(client, guarded: Guarded, account: int, *, spelling: int = 0, address: str = "198.51.100.7",
            forwarded_for: str | None = None, language: str = "en"):
    """One POST of the guarded form from a client address (the socket's), optionally through a proxy's header."""
    headers = {"Accept-Language": language}
    if forwarded_for is not None:
        headers["X-Forwarded-For"] = forwarded_for
    return client.post(guarded.url(account), data=guarded.data(account, spelling), headers=headers,
                       environ_base={"REMOTE_ADDR": address})


def assert_refused_as_too_many(response, language: str = "en") -> None:
    """A 429 on the site's own error page, in the user's language."""
    assert response.status_code == 429
    title = "Too many attempts" if language == "en" else danish("Too many attempts")
    assert f"<h1>{title}</h1>" in response.text
    assert f'<html lang="{language}"' in response.text


@pytest.mark.parametrize("guarded", GUARDED, ids=str)
def test_one_address_trying_many_accounts_is_stopped_at_its_per_address_limit(limited_client, guarded):
    client = limited_client()
    allowed = per_minute(guarded.limits[0])
    answers = [attempt(client, guarded, account).status_code for account in range(allowed)]
    assert 429 not in answers, answers
    assert all(status < 500 for status in answers), answers

    assert_refused_as_too_many(attempt(client, guarded, allowed))
    assert attempt(client, guarded, allowed + 1, address="198.51.100.8").status_code != 429, \
        "another address was stopped too"


@pytest.mark.parametrize("guarded", GUARDED, ids=str)
def test_many_addresses_trying_one_account_are_stopped_at_its_per_account_limit(limited_client, guarded):
    # The attacker changes address for every attempt (behind the deployment's proxy, which reports each one)
    # and types the e-mail address in different ways.
    client = limited_client(trusted_proxies=1)
    allowed = per_minute(guarded.limits[1])
    answers = [attempt(client, guarded, 7, spelling=i, address=PROXY, forwarded_for=f"203.0.113.{i}").status_code
               for i in range(allowed)]
    assert 429 not in answers, answers

    fresh_address = "203.0.113.200"
    assert_refused_as_too_many(attempt(client, guarded, 7, spelling=allowed, address=PROXY,
                                       forwarded_for=fresh_address))
    assert attempt(client, guarded, 8, address=PROXY, forwarded_for=fresh_address).status_code != 429, \
        "another account was stopped too"


def test_behind_a_trusted_proxy_each_client_has_its_own_bucket_not_the_proxys(limited_client):
    client = limited_client(trusted_proxies=1)
    sign_in = GUARDED[0]
    allowed = per_minute(sign_in.limits[0])
    for account in range(allowed):
        assert attempt(client, sign_in, account, address=PROXY, forwarded_for="203.0.113.5").status_code != 429
    assert_refused_as_too_many(attempt(client, sign_in, allowed, address=PROXY, forwarded_for="203.0.113.5"))

    assert attempt(client, sign_in, allowed + 1, address=PROXY, forwarded_for="203.0.113.6").status_code != 429


@pytest.mark.parametrize(("trusted_proxies", "forwarded_for"), [
    (0, lambda i: f"192.0.2.{i}"),  # no proxy: the client's own header is ignored
    (1, lambda i: f"192.0.2.{i}, 203.0.113.5"),  # the client's header, with the proxy's entry for it appended
], ids=["no proxy", "through the proxy"])
def test_a_client_sending_its_own_x_forwarded_for_does_not_get_a_new_bucket(limited_client, trusted_proxies,
                                                                             forwarded_for):
    client = limited_client(trusted_proxies=trusted_proxies)
    sign_in = GUARDED[0]
    address = PROXY if trusted_proxies else "203.0.113.5"
    allowed = per_minute(sign_in.limits[0])
    for account in range(allowed):
        response = attempt(client, sign_in, account, address=address, forwarded_for=forwarded_for(account))
        assert response.status_code != 429
    assert_refused_as_too_many(attempt(client, sign_in, allowed, address=address,
                                       forwarded_for=forwarded_for(allowed)))


@pytest.mark.parametrize("language", ["da", "en"])
def test_too_many_attempts_get_the_sites_own_page_in_the_users_language(limited_client, language):
    client = limited_client()
    link_request = GUARDED[1]
    for _ in range(per_minute(link_request.limits[1])):
        attempt(client, link_request, 3, language=language)
    assert_refused_as_too_many(attempt(client, link_request, 3, language=language), language)


def test_with_redis_unreachable_sign_in_still_answers_and_is_still_limited(limited_client):
    # Nothing listens on port 9 (discard) here: every worker counts in its own memory until Redis is back.
    client = limited_client(storage="redis://127.0.0.1:9/0")
    sign_in = GUARDED[0]
    allowed = per_minute(sign_in.limits[1])
    answers = [attempt(client, sign_in, 1).status_code for _ in range(allowed)]
    assert answers == [200] * allowed
    assert_refused_as_too_many(attempt(client, sign_in, 1))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The test Redis: the one CI runs (MATCHAPP_TEST_REDIS_URL), else a private redis-server started for the run."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.ConnectionError:
        pass
    else:
        yield REDIS_URL
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(f"The rate-limit tests need Redis: none answers at {REDIS_URL} and redis-server is not installed "
                    "(apt-get install redis-server).")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
                                "--dir", str(tmp_path_factory.mktemp("redis"))],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/7"
    try:
        deadline = time.monotonic() + 60  # redis-server starts in well under a second, slower on a loaded machine
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                assert process.poll() is None, f"redis-server exited with {process.returncode}"
                assert time.monotonic() < deadline, f"redis-server did not answer at {url} within 60 s"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def redis_prefix(redis_url):
    """A key prefix of this run's own in the test Redis database, emptied before and after."""
    store = redis.Redis.from_url(redis_url)
    prefix = f"test-rate-limits-{uuid.uuid4().hex}"

    def keys() -> list[bytes]:
        return list(store.scan_iter(match=f"*{prefix}*"))

    if stale := keys():
        store.delete(*stale)
    yield prefix, keys
    if keys():
        store.delete(*keys())
    store.close()


@pytest.fixture
def two_workers(app, db_url, tmp_path, redis_url, redis_prefix):
    """gunicorn with two worker processes sharing the Redis rate-limit store; it logs which worker answered what.

    It depends on `app` so that it stops before `app` empties the database.
    """
    log, access_log = tmp_path / "gunicorn.log", tmp_path / "access.log"
    env = {**os.environ, "MATCHAPP_DATABASE_URL": db_url, "MATCHAPP_SECRET_KEY": "rate-limit-test",
           "MATCHAPP_RATELIMIT_ENABLED": "1", "MATCHAPP_RATELIMIT_STORAGE_URI": redis_url,
           "MATCHAPP_RATELIMIT_KEY_PREFIX": redis_prefix[0]}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", "127.0.0.1:0", "--timeout", str(TIMEOUT),
             "--graceful-timeout", "5", "--no-control-socket", "--access-logfile", str(access_log),
             "--access-logformat", "%(p)s %(s)s %(m)s %(U)s", "wsgi:app"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        yield _wait_for_server(process, log), access_log
    finally:
        _stop(process)


def test_two_gunicorn_workers_share_one_sign_in_bucket_in_redis(two_workers, redis_prefix, make):
    url, access_log = two_workers
    address = make.candidate().user.email
    db.session.commit()  # before the threads: the test's transaction would hold SQLite's write lock
    allowed = per_minute(limits.SIGN_IN[1])
    browsers = 6
    statuses: list[int | Exception] = []

    def workers_answering() -> Counter:
        """How many sign-in attempts each worker process answered, from gunicorn's access log."""
        return Counter(re.findall(r"^<(\d+)> \d+ POST /login$", access_log.read_text(), flags=re.M))

    with ExitStack() as stack:
        sessions = [stack.enter_context(requests.Session()) for _ in range(browsers)]
        tokens = [csrf_token(browser.get(f"{url}/login", timeout=TIMEOUT).text) for browser in sessions]

        def guess(browser: requests.Session, token: str, barrier: threading.Barrier) -> None:
            try:
                barrier.wait(timeout=TIMEOUT)
                statuses.append(browser.post(f"{url}/login", timeout=TIMEOUT, headers={"Connection": "close"},
                                             data={"csrf_token": token, "email": address, "password": "a guess"}
                                             ).status_code)
            except Exception as error:  # reported by the assertions below
                statuses.append(error)

        # Rounds of simultaneous attempts, each on a new connection, until both workers have answered some and
        # there were more than twice the limit: two buckets of their own would let up to twice the limit through.
        for _ in range(20):
            barrier = threading.Barrier(browsers)
            threads = [threading.Thread(target=guess, args=(browser, token, barrier))
                       for browser, token in zip(sessions, tokens, strict=True)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=TIMEOUT + 5)
            answered = workers_answering()
            if len(statuses) > 2 * allowed and len(answered) == 2 and min(answered.values()) >= 2:
                break

    assert all(isinstance(status, int) for status in statuses), statuses
    assert len(workers_answering()) == 2, f"not both workers answered: {access_log.read_text()}"
    assert Counter(statuses) == {200: allowed, 429: len(statuses) - allowed}

    _, keys = redis_prefix
    stored = keys()
    assert stored, "nothing was counted in Redis"
    assert not any(address.lower().encode() in key.lower() for key in stored), stored
