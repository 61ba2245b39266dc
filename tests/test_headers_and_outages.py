"""Security headers and cookies on every answer, and the site's own 503 page while the database is down."""
from __future__ import annotations

import re
from pathlib import Path

import conftest
import pytest
from pages import count, danish, text
from sqlalchemy.engine import make_url

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import OutboxMessage
from matchapp.services import accounts
from matchapp.services import booking as booking_service

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
UNREACHABLE_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:1/matchapp"
UNAVAILABLE = "matchapp is not available right now"


def assert_security_headers(response) -> None:
    """The headers every answer carries: a CSP that allows only the site's own files, no framing, no sniffing."""
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'none'"
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response.headers["Permissions-Policy"]
    assert {"camera=()", "microphone=()", "geolocation=()"} <= {p.strip() for p in permissions.split(",")}
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin")


def test_a_public_page_carries_every_security_header_and_is_not_stored(client):
    response = client.get("/")

    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Referrer-Policy"] == "same-origin"  # other sites are not told where a visitor was
    assert response.headers["Cache-Control"] == "no-store"  # the page holds its session's CSRF token
    assert "Strict-Transport-Security" not in response.headers  # served over http


def test_error_pages_carry_the_headers_too(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert_security_headers(response)


def test_a_signed_in_persons_pages_are_never_stored(client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    auth.login(consultant)

    for path in ("/consultant/", f"/consultant/candidates/{candidate.id}", "/consultant/dashboard"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


@pytest.mark.parametrize("path", ["/link/a-secret-sign-in-token", "/password/a-secret-reset-token"])
def test_a_page_with_a_secret_in_its_address_never_passes_it_on(client, path):
    response = client.get(path)

    assert_security_headers(response)
    # The origin only, even to the site itself (its styles and scripts): the token never travels in a Referer.
    assert response.headers["Referrer-Policy"] == "strict-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_csv_downloads_are_never_stored(client, auth, make):
    auth.login(make.consultant())

    response = client.get("/consultant/dashboard/funnel.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_calendar_downloads_and_the_feed_are_never_stored(app, client, auth, make):
    course = make.course()
    candidate = make.candidate(completed=[course])
    session = make.session(courses=[course])
    booking = booking_service.book_slots(candidate, [session.slots[0].id], by=candidate.user, now=utcnow()).booked[0]
    token = accounts.new_calendar_token(candidate.user, now=utcnow())
    db.session.commit()

    feed = app.test_client().get(f"/calendar/feed/{token}.ics")
    auth.login(candidate.user)
    download = client.get(f"/calendar/bookings/{booking.id}.ics")

    for response in (feed, download):
        assert response.status_code == 200
        assert response.mimetype == "text/calendar"
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"
    assert feed.headers["Referrer-Policy"] == "strict-origin"  # the feed's address is its secret


def test_static_files_keep_being_cached_by_the_browser(client):
    response = client.get("/static/app.css")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_the_page_templates_have_no_inline_script_style_or_event_handler():
    """The CSP allows no inline code; the browser crawl proves the pages work under it, this says where not to
    start (e-mail templates are not pages)."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.I)
    found = [f"{path.relative_to(TEMPLATES)}: {match.group(0)}" for path in TEMPLATES.rglob("*.html")
             if "mail" not in path.parts for match in inline.finditer(path.read_text())]

    assert found == []


@pytest.fixture
def https_app(db_url, monkeypatch):
    """The app as deployed on an https address."""
    with monkeypatch.context() as env:
        env.setenv("MATCHAPP_BASE_URL", "https://matchapp.kk.dk")
        https_app = create_app(conftest.test_settings(db_url))
    with https_app.app_context():
        yield https_app
        db.session.remove()
        db.engine.dispose()


def test_hsts_is_sent_when_the_site_is_served_over_https(https_app, app, client):
    assert https_app.test_client().get("/").headers["Strict-Transport-Security"] == \
        "max-age=31536000; includeSubDomains"
    # Over http (a development server) browsers would ignore it: not sent.
    assert "Strict-Transport-Security" not in client.get("/").headers
    assert "Strict-Transport-Security" in client.get("/", base_url="https://localhost").headers


def test_a_client_cannot_claim_https_without_a_trusted_proxy(client):
    response = client.get("/", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in response.headers


def test_hsts_is_sent_when_a_trusted_proxy_says_the_request_came_over_https(db_url, monkeypatch):
    monkeypatch.setenv("MATCHAPP_TRUSTED_PROXIES", "1")
    behind_proxy = create_app(conftest.test_settings(db_url))

    response = behind_proxy.test_client().get("/", headers={"X-Forwarded-Proto": "https",
                                                            "X-Forwarded-For": "192.0.2.7"})
    with behind_proxy.app_context():
        db.engine.dispose()

    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def session_cookie_header(response) -> str:
    cookies = [value for name, value in response.headers.items() if name == "Set-Cookie"]
    assert len(cookies) == 1, cookies
    return cookies[0]


def test_on_https_the_session_cookie_is_secure_and_host_only(https_app, make):
    email = make.consultant().email
    db.session.rollback()  # this test's transaction on SQLite would hold the lock the other app's sign-in needs
    client = https_app.test_client()

    response = client.post("/login", data={"email": email, "password": conftest.PASSWORD},
                           base_url="https://matchapp.kk.dk")

    assert response.status_code == 302
    cookie = session_cookie_header(response)
    assert cookie.startswith("__Host-session=")
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes
    assert "domain" not in attributes
    assert "Path=/;" in cookie or cookie.endswith("Path=/")
    assert "SameSite=Lax" in cookie
    assert client.get("/consultant/", base_url="https://matchapp.kk.dk").status_code == 200


def test_on_http_the_session_cookie_keeps_its_plain_name(client, make):
    response = client.post("/login", data={"email": make.consultant().email, "password": conftest.PASSWORD})

    cookie = session_cookie_header(response)
    assert cookie.startswith("session=")
    assert "Secure" not in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_secure_cookies_can_be_asked_for_behind_a_proxy_that_speaks_http(db_url, monkeypatch):
    monkeypatch.setenv("MATCHAPP_SECURE_COOKIES", "1")

    config = create_app(conftest.test_settings(db_url)).config

    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_NAME"] == "__Host-session"


# Outages: the database cannot be reached, cannot be opened, or refuses writes.

@pytest.fixture
def outage_app():
    """Apps on a database that is not there (exceptions handled as in production, not raised to the test)."""
    made = []

    def make_app(url: str):
        made.append(create_app(conftest.test_settings(url, PROPAGATE_EXCEPTIONS=False)))
        return made[-1]

    yield make_app
    for each in made:
        with each.app_context():
            db.engine.dispose()


def read_only(url: str) -> str:
    """The same database, opened read-only: SQLite's mode=ro, PostgreSQL's default_transaction_read_only."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"sqlite:///file:{parsed.database}?mode=ro&uri=true"
    return parsed.update_query_dict({"options": "-c default_transaction_read_only=on"}).render_as_string(
        hide_password=False)


@pytest.fixture(params=["postgresql-unreachable", "sqlite-cannot-be-opened"])
def down_url(request, tmp_path) -> str:
    if request.param == "postgresql-unreachable":
        return UNREACHABLE_POSTGRESQL
    return f"sqlite:///{tmp_path / 'no-such-folder' / 'matchapp.sqlite'}"


def carry_session(from_client, to_app):
    """A client of another app with the first client's session cookie: the same browser, during the outage."""
    name = to_app.config["SESSION_COOKIE_NAME"]
    to_client = to_app.test_client()
    to_client.set_cookie(name, from_client.get_cookie(name).value)
    return to_client


def assert_unavailable_page(response, language: str = "en") -> None:
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Internal Server Error" not in response.text
    assert f'lang="{language}"' in response.text
    assert (UNAVAILABLE if language == "en" else danish(UNAVAILABLE)) in text(response.text)
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(("path", "data"), [
    ("/login", {"email": "someone@example.dk", "password": "a long password"}),
    ("/link", {"email": "someone@example.dk"}),
    ("/password/forgot", {"email": "someone@example.dk"}),
])
def test_with_the_database_down_a_visitors_form_gets_the_sites_own_503_page(app, outage_app, down_url, path, data):
    client = outage_app(down_url).test_client()

    assert_unavailable_page(client.post(path, data=data, headers={"Accept-Language": "en"}), "en")
    assert_unavailable_page(client.post(path, data=data, headers={"Accept-Language": "da"}), "da")
    # Pages that need no database still show.
    assert client.get("/tilgaengelighed").status_code == 200
    assert client.get("/healthz").status_code == 503


def test_with_the_database_down_a_signed_in_person_gets_the_503_page_in_their_language(client, auth, make,
                                                                                       outage_app, down_url):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    auth.login(consultant)
    client.post("/language", data={"language": "en", "next": "/consultant/"})
    browser = carry_session(client, outage_app(down_url))

    for path in ("/", "/consultant/", "/consultant/dashboard", f"/consultant/candidates/{candidate.id}",
                 "/tilgaengelighed", "/no-such-page"):
        # The language chosen in this browser, although the browser itself prefers Danish.
        assert_unavailable_page(browser.get(path, headers={"Accept-Language": "da"}), "en")


def test_a_change_sent_while_the_database_is_down_gets_the_503_page(client, auth, make, outage_app, down_url):
    auth.login(make.candidate().user)
    browser = carry_session(client, outage_app(down_url))

    response = browser.post("/candidate/profile", data={"pitch": "Jeg kan Excel."})

    assert_unavailable_page(response, "da")


def test_a_read_only_database_makes_healthz_answer_503(client, db_url, outage_app):
    outbox_before = count(OutboxMessage)
    assert client.get("/healthz").status_code == 200
    assert count(OutboxMessage) == outbox_before  # the write it tries is rolled back

    response = outage_app(read_only(db_url)).test_client().get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_a_change_sent_to_a_read_only_database_gets_the_503_page(client, auth, make, db_url, outage_app):
    auth.login(make.candidate().user)
    browser = carry_session(client, outage_app(read_only(db_url)))

    response = browser.post("/language", data={"language": "en", "next": "/"})

    assert_unavailable_page(response, "da")
