"""Storage limitation: what the retention job removes, when, and that it runs once a day however many schedulers run.

Every test runs the rules with an explicit clock: days and months after the data were made.
"""
from __future__ import annotations

import logging
import os
import re
from datetime import datetime, time, timedelta

import conftest
import pytest
from flask_babel import force_locale
from pages import FormCase, assert_form_needs_its_csrf_token
from sqlalchemy import func, select
from test_scheduler_processes import Scheduler, no_failures, release_database, wait_for_more_runs, wait_until

from matchapp import create_app, formats, jobs, mail
from matchapp.extensions import db
from matchapp.localtime import local_day, local_to_utc, utcnow
from matchapp.models import (
    Attendance,
    AuditEvent,
    Employer,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    Result,
    SentNotice,
    User,
    UserToken,
)
from matchapp.services import accounts, retention, user_sessions
from matchapp.services.booking import book_slots
from matchapp.services.outcomes import OutcomeEntry, record_outcomes
from matchapp.services.retention import months_after

DAY = timedelta(days=1)


def subject(template: str) -> str:
    """An e-mail's subject in Danish, as every test user reads it."""
    with force_locale("da"):
        return str(mail.SUBJECTS[template])


def sent_message(user: User, *, sent_at: datetime, status: OutboxStatus = OutboxStatus.SENT) -> OutboxMessage:
    """An e-mail to the user (a sign-in link, with their name), delivered (or given up) at sent_at."""
    message = mail.queue(user, "sign_in_link", now=sent_at, link="https://matchapp.example/link/secret", minutes=15)
    message.status, message.sent_at = status, sent_at if status == OutboxStatus.SENT else None
    db.session.commit()
    return message


def test_a_sent_message_keeps_its_body_29_days_and_loses_it_after_31_while_a_dead_letter_keeps_it(make):
    amina = make.candidate(name="Amina Hassan").user
    sent_at = utcnow()
    sent = sent_message(amina, sent_at=sent_at)
    dead = sent_message(amina, sent_at=sent_at, status=OutboxStatus.DEAD)
    pending = sent_message(amina, sent_at=sent_at, status=OutboxStatus.PENDING)

    assert retention.purge_sent_messages(now=sent_at + 29 * DAY) == 0
    db.session.commit()
    assert "Amina Hassan" in sent.body_text

    assert retention.purge_sent_messages(now=sent_at + 31 * DAY) == 1
    db.session.commit()
    db.session.expire_all()
    assert (sent.body_text, sent.body_html, sent.ical) == ("", "", None)
    assert sent.purged_at == sent_at + 31 * DAY
    assert (sent.recipient, sent.status, sent.sent_at) == (amina.email, OutboxStatus.SENT, sent_at)
    assert sent.subject == subject("sign_in_link")
    for kept in (dead, pending):
        assert "Amina Hassan" in kept.body_text
        assert kept.purged_at is None
    assert retention.purge_sent_messages(now=sent_at + 60 * DAY) == 0  # purged once


def tokens_of(user: User) -> list[str]:
    return sorted(db.session.scalars(select(UserToken.purpose).where(UserToken.user_id == user.id)))


def test_used_and_expired_links_are_deleted_a_week_after_and_open_ones_stay(make):
    amina = make.candidate().user
    issued = utcnow()
    used = accounts.issue_token(amina, accounts.SIGN_IN, minutes=15, now=issued)
    accounts.consume_token(used, accounts.SIGN_IN, now=issued + timedelta(minutes=1))
    accounts.issue_token(amina, accounts.PASSWORD, minutes=15, now=issued)  # never used: expires 15 minutes later
    still_open = accounts.issue_token(amina, accounts.PASSWORD, minutes=30 * 24 * 60, now=issued)
    db.session.commit()

    assert retention.purge_used_tokens(now=issued + 6 * DAY) == 0
    # The second password link used up the first one when it was issued: that counts as used.
    assert retention.purge_used_tokens(now=issued + 8 * DAY) == 2
    db.session.commit()
    assert tokens_of(amina) == [accounts.PASSWORD]
    assert accounts.consume_token(still_open, accounts.PASSWORD, now=issued + 9 * DAY) == amina


def register(*, now: datetime, email: str = "lone@firma.dk", cvr: str = "12345674") -> User | None:
    user = accounts.register_employer(accounts.EmployerRegistration(
        organisation="Lones Firma ApS", cvr=cvr, address="Vej 1, 2300 København S", name="Lone Nielsen",
        email=email, phone=None, password=conftest.PASSWORD), now=now)
    db.session.commit()
    return user


def test_a_registration_never_confirmed_is_removed_after_its_link_expired_and_the_person_can_register_again(make):
    registered_at = utcnow()
    lone = register(now=registered_at)
    confirmed = make.employer()
    lone_id, employer_id = lone.id, lone.employer_id
    expired = registered_at + timedelta(minutes=accounts.ACTIVATION_MINUTES)

    report = retention.apply_retention(now=expired + 6 * DAY)
    db.session.commit()
    assert report.registrations_removed == 0
    assert db.session.get(User, lone_id) is not None

    report = retention.apply_retention(now=expired + 8 * DAY)
    db.session.commit()
    assert report.registrations_removed == 1
    assert db.session.get(User, lone_id) is None
    assert db.session.get(Employer, employer_id) is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient == "lone@firma.dk")) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "registration_removed", AuditEvent.object_id == lone_id)) == 1
    assert db.session.get(User, confirmed.id).active  # a confirmed member is not touched

    # Lone tries again: a new registration with a new link, not "you already have an account".
    again = register(now=expired + 9 * DAY)
    assert again is not None
    assert not again.active
    assert db.session.scalar(select(OutboxMessage.subject).where(OutboxMessage.recipient == "lone@firma.dk")) == \
        subject("registration_confirm")


def test_a_registration_with_a_fresh_link_is_kept(make):
    registered_at = utcnow()
    lone = register(now=registered_at)
    # Lone lost the e-mail and registers again ten days later: the new link is open, the registration stays.
    register(now=registered_at + 10 * DAY)
    assert retention.remove_unconfirmed_registrations(now=registered_at + 12 * DAY) == 0
    assert retention.purge_used_tokens(now=registered_at + 12 * DAY) == 1  # the first link
    db.session.commit()
    assert db.session.get(User, lone.id) is not None
    assert accounts._awaits_activation(lone)


def inactive_candidate(make, consultant, name: str):
    """A candidate registered and never active since; the clock of the test starts when they were registered."""
    candidate = make.candidate(consultant=consultant, name=name)
    return candidate, candidate.user.created_at


def warnings_to(consultant: User) -> list[OutboxMessage]:
    return db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == consultant.email, OutboxMessage.subject == subject("retention_warning"))).all()


def day_text(moment) -> str:
    with force_locale("da"):
        return formats.day(moment)


def test_the_consultant_is_warned_once_four_weeks_before_and_the_warning_names_the_day(make):
    consultant = make.consultant()
    amina, since = inactive_candidate(make, consultant, "Amina Hassan")
    due = months_after(since, 12) - timedelta(weeks=4)

    assert retention.warn_consultants_of_anonymisation(now=due - DAY) == 0
    assert retention.warn_consultants_of_anonymisation(now=due) == 1
    db.session.commit()
    for later in (due + DAY, due + 2 * DAY):
        assert retention.warn_consultants_of_anonymisation(now=later) == 0
        db.session.commit()

    [warning] = warnings_to(consultant)
    assert "Amina" not in warning.subject
    day = retention.anonymisation_day(since, due)
    assert day == local_day(months_after(since, 12)) + DAY  # the first whole day after the twelve months
    assert f"Amina Hassan har ikke været aktiv i matchapp siden {day_text(since)}" in warning.body_text
    assert f"bliver kandidaten anonymiseret {day_text(day)}" in warning.body_text
    assert warning.body_text.rstrip().endswith("/privacy/retention")


def test_a_candidate_without_a_consultant_is_warned_to_every_consultant_of_the_job_centre(make):
    first = make.consultant()
    second = make.consultant(first.jobcenter)
    make.consultant()  # another job centre's
    omar, since = inactive_candidate(make, None, "Omar Ali")
    omar.jobcenter_id = first.jobcenter_id
    db.session.commit()

    assert retention.warn_consultants_of_anonymisation(now=months_after(since, 12)) == 2
    db.session.commit()
    assert len(warnings_to(first)) == len(warnings_to(second)) == 1


def test_an_inactive_warned_candidate_is_anonymised_on_the_day_named_and_an_active_one_is_not(make):
    consultant = make.consultant()
    amina, since = inactive_candidate(make, consultant, "Amina Hassan")
    peter, _since = inactive_candidate(make, consultant, "Peter Jensen")
    warned = months_after(since, 12) - timedelta(weeks=4)
    retention.apply_retention(now=warned)
    db.session.commit()
    # Peter signs in two weeks later.
    user_sessions.start_session(peter.user, now=warned + timedelta(weeks=2))
    db.session.commit()
    day = retention.anonymisation_day(since, warned)

    the_day_before = local_to_utc(day - DAY, time(23, 30))
    assert retention.apply_retention(now=the_day_before).candidates_anonymised == 0
    db.session.commit()
    report = retention.apply_retention(now=local_to_utc(day, time(0, 30)))
    db.session.commit()

    assert report.candidates_anonymised == 1
    assert amina.user.erased_at is not None
    assert amina.user.name == f"#{amina.user.id}"
    assert peter.user.erased_at is None
    assert peter.user.name == "Peter Jensen"
    assert db.session.scalar(select(AuditEvent.reason).where(AuditEvent.action == "candidate_erased")) == "inactive"


def test_a_candidate_whose_consultant_was_not_warned_in_time_is_anonymised_only_four_weeks_after_the_warning(make):
    consultant = make.consultant()
    karin, since = inactive_candidate(make, consultant, "Karin Madsen")
    late = months_after(since, 13)  # the scheduler did not run for a month
    assert retention.anonymise_inactive_candidates(now=late) == 0
    retention.warn_consultants_of_anonymisation(now=late)
    db.session.commit()

    day = retention.anonymisation_day(since, late)
    assert day == local_day(late + timedelta(weeks=4)) + DAY
    [warning] = warnings_to(consultant)
    assert day_text(day) in warning.body_text
    assert retention.anonymise_inactive_candidates(now=local_to_utc(day - DAY, time(12))) == 0
    assert retention.anonymise_inactive_candidates(now=local_to_utc(day, time(1))) == 1


def test_a_kept_candidate_is_not_anonymised_and_is_warned_again_a_period_later(make, client, auth):
    consultant = make.consultant()
    amina, _created = inactive_candidate(make, consultant, "Amina Hassan")
    warned = utcnow()
    # Amina was registered eleven months ago (and a bit) and has not been seen since: the warning goes today.
    since = amina.user.created_at = months_after(warned, -12) + timedelta(weeks=4)
    assert retention.warn_consultants_of_anonymisation(now=warned) == 1
    db.session.commit()

    # The consultant follows the e-mail's link, finds Amina on the page, and keeps her.
    auth.login(consultant)
    page = client.get("/privacy/retention")
    assert page.status_code == 200
    assert "Amina Hassan" in page.text
    response = client.post(f"/privacy/retention/candidates/{amina.id}/keep")
    assert response.status_code == 302
    assert f"/privacy/retention/candidates/{amina.id}/keep" not in client.get("/privacy/retention").text
    db.session.expire_all()
    kept_at = amina.user.last_active_at
    assert kept_at is not None
    assert db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "candidate_kept")) == amina.id

    assert retention.anonymise_inactive_candidates(now=months_after(since, 13)) == 0
    assert retention.warn_consultants_of_anonymisation(now=months_after(kept_at, 12) - timedelta(weeks=5)) == 0
    assert retention.warn_consultants_of_anonymisation(now=months_after(kept_at, 12) - timedelta(weeks=4)) == 1
    db.session.commit()
    assert len(warnings_to(consultant)) == 2


def test_keeping_needs_the_pages_csrf_token(csrf_client, make):
    consultant = make.consultant()
    amina, _created = inactive_candidate(make, consultant, "Amina Hassan")
    amina.user.created_at = months_after(utcnow(), -12)
    db.session.commit()

    def kept_at():
        db.session.expire_all()
        return db.session.get(User, amina.user_id).last_active_at

    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        consultant, "/privacy/retention", f"/privacy/retention/candidates/{amina.id}/keep", {}, kept_at))


def test_only_consultants_of_the_candidates_job_centre_see_and_keep_them(make, client, auth):
    consultant, other = make.consultant(), make.consultant()
    amina, since = inactive_candidate(make, consultant, "Amina Hassan")
    amina.user.created_at = months_after(utcnow(), -12)
    db.session.commit()

    auth.login(other)
    assert f"/privacy/retention/candidates/{amina.id}/keep" not in client.get("/privacy/retention").text
    assert client.post(f"/privacy/retention/candidates/{amina.id}/keep").status_code == 403
    db.session.expire_all()
    assert amina.user.last_active_at is None
    auth.logout()
    auth.login(amina.user)
    assert client.get("/privacy/retention").status_code == 403


def test_signing_in_and_booking_count_as_activity(make):
    course = make.course()
    amina = make.candidate(completed=[course])
    session = make.session(closes_hours=0)
    booked_at = utcnow()
    book_slots(amina, [session.slots[0].id], by=amina.user, now=booked_at)
    db.session.commit()
    assert amina.user.last_active_at == booked_at
    user_sessions.start_session(amina.user, now=booked_at + DAY)
    db.session.commit()
    assert amina.user.last_active_at == booked_at + DAY


def test_an_employers_private_note_is_emptied_six_months_after_it_was_last_changed(make):
    course = make.course()
    amina = make.candidate(completed=[course])
    session = make.session(closes_hours=0)
    [booking] = book_slots(amina, [session.slots[0].id], by=amina.user, now=utcnow()).booked
    recorded_at = session.slots[0].ends_at + timedelta(hours=1)
    entry = OutcomeEntry(booking.id, Attendance.ATTENDED, Result.NEXT_INTERVIEW, note="Virkede nervøs, men dygtig")
    record_outcomes(session, [entry], by=session.created_by, now=recorded_at)
    db.session.commit()
    outcome = db.session.scalar(select(Outcome).where(Outcome.booking_id == booking.id))

    assert retention.purge_outcome_notes(now=months_after(recorded_at, 6) - DAY) == 0
    db.session.commit()
    assert outcome.note == "Virkede nervøs, men dygtig"
    assert retention.purge_outcome_notes(now=months_after(recorded_at, 6) + DAY) == 1
    db.session.commit()
    db.session.expire_all()
    assert outcome.note == ""
    assert outcome.attendance == Attendance.ATTENDED


def retention_runs() -> int:
    return db.session.scalar(select(func.count()).select_from(SentNotice).where(SentNotice.kind == retention.RUN))


def test_the_retention_job_runs_once_a_day_even_when_run_twice_and_from_two_apps(make, db_url, monkeypatch, caplog):
    amina = make.candidate().user
    today = utcnow()
    message = sent_message(amina, sent_at=today - 31 * DAY)
    caplog.set_level(logging.INFO, logger="matchapp.jobs")
    monkeypatch.setattr(jobs, "utcnow", lambda: today)

    jobs.apply_retention()
    jobs.apply_retention()
    other = create_app(conftest.test_settings(db_url))  # a second scheduler, with its own connections
    with other.app_context():
        jobs.apply_retention()
        db.session.remove()
        db.engine.dispose()

    db.session.expire_all()
    assert message.purged_at == today
    assert retention_runs() == 1
    assert len([r for r in caplog.records if r.getMessage().startswith("retention:")]) == 1
    # The next day it runs again.
    monkeypatch.setattr(jobs, "utcnow", lambda: today + DAY)
    jobs.apply_retention()
    assert retention_runs() == 2


def test_a_failed_retention_run_gives_its_day_back(make, monkeypatch):
    def broken(*, now):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(retention, "apply_retention", broken)
    with pytest.raises(RuntimeError):
        jobs.apply_retention()
    assert retention_runs() == 0
    monkeypatch.undo()
    jobs.apply_retention()
    assert retention_runs() == 1


def test_two_scheduler_processes_run_the_retention_once(make, db_url, tmp_path):
    amina = make.candidate(name="Amina Hassan").user
    message_id = sent_message(amina, sent_at=utcnow() - 31 * DAY).id
    env = {name: value for name, value in os.environ.items() if not name.startswith("MATCHAPP_")}
    env.update(MATCHAPP_DATABASE_URL=db_url, MATCHAPP_SECRET_KEY="test", MATCHAPP_SCHEDULER_RETENTION_SECONDS="1",
               PYTHONUNBUFFERED="1")
    release_database()
    schedulers = [Scheduler(tmp_path / f"scheduler-{n}.log", env) for n in (1, 2)]
    try:
        wait_until(lambda: all(s.runs("apply_retention")[1] >= 2 for s in schedulers), schedulers,
                   "two retention runs of each scheduler")
        wait_for_more_runs(schedulers, ["apply_retention"])  # in which a second run would show
    finally:
        codes = [s.stop() for s in schedulers]
    assert codes == [0, 0]

    logs = [s.log() for s in schedulers]
    assert sum(len(re.findall(r"matchapp\.jobs INFO retention: ", log)) for log in logs) == 1, logs
    for scheduler in schedulers:
        no_failures(scheduler)
        assert "Amina" not in scheduler.log()
        assert "@" not in scheduler.log()
    db.session.expire_all()
    assert retention_runs() == 1
    assert db.session.get(OutboxMessage, message_id).purged_at is not None
