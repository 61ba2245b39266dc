"""Passwords people may choose, links that stop working, and pages that do not tell who has an account.

Knowing that an address is registered tells that its owner is a job-centre client: sign-in and registration must
answer the same for known and unknown addresses. The admins' mailbox must not hand out working sign-in links once a
mail server delivers them.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from conftest import PASSWORD, valid_cvr
from pages import count, danish, field_error, text
from sqlalchemy import select
from test_accounts import emailed_link, registration, signed_in_as
from test_candidate_feedback import meeting

from matchapp.extensions import db
from matchapp.models import (
    Attendance,
    AuditEvent,
    Employer,
    NextStep,
    OutboxMessage,
    Outcome,
    Result,
    User,
    UserToken,
)
from matchapp.services import accounts, sessions
from matchapp.services.outcomes import OutcomeEntry, record_candidate_feedback, record_outcomes

STRONG = "blå sporvogn lampe kaffe"
TOO_COMMON = ("This password is too common or too easy to guess. "
              "Use a few words that do not belong together, such as “blue tram lamp coffee”.")
HOLDS_EMAIL = "The password must not contain your e-mail address."


# --- Weak passwords are refused wherever a password is chosen -------------------------------------------------------

@pytest.mark.parametrize(("password", "message"), [
    ("password12", TOO_COMMON),
    ("qwertyuiop", TOO_COMMON),
    ("1234567890", TOO_COMMON),
    ("Sommer2026", TOO_COMMON),
    ("mette@hotel-norreport.example", HOLDS_EMAIL),
    ("METTE-holm-lampe-kaffe", HOLDS_EMAIL),
], ids=["password12", "keyboard", "digits", "word-and-year", "the-address", "its-local-part"])
def test_an_employer_cannot_register_with_a_weak_password_and_is_told_why_in_danish(client, password, message):
    response = client.post("/register", data=registration(password=password))

    assert field_error(response.text, "password") == danish(message)
    assert (count(User), count(Employer), count(OutboxMessage)) == (0, 0, 0), "nothing is saved or sent"


def test_an_employer_registers_with_a_passphrase(client):
    response = client.post("/register", data=registration(password=STRONG))

    assert response.status_code == 200
    assert field_error(response.text, "password") is None
    assert count(User) == 1


def test_a_weak_new_password_is_refused_and_the_link_still_works_for_a_good_one(client, make):
    employer = make.employer()
    client.post("/password/forgot", data={"email": employer.email})
    link = emailed_link(employer, "Choose a password for matchapp")
    before = db.session.get(User, employer.id).password_hash

    refused = client.post(link, data={"password": "password12", "confirm": "password12"})

    assert refused.status_code == 422
    assert field_error(refused.text, "password") == danish(TOO_COMMON)
    db.session.expire_all()
    assert db.session.get(User, employer.id).password_hash == before, "the password is not changed"

    saved = client.post(link, data={"password": STRONG, "confirm": STRONG})

    assert saved.headers["Location"] == "/login"
    assert client.post("/login", data={"email": employer.email, "password": STRONG}).status_code == 302


def test_a_new_staff_member_cannot_choose_a_password_holding_their_address(client, make):
    consultant = make.consultant()  # e-mailed a link to choose a password: konsulentN@example.dk
    link = emailed_link(consultant, "Your matchapp account")
    local_part = consultant.email.partition("@")[0]

    refused = client.post(link, data={"password": f"{local_part} hej", "confirm": f"{local_part} hej"})

    assert field_error(refused.text, "password") == danish(HOLDS_EMAIL)


# --- A newer link makes the older ones stop working -----------------------------------------------------------------

def test_an_older_sign_in_link_stops_working_when_a_newer_one_is_sent(client, make):
    candidate = make.candidate()
    client.post("/link", data={"email": candidate.user.email})
    older = emailed_link(candidate.user, "Your sign-in link to matchapp")
    client.post("/link", data={"email": candidate.user.email})
    newer = emailed_link(candidate.user, "Your sign-in link to matchapp")

    assert client.post(older).headers["Location"] == "/link"
    assert signed_in_as(client) is None

    assert client.post(newer).headers["Location"] == "/"
    assert signed_in_as(client) == "/candidate/"


def test_an_older_password_link_stops_working_when_a_newer_one_is_sent(client, make):
    employer = make.employer()
    client.post("/password/forgot", data={"email": employer.email})
    older = emailed_link(employer, "Choose a password for matchapp")
    client.post("/password/forgot", data={"email": employer.email})
    newer = emailed_link(employer, "Choose a password for matchapp")

    assert client.post(older, data={"password": STRONG, "confirm": STRONG}).headers["Location"] == "/password/forgot"
    assert client.post(newer, data={"password": STRONG, "confirm": STRONG}).headers["Location"] == "/login"


def test_a_password_reset_uses_up_every_other_open_password_link(client, make, now):
    employer = make.employer()
    # Two open links, as a link sent before this rule existed would leave (issue_token now closes older ones).
    first = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=now)
    db.session.execute(UserToken.__table__.update().values(used_at=None))
    second = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=now)
    db.session.execute(UserToken.__table__.update().values(used_at=None))
    db.session.commit()

    client.post(f"/password/{second}", data={"password": STRONG, "confirm": STRONG})

    assert count(UserToken, UserToken.purpose == accounts.PASSWORD, UserToken.used_at.is_(None)) == 0
    assert client.post(f"/password/{first}", data={"password": STRONG, "confirm": STRONG}).headers[
        "Location"] == "/password/forgot"


# --- Sign-in costs the same for known and unknown addresses ---------------------------------------------------------

@pytest.fixture
def argon2_work(monkeypatch):
    """Counts the real argon2 hashes and verifications made (the real hasher still does the work)."""
    calls = {"hash": 0, "verify": 0}
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counted_hash(self, *args, **kwargs):
        calls["hash"] += 1
        return real_hash(self, *args, **kwargs)

    def counted_verify(self, *args, **kwargs):
        calls["verify"] += 1
        return real_verify(self, *args, **kwargs)

    monkeypatch.setattr(PasswordHasher, "hash", counted_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counted_verify)
    return calls


def test_signing_in_does_the_same_argon2_work_for_known_and_unknown_addresses(client, make, argon2_work):
    employer = make.employer()
    deactivated = make.employer()
    deactivated.active = False
    db.session.commit()
    client.post("/login", data={"email": "warm-up@example.dk", "password": "x"})  # the dummy hash is made once
    attempts = {"unknown address": ("nobody@example.dk", PASSWORD), "wrong password": (employer.email, "wrong"),
                "deactivated": (deactivated.email, PASSWORD), "right password": (employer.email, PASSWORD)}

    work = {}
    for name, (email, password) in attempts.items():
        argon2_work.update(hash=0, verify=0)
        client.post("/login", data={"email": email, "password": password})
        client.post("/logout")
        work[name] = dict(argon2_work)

    assert work == dict.fromkeys(attempts, {"hash": 0, "verify": 1})


# --- Registration does not tell whether an address has an account ---------------------------------------------------

def _registration_page(client, **changes):
    response = client.post("/register", data=registration(**changes))
    return response.status_code, text(response.text).replace(changes["email"], "<address>")


@pytest.mark.parametrize("owner", ["candidate", "employer"])
def test_registering_with_a_known_address_looks_like_a_new_registration_and_tells_the_owner(client, make, owner):
    known = make.candidate().user if owner == "candidate" else make.employer()
    users, organisations, tokens = count(User), count(Employer), count(UserToken)
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()

    as_new = _registration_page(client, email="ny@firma.example", cvr="12345674")
    db.session.execute(OutboxMessage.__table__.delete())
    db.session.commit()
    as_known = _registration_page(client, email=known.email.upper(), cvr=valid_cvr(5000000))

    assert as_known == as_new
    assert as_new[0] == 200
    assert danish("Check your e-mail") in as_new[1]
    assert (count(User), count(Employer)) == (users + 1, organisations + 1), "only the new address made an account"
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert (message.recipient, message.subject) == (known.email, danish("You already have an account in matchapp"))
    assert "/password/forgot" in message.body_text
    assert count(UserToken) == tokens + 1, "a link for the new address only"


def test_a_new_employer_lost_the_email_and_registers_again_and_gets_a_new_link(client):
    client.post("/register", data=registration())
    member = db.session.scalar(select(User))
    older = emailed_link(member, "Confirm your registration in matchapp")

    client.post("/register", data=registration())
    again = client.post("/register", data=registration())  # and once more: still the one waiting for the link

    assert again.status_code == 200
    assert danish("Check your e-mail") in text(again.text)
    newer = emailed_link(member, "Confirm your registration in matchapp")
    assert newer != older
    assert count(OutboxMessage, OutboxMessage.recipient == member.email) == 3, "three links, no 'you have an account'"
    assert count(Employer) == 1
    assert client.post(older).headers["Location"] == "/login"
    assert client.post(newer).headers["Location"] == "/employer/"


def test_a_new_member_cannot_sign_in_before_confirming_the_address(client):
    client.post("/register", data=registration())

    response = client.post("/login", data={"email": registration()["email"], "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_as(client) is None


# --- The admins' mailbox ---------------------------------------------------------------------------------------------

def _link_message(make, now) -> tuple[OutboxMessage, str]:
    candidate = make.candidate()
    accounts.send_sign_in_link(candidate.user.email, now=now)
    db.session.commit()
    message = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    return message, emailed_link(candidate.user, "Your sign-in link to matchapp")


def _reads(action: str) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.object_id).where(AuditEvent.action == action))]


def test_with_a_mail_server_the_mailbox_hides_sign_in_links_and_audits_the_reading(app, client, auth, make, now):
    app.config["SMTP_HOST"] = "smtp.example.dk"
    message, link = _link_message(make, now)
    admin = make.admin()
    auth.login(admin)

    listed = client.get("/admin/mailbox")
    page = client.get(f"/admin/mailbox/{message.id}")

    assert f"/admin/mailbox/{message.id}" in listed.text
    token = link.rsplit("/", 1)[1]
    assert token not in page.text
    assert token not in listed.text
    assert "/link/…" in text(page.text)
    assert _reads("outbox_message_read") == [(admin.id, message.id)]
    assert _reads("outbox_listed") == [(admin.id, None)]
    auth.logout()
    assert client.post(link).headers["Location"] == "/", "the candidate's own link still works"


def test_without_a_mail_server_the_links_show_and_every_reading_is_audited(client, auth, make, now):
    message, link = _link_message(make, now)
    admin = make.admin()
    auth.login(admin)

    for _ in range(2):
        page = client.get(f"/admin/mailbox/{message.id}")
        assert link in text(page.text)

    assert _reads("outbox_message_read") == [(admin.id, message.id)] * 2


def test_a_message_that_does_not_exist_is_404_and_only_admins_read_messages(client, auth, make, now):
    message, _link = _link_message(make, now)
    auth.login(make.consultant())

    assert client.get(f"/admin/mailbox/{message.id}").status_code == 403
    auth.logout()
    auth.login(make.admin())
    assert client.get(f"/admin/mailbox/{message.id + 1000}").status_code == 404
    assert _reads("outbox_message_read") == []


# --- A save that changed nothing leaves no audit row ----------------------------------------------------------------

def test_saving_the_same_pitch_again_leaves_no_audit_row(make, now):
    candidate = make.candidate()

    accounts.update_pitch(candidate, "Jeg elsker service.", now=now)
    accounts.update_pitch(candidate, " Jeg elsker service. ", now=now)
    accounts.update_pitch(candidate, "Jeg elsker mennesker.", now=now)
    db.session.commit()

    assert count(AuditEvent, AuditEvent.action == "pitch_updated") == 2


def test_a_second_try_with_the_same_cvr_does_not_tell_whether_the_first_address_had_an_account(client, make):
    """The two-step probe: register a fresh CVR number with the target's address, then again with one's own."""
    known = make.candidate().user
    cvr = valid_cvr(6000000)

    first = _registration_page(client, email=known.email, cvr=cvr)
    second = _registration_page(client, email="angriber@example.dk", cvr=cvr)
    fresh_cvr = valid_cvr(6100000)
    third = _registration_page(client, email="ny@firma.example", cvr=fresh_cvr)
    fourth = _registration_page(client, email="angriber2@example.dk", cvr=fresh_cvr)

    assert first == second == third == fourth


def test_saving_the_same_outcome_or_feedback_again_leaves_no_audit_row(make):
    booking = meeting(make)
    after = booking.slot.ends_at
    employer, candidate = booking.session.created_by, booking.candidate.user
    answers = [OutcomeEntry(booking.id, Attendance.ATTENDED, Result.NEXT_INTERVIEW, note="God samtale")]

    for _ in range(2):
        record_outcomes(booking.session, answers, by=employer, now=after)
        record_candidate_feedback(booking, happened=True, next_step=NextStep.NEXT_INTERVIEW, by=candidate, now=after)
        db.session.commit()
    record_outcomes(booking.session, [OutcomeEntry(booking.id, Attendance.ATTENDED, Result.NO_MATCH)], by=employer,
                    now=after + timedelta(minutes=1))
    db.session.commit()

    assert count(AuditEvent, AuditEvent.action == "outcomes_recorded") == 2
    assert count(AuditEvent, AuditEvent.action == "candidate_feedback_recorded") == 1
    assert db.session.scalar(select(Outcome.updated_at)) == after + timedelta(minutes=1)


def test_saving_a_draft_session_unchanged_leaves_no_audit_row_and_keeps_its_slots(make, now):
    draft = make.session(publish=False)
    employer = draft.created_by
    slot_ids = [slot.id for slot in draft.slots]
    unchanged = sessions.SessionDraft(
        title=draft.title, description=draft.description, course_ids=[], local_date=draft.local_date,
        start_time=draft.start_time, end_time=draft.end_time, slot_minutes=draft.slot_minutes,
        break_minutes=draft.break_minutes, interviewers=draft.interviewers, mode=draft.mode,
        video_url=draft.video_url, address="Ignored for a video meeting", booking_closes_hours=2)

    sessions.update_draft(draft, unchanged, by=employer, now=now)
    db.session.commit()
    assert count(AuditEvent, AuditEvent.action == "session_updated") == 0
    assert [slot.id for slot in draft.slots] == slot_ids

    sessions.update_draft(draft, replace(unchanged, title="Kok"), by=employer, now=now)
    db.session.commit()
    assert count(AuditEvent, AuditEvent.action == "session_updated") == 1
    assert draft.title == "Kok"
