"""A person sees and downloads everything matchapp holds about them (GDPR art. 15 and 20), and nothing about others.

The world below gives two candidates, two employers' members and a consultant a row in every table that can hold
data about a person; the export of each is compared, table by table, with direct queries.
"""
from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from hashlib import sha256

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local, utcnow
from matchapp.models import (
    Attendance,
    AuditEvent,
    Booking,
    CandidateFeedback,
    ConsultantOutcome,
    EmploymentStatus,
    EmploymentType,
    Enrollment,
    FollowUp,
    InterviewSession,
    NextStep,
    OutboxMessage,
    Outcome,
    Result,
    SentNotice,
    User,
    UserSession,
    UserToken,
    WaitlistEntry,
    WaitlistOffer,
    WebhookDelivery,
)
from matchapp.services import accounts, export_registry, integrations, personal_data, user_sessions, waitlist, webhooks
from matchapp.services.booking import book_slots, cancel_booking
from matchapp.services.outcomes import (
    OutcomeEntry,
    record_candidate_feedback,
    record_consultant_outcome,
    record_follow_ups,
    record_outcomes,
)

YESTERDAY = datetime.now(LOCAL_TZ).date() - timedelta(days=1)
CANDIDATE_TABLES = {"users", "candidate", "enrollment", "booking", "outcome", "consultant_outcome",
                    "candidate_feedback", "follow_up",
                    "outbox_message", "audit_event", "user_session", "user_token", "sent_notice", "waitlist_entry",
                    "waitlist_offer", "webhook_delivery"}
EMPLOYER_TABLES = {"users", "employer", "interview_session", "outbox_message", "audit_event", "user_session",
                   "user_token", "sent_notice"}
STAFF_TABLES = {"users", "outbox_message", "audit_event", "user_session", "user_token", "sent_notice"}


class World:
    """Alma and Bent, candidates of one consultant; a hotel and a café, each with a member; meetings held yesterday
    and coming tomorrow, with outcomes (the employer's and the consultant's), answers, follow-ups, e-mails, links,
    sign-ins and reminders for each."""

    def __init__(self, make):
        now = utcnow()
        course = make.course("Hotelbookingsystemer")
        self.consultant = make.consultant()
        self.alma = make.candidate(completed=[course], consultant=self.consultant, name="Alma Andersen")
        self.bent = make.candidate(completed=[course], consultant=self.consultant, name="Bent Bertelsen")
        self.alma.user.phone, self.bent.user.phone = "+45 20 11 11 11", "+45 30 22 22 22"
        system = integrations.create_integration("Sagssystem", self.consultant.jobcenter, by=self.consultant, now=now)
        webhooks.subscribe(system, "https://sag.example.dk/hooks", ["booking.created"], personal=True,
                           insecure_allowed=False, by=self.consultant, now=now)
        accounts.update_pitch(self.alma, "Alma taler fem sprog og elsker morgenvagter.", now=now)
        accounts.update_pitch(self.bent, "Bent har kørekort til truck og gaffeltruck.", now=now)
        self.hotel = make.employer(name="Hotel Alfa A/S")
        self.cafe = make.employer(name="Café Beta ApS")
        held = make.session(self.hotel, day=YESTERDAY, interviewers=2, created_at=now - timedelta(days=10))
        coming = make.session(self.cafe, interviewers=2, title="Opvasker")
        dropped = make.session(self.hotel, interviewers=2, start=datetime.min.time().replace(hour=13),
                               end=datetime.min.time().replace(hour=14), title="Natportier")
        book_slots(self.alma, [held.slots[0].id], by=self.alma.user, now=now - timedelta(days=5))
        book_slots(self.bent, [held.slots[1].id], by=self.bent.user, now=now - timedelta(days=5))
        book_slots(self.alma, [coming.slots[0].id], by=self.consultant, now=now)
        book_slots(self.bent, [coming.slots[1].id], by=self.bent.user, now=now)
        for candidate, reason in ((self.alma, "Alma skal til tandlæge"), (self.bent, "Bent er syg")):
            booked = book_slots(candidate, [dropped.slots[0 if candidate is self.alma else 1].id],
                                by=candidate.user, now=now).booked[0]
            cancel_booking(booked, reason=reason, by=candidate.user, now=now)
        self.wait_for_each_others_time(make, now)
        db.session.flush()
        alma_held, bent_held = (self.booking(c, held) for c in (self.alma, self.bent))
        record_outcomes(held, [
            OutcomeEntry(alma_held.id, Attendance.ATTENDED, Result.HIRED, EmploymentType.FULL_TIME, YESTERDAY, 37,
                         note="Alma var fremragende til gæsterne"),
            OutcomeEntry(bent_held.id, Attendance.ATTENDED, Result.NO_MATCH, note="Bent kom et kvarter for sent"),
        ], by=self.hotel, now=now)
        record_consultant_outcome(alma_held, OutcomeEntry(alma_held.id, Attendance.ATTENDED, Result.HIRED,
                                                          EmploymentType.PART_TIME, YESTERDAY, 25),
                                  by=self.consultant, now=now)
        record_consultant_outcome(bent_held, OutcomeEntry(bent_held.id, Attendance.ATTENDED, Result.NEXT_INTERVIEW),
                                  by=self.consultant, now=now)
        record_candidate_feedback(alma_held, happened=True, next_step=NextStep.HIRED, by=self.alma.user, now=now)
        record_candidate_feedback(bent_held, happened=True, next_step=None, by=self.bent.user, now=now)
        for candidate, status in ((self.alma, EmploymentStatus.FULL_TIME), (self.bent, EmploymentStatus.UNEMPLOYED)):
            run = db.session.scalar(select(Enrollment).where(Enrollment.candidate_id == candidate.id)).course_run
            record_follow_ups(run, {candidate.id: status}, by=self.consultant, now=now)
        for user in (self.alma.user, self.bent.user, self.hotel, self.cafe, self.consultant):
            user_sessions.start_session(user, now=now)
            accounts.new_calendar_token(user, now=now)
            accounts.issue_token(user, accounts.PASSWORD, minutes=60, now=now)
            db.session.add(SentNotice(kind="reminder-24h", object_id=held.id, recipient_id=user.id, sent_at=now))
        accounts.send_sign_in_link(self.alma.user.email, now=now)
        accounts.send_sign_in_link(self.bent.user.email, now=now)
        db.session.commit()

    def wait_for_each_others_time(self, make, now):
        """Two full one-time sessions tomorrow afternoon: each candidate has the time the other waits for, and was
        offered a time (the consultant put Alma on her list)."""
        for clock, holder, waiter, by in ((15, self.bent, self.alma, self.consultant),
                                          (16, self.alma, self.bent, self.bent.user)):
            full = make.session(self.cafe, start=time(clock), end=time(clock, 10), title="Kok")
            book_slots(holder, [full.slots[0].id], by=holder.user, now=now)
            entry = waitlist.join(full, waiter, by=by, now=now)
            db.session.add(WaitlistOffer(entry=entry, slot=full.slots[0], token_hash=sha256(
                waiter.user.email.encode()).hexdigest(), created_at=now, expires_at=now + timedelta(hours=1)))

    @staticmethod
    def booking(candidate, session: InterviewSession) -> Booking:
        return db.session.scalar(select(Booking).where(Booking.candidate_id == candidate.id,
                                                       Booking.session_id == session.id))


@pytest.fixture
def world(make) -> World:
    return World(make)


def rows_about(user: User) -> dict[str, set[int]]:
    """The ids of the rows about a person in each table, found by direct queries (not by the export's own)."""
    def ids(query) -> set[int]:
        return set(db.session.scalars(query))

    candidate = user.candidate
    bookings = ids(select(Booking.id).where(Booking.candidate_id == candidate.id)) if candidate else set()
    enrollments = ids(select(Enrollment.id).where(Enrollment.candidate_id == candidate.id)) if candidate else set()
    entries = ids(select(WaitlistEntry.id).where(WaitlistEntry.candidate_id == candidate.id)) if candidate else set()
    mails = ids(select(OutboxMessage.id).where(OutboxMessage.recipient_id == user.id))
    objects = {("User", user.id)} | {("Booking", i) for i in bookings} | {("Enrollment", i) for i in enrollments} \
        | {("OutboxMessage", i) for i in mails} | {("WaitlistEntry", i) for i in entries}
    if candidate:
        objects.add(("Candidate", candidate.id))
    if user.employer_id:
        objects.add(("Employer", user.employer_id))
    about = {
        "users": {user.id},
        "outbox_message": mails,
        "audit_event": {e.id for e in db.session.scalars(select(AuditEvent))
                        if e.actor_id == user.id or (e.object_type, e.object_id) in objects},
        "user_session": ids(select(UserSession.id).where(UserSession.user_id == user.id)),
        "user_token": ids(select(UserToken.id).where(UserToken.user_id == user.id)),
        "sent_notice": ids(select(SentNotice.id).where(SentNotice.recipient_id == user.id)),
    }
    if candidate:
        about |= {
            "candidate": {candidate.id},
            "enrollment": enrollments,
            "booking": bookings,
            "outcome": ids(select(Outcome.id).where(Outcome.booking_id.in_(bookings))),
            "consultant_outcome": ids(select(ConsultantOutcome.id).where(ConsultantOutcome.booking_id.in_(bookings))),
            "candidate_feedback": ids(select(CandidateFeedback.id).where(CandidateFeedback.booking_id.in_(bookings))),
            "follow_up": ids(select(FollowUp.id).where(FollowUp.candidate_id == candidate.id)),
            "waitlist_entry": entries,
            "waitlist_offer": ids(select(WaitlistOffer.id).where(WaitlistOffer.entry_id.in_(entries))),
            "webhook_delivery": ids(select(WebhookDelivery.id).where(WebhookDelivery.candidate_id == candidate.id)),
        }
    if user.employer_id:
        created = select(InterviewSession.id).where(InterviewSession.created_by_id == user.id)
        about |= {"employer": {user.employer_id}, "interview_session": ids(created)}
    return about


def exported_ids(export: dict) -> dict[str, set[int]]:
    return {table: {row["id"] for row in section["rows"]} for table, section in export["tables"].items()}


def identifiers_of(candidate) -> list[str]:
    """What would give a candidate away in someone else's export: their words and their contact details."""
    booking_ids = select(Booking.id).where(Booking.candidate_id == candidate.id)
    notes = db.session.scalars(select(Outcome.note).where(Outcome.booking_id.in_(booking_ids), Outcome.note != ""))
    reasons = db.session.scalars(select(Booking.cancel_reason).where(Booking.id.in_(booking_ids),
                                                                     Booking.cancel_reason.is_not(None)))
    return [candidate.user.name, candidate.user.email, candidate.user.phone, candidate.pitch, *notes, *reasons]


def secrets_in_database() -> list[str]:
    """Every hash and secret the database keeps: password and link-token hashes, session key hashes, feed tokens."""
    return [*db.session.scalars(select(User.password_hash).where(User.password_hash.is_not(None))),
            *db.session.scalars(select(User.calendar_token).where(User.calendar_token.is_not(None))),
            *db.session.scalars(select(UserToken.token_hash)), *db.session.scalars(select(UserSession.key_hash)),
            *db.session.scalars(select(WaitlistOffer.token_hash).where(WaitlistOffer.token_hash.is_not(None)))]


# --- (a) Every row about the person, and nothing about anyone else ------------------------------------------------

def test_a_candidates_export_holds_every_row_about_them_in_every_table_and_nothing_about_the_other(world, now):
    export = personal_data.export_person(world.alma.user, now=now)
    text = json.dumps(export, ensure_ascii=False)
    mine, theirs = rows_about(world.alma.user), rows_about(world.bent.user)

    assert set(export["tables"]) == CANDIDATE_TABLES
    assert exported_ids(export) == mine
    assert all(mine[table] for table in CANDIDATE_TABLES), "the world gives Alma a row in every table"
    for table in CANDIDATE_TABLES:
        assert not exported_ids(export)[table] & theirs[table], f"{table}: a row of Bent's in Alma's export"
    for identifier in identifiers_of(world.bent):
        assert identifier not in text
    for identifier in identifiers_of(world.alma):
        assert identifier in text, "her own pitch, the employer's note on her and her cancel reason are hers"


def test_the_candidate_reads_the_employers_note_and_who_booked_for_them(world, now):
    export = personal_data.export_person(world.alma.user, now=now)
    outcome = export["tables"]["outcome"]["rows"][0]
    bookings = export["tables"]["booking"]["rows"]

    assert outcome["note"] == "Alma var fremragende til gæsterne"
    assert (outcome["result"], outcome["employment_type"], outcome["hours_per_week"]) == ("hired", "full_time", 37)
    assert {b["booked_by"] for b in bookings} == {world.alma.user.name, world.consultant.name}
    assert {b["employer"] for b in bookings} == {"Hotel Alfa A/S", "Café Beta ApS"}
    assert [b["cancel_reason"] for b in bookings if b["status"] == "cancelled"] == ["Alma skal til tandlæge"]
    assert export["exported_at"] == now.isoformat()
    assert now.isoformat().endswith("+00:00")
    assert bookings[0]["starts_at"].endswith("+00:00"), "times in ISO 8601 UTC"


@pytest.mark.parametrize("who", ["hotel", "consultant"])
def test_an_employers_or_consultants_export_holds_their_rows_and_no_candidates_data(world, now, who):
    user = getattr(world, who)
    export = personal_data.export_person(user, now=now)
    text = json.dumps(export, ensure_ascii=False)

    assert set(export["tables"]) == (EMPLOYER_TABLES if who == "hotel" else STAFF_TABLES)
    assert exported_ids(export) == {table: ids for table, ids in rows_about(user).items() if table in export["tables"]}
    assert all(export["tables"][table]["rows"] for table in export["tables"]), "a row in every table of theirs"
    for candidate in (world.alma, world.bent):
        for identifier in identifiers_of(candidate):
            assert identifier not in text
    if who == "hotel":
        assert export["tables"]["employer"]["rows"][0]["name"] == "Hotel Alfa A/S"
        assert "Café Beta ApS" not in text, "another organisation is not theirs"


def test_no_export_holds_a_hash_a_calendar_token_or_a_live_link(world, now):
    secrets = secrets_in_database()
    links = re.findall(r"/link/([A-Za-z0-9_-]{40,})", " ".join(db.session.scalars(select(OutboxMessage.body_text))))
    assert len(secrets) >= 15
    assert len(links) == 2
    for user in (world.alma.user, world.bent.user, world.hotel, world.cafe, world.consultant):
        export = personal_data.export_person(user, now=now)
        text = json.dumps(export, ensure_ascii=False)
        assert not [secret for secret in secrets + links if secret in text]
        fields = {key for section in export["tables"].values() for row in section["rows"] for key in row}
        assert not {f for f in fields if "hash" in f or f in ("calendar_token", "password", "token")}


# --- (b) Every table is exported or declared to hold nothing about a person ---------------------------------------

def test_every_table_is_exported_or_declared_to_hold_nothing_about_a_person():
    assert export_registry.unaccounted_tables(db.metadata) == set()
    named = {s.table for s in export_registry.REGISTRY} | set(export_registry.NOTHING_ABOUT_A_PERSON)
    assert named <= set(db.metadata.tables), "no entry for a table that is gone"


def test_a_new_table_that_is_not_exported_fails_the_check():
    grown = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(grown)
    Table("pet", grown, Column("id", Integer, primary_key=True), Column("owner_id", ForeignKey("users.id")))

    assert export_registry.unaccounted_tables(grown) == {"pet"}


def test_the_tables_said_to_hold_nothing_about_a_person_point_at_no_person():
    for name in export_registry.NOTHING_ABOUT_A_PERSON:
        targets = {key.column.table.name for key in db.metadata.tables[name].foreign_keys}
        assert not targets & {"users", "candidate", "employer"}, name


# --- (c) Through the pages -----------------------------------------------------------------------------------------

def test_a_candidate_sees_their_data_from_their_profile_and_downloads_it(client, auth, world):
    auth.login(world.alma.user)

    assert 'href="/privacy/my-data"' in client.get("/candidate/profile").text
    page = client.get("/privacy/my-data")
    download = client.get("/privacy/my-data.json")

    assert page.status_code == 200
    assert "Alma taler fem sprog" in page.text
    assert "Alma var fremragende til gæsterne" in page.text
    held = world.booking(world.alma, db.session.scalar(select(InterviewSession).where(
        InterviewSession.title == "Receptionist")))
    assert f"kl. {to_local(held.slot.starts_at):%H:%M}" in page.text, "times in Danish local time"
    assert download.status_code == 200
    assert download.mimetype == "application/json"
    assert download.headers["Content-Disposition"] == 'attachment; filename="matchapp-data.json"'
    assert "no-store" in download.headers["Cache-Control"]
    exports = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "data_exported")).all()
    assert [(e.actor_id, e.object_type, e.object_id) for e in exports] == [(world.alma.user.id, "User",
                                                                            world.alma.user.id)] * 2
    expected = rows_about(world.alma.user)
    expected["audit_event"].remove(exports[-1].id)  # the download's own event, written after the file was made
    assert exported_ids(download.json) == expected


def test_the_consultant_exports_their_candidates_data_and_another_job_centre_is_refused(client, auth, world, make):
    auth.login(world.consultant)
    page = client.get(f"/consultant/candidates/{world.alma.id}")
    assert f'href="/privacy/candidates/{world.alma.id}/data"' in page.text

    assert client.get(f"/privacy/candidates/{world.alma.id}/data").status_code == 200
    download = client.get(f"/privacy/candidates/{world.alma.id}/data.json")
    assert download.json["user_id"] == world.alma.user.id
    assert "attachment" in download.headers["Content-Disposition"]
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data_exported")
                             .order_by(AuditEvent.id.desc())).actor_id == world.consultant.id

    auth.logout()
    auth.login(make.consultant())
    for path in (f"/privacy/candidates/{world.alma.id}/data", f"/privacy/candidates/{world.alma.id}/data.json"):
        assert client.get(path).status_code == 403


@pytest.mark.parametrize("who", ["bent", "hotel"])
def test_candidates_and_employers_cannot_export_a_candidate(client, auth, world, who):
    auth.login(world.bent.user if who == "bent" else world.hotel)
    for path in (f"/privacy/candidates/{world.alma.id}/data", f"/privacy/candidates/{world.alma.id}/data.json"):
        assert client.get(path).status_code == 403


def test_an_employers_export_names_no_candidate(client, auth, world):
    auth.login(world.hotel)
    assert 'href="/privacy/my-data"' in client.get("/employer/").text, "in the menu"
    page = client.get("/privacy/my-data").text
    download = client.get("/privacy/my-data.json").text

    assert "Hotel Alfa A/S" in page
    assert "Receptionist" in page
    for candidate in (world.alma, world.bent):
        assert candidate.user.name not in page
        assert candidate.user.name not in download


def test_a_visitor_is_sent_to_sign_in(client):
    assert client.get("/privacy/my-data").status_code == 302
    assert client.get("/privacy/my-data.json").status_code == 302
