"""No personal data and no secrets in the logs, on SQLite and PostgreSQL: database errors provoked with known values
(through a request that ends in a 500, in the scheduler and in the services), the outbox's delivery failures, and
URLs with tokens. Every log record is captured: the root logger and SQLAlchemy's engine logger at DEBUG."""
from __future__ import annotations

import logging
import secrets

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, StatementError
from test_accounts import registration
from test_mail_delivery import free_port, smtp_settings

from matchapp import jobs, mail
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Employer, OutboxMessage, OutboxStatus, Role, User
from matchapp.services import accounts

# What a person typed in; none of it may reach a log line.
NAME = "Birthe Ølgaard Kragelund"
EMAIL = "birthe.kragelund@privat-post.example"
PHONE = "+45 61 23 45 67"
PITCH = "Jeg har styr på Excel og kassesystemer og vil gerne arbejde i weekenden"
ORGANISATION = "Kragelunds Blomster og Begravelse ApS"
ADDRESS = "Hyldebærvej 17, 2. th., 2770 Kastrup"
PASSWORD = "Blomsterkrans-Hyldebær-2770"


@pytest.fixture
def logs(caplog):
    """Every record any logger makes, down to SQLAlchemy's statements and rows."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    return caplog


def assert_not_logged(caplog, *values: str) -> None:
    logged = caplog.text
    assert caplog.records, "nothing was logged: the test would prove nothing"
    leaked = [value for value in values if value in logged]
    assert not leaked, f"{leaked} in the log:\n{logged}"
    assert "$argon2" not in logged, "a password hash in the log"


@pytest.fixture
def phone_numbers_are_unique(app):
    """A database rule the app does not check first (added for this test only), so that saving a phone number that
    is in use already fails in the database, as any unforeseen database error would."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE UNIQUE INDEX test_users_phone ON users (phone)"))
    yield
    db.session.rollback()
    with db.engine.begin() as connection:
        connection.execute(text("DROP INDEX test_users_phone"))


def test_a_registration_that_fails_in_the_database_is_logged_without_the_persons_data(
        app, client, make, logs, phone_numbers_are_unique):
    colleague = make.employer()
    colleague.phone = PHONE
    db.session.commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs the error and shows the 500 page
    logs.clear()

    response = client.post("/register", data=registration(
        organisation=ORGANISATION, address=ADDRESS, name=NAME, email=EMAIL, phone=PHONE, password=PASSWORD))

    assert response.status_code == 500
    assert "Exception on /register [POST]" in logs.text
    assert "IntegrityError" in logs.text
    assert_not_logged(logs, NAME, EMAIL, PHONE, ORGANISATION, ADDRESS, PASSWORD)


def log_as_flask_does(app, path: str, error: Exception) -> None:
    """What Flask logs for a request that ends in a 500 with this error."""
    with app.test_request_context(path, method="POST"):
        try:
            raise error
        except Exception as raised:  # noqa: BLE001 - logged, as Flask does
            app.log_exception((type(raised), raised, raised.__traceback__))


def saving_fails(*objects) -> StatementError:
    """Save the objects and return the database's error."""
    db.session.add_all(objects)
    with pytest.raises(StatementError) as caught:
        db.session.flush()
    db.session.rollback()
    return caught.value


def a_user(**values) -> User:
    fields = {"email": EMAIL, "name": NAME, "phone": PHONE, "role": Role.CANDIDATE, "created_at": utcnow(),
              "password_hash": accounts.hash_password(PASSWORD), **values}
    return User(**fields)


def test_a_user_with_a_taken_address_is_not_logged_with_name_phone_token_or_password_hash(app, make, logs):
    make.candidate().user.email = EMAIL
    db.session.commit()
    token = secrets.token_urlsafe(32)

    error = saving_fails(a_user(calendar_token=token))
    log_as_flask_does(app, "/consultant/candidates/new", error)

    assert_not_logged(logs, NAME, EMAIL, PHONE, token)


def test_an_organisation_breaking_a_check_constraint_is_not_logged_with_its_name_or_address(app, logs):
    error = saving_fails(Employer(name=ORGANISATION, cvr="1234567", address=ADDRESS, created_at=utcnow()))
    log_as_flask_does(app, "/register", error)

    assert "cvr_length" in logs.text
    assert_not_logged(logs, ORGANISATION, ADDRESS)


@pytest.mark.parametrize("values", [{"phone": PHONE + " lokal 1234 " * 4}, {"name": NAME + "\x00"}],
                         ids=["a value too long", "a NUL byte"])
def test_a_value_postgresql_refuses_is_not_logged(app, logs, values):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite stores long values and NUL bytes")
    error = saving_fails(a_user(**values))
    log_as_flask_does(app, "/register", error)

    assert isinstance(error, DBAPIError)
    assert_not_logged(logs, NAME, EMAIL, PHONE)


def test_a_failing_scheduler_job_logs_only_the_kind_of_error(app, make, logs):
    make.candidate().user.email = EMAIL
    db.session.commit()

    def save_a_user():
        db.session.add(a_user())
        db.session.flush()

    jobs.run_in_app(app, save_a_user)()

    assert "job save_a_user failed: IntegrityError" in logs.text
    assert_not_logged(logs, NAME, EMAIL, PHONE)


@pytest.mark.parametrize("token", [None, "pULOPFhHAkrAEMkwekxwXliHapkjqdAcKvNKyAvmrAs"],
                         ids=["random", "without-a-digit"])  # the second once slipped through: no digit in it
def test_a_calendar_address_in_a_logged_url_is_hidden(app, make, logs, token):
    user = make.candidate().user
    accounts.new_calendar_token(user, now=utcnow())
    user.calendar_token = token or user.calendar_token
    db.session.commit()

    log_as_flask_does(app, f"/calendar/feed/{user.calendar_token}.ics", RuntimeError("the feed failed"))

    assert "Exception on /calendar/feed/" in logs.text
    assert_not_logged(logs, user.calendar_token)


class RefusingServer:
    """An SMTP server that refuses every recipient, quoting the address as real servers do."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's hook)
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"


def test_a_refused_recipient_is_shown_to_admins_and_logged_without_the_address(app, make, logs):
    port = free_port()
    controller = Controller(RefusingServer(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app.config.update(smtp_settings(port))
        candidate = make.candidate(name=NAME)
        candidate.user.email = EMAIL
        db.session.commit()
        mail.queue(candidate.user, "sign_in_link", now=utcnow(), link="https://matchapp.example/link/x", minutes=10)
        db.session.commit()
        logs.clear()

        report = mail.deliver_due(now=utcnow())
    finally:
        controller.stop()

    assert report.failed >= 1
    refused = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == EMAIL)).all()
    assert refused
    for message in refused:
        assert message.status == OutboxStatus.PENDING
        assert message.last_error.startswith("SMTPRecipientsRefused: 550 5.1.1")
        assert "Recipient address rejected" in message.last_error
        assert EMAIL not in message.last_error
    assert "failed (SMTPRecipientsRefused: 550" in logs.text
    assert_not_logged(logs, EMAIL, NAME)
