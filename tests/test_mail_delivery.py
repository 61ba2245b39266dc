"""E-mail as it reaches a real SMTP server (aiosmtpd on localhost), read back with Python's e-mail parser."""
from __future__ import annotations

import asyncio
import email
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import conftest
import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import func, select

from matchapp import create_app, mail
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking, OutboxMessage, OutboxStatus
from matchapp.services import accounts, sessions
from matchapp.services.booking import book_slots, cancel_booking

ROOT = Path(__file__).resolve().parent.parent
EMPLOYER = "Økologisk Kød ÆØÅ ApS"
CANDIDATE = "Søren Ærø"
PROCESS_TIMEOUT = 120  # seconds for one `flask outbox send`; it takes about one, more on a loaded machine
HOLD_SECONDS = 30  # at most, for a held message: a test waiting on it then fails instead of hanging


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that keeps the raw bytes of every message; it can stop and start again on its port."""

    def __init__(self, port: int):
        self.port = port
        self.raw: list[bytes] = []
        self.delay = 0.0  # seconds per message: a slow server
        self.receiving = threading.Event()  # set once a message is being received
        self._released = threading.Event()  # cleared by hold()
        self._released.set()
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.receiving.set()
        await asyncio.sleep(self.delay)
        held_until = time.monotonic() + HOLD_SECONDS
        while not self._released.is_set() and time.monotonic() < held_until:
            await asyncio.sleep(0.01)
        with self._lock:
            self.raw.append(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"

    def hold(self) -> None:
        """Keep every message being received waiting for its answer until release() (at most HOLD_SECONDS)."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()  # closes its listening socket and its event loop
            self._controller = None

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            raw = list(self.raw)
        return [email.message_from_bytes(data, policy=default_policy) for data in raw]

    def counts(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(message["Message-ID"] for message in self.messages())

    def by_id(self, message_id: str) -> EmailMessage:
        found = [message for message in self.messages() if message["Message-ID"] == message_id]
        assert len(found) == 1, f"{message_id} arrived {len(found)} times"
        return found[0]

    def clear(self) -> None:
        with self._lock:
            self.raw.clear()
            self.receiving.clear()


def smtp_settings(port: int) -> dict:
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_SECURITY": "none", "SMTP_TIMEOUT": 10}


@pytest.fixture
def smtp(app):
    """A running SMTP server that the app delivers to."""
    server = SmtpServer(free_port())
    server.start()
    app.config.update(smtp_settings(server.port))
    yield server
    server.stop()


def last_outbox_id() -> int:
    return db.session.scalar(select(func.max(OutboxMessage.id))) or 0


def rows_after(outbox_id: int) -> list[OutboxMessage]:
    """The outbox rows written after outbox_id, oldest first."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.id > outbox_id)
                                   .order_by(OutboxMessage.id)))


def deliver_setup_mail(smtp: SmtpServer) -> None:
    """Send the welcome e-mails that building the world queued, so that a test sees only its own messages."""
    mail.deliver_due(now=utcnow())
    assert not db.session.scalar(select(func.count()).where(OutboxMessage.status != OutboxStatus.SENT))
    smtp.clear()


def session_with_candidates(make, *names: str):
    """A published session of EMPLOYER tomorrow and candidates (with a completed course) who may book it."""
    employer = make.employer(name=EMPLOYER)
    session = make.session(employer)
    course = make.course()
    candidates = [make.candidate(completed=[course], name=name) for name in names]
    return employer, session, candidates


def slots_of(session):
    return sorted(session.slots, key=lambda slot: (slot.starts_at, slot.lane))


def shape(part) -> str | tuple:
    """The MIME tree as content types: ("multipart/…", [children])."""
    if part.is_multipart():
        return part.get_content_type(), [shape(child) for child in part.iter_parts()]
    return part.get_content_type()


def calendar_part(message: EmailMessage):
    [part] = [part for part in message.walk() if part.get_content_type() == "text/calendar"]
    return part


def invite_of(message: EmailMessage) -> tuple[bytes, Calendar]:
    """The text/calendar part's bytes as sent (base64 decoded) and the calendar parsed from them."""
    raw = calendar_part(message).get_payload(decode=True)
    return raw, Calendar.from_ical(raw)


def event_of(calendar: Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def assert_itip_message(message: EmailMessage) -> tuple[bytes, Calendar]:
    """The layout and calendar rules every client needs; returns the calendar's raw bytes and the calendar."""
    assert shape(message) == ("multipart/mixed", [
        ("multipart/alternative", ["text/plain", "text/html", "text/calendar"]),
        shape(message.get_payload()[1]),
    ])
    attachment = message.get_payload()[1]
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_content_type() in ("application/ics", "text/calendar")

    part = calendar_part(message)
    raw, calendar = invite_of(message)
    assert part.get_param("method") == str(calendar["METHOD"])
    assert part.get_param("charset").upper() == "UTF-8"
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b""), "a bare LF in the calendar"
    assert b"\r" not in raw.replace(b"\r\n", b""), "a bare CR in the calendar"
    assert attachment.get_payload(decode=True) == raw
    lines = raw.decode("utf-8").split("\r\n")
    assert sum(line.startswith("SEQUENCE") for line in lines) == 1
    organizer = str(event_of(calendar)["ORGANIZER"])
    assert organizer.lower() == f"mailto:{message['From'].addresses[0].addr_spec}".lower()
    return raw, calendar


def test_booking_delivers_a_calendar_invite_to_candidate_and_employer(app, make, smtp):
    employer, session, [candidate] = session_with_candidates(make, CANDIDATE)
    deliver_setup_mail(smtp)
    before = last_outbox_id()

    booking = make.booking(candidate, slots_of(session)[0])
    report = mail.deliver_due(now=utcnow())

    rows = rows_after(before)
    assert {row.recipient for row in rows} == {candidate.user.email, employer.email}
    assert report.sent == len(rows) == 2
    assert smtp.counts() == Counter({row.message_id: 1 for row in rows})
    for row in rows:
        message = smtp.by_id(row.message_id)
        assert message["To"].addresses[0].addr_spec == row.recipient
        assert message["Subject"] == row.subject == "Jobsamtale booket"
        raw, calendar = assert_itip_message(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        event = event_of(calendar)
        assert str(event["UID"]) == booking.uid
        assert str(event["STATUS"]) == "CONFIRMED"
        assert EMPLOYER in str(event["SUMMARY"])
        assert CANDIDATE in str(event["DESCRIPTION"])
        assert EMPLOYER.encode() in raw.replace(b"\r\n ", b"")  # UTF-8, unfolded
        # Least exposure: each reader is the invite's only attendee; the other person is named in the text only.
        assert str(event["ATTENDEE"]).lower() == f"mailto:{row.recipient}"
        other = ({candidate.user.email, employer.email} - {row.recipient}).pop()
        assert other.encode() not in raw.replace(b"\r\n ", b"")
        text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
        for body in (text, html):
            assert EMPLOYER in body
            assert CANDIDATE in body


def test_cancelling_a_booking_removes_the_same_event_from_calendars(app, make, smtp):
    _, session, [candidate] = session_with_candidates(make, CANDIDATE)
    deliver_setup_mail(smtp)
    before = last_outbox_id()
    booking = make.booking(candidate, slots_of(session)[0])
    mail.deliver_due(now=utcnow())
    [request_row] = [row for row in rows_after(before) if row.recipient == candidate.user.email]
    _, request = assert_itip_message(smtp.by_id(request_row.message_id))
    before = last_outbox_id()

    cancel_booking(booking, reason="Søren er syg", by=candidate.user, now=utcnow())
    db.session.commit()
    mail.deliver_due(now=utcnow())

    [cancel_row] = [row for row in rows_after(before) if row.recipient == candidate.user.email]
    message = smtp.by_id(cancel_row.message_id)
    assert message["Subject"] == "Jobsamtale aflyst"
    _, cancel = assert_itip_message(message)
    assert (str(request["METHOD"]), str(cancel["METHOD"])) == ("REQUEST", "CANCEL")
    request_event, event = event_of(request), event_of(cancel)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(request_event["UID"]) == booking.uid
    assert int(event["SEQUENCE"]) > int(request_event["SEQUENCE"])
    assert "Søren er syg" in message.get_body(("plain",)).get_content()


def test_employer_cancelling_the_session_sends_every_candidate_a_cancellation(app, make, smtp):
    employer, session, candidates = session_with_candidates(make, CANDIDATE, "Åse Ødegård")
    bookings = [make.booking(candidate, slot) for candidate, slot in zip(candidates, slots_of(session), strict=False)]
    deliver_setup_mail(smtp)
    before = last_outbox_id()

    assert sessions.cancel_session(session, "Stillingen er besat", by=employer, now=utcnow()) == 2
    db.session.commit()
    mail.deliver_due(now=utcnow())

    rows = rows_after(before)
    assert smtp.counts() == Counter({row.message_id: 1 for row in rows})
    for candidate, booking in zip(candidates, bookings, strict=True):
        [row] = [row for row in rows if row.recipient == candidate.user.email]
        message = smtp.by_id(row.message_id)
        _, calendar = assert_itip_message(message)
        event = event_of(calendar)
        assert (str(calendar["METHOD"]), str(event["STATUS"])) == ("CANCEL", "CANCELLED")
        assert str(event["UID"]) == booking.uid
        assert candidate.user.name in message.get_body(("plain",)).get_content()


def test_bookings_succeed_while_the_mail_server_is_down_and_every_message_arrives_once_later(app, make, smtp):
    _, session, candidates = session_with_candidates(make, CANDIDATE, "Åse Ødegård")
    deliver_setup_mail(smtp)
    smtp.stop()
    before = last_outbox_id()

    bookings = [make.booking(candidate, slot) for candidate, slot in zip(candidates, slots_of(session), strict=False)]
    rows = rows_after(before)
    assert len(bookings) == 2
    assert len(rows) == 4

    waits, now = [], utcnow()
    for _ in range(3):
        report = mail.deliver_due(now=now)
        assert (report.sent, report.failed, report.dead) == (0, len(rows), 0)
        for row in rows:
            db.session.refresh(row)
            assert row.status == OutboxStatus.PENDING
            assert row.next_attempt_at > now
        waits.append(rows[0].next_attempt_at - now)
        assert mail.deliver_due(now=now + waits[-1] - timedelta(seconds=1)).failed == 0, "tried before its time"
        now = rows[0].next_attempt_at
    assert waits == sorted(set(waits)), "each wait is longer than the one before"

    smtp.start()
    report = mail.deliver_due(now=now + timedelta(hours=1))
    assert report.sent == len(rows)
    assert mail.deliver_due(now=now + timedelta(hours=2)).sent == 0
    assert smtp.counts() == Counter({row.message_id: 1 for row in rows})
    for row in rows:
        db.session.refresh(row)
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)


def test_admin_sends_a_dead_message_again(app, make, smtp, client, auth):
    admin = make.admin()
    candidate = make.candidate()
    deliver_setup_mail(smtp)
    smtp.stop()
    now = utcnow()
    accounts.send_sign_in_link(candidate.user.email, now=now)
    db.session.commit()
    [row] = rows_after(last_outbox_id() - 1)

    for _ in range(50):  # about a dozen passes, each at the row's next attempt, fill MAIL_GIVE_UP_HOURS
        report = mail.deliver_due(now=now)
        db.session.refresh(row)
        if row.status == OutboxStatus.DEAD:
            break
        now = row.next_attempt_at
    assert (row.status, report.dead) == (OutboxStatus.DEAD, 1)
    assert now - row.created_at <= timedelta(hours=app.config["MAIL_GIVE_UP_HOURS"])
    assert row.attempts > 5

    auth.login(admin)
    page = client.get("/admin/mailbox").get_data(as_text=True)
    button = re.search(rf'action="/admin/mailbox/{row.id}/send-again">.*?<button[^>]*>\s*Send igen\s*</button>',
                       page, re.DOTALL)
    assert button, "the dead message has a send-again button"
    assert client.post(f"/admin/mailbox/{row.id}/send-again").status_code == 302
    db.session.refresh(row)
    assert row.status == OutboxStatus.PENDING

    smtp.start()
    assert mail.deliver_due(now=utcnow()).sent == 1
    assert mail.deliver_due(now=utcnow() + timedelta(hours=1)).sent == 0
    assert smtp.counts() == Counter({row.message_id: 1})


def queue_sign_in_links(candidate, count: int, *, now) -> Counter[str]:
    """Queue count sign-in e-mails; each Message-ID once, as every one should arrive."""
    before = last_outbox_id()
    for n in range(count):
        mail.queue(candidate.user, "sign_in_link", now=now, link=f"https://matchapp.example/link/{n}", minutes=10)
    db.session.commit()
    expected = Counter(row.message_id for row in rows_after(before))
    db.session.commit()  # end this test's transaction: on SQLite it holds the write lock the passes need
    return expected


def test_two_delivery_passes_at_the_same_time_send_each_message_once(app, make, smtp, db_url):
    candidate = make.candidate(name=CANDIDATE)
    deliver_setup_mail(smtp)
    now = utcnow()
    expected = queue_sign_in_links(candidate, 30, now=now)
    smtp.delay = 0.01  # the passes overlap for the whole run
    apps = [create_app(conftest.test_settings(db_url, **smtp_settings(smtp.port))) for _ in range(2)]
    start = threading.Barrier(len(apps))

    def delivery_pass(other_app):
        with other_app.app_context():
            try:
                start.wait(timeout=60)
                return mail.deliver_due(now=now)
            finally:
                db.session.remove()
                db.engine.dispose()

    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        reports = [future.result(timeout=120) for future in [pool.submit(delivery_pass, a) for a in apps]]

    assert sum(report.sent for report in reports) == len(expected) == 30
    assert sum(report.failed + report.dead for report in reports) == 0
    assert all(report.sent for report in reports), "both passes took part"
    assert smtp.counts() == expected


def test_a_slow_mail_server_does_not_hold_up_bookings(app, make, smtp, db_url):
    _, session, [waiting, booking_now] = session_with_candidates(make, CANDIDATE, "Åse Ødegård")
    deliver_setup_mail(smtp)
    expected = queue_sign_in_links(waiting, 1, now=utcnow())
    smtp.hold()  # until the booking is done: one that waited for the mail server would find it sent
    scheduler = create_app(conftest.test_settings(db_url, **{**smtp_settings(smtp.port),
                                                             "SMTP_TIMEOUT": 2 * HOLD_SECONDS}))

    def delivery_pass():
        with scheduler.app_context():
            try:
                return mail.deliver_due(now=utcnow())
            finally:
                db.session.remove()
                db.engine.dispose()

    with ThreadPoolExecutor(max_workers=1) as pool:
        sending = pool.submit(delivery_pass)
        try:
            assert smtp.receiving.wait(timeout=60)
            started = time.monotonic()
            make.booking(booking_now, slots_of(session)[0])
            booked_in = time.monotonic() - started
            still_sending = not sending.done()
        finally:
            smtp.release()
        assert sending.result(timeout=60).sent == 1

    assert still_sending, f"the booking waited {booked_in:.1f} s for the mail server"
    assert smtp.counts() == expected


def flask_outbox_send(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "outbox", "send"], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> tuple[int, str, str]:
    try:
        out, err = process.communicate(timeout=PROCESS_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
    return process.returncode, out, err


def cli_env(db_url: str, **settings: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("MATCHAPP_")}
    return {**env, "MATCHAPP_DATABASE_URL": db_url, "MATCHAPP_SECRET_KEY": "mail-test", **settings}


def test_two_outbox_send_processes_at_the_same_time_send_each_message_once(app, make, smtp, db_url):
    candidate = make.candidate(name=CANDIDATE)
    deliver_setup_mail(smtp)
    expected = queue_sign_in_links(candidate, 30, now=utcnow() - timedelta(minutes=1))
    smtp.delay = 0.01
    env = cli_env(db_url, MATCHAPP_SMTP_HOST="127.0.0.1", MATCHAPP_SMTP_PORT=str(smtp.port),
                  MATCHAPP_SMTP_SECURITY="none")

    processes = [flask_outbox_send(env) for _ in range(2)]
    results = [finish(process) for process in processes]

    sent = 0
    for returncode, out, err in results:
        assert returncode == 0, err
        found = re.search(r"sent (\d+), failed 0 \(will retry\), dead 0", out)
        assert found, out + err
        sent += int(found.group(1))
    assert sent == len(expected) == 30
    assert smtp.counts() == expected


def test_a_booking_rolled_back_by_an_error_sends_nothing(app, make, smtp):
    _, session, [candidate] = session_with_candidates(make, CANDIDATE)
    deliver_setup_mail(smtp)
    before = last_outbox_id()

    result = book_slots(candidate, [slots_of(session)[0].id], by=candidate.user, now=utcnow())
    db.session.flush()
    assert result.booked
    assert rows_after(before), "the messages are written in the booking's transaction"
    db.session.rollback()  # what the request does when an error comes before its commit

    report = mail.deliver_due(now=utcnow() + timedelta(minutes=1))
    assert report.sent == 0
    assert smtp.messages() == []
    assert rows_after(before) == []
    assert db.session.scalar(select(func.count(Booking.id))) == 0


def test_without_smtp_settings_messages_stay_in_the_outbox(app, make, smtp, db_url):
    _, session, [candidate] = session_with_candidates(make, CANDIDATE)
    app.config["SMTP_HOST"] = None
    before = last_outbox_id()
    make.booking(candidate, slots_of(session)[0])

    report = mail.deliver_due(now=utcnow() + timedelta(minutes=1))
    returncode, out, err = finish(flask_outbox_send(cli_env(db_url)))

    assert (report.sent, report.failed, report.dead) == (0, 0, 0)
    assert returncode == 0, err
    assert "No SMTP server is configured" in out
    assert smtp.messages() == []
    rows = rows_after(0)
    assert len(rows) > len(rows_after(before)) == 2
    for row in rows:
        db.session.refresh(row)
        assert (row.status, row.attempts, row.sent_at) == (OutboxStatus.PENDING, 0, None)


def test_sign_in_link_arrives_as_text_and_html_without_a_calendar(app, make, smtp):
    candidate = make.candidate(name=CANDIDATE)
    deliver_setup_mail(smtp)
    accounts.send_sign_in_link(candidate.user.email, now=utcnow())
    db.session.commit()
    [row] = rows_after(last_outbox_id() - 1)

    assert mail.deliver_due(now=utcnow()).sent == 1

    message = smtp.by_id(row.message_id)
    assert shape(message) == ("multipart/alternative", ["text/plain", "text/html"])
    assert message["Subject"] == "Dit link til at logge ind på matchapp"
    text, html = (message.get_body((kind,)).get_content() for kind in ("plain", "html"))
    link = re.search(r"http://\S+/link/\S+", text).group(0)
    assert link in html
    assert CANDIDATE in text
    assert CANDIDATE in html
    assert not any(part.get_content_type() == "text/calendar" for part in message.walk())
