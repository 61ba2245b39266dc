"""Signing in and registering, through the test client: e-mailed links, passwords, employer registration."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from conftest import PASSWORD
from pages import (
    FormCase,
    alerts,
    assert_form_needs_its_csrf_token,
    count,
    danish,
    field_error,
    form,
    own_form,
    text,
)
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Employer, InterviewSession, OutboxMessage, SessionStatus, User, UserToken
from matchapp.services import accounts

NEW_PASSWORD = "en helt ny adgangskode"


def registration(**changes) -> dict[str, str]:
    """What a person at a company types into the registration form (12345674 passes the modulus-11 check)."""
    return {"organisation": "Hotel Nørreport A/S", "cvr": "12345674", "address": "Nørre Voldgade 1, 1358 København K",
            "name": "Mette Holm", "email": "mette@hotel-norreport.example", "phone": "", "password": PASSWORD,
            **changes}


def emailed_link(user: User, subject: str) -> str:
    """The path of the link in the newest e-mail with this subject to the user."""
    message = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email,
                                                             OutboxMessage.subject == danish(subject))
                                 .order_by(OutboxMessage.id.desc())).first()
    assert message is not None, f"no e-mail {subject!r} to {user.email}"
    return urlsplit(re.search(r"https?://\S+", message.body_text).group()).path


def signed_in_as(client) -> str | None:
    """Where the front page sends the visitor: their area when signed in, None when not."""
    return client.get("/").headers.get("Location")


# --- Employers register; a consultant approves ---------------------------------------------------------------------

@pytest.mark.parametrize("cvr", ["12345678", "1234567", "1234567a"], ids=["modulus-11-fails", "7-digits", "letter"])
def test_an_invalid_cvr_is_shown_beside_the_cvr_field_and_nothing_is_stored(client, cvr):
    response = client.post("/register", data=registration(cvr=cvr))

    assert field_error(response.text, "cvr") == danish("Enter a valid CVR number: 8 digits.")
    assert count(Employer) == 0
    assert count(User) == 0
    assert signed_in_as(client) is None


def test_a_cvr_registered_already_is_told_by_email_so_the_page_says_nothing_about_anyone(client, make):
    taken = db.session.get(Employer, make.employer().employer_id).cvr
    users = count(User)

    response = client.post("/register", data=registration(cvr=f"{taken[:4]} {taken[4:]}"))

    assert response.status_code == 200
    assert danish("Check your e-mail") in text(response.text)
    assert (count(Employer), count(User)) == (1, users)
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert (message.recipient, message.subject) == (registration()["email"], danish("Your registration in matchapp"))
    assert danish("This CVR number is registered already. Ask a colleague to add you.") in message.body_text


def test_employer_registers_and_publishes_once_a_consultant_has_approved_the_organisation(client, auth, make):
    consultant = make.consultant()

    response = client.post("/register", data=registration(cvr="12 34 56 74"))

    assert response.status_code == 200
    assert danish("Check your e-mail") in text(response.text)
    organisation = db.session.scalar(select(Employer))
    assert (organisation.name, organisation.cvr, organisation.approved_at) == ("Hotel Nørreport A/S", "12345674", None)
    member = db.session.scalar(select(User).where(User.employer_id == organisation.id))
    assert member.email == "mette@hotel-norreport.example"
    assert signed_in_as(client) is None, "not until the address is confirmed"
    link = emailed_link(member, "Confirm your registration in matchapp")
    assert client.get(link).status_code == 200
    assert signed_in_as(client) is None, "opening the link (a mail scanner may) does not sign in"
    assert client.post(link).headers["Location"] == "/employer/"
    assert client.get("/employer/").status_code == 200, "the new member is signed in"
    draft = client.post("/employer/sessions/new", data={
        "title": "Receptionist", "local_date": (utcnow() + timedelta(days=2)).date().isoformat(),
        "start_time": "10:00", "end_time": "11:00", "slot_minutes": "10", "break_minutes": "0", "interviewers": "1",
        "mode": "phone", "booking_closes_hours": "2"})
    session_path = draft.headers["Location"]
    client.post(f"{session_path}/publish")
    assert db.session.scalar(select(InterviewSession.status)) == SessionStatus.DRAFT
    auth.logout()

    auth.login(consultant)
    employers = client.get("/consultant/employers").text
    assert "Hotel Nørreport A/S" in text(employers)
    approve = f"/consultant/employers/{organisation.id}/approve"
    client.post(approve, data=form(employers, approve).hidden())

    assert db.session.get(Employer, organisation.id).approved_at is not None
    assert emailed_link(member, "Your organisation can now publish interview sessions") == "/employer/"
    assert approve not in client.get("/consultant/employers").text
    auth.logout()
    auth.login(member)
    client.post(f"{session_path}/publish")
    assert db.session.scalar(select(InterviewSession.status)) == SessionStatus.PUBLISHED


# --- Candidates sign in with an e-mailed link ----------------------------------------------------------------------

def test_candidate_signs_in_with_an_emailed_link_that_works_only_once(client, make):
    candidate = make.candidate()

    sent = client.post("/link", data={"email": f"  {candidate.user.email.upper()} "})

    assert sent.status_code == 200
    link = emailed_link(candidate.user, "Your sign-in link to matchapp")
    assert link.startswith("/link/")
    page = client.get(link)
    assert page.status_code == 200
    assert [i for i in own_form(page.text).inputs if i["tag"] == "button" and i.get("type") == "submit"]
    assert signed_in_as(client) is None, "opening the link (a mail scanner may) does not sign in"
    assert db.session.scalar(select(UserToken.used_at)) is None, "nor use it up"

    response = client.post(link)

    assert response.status_code == 302
    assert signed_in_as(client) == "/candidate/"
    client.post("/logout")

    again = client.post(link, follow_redirects=True)

    assert danish("The link has expired or has already been used. Ask for a new one.") in alerts(again.text)
    assert signed_in_as(client) is None


@pytest.mark.parametrize(("minutes_ago", "works"), [(9, True), (11, False)])
def test_a_sign_in_link_works_for_ten_minutes(client, make, app, minutes_ago, works):
    candidate = make.candidate()
    token = accounts.issue_token(candidate.user, accounts.SIGN_IN, minutes=app.config["SIGN_IN_LINK_MINUTES"],
                                 now=utcnow() - timedelta(minutes=minutes_ago))
    db.session.commit()

    response = client.post(f"/link/{token}", follow_redirects=True)

    assert (signed_in_as(client) == "/candidate/") is works
    told = danish("The link has expired or has already been used. Ask for a new one.") in alerts(response.text)
    assert told is not works


@pytest.mark.parametrize("who", ["unknown", "employer"])
def test_asking_for_a_link_tells_nobody_whether_the_address_is_known(client, make, who):
    candidate_email = make.candidate().user.email
    other_email = make.employer().email if who == "employer" else "ukendt@example.dk"
    known = client.post("/link", data={"email": candidate_email})
    messages = count(OutboxMessage)

    response = client.post("/link", data={"email": other_email})

    assert text(response.text).replace(other_email, "X") == text(known.text).replace(candidate_email, "X")
    assert count(OutboxMessage) == messages, "only candidates get sign-in links"


# --- Passwords -----------------------------------------------------------------------------------------------------

def test_employer_resets_a_forgotten_password_by_emailed_link(client, auth, make):
    employer = make.employer()

    client.post("/password/forgot", data={"email": employer.email})

    link = emailed_link(employer, "Choose a password for matchapp")
    assert own_form(client.get(link).text)
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    auth.login(employer, NEW_PASSWORD)
    auth.logout()
    old = client.post("/login", data={"email": employer.email, "password": PASSWORD})
    assert field_error(old.text, "password") == danish("Wrong e-mail address or password.")
    assert signed_in_as(client) is None
    reused = client.post(link, data={"password": "endnu en adgangskode", "confirm": "endnu en adgangskode"},
                         follow_redirects=True)
    assert danish("The link has expired or has already been used. Ask for a new one.") in alerts(reused.text)
    auth.login(employer, NEW_PASSWORD)


def test_a_new_password_must_be_typed_twice_the_same(client, make):
    employer = make.employer()
    hashed = employer.password_hash
    token = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=utcnow())
    db.session.commit()

    response = client.post(f"/password/{token}", data={"password": NEW_PASSWORD, "confirm": "noget andet helt"})

    assert field_error(response.text, "confirm") == danish("The two passwords are not the same.")
    assert db.session.get(User, employer.id).password_hash == hashed
    assert db.session.scalar(select(UserToken.used_at).where(UserToken.user_id == employer.id)) is None


@pytest.mark.parametrize("email", ["ukendt@example.dk", None], ids=["unknown-address", "wrong-password"])
def test_a_failed_sign_in_says_the_same_whether_the_address_or_the_password_is_wrong(client, make, email):
    employer = make.employer()

    response = client.post("/login", data={"email": email or employer.email, "password": "forkert forkert"})

    assert field_error(response.text, "password") == danish("Wrong e-mail address or password.")
    assert signed_in_as(client) is None


# --- Every form needs its CSRF token -------------------------------------------------------------------------------

def _login(make, client):
    employer = make.employer()
    return FormCase(None, "/login", None, {"email": employer.email, "password": PASSWORD},
                    lambda: signed_in_as(client))


def _logout(make, client):
    return FormCase(make.employer(), "/employer/", "/logout", {}, lambda: signed_in_as(client))


def _logout_everywhere(make, client):
    return FormCase(make.employer(), "/employer/", "/logout/everywhere", {}, lambda: signed_in_as(client))


def _link_request(make, client):
    candidate = make.candidate()
    return FormCase(None, "/link", None, {"email": candidate.user.email}, lambda: count(OutboxMessage))


def _link_sign_in(make, client):
    candidate = make.candidate()
    token = accounts.issue_token(candidate.user, accounts.SIGN_IN, minutes=10, now=utcnow())
    db.session.commit()
    return FormCase(None, f"/link/{token}", None, {}, lambda: (signed_in_as(client), count(
        UserToken, UserToken.used_at.is_not(None))))


def _password_forgot(make, client):
    employer = make.employer()
    return FormCase(None, "/password/forgot", None, {"email": employer.email}, lambda: count(OutboxMessage))


def _password_reset(make, client):
    employer = make.employer()
    token = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=utcnow())
    db.session.commit()
    return FormCase(None, f"/password/{token}", None, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                    lambda: db.session.get(User, employer.id).password_hash)


def _register(make, client):
    return FormCase(None, "/register", None, registration(), lambda: count(Employer))


FORMS = {"login": _login, "logout": _logout, "logout-everywhere": _logout_everywhere, "link-request": _link_request,
         "link-sign-in": _link_sign_in,
         "password-forgot": _password_forgot, "password-reset": _password_reset, "register": _register}


@pytest.mark.parametrize("name", FORMS)
def test_a_form_without_its_csrf_token_is_refused_and_with_it_works(csrf_client, make, name):
    assert_form_needs_its_csrf_token(csrf_client, FORMS[name](make, csrf_client))
