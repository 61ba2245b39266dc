"""One transaction per request (docs/architecture.md, "Transactions"): a change is committed once when the answer is
a page or a redirect; a refusal shown to the user, an error answer or an exception leaves nothing behind."""
from __future__ import annotations

import re
from pathlib import Path

import conftest
import pytest
from conftest import PASSWORD
from pages import danish, text
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import (
    AuditEvent,
    Candidate,
    InterviewSession,
    OutboxMessage,
    SessionStatus,
    TargetGroup,
    UserToken,
)
from matchapp.services import accounts
from matchapp.services import sessions as session_service
from matchapp.services.errors import MatchappError

WEB = Path(__file__).resolve().parents[1] / "matchapp" / "web"


def committed(statement):
    """What another connection reads: only what has been committed."""
    db.session.rollback()  # the test's own reads (loading an object's id) hold SQLite's lock
    with db.engine.connect() as connection:
        return connection.execute(statement).scalar()


def outbox_rows() -> int:
    return committed(select(func.count()).select_from(OutboxMessage))


def test_a_refused_publish_leaves_nothing_although_the_service_had_flushed_it_and_the_page_redirected(
        client, auth, make, monkeypatch):
    employer = make.employer()
    session = make.session(employer, publish=False)
    auth.login(employer)
    outbox_before, audit_before = outbox_rows(), committed(select(func.count()).select_from(AuditEvent))

    def publish_then_refuse(session, **kwargs):
        session_service_publish(session, **kwargs)
        db.session.flush()  # the change has reached the database when the rule says no
        raise MatchappError("Not now.")

    session_service_publish = session_service.publish_session
    monkeypatch.setattr(session_service, "publish_session", publish_then_refuse)

    response = client.post(f"/employer/sessions/{session.id}/publish")

    assert response.status_code == 302
    assert "Not now." in text(client.get(response.location).text)  # the refusal is shown on the next page
    assert committed(select(InterviewSession.status).where(InterviewSession.id == session.id)) == SessionStatus.DRAFT
    assert outbox_rows() == outbox_before
    assert committed(select(func.count()).select_from(AuditEvent)) == audit_before


def test_a_sign_in_link_of_a_deactivated_person_stays_unused_after_the_refusal(client, make):
    candidate = make.candidate()
    accounts.deactivate_user(candidate.user, by=None, now=utcnow())
    token = accounts.issue_token(candidate.user, accounts.SIGN_IN, minutes=15, now=utcnow())
    db.session.commit()

    # consume_token marks the link used before it finds that its person may not sign in.
    response = client.post(f"/link/{token}")

    assert response.status_code == 302
    assert response.location.endswith("/link")
    assert committed(select(func.count()).select_from(UserToken).where(
        UserToken.user_id == candidate.user_id, UserToken.purpose == accounts.SIGN_IN,
        UserToken.used_at.is_(None))) == 1


def test_a_successful_form_post_is_committed(client, auth, make):
    candidate = make.candidate()
    auth.login(candidate.user)

    response = client.post("/candidate/profile", data={"pitch": "Jeg kan Excel."})

    assert response.status_code == 302
    assert committed(select(Candidate.pitch).where(Candidate.id == candidate.id)) == "Jeg kan Excel."


@pytest.fixture
def production(db_url):
    """An app that answers an exception with its error page, as in production (the tests' app raises it)."""
    app = create_app(conftest.test_settings(db_url, PROPAGATE_EXCEPTIONS=False))
    yield app
    with app.app_context():
        db.engine.dispose()


def same_browser(client, app):
    """A client of `app` with `client`'s session cookie: the same browser, signed in."""
    browser = app.test_client()
    cookie = app.config["SESSION_COOKIE_NAME"]
    browser.set_cookie(cookie, client.get_cookie(cookie).value)
    return browser


def test_a_view_that_raises_gets_the_error_page_and_leaves_nothing(client, auth, make, production, monkeypatch):
    candidate = make.candidate()
    auth.login(candidate.user)
    update_pitch = accounts.update_pitch

    def update_then_fail(candidate, pitch, **kwargs):
        update_pitch(candidate, pitch, **kwargs)
        db.session.flush()
        raise RuntimeError("a bug")

    monkeypatch.setattr(accounts, "update_pitch", update_then_fail)

    response = same_browser(client, production).post("/candidate/profile", data={"pitch": "Jeg kan Excel."})

    assert response.status_code == 500
    assert danish("Something went wrong") in text(response.text)
    assert committed(select(Candidate.pitch).where(Candidate.id == candidate.id)) == ""


def test_a_commit_that_fails_gets_the_503_page_and_no_word_of_saving(client, auth, make, production, monkeypatch):
    candidate = make.candidate()
    auth.login(candidate.user)
    browser = same_browser(client, production)

    def the_database_goes_away():
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(db.session, "commit", the_database_goes_away)
    response = browser.post("/candidate/profile", data={"pitch": "Jeg kan Excel."})
    monkeypatch.undo()

    assert response.status_code == 503
    assert danish("matchapp is not available right now") in text(response.text)
    assert danish("Your profile is saved.") not in text(response.text)
    assert danish("Your profile is saved.") not in text(browser.get("/candidate/profile").text)
    assert committed(select(Candidate.pitch).where(Candidate.id == candidate.id)) == ""


def test_a_refused_form_with_an_error_status_saves_nothing_of_it(client, auth, make):
    consultant = make.consultant()
    taken = make.candidate(consultant=consultant)
    auth.login(consultant)
    outbox_before = outbox_rows()

    response = client.post("/consultant/candidates/new", data={
        "name": "Ny Kandidat", "email": taken.user.email, "jobcenter_id": consultant.jobcenter_id,
        "target_group": TargetGroup.JOB_READY.value, "consultant_id": consultant.id})

    assert response.status_code == 422
    assert outbox_rows() == outbox_before
    assert committed(select(func.count()).select_from(Candidate)) == 1


def test_a_failed_sign_in_is_audited_although_it_is_refused(client, make):
    user = make.candidate().user

    response = client.post("/login", data={"email": user.email, "password": PASSWORD + "x"})

    assert response.status_code == 200  # the form again, with the refusal beside the password
    assert committed(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "sign_in_failed", AuditEvent.actor_id == user.id)) == 1


def test_no_view_commits_or_rolls_back_by_hand():
    by_hand = [f"{path.relative_to(WEB)}:{number}" for path in WEB.rglob("*.py")
               for number, line in enumerate(path.read_text().splitlines(), 1)
               if re.search(r"\b(commit|rollback)\(\)", line)]

    assert by_hand == [], "a view's transaction ends in matchapp/transaction.py"
