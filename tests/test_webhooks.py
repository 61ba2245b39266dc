"""Webhooks as a job centre's system receives them: a real HTTP server on a local port that verifies every signature
with the Standard Webhooks library, while the scheduler's delivery pass runs as often as it likes."""
from __future__ import annotations

import json
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import conftest
import pytest
import test_rosters as roster_files
from pages import FormCase, assert_form_needs_its_csrf_token, count
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from matchapp import create_app, webhooks
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    Attendance,
    AuditEvent,
    Candidate,
    CourseRun,
    EmploymentStatus,
    EmploymentType,
    Enrollment,
    Integration,
    OutboxStatus,
    Result,
    WebhookDelivery,
    WebhookSubscription,
)
from matchapp.services import (
    catalogue,
    erasure,
    integrations,
    moves,
    personal_data,
    retention,
    session_changes,
    waitlist,
)
from matchapp.services.booking import book_slots, cancel_booking
from matchapp.services.outcomes import OutcomeEntry, record_follow_ups, record_outcomes

YESTERDAY = datetime.now(LOCAL_TZ).date() - timedelta(days=1)
ALL_EVENTS = ["booking.created", "booking.cancelled", "booking.moved", "session.changed", "waitlist.offered",
              "outcome.recorded", "follow_up.recorded"]


class Receiver:
    """A job centre's webhook endpoint: http.server on 127.0.0.1, one path per subscription with its secret. It
    verifies each request with standardwebhooks.Webhook(secret).verify and keeps what it got; it answers 200, or
    `failing` (a status) while it is broken; stop() takes it off the network, start() brings it back on its port."""

    def __init__(self):
        self.secrets: dict[str, str] = {}
        self.received: list[tuple[str, str, dict]] = []  # (path, webhook-id, payload) of each verified request
        self.raw: list[tuple[bytes, dict[str, str]]] = []  # each request's body and headers (names in lower case)
        self.refused: list[str] = []  # why a request did not verify
        self.failing: int | None = None
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.port = 0

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.raw.append((body, {name.lower(): value for name, value in self.headers.items()}))
                try:
                    payload = Webhook(receiver.secrets[self.path]).verify(body, dict(self.headers))
                except (WebhookVerificationError, KeyError) as error:
                    with receiver._lock:
                        receiver.refused.append(f"{self.path}: {error!r}")
                    self.send_response(400)
                else:
                    with receiver._lock:
                        receiver.received.append((self.path, self.headers["webhook-id"], payload))
                    self.send_response(receiver.failing or 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> None:
        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ids(self, path: str) -> Counter:
        return Counter(event_id for p, event_id, _ in self.received if p == path)

    def events(self, path: str) -> list[str]:
        return [payload["type"] for p, _, payload in self.received if p == path]


@pytest.fixture
def receiver():
    server = Receiver()
    server.start()
    yield server
    server.stop()


def subscribe(client, integration: Integration, receiver: Receiver, path: str, *, events=ALL_EVENTS,
              personal: bool = True) -> WebhookSubscription:
    """Subscribe through the admin's page (a test address: http, allowed by its checkbox); the secret shown once
    goes to the receiver."""
    data = {"hook-integration_id": integration.id, "hook-url": receiver.url(path), "hook-events": events,
            "hook-insecure": "y"}
    if personal:
        data["hook-personal"] = "y"
    page = client.post("/admin/webhooks", data=data)
    assert page.status_code == 200, page.text
    receiver.secrets[path] = re.search(r'value="(whsec_[A-Za-z0-9+/=]+)"', page.text).group(1)
    return db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id.desc())).first()


def deliver(*, now: datetime | None = None):
    return webhooks.deliver_due(now=now or utcnow())


class Story:
    """A job centre with its system subscribed (via the admin's page), and candidates who completed a course."""

    def __init__(self, make, client, auth, receiver):
        self.admin = make.admin()
        self.jobcenter = make.jobcenter("Jobcenter Amager")
        self.consultant = make.consultant(self.jobcenter)
        self.course = make.course("Hotelbookingsystemer")
        self.employer = make.employer(name="Hotel Nørreport A/S")
        auth.login(self.admin)
        assert client.post("/admin/integrations", data={
            "name": "Sagssystem", "jobcenter_id": self.jobcenter.id}).status_code == 302
        self.integration = db.session.scalar(select(Integration).where(Integration.name == "Sagssystem"))
        self.subscription = subscribe(client, self.integration, receiver, "/hooks")
        self.receiver = receiver

    def candidate(self, name: str):
        return self.make.candidate(completed=[self.course], jobcenter=self.jobcenter, consultant=self.consultant,
                                   name=name)


@pytest.fixture
def story(make, client, auth, receiver):
    made = Story(make, client, auth, receiver)
    made.make = make
    return made


def imported(story, client, auth, names: list[str]) -> list[Candidate]:
    """Candidates as the consultant imports them from the course provider's list (completed the run), through the
    import's pages."""
    today = date.today()
    run = catalogue.create_course_run(story.course, story.jobcenter, today - timedelta(days=30),
                                      today - timedelta(days=1), by=None, now=utcnow())
    db.session.commit()
    rows = [(name, f"{name.split()[0].lower()}@example.dk", "", f"SAG-{n}", "jobparat", "ja")
            for n, name in enumerate(names, start=1)]
    auth.login(story.consultant)
    preview = roster_files.upload(client, run, roster_files.workbook(*rows))
    assert preview.status_code == 200
    assert roster_files.confirm(client, run, preview.text).status_code == 303
    return [db.session.scalar(select(Candidate).where(Candidate.external_id == f"SAG-{n}"))
            for n in range(1, len(names) + 1)]


def test_a_full_story_reaches_the_job_centres_system_signed_and_each_event_once(story, make, client, auth, receiver,
                                                                                  db_url):
    other_jobcenter = make.jobcenter("Jobcenter Nord")
    nord = integrations.create_integration("Nords system", other_jobcenter, by=story.admin, now=utcnow())
    db.session.commit()
    other = subscribe(client, nord, receiver, "/nord")
    plain = subscribe(client, story.integration, receiver, "/plain", events=["booking.created"], personal=False)
    db.session.commit()
    amina, bo, carl, dina = imported(story, client, auth, ["Amina Hassan", "Bo Berg", "Carl Ahl", "Dina Dahl"])
    session = make.session(story.employer, start=time(10), end=time(10, 30))  # 3 times

    [booking] = book_slots(amina, [session.slots[0].id], by=amina.user, now=utcnow()).booked  # booking.created
    db.session.commit()
    moves.move_booking(booking, session.slots[1].id, by=amina.user, now=utcnow())  # booking.moved
    db.session.commit()
    conftest.book(bo, session.slots[0])
    conftest.book(carl, session.slots[2])
    waitlist.join(session, dina, by=dina.user, now=utcnow())
    session_changes.change_place(session, video_url="https://meet.example.dk/ny", address=None, by=story.employer,
                                 now=utcnow())  # session.changed for Amina, Bo and Carl
    db.session.commit()
    cancel_booking(booking, reason="Syg", by=amina.user, now=utcnow())  # booking.cancelled; waitlist.offered to Dina
    db.session.commit()
    held = make.session(story.employer, day=YESTERDAY, created_at=utcnow() - timedelta(days=10))
    [met] = book_slots(amina, [held.slots[0].id], by=amina.user, now=utcnow() - timedelta(days=5)).booked
    db.session.commit()
    record_outcomes(held, [OutcomeEntry(met.id, Attendance.ATTENDED, Result.HIRED, EmploymentType.FULL_TIME,
                                        YESTERDAY, 37)], by=story.employer, now=utcnow())  # outcome.recorded
    run_id = db.session.scalar(select(Enrollment.course_run_id).where(Enrollment.candidate_id == amina.id))
    record_follow_ups(db.session.get(CourseRun, run_id), {amina.id: EmploymentStatus.FULL_TIME},
                      by=story.consultant, now=utcnow())  # follow_up.recorded
    db.session.commit()

    # The scheduler runs again and again, two passes at the same time too.
    apps = [create_app(conftest.test_settings(db_url)) for _ in range(2)]
    start = threading.Barrier(len(apps))

    def delivery_pass(other_app):
        with other_app.app_context():
            try:
                start.wait(timeout=60)
                return deliver()
            finally:
                db.session.remove()
                db.engine.dispose()

    with ThreadPoolExecutor(max_workers=len(apps)) as pool:
        reports = [future.result(timeout=120) for future in [pool.submit(delivery_pass, a) for a in apps]]
    for _ in range(3):
        deliver()
        deliver(now=utcnow() + timedelta(hours=30))

    assert receiver.refused == []
    assert sum(report.sent for report in reports) == len(receiver.received)
    ids = receiver.ids("/hooks")
    assert set(ids.values()) == {1}, "each event id once"
    assert Counter(receiver.events("/hooks")) == {
        "booking.created": 4, "booking.moved": 1, "session.changed": 3, "booking.cancelled": 1,
        "waitlist.offered": 1, "outcome.recorded": 1, "follow_up.recorded": 1}
    for kind in ALL_EVENTS:
        assert kind in receiver.events("/hooks")
    # In the order written: two passes deliver side by side, so the order of arrival may differ.
    written = {d.event_id: d.id for d in db.session.scalars(select(WebhookDelivery))}
    amina_events = [payload for path, _, payload in sorted(receiver.received, key=lambda got: written[got[1]])
                    if path == "/hooks" and payload["data"]["candidate"]["id"] == amina.id]
    assert [p["type"] for p in amina_events] == ["booking.created", "booking.moved", "session.changed",
                                                  "booking.cancelled", "booking.created", "outcome.recorded",
                                                  "follow_up.recorded"]
    moved = amina_events[1]["data"]
    assert moved["booking"]["id"] == booking.id
    assert moved["previous"]["starts_at"] != moved["booking"]["starts_at"]
    assert amina_events[3]["data"]["cancelled_by"] == "candidate"
    assert "Syg" not in json.dumps(amina_events[3])  # free text is never sent
    assert amina_events[0]["data"]["candidate"] == {"id": amina.id, "external_id": "SAG-1", "name": "Amina Hassan",
                                                    "email": "amina@example.dk"}
    assert amina_events[5]["data"]["outcome"]["result"] == "hired"
    # Without candidates:read a payload names the candidate by id only; another job centre hears nothing.
    assert receiver.events("/plain") == ["booking.created"] * 4
    assert all(set(p["data"]["candidate"]) == {"id"} for path, _, p in receiver.received if path == "/plain")
    assert receiver.ids("/nord") == Counter()
    assert db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.subscription_id == other.id)) is None
    assert plain.scope_names == ["bookings:read"]


def test_a_receiver_that_was_down_for_hours_gets_every_event_after_with_the_same_ids(story, receiver):
    amina = story.candidate("Amina Hassan")
    session = story.make.session(story.employer)
    receiver.stop()  # the job centre's system is down
    booking = story.make.booking(amina, session.slots[0])
    cancel_booking(booking, reason=None, by=amina.user, now=utcnow())
    db.session.commit()

    later = utcnow()
    for hours in (0, 1, 3, 7):
        report = deliver(now=later + timedelta(hours=hours))
        assert report.sent == 0
        assert report.failed == 2
    tried = {d.event_id: d.attempts for d in db.session.scalars(select(WebhookDelivery))}
    assert set(tried.values()) == {4}
    receiver.start()
    deliver(now=later + timedelta(hours=8))
    deliver(now=later + timedelta(hours=9))

    assert receiver.refused == []
    assert receiver.ids("/hooks") == Counter(dict.fromkeys(tried, 1))  # every event, each once, the same ids
    assert receiver.events("/hooks") == ["booking.created", "booking.cancelled"]


def test_a_receiver_that_keeps_failing_ends_in_dead_deliveries_the_admin_sees_and_sends_again(story, client,
                                                                                               receiver):
    amina = story.candidate("Amina Hassan")
    session = story.make.session(story.employer)
    receiver.failing = 500
    story.make.booking(amina, session.slots[0])
    start = utcnow()
    moments = [start + timedelta(minutes=minutes) for minutes in range(0, 27 * 60, 30)]
    for moment in moments:
        deliver(now=moment)
    [delivery] = db.session.scalars(select(WebhookDelivery)).all()
    tries = receiver.ids("/hooks")[delivery.event_id]

    assert delivery.status == OutboxStatus.DEAD
    assert delivery.last_error == "HTTP 500"
    assert tries == delivery.attempts > 24  # at least a day of retries, an hour apart at most
    assert db.session.get(WebhookSubscription, story.subscription.id) is not None  # never switched off
    page = client.get(f"/admin/webhooks/{story.subscription.id}?show=dead")
    assert page.status_code == 200
    assert "1 besked kunne ikke leveres" in page.text
    assert delivery.event_id in page.text
    assert "HTTP 500" in page.text

    receiver.failing = None
    answer = client.post(f"/admin/webhooks/{story.subscription.id}/deliveries/{delivery.id}/send-again")
    assert answer.status_code == 302
    deliver(now=moments[-1] + timedelta(minutes=1))
    assert receiver.ids("/hooks")[delivery.event_id] == tries + 1  # the same id: the receiver can tell
    assert db.session.get(WebhookDelivery, delivery.id).status == OutboxStatus.SENT
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "webhook_delivery_sent_again",
                                                      AuditEvent.object_id == delivery.id)) is not None


def test_only_https_unless_the_admin_allows_a_test_address_which_is_shown_and_recorded(story, client, receiver):
    refused = client.post("/admin/webhooks", data={"hook-integration_id": story.integration.id,
                                                   "hook-url": "http://sagssystem.example.dk/hooks",
                                                   "hook-events": ["booking.created"]})
    assert refused.status_code == 422
    assert "https://" in refused.text
    assert db.session.scalars(select(WebhookSubscription)).all() == [story.subscription]

    made = client.post("/admin/webhooks", data={"hook-integration_id": story.integration.id,
                                                "hook-url": "https://sagssystem.example.dk/hooks",
                                                "hook-events": ["booking.created"]})
    assert made.status_code == 200
    index = client.get("/admin/webhooks").text
    assert index.count("(testadresse uden https)") == 1  # the story's http receiver, not the https one
    allowed = db.session.scalars(select(AuditEvent.object_id).where(
        AuditEvent.action == "webhook_insecure_address_allowed")).all()
    assert allowed == [story.subscription.id]
    assert "whsec_" not in client.get(f"/admin/webhooks/{story.subscription.id}").text  # shown once only


def test_an_erased_candidate_is_named_in_no_payload_and_the_export_lists_the_events(story, receiver):
    amina = story.candidate("Amina Hassan")
    session = story.make.session(story.employer)
    story.make.booking(amina, session.slots[0])
    deliver()
    export = personal_data.export_person(amina.user, now=utcnow())
    assert [row["kind"] for row in export["tables"]["webhook_delivery"]["rows"]] == ["booking.created"]

    erasure.erase_candidate(amina, reason="requested", by=story.admin, now=utcnow())
    db.session.commit()

    payloads = [d.payload for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert [json.loads(p)["type"] for p in payloads] == ["booking.created", "booking.cancelled"]
    assert not any("Amina" in p or "kandidat" in p for p in payloads)
    assert all(json.loads(p)["data"]["candidate"] == {"id": amina.id, "erased": True} for p in payloads)


def test_the_webhook_forms_need_their_csrf_tokens(csrf_client, make):
    admin, jobcenter = make.admin(), make.jobcenter("Jobcenter Amager")
    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        admin, "/admin/integrations", "/admin/integrations",
        {"name": "Sagssystem", "jobcenter_id": jobcenter.id}, lambda: count(Integration)))
    system = db.session.scalar(select(Integration))
    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        None, "/admin/webhooks", "/admin/webhooks",
        {"hook-integration_id": system.id, "hook-url": "https://sag.example.dk/hooks",
         "hook-events": "booking.created"},
        lambda: count(WebhookSubscription)))


def test_an_erased_organisation_is_named_by_its_pseudonym_in_every_payload(story):
    amina = story.candidate("Amina Hassan")
    session = story.make.session(story.employer)
    story.make.booking(amina, session.slots[0])

    erasure.erase_employer(story.employer.employer, reason="requested", by=story.admin, now=utcnow())
    db.session.commit()

    payloads = [json.loads(d.payload) for d in db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))]
    assert [p["type"] for p in payloads] == ["booking.created", "booking.cancelled"]
    employer_id = story.employer.employer_id
    assert [p["data"]["session"]["employer"] for p in payloads] == [{"id": employer_id, "name": f"#{employer_id}"}] * 2


def test_names_leave_delivered_payloads_after_the_retention_period_and_dead_ones_wait_for_the_admin(story, receiver):
    amina, bo = story.candidate("Amina Hassan"), story.candidate("Bo Berg")
    session = story.make.session(story.employer)
    story.make.booking(amina, session.slots[0])
    deliver()
    receiver.failing = 500
    story.make.booking(bo, session.slots[1])
    for hours in range(0, 27):
        deliver(now=utcnow() + timedelta(hours=hours))
    sent, dead = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
    assert (sent.status, dead.status) == (OutboxStatus.SENT, OutboxStatus.DEAD)

    assert retention.apply_retention(now=utcnow() + timedelta(days=29)).webhooks_purged == 0
    assert retention.apply_retention(now=utcnow() + timedelta(days=31)).webhooks_purged == 1
    db.session.commit()

    assert json.loads(sent.payload)["data"]["candidate"] == {"id": amina.id}
    assert json.loads(dead.payload)["data"]["candidate"]["name"] == "Bo Berg"


def docs_receiver():
    """The receive() function docs/api.md shows a job centre's developers."""
    text = (Path(__file__).parent.parent / "docs" / "api.md").read_text()
    [code] = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    names: dict = {}
    exec(compile(code, "docs/api.md", "exec"), names)  # noqa: S102 - our own documentation's example
    return names["receive"]


def test_the_receiver_docs_api_md_shows_takes_matchapps_events_once_and_refuses_a_forged_one(story, receiver):
    receive = docs_receiver()
    amina = story.candidate("Amina Hassan")
    story.make.booking(amina, story.make.session(story.employer).slots[0])
    deliver()
    [(body, headers)] = receiver.raw
    secret, seen = receiver.secrets["/hooks"], set()

    event = receive(secret, body, headers, seen)

    assert (event["type"], event["data"]["candidate"]["id"]) == ("booking.created", amina.id)
    assert receive(secret, body, headers, seen) is None, "the same id again is a repeat"
    forged = body.replace(b"booking.created", b"booking.cancelled")
    with pytest.raises(WebhookVerificationError):
        receive(secret, forged, headers, set())
    with pytest.raises(WebhookVerificationError):
        receive(secret, body, {**headers, "webhook-timestamp": str(int(utcnow().timestamp()) - 3600)}, set())
