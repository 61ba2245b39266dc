"""The language switch on every page, remembered for signed-in users, and the accessibility statement."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask_babel import refresh
from pages import form, text
from sqlalchemy import select
from test_accounts import registration

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import OutboxMessage, User
from matchapp.services import accounts


def get(client, path: str, **kwargs):
    """GET a page. The `app` fixture keeps one app context for the whole test, where Flask-Babel keeps the first
    request's language; a browser's every request gets its own, so forget it first."""
    refresh()
    return client.get(path, **kwargs)


def switch(client, page: str, language: str):
    """Press the language switch on a page, as a browser would (with the page's hidden fields)."""
    switch_form = form(get(client, page).text, "/language")
    return client.post("/language", data={**switch_form.hidden(), "language": language})


def page_language(client, path: str) -> str:
    html = get(client, path).text
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_visitor_switches_to_english_and_back_and_stays_on_the_page(client):
    assert page_language(client, "/login") == "da"

    response = switch(client, "/login?next=x", "en")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=x"
    assert page_language(client, "/login") == "en"
    assert page_language(client, "/register") == "en", "the choice holds on every page"
    assert ">Dansk</button>" in get(client, "/login").text
    switch(client, "/login", "da")
    assert page_language(client, "/") == "da"


def test_the_browsers_language_is_the_default_until_the_switch_is_used(client):
    assert page_language(client.application.test_client(), "/") == "da"
    english_browser = get(client, "/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in english_browser


def test_a_signed_in_users_choice_is_saved_and_used_in_a_new_browser_and_in_e_mails(app, client, auth, make):
    candidate = make.candidate()
    auth.login(candidate.user)

    switch(client, "/candidate/profile", "en")

    assert db.session.get(User, candidate.user.id).language == "en"
    new_browser = app.test_client()
    new_browser.post("/login", data={"email": candidate.user.email, "password": "correct horse battery"})
    assert page_language(new_browser, "/candidate/profile") == "en"
    accounts.send_sign_in_link(candidate.user.email, now=utcnow())
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert message.subject == "Your sign-in link to matchapp"


def test_a_language_chosen_before_signing_in_becomes_the_users(client, make):
    employer = make.employer()
    switch(client, "/login", "en")

    client.post("/login", data={"email": employer.email, "password": "correct horse battery"})

    assert db.session.get(User, employer.id).language == "en"
    assert page_language(client, "/employer/") == "en"


def test_an_employer_who_registers_in_english_gets_english(client):
    switch(client, "/register", "en")
    get(client, "/register")  # the switch leads back to the form, in English
    client.post("/register", data=registration())

    user = db.session.scalar(select(User).where(User.email == "mette@hotel-norreport.example"))
    assert user is not None, "registered"
    assert user.language == "en"
    assert db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.recipient == user.email)) == (
        "Confirm your registration in matchapp"), "the e-mail that finishes the registration is in English too"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/logout",
                                    "/no/such/page"])
def test_the_switch_never_leads_to_another_site_or_a_page_that_cannot_be_shown(client, target):
    switch_form = form(get(client, "/").text, "/language")

    response = client.post("/language", data={**switch_form.hidden(), "language": "en", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_an_unknown_language_is_refused_and_changes_nothing(client, auth, make):
    candidate = make.candidate()
    auth.login(candidate.user)

    response = client.post("/language", data={"language": "de", "next": "/"})

    assert response.status_code == 400
    assert db.session.get(User, candidate.user.id).language == "da"


@pytest.mark.parametrize("role", ["anonymous", "candidate", "employer", "consultant", "admin"])
def test_every_page_has_the_switch_and_links_the_accessibility_statement(client, auth, make, role):
    users = {"candidate": lambda: make.candidate().user, "employer": make.employer, "consultant": make.consultant,
             "admin": make.admin}
    if role != "anonymous":
        auth.login(users[role]())

    html = get(client, "/", follow_redirects=True).text

    assert 'action="/language"' in html
    assert '<a href="/tilgaengelighed">Tilgængelighedserklæring</a>' in html


@pytest.mark.parametrize(("language", "heading", "contact"), [
    ("da", "Tilgængelighedserklæring", "Skriv til matchapp@kk.dk"),
    ("en", "Accessibility statement", "Write to matchapp@kk.dk"),
])
def test_the_accessibility_statement_speaks_the_pages_language(client, language, heading, contact):
    page = get(client, "/tilgaengelighed", headers={"Accept-Language": language}).text

    assert f"<h1>{heading}</h1>" in page
    assert contact in text(page)
    assert "WCAG 2.1" in page


@pytest.mark.parametrize(("language", "moment", "day", "short"), [
    ("da", "fredag 4. december 2026 kl. 10:00", "fredag 4. december 2026", "04.12.2026"),
    ("en", "Friday 4 December 2026 at 10:00", "Friday 4 December 2026", "04/12/2026"),
])
def test_days_and_times_are_written_in_the_pages_language_and_danish_time(app, language, moment, day, short):
    winter = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen (UTC+1)
    summer = datetime(2026, 6, 5, 8, 0, tzinfo=UTC)  # 10:00 in Copenhagen (UTC+2)

    with app.test_request_context(headers={"Accept-Language": language}):
        refresh()
        assert formats.moment(winter) == moment
        assert formats.clock(summer) == "10:00"
        assert formats.day(date(2026, 12, 4)) == day
        assert formats.short_day(date(2026, 12, 4)) == short
