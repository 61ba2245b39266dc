"""Who is told about a meeting, and which e-mail and calendar invite each of them gets: outbox rows written in the
change's transaction (rules 6-8 and 10 of docs/booking-rules.md); and the job centre's systems, by webhook."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from matchapp import ical, mail
from matchapp.models import Booking, Clash, Role, SessionStatus, Slot, User
from matchapp.services import webhooks


@dataclass(frozen=True)
class ClashNote:
    """Why an employer's change could not keep a meeting at the time it gave it (rule 10), as the e-mails say it:
    the kind of clash, the meeting's time before the change and the one the change gave it, the candidate's other
    meeting it met (SAME_TIME, TOO_CLOSE; named only to the candidate), the rules' figures, and whether the
    candidate, their meeting cancelled, now waits first in line on the session's waiting list."""

    why: Clash
    was: tuple[datetime, datetime]
    given: tuple[datetime, datetime]
    other: Booking | None
    gap_minutes: int
    cap: int
    waits: bool = False


def people_of(booking: Booking) -> list[User]:
    """Everyone told about a meeting (rules 7 and 10): the candidate, the employer contact, and the consultant who
    booked, each once."""
    people = [booking.candidate.user, booking.session.created_by]
    if booking.booked_by.role == Role.CONSULTANT:
        people.append(booking.booked_by)
    return list({user.id: user for user in people}.values())


def invite_for(booking: Booking, recipient: User, method: str) -> tuple[Booking, str] | None:
    """The calendar invite goes to the meeting's attendees (candidate and employer contact), not to the consultant:
    the reader is the invite's only attendee (least exposure, "Invites" in docs/booking-rules.md)."""
    attendees = {booking.candidate.user_id, booking.session.created_by_id}
    return (booking, method) if recipient.id in attendees else None


def tell_booked(booking: Booking, *, now: datetime) -> None:
    """Tell everyone involved about a new booking (rule 6), with the invite (METHOD:REQUEST); a candidate booked
    for by a consultant is told that it was booked for them."""
    for recipient in people_of(booking):
        template = "booking_made_for_you" if (recipient.id == booking.candidate.user_id
                                              and booking.booked_by_id != recipient.id) else "booking_confirmed"
        mail.queue(recipient, template, now=now, booking=booking, invite=invite_for(booking, recipient, ical.REQUEST))
    webhooks.booking_created(booking, now=now)


def tell_cancelled(booking: Booking, *, reason: str | None, now: datetime, clash: ClashNote | None = None) -> None:
    """Tell everyone involved that a meeting is cancelled (rules 7 and 8), with the reason and the invite's
    CANCEL; the e-mail says when the whole session was cancelled, and, for a meeting an employer's change put in a
    clash, why and what the candidate can do now (rule 10)."""
    session_cancelled = booking.session.status == SessionStatus.CANCELLED
    find = mail.external_url("candidate.find") if clash else None
    for recipient in people_of(booking):
        mail.queue(recipient, "booking_cancelled", now=now, booking=booking, reason=reason,
                   session_cancelled=session_cancelled, clash=clash, find=find,
                   invite=invite_for(booking, recipient, ical.CANCEL))
    webhooks.booking_cancelled(booking, now=now)


def tell_moved(booking: Booking, old_slot: Slot, *, now: datetime) -> None:
    """Tell everyone involved that a meeting moved from the old slot's time (rule 10: told in plain words after),
    with the invite updated in place (METHOD:REQUEST, same UID)."""
    for recipient in people_of(booking):
        mail.queue(recipient, "booking_moved", now=now, booking=booking, old_starts_at=old_slot.starts_at,
                   old_ends_at=old_slot.ends_at, invite=invite_for(booking, recipient, ical.REQUEST))
    webhooks.booking_moved(booking, old_slot, now=now)
