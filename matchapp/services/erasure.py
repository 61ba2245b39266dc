"""Erasure (GDPR art. 17): a candidate, an employer's member or a whole organisation.

What identifies the person goes from every table: name, e-mail address, phone, pitch, the job centre's own id for
them (external id), free text, the employer's notes on their meetings, their e-mails in the outbox, the bodies of
e-mails to others that name them, and their name, address and external id from webhook payloads (the events stay,
naming the candidate's id only). What the figures count stays, pseudonymous: the user row (as "#<id>"), the
candidate's job centre and target group, enrollments, bookings, outcomes, answers and follow-ups, so the dashboard
shows the same figures after an erasure as before. The audit log keeps its entries (ids only) and one more: who
erased, when, and a reason from a fixed list.
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from matchapp.extensions import db
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    Employer,
    InterviewSession,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    SessionStatus,
    Slot,
    User,
    UserToken,
)
from matchapp.services import audit, locks, user_sessions, waitlist, webhooks
from matchapp.services.booking import cancel_booking
from matchapp.services.errors import Conflict, MatchappError
from matchapp.services.sessions import cancel_session

# Why someone was erased: a code in the audit log, never free text (which could name the person again).
REASONS = {
    "requested": _l("The person asked to be erased"),
    "no_longer_needed": _l("The data are no longer needed"),
    "created_by_mistake": _l("Created by mistake"),
    "inactive": _l("No activity for the retention period"),
}


def _check_reason(reason: str) -> None:
    if reason not in REASONS:
        raise MatchappError(_l("Choose a reason."), field="reason")


def _anonymise_user(user: User, *, now: datetime) -> tuple[str, ...]:
    """Replace what identifies a user by a pseudonym, end their sessions and links, and return what was replaced
    (to find it in the outbox)."""
    if user.erased_at is not None:
        raise Conflict(_l("This person has been erased already."))
    identifiers = tuple(value for value in (user.name, user.email, user.phone) if value)
    user.name = f"#{user.id}"
    user.email = f"erased-{user.id}@erased.invalid"  # .invalid: a reserved name that no mail server accepts
    user.phone = None
    user.password_hash = None
    user.calendar_token = None
    user.calendar_token_expires_at = None
    user.active = False
    user.erased_at = now
    user_sessions.end_all_sessions(user)
    db.session.execute(delete(UserToken).where(UserToken.user_id == user.id))
    return identifiers


def _naming(identifiers: tuple[str, ...]) -> re.Pattern:
    """Any of the identifiers as a whole word, as written in a plain text, an HTML or an invite (folded or not)."""
    forms = set()
    for value in identifiers:
        forms.update((value, escape(value), escape(value, quote=False)))
    return re.compile("|".join(rf"(?<!\w){re.escape(form)}(?!\w)" for form in sorted(forms, key=len, reverse=True)))


def _scrub_outbox(users: list[User], identifiers: tuple[str, ...], *, now: datetime) -> None:
    """Delete the e-mails to the erased people; of e-mails to others that name them, purge the sent ones' bodies
    and withdraw the unsent ones (an e-mail cannot go out half blank)."""
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient_id.in_([user.id for user in users])))
    if not identifiers:
        return
    naming = _naming(identifiers)
    for message in db.session.scalars(select(OutboxMessage).where(OutboxMessage.purged_at.is_(None))):
        unfolded = (message.ical or "").replace("\r\n ", "").replace("\r\n\t", "")
        if not any(naming.search(text) for text in (message.body_text, message.body_html, unfolded)):
            continue
        if message.status == OutboxStatus.SENT:
            message.body_text, message.body_html, message.ical, message.purged_at = "", "", None, now
        else:
            db.session.delete(message)
    db.session.flush()


def is_erased(employer: Employer) -> bool:
    """Whether the organisation has been erased (its name is then its pseudonym)."""
    return employer.name == f"#{employer.id}"


def erase_candidate(candidate: Candidate, *, reason: str, by: User | None, now: datetime) -> None:
    """Erase a candidate: future meetings are cancelled (the employer gets a CANCEL invite naming only "#<id>"),
    and everything that identifies them is removed; by None is the retention job.

    :raises MatchappError: the reason is not one of REASONS.
    :raises Conflict: the candidate has been erased already.
    """
    _check_reason(reason)
    locks.hold_for_candidates([candidate.id], now=now)  # rule 9
    user = candidate.user
    identifiers = _anonymise_user(user, now=now)
    candidate.pitch, candidate.external_id = "", None  # the id would name them in the job centre's system
    waitlist.forget_candidate(candidate, now=now)  # first: the cancellations below offer their times to others
    bookings = db.session.scalars(select(Booking).where(Booking.candidate_id == candidate.id)).all()
    for booking in bookings:
        if booking.status == BookingStatus.CONFIRMED and booking.slot.starts_at > now:
            cancel_booking(booking, reason=None, by=by, now=now)  # after the pseudonym: no invite names them
        booking.cancel_reason = None
    for outcome in db.session.scalars(select(Outcome).where(Outcome.booking_id.in_([b.id for b in bookings]))):
        outcome.note = ""
    _scrub_outbox([user], identifiers, now=now)
    webhooks.forget_candidate(candidate)
    audit.record(by, "candidate_erased", candidate, now=now, reason=reason)


def erase_member(user: User, *, reason: str, by: User | None, now: datetime) -> None:
    """Erase an employer's member: their sessions stay with the organisation, credited to "#<id>".

    :raises MatchappError: the user is not an employer's member, or the reason is not one of REASONS.
    :raises Conflict: the member has been erased already.
    """
    if user.employer_id is None:
        raise MatchappError(_l("Only an employer's member can be erased here."))
    _check_reason(reason)
    identifiers = _anonymise_user(user, now=now)
    _scrub_outbox([user], identifiers, now=now)
    audit.record(by, "member_erased", user, now=now, reason=reason)


def erase_employer(employer: Employer, *, reason: str, by: User, now: datetime) -> None:
    """Erase an organisation and all its members: its future sessions are cancelled (every booked candidate is
    told), its name, CVR number, address, places, links and notes are removed; its held meetings stay in the
    figures as "#<id>". E-mails already sent to candidates keep the organisation's name (they are the candidates'
    record of their own meetings) until the retention job purges them.

    :raises MatchappError: the reason is not one of REASONS.
    :raises Conflict: the organisation has been erased already.
    """
    _check_reason(reason)
    if is_erased(employer):
        raise Conflict(_l("This organisation has been erased already."))
    locks.hold_for_change(db.session.scalars(select(InterviewSession.id).where(  # rule 9
        InterviewSession.employer_id == employer.id, InterviewSession.status == SessionStatus.PUBLISHED,
        InterviewSession.ends_at > now)))
    members = db.session.scalars(select(User).where(User.employer_id == employer.id,
                                                    User.erased_at.is_(None))).all()
    identifiers = [value for member in members for value in _anonymise_user(member, now=now)]
    sessions = db.session.scalars(select(InterviewSession).where(InterviewSession.employer_id == employer.id)).all()
    for session in sessions:  # after the members' pseudonyms: the cancellations name nobody
        if session.status == SessionStatus.PUBLISHED and session.ends_at > now:
            cancel_session(session, "", by=by, now=now)
        elif session.status == SessionStatus.DRAFT:
            session.status, session.cancelled_at = SessionStatus.CANCELLED, now
        session.description, session.address, session.video_url, session.cancel_reason = "", None, None, None
    employer.name, employer.address = f"#{employer.id}", ""
    employer.cvr = f"X{employer.id:07d}"[-8:]  # 8 characters as the constraint wants, never a valid CVR number
    if sessions:
        held = select(Booking.id).where(Booking.session_id.in_([session.id for session in sessions]))
        for outcome in db.session.scalars(select(Outcome).where(Outcome.booking_id.in_(held))):
            outcome.note = ""
    _scrub_outbox(members, tuple(identifiers), now=now)
    webhooks.forget_employer(employer.id)
    audit.record(by, "employer_erased", employer, now=now, reason=reason)


def pending_meetings(candidate: Candidate, *, now: datetime) -> int:
    """How many future meetings an erasure of the candidate would cancel (the confirmation page says so)."""
    return len(db.session.scalars(select(Booking.id).join(Slot, Booking.slot_id == Slot.id).where(
        Booking.candidate_id == candidate.id, Booking.status == BookingStatus.CONFIRMED,
        Slot.starts_at > now)).all())


def future_sessions(employer: Employer, *, now: datetime) -> int:
    """How many published sessions still to come an erasure of the organisation would cancel."""
    return len(db.session.scalars(select(InterviewSession.id).where(
        InterviewSession.employer_id == employer.id, InterviewSession.status == SessionStatus.PUBLISHED,
        InterviewSession.ends_at > now)).all())

