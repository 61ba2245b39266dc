"""Browser tests: Debian's Chromium, driven by Playwright, using the real app over HTTP.

Every site here is its own database, copied from one demo database:
- Once per test run, a template database gets the migrations and `flask demo-data`'s demo organisation.
- Each live server (werkzeug in a thread, CSRF on as in production) gets a fresh copy of that template: on SQLite a
  file copied with SQLite's backup API, on PostgreSQL (MATCHAPP_TEST_DATABASE_URL) a database created with
  `CREATE DATABASE … TEMPLATE …` beside the test database, and dropped afterwards. The `app` fixture of the other
  tests truncates its tables after each test; these databases are never touched by it, and it never sees these.
- The accessibility crawl shares one site (it submits forms that fail, saves a profile and books a time for a
  candidate and for the consultant's candidate per language); each story test gets a site of its own, so
  stories cannot see each other or the crawl.
"""
from __future__ import annotations

import itertools
import os
import re
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from conftest import database_url, test_settings
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import update
from sqlalchemy.engine import make_url
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from matchapp import create_app
from matchapp.demo import DEMO_PASSWORD
from matchapp.extensions import db
from matchapp.models import User

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Where the story tests save their screenshots: instance/screenshots (not committed), or the README's own copies
# with MATCHAPP_SCREENSHOT_DIR=docs/screenshots.
SCREENSHOTS = ROOT / os.environ.get("MATCHAPP_SCREENSHOT_DIR", "instance/screenshots")

CANDIDATE = "kandidat@matchapp.example"
EMPLOYER = "mette@hotel-norreport.example"
CONSULTANT = "konsulent@matchapp.example"
ADMIN = "admin@matchapp.example"
LOCALES = {"da": "da-DK", "en": "en-GB"}

# Playwright's waits: pages of a local server answer in well under a second.
expect.set_options(timeout=10_000)


def _read_to_the_end(app: Flask):
    """The app, each answer read and closed before the server sends it. Werkzeug's development server skips closing
    an answer when the browser drops the connection while it is sent (a tab closed while a stylesheet loads), which
    leaves the static file open: a ResourceWarning, an error under filterwarnings = error, in whichever test comes
    next. The app's answers are small, so reading them whole costs nothing."""

    def wsgi(environ, start_response):
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            if hasattr(answer, "close"):
                answer.close()

    return wsgi


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # pytest shows failures; the request log would only be noise
        pass


@dataclass
class Site:
    """A running app on its own database."""

    url: str
    app: Flask

    @contextmanager
    def data(self) -> Iterator[None]:
        """An app context for reading or changing this site's database from the test."""
        with self.app.app_context():
            yield
            db.session.remove()

    def set_language(self, email: str, language: str) -> None:
        """A signed-in user's pages come in their own language (as the language switch remembers it)."""
        with self.data():
            db.session.execute(update(User).where(User.email == email).values(language=language))
            db.session.commit()


class Databases:
    """Copies of one template database, on SQLite files or on the PostgreSQL server of the test database."""

    def __init__(self, tmp_path_factory):
        self.url = make_url(database_url(tmp_path_factory))
        self.folder = tmp_path_factory.mktemp("browser")
        self.counter = itertools.count()
        self.template = self._name("demo")

    def _name(self, label: str) -> str:
        if self.url.get_backend_name() == "sqlite":
            return str(self.folder / f"{label}.sqlite")
        return f"{self.url.database}_browser_{label}"

    def url_of(self, name: str) -> str:
        if self.url.get_backend_name() == "sqlite":
            return f"sqlite:///{name}"
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _admin(self):
        server = self.url.set(drivername="postgresql")
        return psycopg.connect(server.render_as_string(hide_password=False), autocommit=True)

    def create_template(self) -> str:
        if self.url.get_backend_name() != "sqlite":
            with self._admin() as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{self.template}"')
        return self.url_of(self.template)

    def copy(self) -> str:
        """A new database with the template's contents."""
        name = self._name(f"site{next(self.counter)}")
        if self.url.get_backend_name() == "sqlite":
            with sqlite3.connect(self.template) as source, sqlite3.connect(name) as target:
                source.backup(target)
            source.close()
            target.close()
        else:
            with self._admin() as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return name

    def drop(self, name: str) -> None:
        if self.url.get_backend_name() == "sqlite":
            for path in Path(name).parent.glob(Path(name).name + "*"):
                path.unlink()
        else:
            with self._admin() as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_site(databases: Databases) -> Iterator[Site]:
    """The app, CSRF on, on a fresh copy of the demo database, served on a free port in a thread."""
    name = databases.copy()
    app = create_app(test_settings(databases.url_of(name), WTF_CSRF_ENABLED=True))
    server: BaseWSGIServer = make_server("127.0.0.1", 0, _read_to_the_end(app), threaded=True,
                                         request_handler=_QuietHandler)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url  # the address in e-mailed links
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield Site(url, app)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        with app.app_context():
            db.engine.dispose()
        databases.drop(name)


# The profiles a test opened, closed when it ends (conftest.py): each keeps renderer processes alive, whose timers
# would otherwise take the machine's CPU from the tests after it.
OPENED: list[BrowserContext] = []


def new_context(browser: Browser, *, language: str = "da", width: int = 1280, height: int = 900, keep: bool = False,
                **options) -> BrowserContext:
    """A fresh browser profile that prefers the language (Accept-Language) and has a window of that width; closed at
    the end of the test unless `keep` (a fixture that outlives the test closes it)."""
    context = browser.new_context(locale=LOCALES[language], viewport={"width": width, "height": height},
                                  **options)
    context.set_default_timeout(10_000)
    if not keep:
        OPENED.append(context)
    return context


def sign_in(page: Page, site: Site, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in on the sign-in page as a person does: type the e-mail and password, press the button."""
    page.goto(f"{site.url}/login")
    form = page.locator("main form").filter(has=page.locator("input[type=password]"))
    form.locator("input[name=email]").fill(email)
    form.locator("input[type=password]").fill(password)
    form.locator("button[type=submit]").click()
    expect(page.locator("nav.app-nav")).to_be_visible()


def mailed_link(page: Page, site: Site, email: str, path: str) -> str:
    """The newest link to `path` e-mailed to this address, read on the admin's mailbox page (the outbox)."""
    page.goto(f"{site.url}/admin/mailbox")
    page.locator("main li").filter(has_text=email).first.locator("a").click()  # one page per message
    match = re.search(rf"{re.escape(site.url)}{re.escape(path)}\S+", page.locator("main pre").inner_text())
    assert match, f"no link to {path} in the newest e-mail to {email}"
    return match.group(0)


def screenshot(page: Page, name: str, top: str = "h1") -> None:
    """Save the page as <name>.png in SCREENSHOTS: the window, scrolled to `top`, to stay small."""
    page.locator(top).first.evaluate("element => element.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), animations="disabled", caret="hide")
