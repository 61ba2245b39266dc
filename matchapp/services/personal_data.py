"""A person's data export (GDPR art. 15, access, and art. 20, portability): everything matchapp holds about one user.

A registry names, per table that can hold rows about a person, how to find that person's rows and what of them to
give; every other table is in NOTHING_ABOUT_A_PERSON with the reason. A test checks that the two cover all of
db.metadata, so a new table cannot be left out of the export unnoticed.

What an export never holds: password hashes, the hashes of e-mailed link tokens and of sign-in session keys, the
calendar feed's secret address, and anything about other people (art. 15(4)) but the names of the consultants who
acted for the person and the organisations they met. The employer's private note on a meeting is given to the
candidate: the record of processing (docs/privacy.md) says art. 15 covers it.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.models import (
    ApiKey,
    AuditEvent,
    Booking,
    CandidateFeedback,
    ConsultantOutcome,
    CourseRun,
    Enrollment,
    FollowUp,
    Integration,
    InterviewSession,
    OutboxMessage,
    Outcome,
    Role,
    SentNotice,
    User,
    UserSession,
    UserToken,
    WaitlistEntry,
    WaitlistOffer,
    WebhookDelivery,
)
from matchapp.services import audit
from matchapp.services.export_registry import REGISTRY, Source, iso, label_of, source
from matchapp.services.mailbox import mask_secret_links

FORMAT = "matchapp-personal-data/1"
EVERYONE = frozenset(Role)
CANDIDATE = frozenset({Role.CANDIDATE})
EMPLOYER = frozenset({Role.EMPLOYER})

def _acting_person(person: User, actor: User | None) -> str | None:
    """Who did something to a person's record, as the person may be told: themselves or staff by name, an
    employer's member as their organisation (a colleague's name is not the candidate's data)."""
    if actor is None:
        return None
    if actor.role == Role.EMPLOYER and actor.id != person.id:
        return actor.employer.name if actor.employer else _("an employer")
    return actor.name


def _bookings(person: User) -> list[Booking]:
    if person.candidate is None:
        return []
    return list(db.session.scalars(
        select(Booking).where(Booking.candidate_id == person.candidate.id).order_by(Booking.id)
        .options(selectinload(Booking.slot), selectinload(Booking.session).selectinload(InterviewSession.employer),
                 selectinload(Booking.booked_by))))


@source("users", _l("Your account"), EVERYONE,
         ("name", "email", "phone", "role_text", "language", "jobcenter", "organisation", "active", "created_at",
          "last_active_at", "calendar_feed", "calendar_feed_expires_at", "erased_at"))
def _user_rows(person: User) -> list[dict]:
    return [{"id": person.id, "name": person.name, "email": person.email, "phone": person.phone,
             "role": person.role.value, "role_text": label_of(person.role), "language": person.language,
             "jobcenter": person.jobcenter.name if person.jobcenter else None,
             "organisation": person.employer.name if person.employer else None, "active": person.active,
             "created_at": iso(person.created_at), "last_active_at": iso(person.last_active_at),
             "calendar_feed": person.calendar_token is not None,
             "calendar_feed_expires_at": iso(person.calendar_token_expires_at), "erased_at": iso(person.erased_at)}]


@source("candidate", _l("Your profile"), CANDIDATE, ("jobcenter", "consultant", "target_group_text", "pitch"))
def _candidate_rows(person: User) -> list[dict]:
    candidate = person.candidate
    if candidate is None:
        return []
    return [{"id": candidate.id, "jobcenter": candidate.jobcenter.name,
             "consultant": candidate.consultant.name if candidate.consultant else None,
             "target_group": candidate.target_group.value,
             "target_group_text": label_of(candidate.target_group), "pitch": candidate.pitch}]


@source("employer", _l("Your organisation"), EMPLOYER, ("name", "cvr", "address", "created_at", "approved_at"))
def _organisation_rows(person: User) -> list[dict]:
    employer = person.employer
    if employer is None:
        return []
    return [{"id": employer.id, "name": employer.name, "cvr": employer.cvr, "address": employer.address,
             "created_at": iso(employer.created_at), "approved_at": iso(employer.approved_at)}]


@source("enrollment", _l("Your courses"), CANDIDATE, ("course", "run_starts_on", "run_ends_on", "completed_at"))
def _enrollment_rows(person: User) -> list[dict]:
    if person.candidate is None:
        return []
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.candidate_id == person.candidate.id).order_by(Enrollment.id)
        .options(selectinload(Enrollment.course_run).selectinload(CourseRun.course)))
    return [{"id": e.id, "course_run_id": e.course_run_id, "course": e.course_run.course.name,
             "run_starts_on": iso(e.course_run.starts_on), "run_ends_on": iso(e.course_run.ends_on),
             "completed_at": iso(e.completed_at)} for e in enrollments]


@source("interview_session", _l("Interview sessions you created"), EMPLOYER,
         ("title", "starts_at", "ends_at", "mode_text", "place", "status_text", "created_at", "cancel_reason"))
def _session_rows(person: User) -> list[dict]:
    # The session as the employer planned it; who booked its slots is data about the candidates, not given here.
    sessions = db.session.scalars(
        select(InterviewSession).where(InterviewSession.created_by_id == person.id).order_by(InterviewSession.id))
    return [{"id": s.id, "title": s.title, "description": s.description, "starts_at": iso(s.starts_at),
             "ends_at": iso(s.ends_at), "mode": s.mode.value, "mode_text": label_of(s.mode),
             "place": s.video_url or s.address, "status": s.status.value,
             "status_text": label_of(s.status), "created_at": iso(s.created_at),
             "published_at": iso(s.published_at), "cancelled_at": iso(s.cancelled_at),
             "cancel_reason": s.cancel_reason} for s in sessions]


@source("booking", _l("Your job conversations"), CANDIDATE,
         ("id", "starts_at", "job", "employer", "status_text", "booked_by", "cancelled_at", "cancelled_by",
          "cancel_reason"))
def _booking_rows(person: User) -> list[dict]:
    rows = []
    for b in _bookings(person):
        cancelled_by = db.session.get(User, b.cancelled_by_id) if b.cancelled_by_id else None
        rows.append({"id": b.id, "job": b.session.title, "employer": b.session.employer.name,
                     "starts_at": iso(b.slot.starts_at), "ends_at": iso(b.slot.ends_at), "status": b.status.value,
                     "status_text": label_of(b.status), "booked_by": _acting_person(person, b.booked_by),
                     "created_at": iso(b.created_at), "timed_at": iso(b.timed_at),
                     "cancelled_at": iso(b.cancelled_at), "cancelled_by": _acting_person(person, cancelled_by),
                     "cancel_reason": b.cancel_reason})
    return rows


@source("outcome", _l("What the employers recorded about your conversations"), CANDIDATE,
         ("booking_id", "attendance_text", "result_text", "employment_type_text", "work_starts_on", "hours_per_week",
          "note", "updated_at"))
def _outcome_rows(person: User) -> list[dict]:
    ids = [b.id for b in _bookings(person)]
    outcomes = db.session.scalars(select(Outcome).where(Outcome.booking_id.in_(ids)).order_by(Outcome.id))
    return [{"id": o.id, "booking_id": o.booking_id, "attendance": o.attendance.value,
             "attendance_text": label_of(o.attendance),
             "result": o.result.value if o.result else None, "result_text": label_of(o.result),
             "employment_type": o.employment_type.value if o.employment_type else None,
             "employment_type_text": label_of(o.employment_type),
             "work_starts_on": iso(o.start_date), "hours_per_week": o.hours_per_week, "note": o.note,
             "recorded_at": iso(o.recorded_at), "updated_at": iso(o.updated_at)} for o in outcomes]


@source("consultant_outcome", _l("What your consultant recorded about your conversations"), CANDIDATE,
         ("booking_id", "attendance_text", "result_text", "employment_type_text", "work_starts_on", "hours_per_week",
          "recorded_by", "updated_at"))
def _consultant_outcome_rows(person: User) -> list[dict]:
    ids = [b.id for b in _bookings(person)]
    records = db.session.scalars(select(ConsultantOutcome).where(ConsultantOutcome.booking_id.in_(ids))
                                 .order_by(ConsultantOutcome.id).options(selectinload(ConsultantOutcome.recorded_by)))
    return [{"id": o.id, "booking_id": o.booking_id, "attendance": o.attendance.value,
             "attendance_text": label_of(o.attendance),
             "result": o.result.value if o.result else None, "result_text": label_of(o.result),
             "employment_type": o.employment_type.value if o.employment_type else None,
             "employment_type_text": label_of(o.employment_type), "work_starts_on": iso(o.start_date),
             "hours_per_week": o.hours_per_week, "recorded_by": _acting_person(person, o.recorded_by),
             "recorded_at": iso(o.recorded_at), "updated_at": iso(o.updated_at)} for o in records]


@source("candidate_feedback", _l("Your answers about your conversations"), CANDIDATE,
         ("booking_id", "happened", "next_step_text", "recorded_at"))
def _feedback_rows(person: User) -> list[dict]:
    ids = [b.id for b in _bookings(person)]
    answers = db.session.scalars(
        select(CandidateFeedback).where(CandidateFeedback.booking_id.in_(ids)).order_by(CandidateFeedback.id))
    return [{"id": f.id, "booking_id": f.booking_id, "happened": f.happened,
             "next_step": f.next_step.value if f.next_step else None, "next_step_text": label_of(f.next_step),
             "recorded_at": iso(f.recorded_at)} for f in answers]


@source("follow_up", _l("Your employment status after a course"), CANDIDATE,
         ("course", "run_ends_on", "status_text", "recorded_by", "recorded_at"))
def _follow_up_rows(person: User) -> list[dict]:
    if person.candidate is None:
        return []
    follow_ups = db.session.scalars(
        select(FollowUp).where(FollowUp.candidate_id == person.candidate.id).order_by(FollowUp.id))
    rows = []
    for f in follow_ups:
        run = db.session.get(CourseRun, f.course_run_id)
        recorder = db.session.get(User, f.recorded_by_id) if f.recorded_by_id else None
        rows.append({"id": f.id, "course_run_id": f.course_run_id, "course": run.course.name,
                     "run_ends_on": iso(run.ends_on), "status": f.status.value,
                     "status_text": label_of(f.status), "source": f.source,
                     "recorded_by": _acting_person(person, recorder), "recorded_at": iso(f.recorded_at)})
    return rows


@source("waitlist_entry", _l("Waiting lists you were on"), CANDIDATE,
         ("job", "employer", "session_starts_at", "status_text", "added_by", "created_at", "ended_at",
          "first_in_line"))
def _waitlist_rows(person: User) -> list[dict]:
    if person.candidate is None:
        return []
    entries = db.session.scalars(select(WaitlistEntry).where(WaitlistEntry.candidate_id == person.candidate.id)
                                 .order_by(WaitlistEntry.id))
    return [{"id": w.id, "job": w.session.title, "employer": w.session.employer.name,
             "session_starts_at": iso(w.session.starts_at), "status": w.status.value,
             "status_text": label_of(w.status), "added_by": _acting_person(person, w.added_by),
             "created_at": iso(w.created_at), "ended_at": iso(w.ended_at), "first_in_line": w.first_in_line}
            for w in entries]


@source("waitlist_offer", _l("Free times offered to you from a waiting list"), CANDIDATE,
         ("starts_at", "employer", "created_at", "expires_at", "answered_at", "booking_id"))
def _waitlist_offer_rows(person: User) -> list[dict]:
    if person.candidate is None:
        return []
    offers = db.session.scalars(
        select(WaitlistOffer).join(WaitlistEntry, WaitlistOffer.entry_id == WaitlistEntry.id)
        .where(WaitlistEntry.candidate_id == person.candidate.id).order_by(WaitlistOffer.id))
    # The token's hash is left out: it guards the e-mailed link, like the other link codes.
    return [{"id": o.id, "entry_id": o.entry_id, "starts_at": iso(o.slot.starts_at),
             "employer": o.slot.session.employer.name, "created_at": iso(o.created_at),
             "expires_at": iso(o.expires_at), "answered_at": iso(o.answered_at), "booking_id": o.booking_id}
            for o in offers]


@source("outbox_message", _l("E-mails sent to you"), EVERYONE,
         ("created_at", "subject", "status_text", "sent_at", "text"))
def _outbox_rows(person: User) -> list[dict]:
    # A candidate's e-mails are about them alone; an employer's or a consultant's name candidates, so only their
    # envelope is given (art. 15(4)). Live sign-in and password links are masked in any case.
    with_text = person.role == Role.CANDIDATE
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient_id == person.id).order_by(OutboxMessage.id))
    return [{"id": m.id, "to": m.recipient, "subject": m.subject, "status": m.status.value,
             "status_text": label_of(m.status), "created_at": iso(m.created_at),
             "sent_at": iso(m.sent_at), "purged_at": iso(m.purged_at),
             "text": mask_secret_links(m.body_text) if with_text and m.purged_at is None else None}
            for m in messages]


@source("webhook_delivery", _l("Events about you sent to the job centre's systems"), CANDIDATE,
         ("kind", "created_at", "status_text", "sent_at", "text"))
def _webhook_rows(person: User) -> list[dict]:
    deliveries = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.candidate_id == person.candidate.id).order_by(WebhookDelivery.id)) if person.candidate else []
    return [{"id": d.id, "kind": d.event, "status": d.status.value, "status_text": label_of(d.status),
             "created_at": iso(d.created_at), "sent_at": iso(d.sent_at), "text": d.payload} for d in deliveries]


def _audit_objects(person: User) -> list:
    """The audit trail's objects that are about the person: their user row, profile, bookings, enrollments,
    organisation and e-mails."""
    objects = [("User", [person.id]),
               ("OutboxMessage", select(OutboxMessage.id).where(OutboxMessage.recipient_id == person.id))]
    if person.candidate is not None:
        objects += [("Candidate", [person.candidate.id]),
                    ("Booking", select(Booking.id).where(Booking.candidate_id == person.candidate.id)),
                    ("Enrollment", select(Enrollment.id).where(Enrollment.candidate_id == person.candidate.id)),
                    ("WaitlistEntry",
                     select(WaitlistEntry.id).where(WaitlistEntry.candidate_id == person.candidate.id))]
    if person.employer_id is not None:
        objects.append(("Employer", [person.employer_id]))
    return [and_(AuditEvent.object_type == kind, AuditEvent.object_id.in_(ids)) for kind, ids in objects]


def audit_events_about(person: User):
    """The query for the audit events a person's export holds: what they did, and what was done to their things."""
    return select(AuditEvent).where(or_(AuditEvent.actor_id == person.id, *_audit_objects(person)))


@source("audit_event", _l("What was done with your data (audit log)"), EVERYONE,
         ("created_at", "action", "object_type", "object_id", "by"))
def _audit_rows(person: User) -> list[dict]:
    events = db.session.scalars(audit_events_about(person).order_by(AuditEvent.id))
    rows = []
    for e in events:
        actor = db.session.get(User, e.actor_id) if e.actor_id else None
        # Who acted, as a role only: the log names no one (a colleague, a consultant) but the person.
        by = _("you") if e.actor_id == person.id else label_of(actor.role) if actor else _("the system")
        rows.append({"id": e.id, "action": e.action, "created_at": iso(e.created_at), "object_type": e.object_type,
                     "object_id": e.object_id, "by": by, "reason": e.reason})
    return rows


@source("user_session", _l("Your sign-ins (browsers signed in)"), EVERYONE, ("created_at", "last_seen_at"))
def _session_sign_in_rows(person: User) -> list[dict]:
    sessions = db.session.scalars(select(UserSession).where(UserSession.user_id == person.id).order_by(UserSession.id))
    return [{"id": s.id, "created_at": iso(s.created_at), "last_seen_at": iso(s.last_seen_at)} for s in sessions]


@source("user_token", _l("Links e-mailed to you"), EVERYONE, ("purpose", "created_at", "expires_at", "used_at"))
def _token_rows(person: User) -> list[dict]:
    tokens = db.session.scalars(select(UserToken).where(UserToken.user_id == person.id).order_by(UserToken.id))
    return [{"id": t.id, "purpose": t.purpose, "created_at": iso(t.created_at), "expires_at": iso(t.expires_at),
             "used_at": iso(t.used_at)} for t in tokens]


@source("integration", _l("Integrations you added"), frozenset({Role.ADMIN}), ("name", "created_at"))
def _integration_rows(person: User) -> list[dict]:
    return [{"id": i.id, "name": i.name, "created_at": iso(i.created_at)} for i in db.session.scalars(
        select(Integration).where(Integration.created_by_id == person.id).order_by(Integration.id))]


@source("api_key", _l("API keys you made"), frozenset({Role.ADMIN}), ("prefix", "scopes", "created_at", "revoked_at"))
def _api_key_rows(person: User) -> list[dict]:
    keys = db.session.scalars(select(ApiKey).where(ApiKey.created_by_id == person.id).order_by(ApiKey.id))
    return [{"id": k.id, "prefix": k.prefix, "scopes": k.scopes, "created_at": iso(k.created_at),
             "revoked_at": iso(k.revoked_at)} for k in keys]


@source("sent_notice", _l("Reminders and notices sent to you"), EVERYONE, ("kind", "object_id", "sent_at"))
def _notice_rows(person: User) -> list[dict]:
    notices = db.session.scalars(select(SentNotice).where(SentNotice.recipient_id == person.id).order_by(SentNotice.id))
    return [{"id": n.id, "kind": n.kind, "object_id": n.object_id, "meeting_at": iso(n.meeting_at),
             "sent_at": iso(n.sent_at)} for n in notices]


def sources_for(person: User) -> list[Source]:
    """The registry's tables that can hold rows about this kind of person, in the export's order."""
    return [s for s in REGISTRY if person.role in s.roles]


def export_person(user: User, *, now: datetime) -> dict:
    """Everything held about a user, JSON-serialisable: times in ISO 8601 UTC, codes with their labels beside."""
    left_out = [_("The secrets that guard the account: the password, the codes in e-mailed links and sign-ins, "
                  "and the calendar feed address.")]
    if user.role != Role.CANDIDATE:
        left_out.append(_("The text of the e-mails: they name candidates, and what is about them is their data."))
    return {
        "format": FORMAT,
        "exported_at": iso(now),
        "controller": current_app.config["PRIVACY_CONTROLLER"],
        "user_id": user.id,
        "left_out": left_out,
        "tables": {s.table: {"title": str(s.title), "rows": s.rows(user)} for s in sources_for(user)},
    }


def export_for(person: User, *, by: User, now: datetime) -> dict:
    """A person's export, given to them or to staff on their behalf, and an audit event saying so (ids only)."""
    export = export_person(person, now=now)
    audit.record(by, "data_exported", person, now=now)
    db.session.flush()
    return export
