"""Fixtures of the browser tests: the demo database, live sites on copies of it, and Chromium (see live.py)."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import test_settings
from flask_migrate import upgrade
from playwright.sync_api import Browser, sync_playwright

from browser.live import AXE, CHROMIUM, OPENED, Databases, Site, running_site
from matchapp import create_app
from matchapp.demo import load_demo_data
from matchapp.extensions import db


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[Databases]:
    """The demo organisation in a template database (migrations, then `flask demo-data`), dropped at the end."""
    databases = Databases(tmp_path_factory)
    app = create_app(test_settings(databases.create_template()))
    with app.app_context():
        upgrade()
        assert load_demo_data()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    yield databases
    databases.drop(databases.template)


@pytest.fixture
def site(databases) -> Iterator[Site]:
    """A site of the test's own."""
    with running_site(databases) as site:
        yield site


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"The browser tests need Debian's Chromium at {CHROMIUM}: sh tests/browser/chromium.sh installs it",
                    pytrace=False)
    if not AXE.exists():
        pytest.fail(f"The browser tests need axe-core at {AXE}: npm ci", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def close_contexts() -> Iterator[None]:
    """Close the browser profiles the test opened (browser.live.new_context), with their tabs and processes."""
    yield
    while OPENED:
        OPENED.pop().close()
