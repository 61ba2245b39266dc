"""Signed-in sessions end when they should: sign-out, sign-out everywhere, a password reset, a deactivation, idle and
absolute timeouts (shorter for staff). A copy of the cookie (stolen, or left on a shared computer) stops working."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD
from pages import alerts, danish, form, sign_in
from sqlalchemy import event, select, update

from matchapp.extensions import db
from matchapp.jobs import remove_expired_sessions
from matchapp.localtime import utcnow
from matchapp.models import AuditEvent, Jobcenter, User, UserSession
from matchapp.services import accounts, user_sessions

NEW_PASSWORD = "en helt ny adgangskode"


def signed_in_as(client) -> str | None:
    """Where the front page sends the visitor: their area when signed in, None when not."""
    return client.get("/").headers.get("Location")


def copy_of(client, app):
    """Another browser holding a copy of this browser's session cookie, as a thief or the next user of a shared
    computer would."""
    name = app.config["SESSION_COOKIE_NAME"]
    thief = app.test_client()
    thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def actions() -> list[tuple[str, int | None]]:
    """The audit trail, oldest first: (action, actor id)."""
    return [(e.action, e.actor_id) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def age_sessions(user: User, *, idle: timedelta = timedelta(0), age: timedelta | None = None) -> None:
    """Make the user's sessions look idle for `idle` and started `age` ago, as if that time had passed."""
    now = utcnow()
    db.session.execute(update(UserSession).where(UserSession.user_id == user.id).values(
        last_seen_at=now - idle, created_at=now - (age if age is not None else idle)))
    db.session.commit()


def last_seen(user: User):
    db.session.expire_all()
    return db.session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user.id))


# --- A copied cookie stops working ---------------------------------------------------------------------------------

def test_a_cookie_copied_before_sign_out_is_refused_after_it(client, app, make):
    candidate = make.candidate()
    sign_in(client, candidate.user)
    thief = copy_of(client, app)
    assert signed_in_as(thief) == "/candidate/", "the copy works while the session lasts"

    client.post("/logout")

    assert signed_in_as(thief) is None
    assert signed_in_as(client) is None
    assert thief.get("/candidate/").status_code == 302


def test_a_password_reset_ends_every_session_of_the_user(client, app, make):
    employer = make.employer()
    sign_in(client, employer)
    thief = copy_of(client, app)
    assert signed_in_as(thief) == "/employer/"
    token = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=utcnow())
    db.session.commit()

    reset = app.test_client().post(f"/password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert reset.status_code == 302, reset.text

    assert signed_in_as(thief) is None
    assert signed_in_as(client) is None
    sign_in(client, employer, NEW_PASSWORD)
    assert signed_in_as(client) == "/employer/"


def test_sign_out_everywhere_from_the_menu_ends_the_sessions_in_every_browser(client, app, make):
    consultant = make.consultant()
    phone = app.test_client()  # another browser
    sign_in(phone, consultant)
    sign_in(client, consultant)
    page = client.get("/consultant/").text

    response = client.post("/logout/everywhere", data=form(page, "/logout/everywhere").hidden(),
                           follow_redirects=True)

    assert danish("You are signed out on all your devices.") in alerts(response.text)
    assert signed_in_as(phone) is None
    assert signed_in_as(client) is None
    assert db.session.scalar(select(UserSession).where(UserSession.user_id == consultant.id)) is None


def test_a_consultant_stops_a_candidates_access_and_the_candidate_is_signed_out_at_once(client, app, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    browser = app.test_client()
    sign_in(browser, candidate.user)
    assert signed_in_as(browser) == "/candidate/"
    sign_in(client, consultant)
    page = client.get(f"/consultant/candidates/{candidate.id}").text

    response = client.post(f"/consultant/candidates/{candidate.id}/deactivate",
                           data=form(page, f"/consultant/candidates/{candidate.id}/deactivate").hidden(),
                           follow_redirects=True)

    assert danish("%(name)s can no longer sign in.", name=candidate.user.name) in alerts(response.text)
    assert signed_in_as(browser) is None
    assert browser.post("/login", data={"email": candidate.user.email, "password": PASSWORD}).status_code == 200
    assert signed_in_as(browser) is None
    assert ("user_deactivated", consultant.id) in actions()


def test_a_consultant_cannot_stop_access_for_a_candidate_of_another_job_centre(client, make):
    candidate = make.candidate()
    sign_in(client, make.consultant())

    response = client.post(f"/consultant/candidates/{candidate.id}/deactivate")

    assert response.status_code == 403
    assert db.session.get(User, candidate.user.id).active


def test_an_admin_stops_a_consultants_access_from_the_dashboard(client, app, make):
    consultant = make.consultant()
    browser = app.test_client()
    sign_in(browser, consultant)
    admin = make.admin()
    sign_in(client, admin)
    page = client.get("/admin/").text

    client.post(f"/admin/users/{consultant.id}/deactivate",
                data=form(page, f"/admin/users/{consultant.id}/deactivate").hidden())

    assert signed_in_as(browser) is None
    assert not db.session.get(User, consultant.id).active
    assert ("user_deactivated", admin.id) in actions()
    assert client.post(f"/admin/users/{admin.id}/deactivate").status_code == 409, "not oneself"


def test_a_confirmation_link_sent_before_the_deactivation_does_not_bring_the_member_back(client, make, now):
    member = make.employer()
    raw = accounts.issue_token(member, accounts.ACTIVATE, minutes=60, now=now)  # as if the first link were unused
    accounts.deactivate_user(member, by=None, now=now)
    db.session.commit()

    client.post(f"/register/confirm/{raw}")

    assert signed_in_as(client) is None
    assert not db.session.get(User, member.id).active


def test_a_deactivated_user_with_a_session_row_left_behind_is_refused(client, make):
    # Belt and braces: even a session that was somehow not ended does not sign in a deactivated user.
    employer = make.employer()
    sign_in(client, employer)

    db.session.execute(update(User).where(User.id == employer.id).values(active=False))
    db.session.commit()

    assert signed_in_as(client) is None


# --- A new session at every sign-in --------------------------------------------------------------------------------

def test_signing_in_starts_a_new_session_and_nothing_from_before_carries_over(csrf_client, make):
    # Session fixation: an attacker who planted their cookie, or read the CSRF token, before the victim signed in
    # gets nothing from it afterwards.
    employer = make.employer()
    login_page = csrf_client.get("/login").text
    planted = copy_of(csrf_client, csrf_client.application)
    old_token = form(login_page, "/language").hidden()["csrf_token"]

    sign_in(csrf_client, employer)

    assert signed_in_as(csrf_client) == "/employer/"
    assert signed_in_as(planted) is None
    refused = csrf_client.post("/language", data={"csrf_token": old_token, "language": "en", "next": "/"})
    assert refused.status_code == 400
    assert signed_in_as(csrf_client) == "/employer/"


def test_each_sign_in_is_a_session_of_its_own_with_a_new_key(client, app, make):
    employer = make.employer()
    sign_in(client, employer)
    first = copy_of(client, app)

    sign_in(client, employer)

    keys = db.session.scalars(select(UserSession.key_hash).where(UserSession.user_id == employer.id)).all()
    assert len(set(keys)) == 2
    client.post("/logout")
    assert signed_in_as(first) == "/employer/", "signing out one browser leaves the other signed in"
    assert signed_in_as(client) is None


# --- Idle timeout and absolute lifetime, shorter for staff ---------------------------------------------------------

LIFETIMES = {"candidate": (60, 12), "employer": (60, 12), "consultant": (30, 8), "admin": (30, 8)}


def user_of_role(make, role: str) -> User:
    return make.candidate().user if role == "candidate" else getattr(make, role)()


@pytest.mark.parametrize("role", LIFETIMES)
def test_a_session_ends_after_the_idle_timeout_of_the_role(client, make, role):
    user = user_of_role(make, role)
    idle_minutes, _ = LIFETIMES[role]
    sign_in(client, user)

    age_sessions(user, idle=timedelta(minutes=idle_minutes - 1))
    assert signed_in_as(client) is not None, "still within the idle timeout"
    age_sessions(user, idle=timedelta(minutes=idle_minutes, seconds=1))

    assert signed_in_as(client) is None


@pytest.mark.parametrize("role", LIFETIMES)
def test_a_session_in_use_ends_after_the_absolute_lifetime_of_the_role(client, make, role):
    user = user_of_role(make, role)
    _, max_hours = LIFETIMES[role]
    sign_in(client, user)

    age_sessions(user, idle=timedelta(minutes=1), age=timedelta(hours=max_hours) - timedelta(minutes=1))
    assert signed_in_as(client) is not None, "still within the lifetime"
    age_sessions(user, idle=timedelta(minutes=1), age=timedelta(hours=max_hours, seconds=1))

    assert signed_in_as(client) is None


def test_staff_are_signed_out_sooner_than_candidates(app, make):
    users = {"consultant": make.consultant(), "candidate": make.candidate().user}
    browsers = {role: app.test_client() for role in users}
    for role, user in users.items():
        sign_in(browsers[role], user)
        age_sessions(user, idle=timedelta(minutes=45))

    assert signed_in_as(browsers["candidate"]) == "/candidate/"
    assert signed_in_as(browsers["consultant"]) is None


def test_the_timeouts_come_from_the_settings(client, app, make):
    app.config["SESSION_IDLE_MINUTES"] = 5
    candidate = make.candidate()
    sign_in(client, candidate.user)

    age_sessions(candidate.user, idle=timedelta(minutes=6))

    assert signed_in_as(client) is None


def test_using_the_site_keeps_the_session_alive_writing_at_most_once_a_minute(client, make):
    candidate = make.candidate()
    sign_in(client, candidate.user)
    age_sessions(candidate.user, idle=timedelta(seconds=30))
    before = last_seen(candidate.user)

    client.get("/candidate/")
    assert last_seen(candidate.user) == before, "no write within a minute of the last"

    age_sessions(candidate.user, idle=timedelta(minutes=50))
    client.get("/candidate/")
    assert utcnow() - last_seen(candidate.user) < timedelta(seconds=10), "the idle time starts again"


def test_noting_use_in_a_page_view_survives_another_request_writing_at_the_same_time(client, make):
    # A GET's transaction only reads (on SQLite a deferred transaction); if another request commits after the page
    # view read the session, writing last_seen_at in that same transaction fails at once with "database is locked".
    candidate = make.candidate()
    jobcenter = make.jobcenter()
    sign_in(client, candidate.user)
    age_sessions(candidate.user, idle=timedelta(minutes=10))
    other_request = []

    def write_meanwhile(conn, cursor, statement, parameters, context, executemany):
        if not other_request and statement.lstrip().upper().startswith("SELECT") and "user_session" in statement:
            other_request.append(True)
            with db.engine.begin() as other:
                other.execute(update(Jobcenter).where(Jobcenter.id == jobcenter.id).values(name="Jobcenter Amager"))

    event.listen(db.engine, "after_cursor_execute", write_meanwhile)
    try:
        response = client.get("/candidate/")
    finally:
        event.remove(db.engine, "after_cursor_execute", write_meanwhile)

    assert other_request, "the other request wrote while the page was read"
    assert response.status_code == 200
    assert utcnow() - last_seen(candidate.user) < timedelta(seconds=10)


# --- The audit trail -----------------------------------------------------------------------------------------------

def test_sign_ins_and_sign_outs_are_audited_without_personal_data(client, make):
    employer = make.employer()
    candidate = make.candidate()
    start = len(actions())

    client.post("/login", data={"email": employer.email, "password": "forkert kodeord"})
    client.post("/login", data={"email": "ukendt@example.dk", "password": "forkert kodeord"})
    sign_in(client, employer)
    client.post("/logout")
    sign_in(client, employer)
    client.post("/logout/everywhere")
    token = accounts.issue_token(candidate.user, accounts.SIGN_IN, minutes=10, now=utcnow())
    db.session.commit()
    client.post(f"/link/{token}")

    assert actions()[start:] == [
        ("sign_in_failed", employer.id), ("sign_in_failed", None), ("signed_in", employer.id),
        ("signed_out", employer.id), ("signed_in", employer.id), ("signed_out_everywhere", employer.id),
        ("signed_in_with_link", candidate.user.id)]
    unknown = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign_in_failed")).all()[1]
    assert (unknown.object_type, unknown.object_id) == ("", None), "nothing about the address that was typed"


def test_the_scheduler_removes_sessions_that_have_expired_for_every_role(make):
    candidate, consultant = make.candidate().user, make.consultant()
    now = utcnow()
    for user in (candidate, consultant):
        user_sessions.start_session(user, now=now)
        user_sessions.start_session(user, now=now - timedelta(minutes=45))  # idle too long for staff only
        user_sessions.start_session(user, now=now - timedelta(hours=13))  # past every lifetime
    db.session.commit()

    remove_expired_sessions()

    remaining = db.session.execute(select(UserSession.user_id, UserSession.created_at)).all()
    assert sorted((user_id, now - created_at < timedelta(hours=1)) for user_id, created_at in remaining) == sorted(
        [(candidate.id, True), (candidate.id, True), (consultant.id, True), (consultant.id, True)])
