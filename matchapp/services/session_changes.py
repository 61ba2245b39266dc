"""Changing a published session: its times and interviewers, its day, its place; and moving a booking between the
employer's interviewers (rule 0: the candidate booked a time, the employer decides who talks to whom).

Every change keeps the bookings it can: a booking keeps its UID, and when its time or place changes its SEQUENCE
grows by one and the candidate and the employer contact get an updated invite (METHOD:REQUEST) with an e-mail saying
what changed. A change that changes nothing sends nothing and records nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from matchapp import ical, mail
from matchapp.extensions import db
from matchapp.localtime import local_to_utc
from matchapp.models import (
    Booking,
    BookingStatus,
    InterviewSession,
    MeetingMode,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
    WaitlistOffer,
)
from matchapp.services import audit, availability, locks, notifications, offers, session_clashes, waitlist, webhooks
from matchapp.services import booking as rules
from matchapp.services.errors import Conflict, MatchappError
from matchapp.services.session_changes_plan import Clashing, SlotNow, TimesPlan, plan_times
from matchapp.services.sessions import PlannedSlot, draft_of, plan_slots


@dataclass(frozen=True)
class SessionMoved:
    """What moving a session did (rule 10): how many booked candidates were told, and of their meetings how many got
    another time of the session and how many were cancelled, because the session's new time put them in a clash."""

    told: int = 0
    other_time: int = 0
    cancelled: int = 0


class ReasonNeeded(MatchappError):
    """The change would cancel booked meetings and no reason for the candidates was given; nothing changed.
    `count` is how many meetings it would cancel."""

    def __init__(self, count: int):
        super().__init__(_l("The change cancels booked meetings. Write a reason for the candidates."), field="reason")
        self.count = count


def hold_changeable(session: InterviewSession, *, now: datetime) -> None:
    """Hold the session for a change (rule 9: no booking is written meanwhile, and the ones made before are seen).

    :raises Conflict: the session is not published, or has started already."""
    locks.hold_for_change([session.id])
    if session.status != SessionStatus.PUBLISHED:
        raise Conflict(_l("Only a published session can be changed here."))
    if session.starts_at <= now:
        raise Conflict(_l("The session has already started."))


def _confirmed(session: InterviewSession) -> dict[int, Booking]:
    """The session's confirmed bookings by slot id."""
    return {b.slot_id: b for b in db.session.scalars(
        select(Booking).where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED))}


def _used(slot: Slot) -> bool:
    """Whether anything refers to the slot: a booking (also a cancelled one) or a waiting-list offer."""
    return bool(db.session.scalar(select(
        exists().where(Booking.slot_id == slot.id) | exists().where(WaitlistOffer.slot_id == slot.id))))


def _plan(session: InterviewSession, **changes) -> list[PlannedSlot]:
    """The session's slots as planned with these changes to its times."""
    return plan_slots(replace(draft_of(session), **changes))


def change_times(session: InterviewSession, start_time: time, end_time: time, interviewers: int, *,
                 reason: str | None, by: User, now: datetime) -> int:
    """Change the start and end time on the same day and the number of interviewers, keeping every booking it can
    (rules 0 and 7); returns how many booked meetings were cancelled.

    Slots are matched by (interviewer, start time): the kept ones keep their bookings, new ones are offered to the
    waiting list. A booking of a removed interviewer moves to a free interviewer at the same time; if there is none
    it is cancelled (CANCEL invite, e-mail, the reason) and the candidate is put on the waiting list. Removed slots
    that were never booked nor offered are deleted (the page shows no trace of them); the others are cancelled, since
    bookings and offers refer to them. First the change is planned (plan_times), then written. No meeting gets
    another time here (only another interviewer at the same time), so no candidate is put in a clash (rule 10).

    :raises Conflict: the session is not published or has started.
    :raises MatchappError: the new times give no slot, or start in the past.
    :raises ReasonNeeded: booked meetings would be cancelled and no reason was given; nothing changed.
    """
    hold_changeable(session, now=now)
    if (start_time, end_time, interviewers) == (session.start_time, session.end_time, session.interviewers):
        return 0
    planned = _plan(session, start_time=start_time, end_time=end_time, interviewers=interviewers)
    booked = _confirmed(session)
    plan = plan_times(_slots_now(session, booked), planned, now=now)
    reason = (reason or "").strip() or None
    if plan.cancelled and not reason:
        raise ReasonNeeded(len(plan.cancelled))
    added, cancelled = _write_times(session, plan, {b.id: b for b in booked.values()}, reason=reason, by=by, now=now)
    session.start_time, session.end_time, session.interviewers = start_time, end_time, interviewers
    session.starts_at, session.ends_at = plan.starts_at, plan.ends_at
    db.session.flush()
    audit.record(by, "session_times_changed", session, now=now)
    _offer_added(session, added, now=now)
    return cancelled


def _slots_now(session: InterviewSession, booked: dict[int, Booking]) -> list[SlotNow]:
    """The session's slots as plain values, each with its confirmed booking (booked: by slot id)."""
    return [SlotNow(slot.id, slot.lane, slot.starts_at, slot.status == SlotStatus.OPEN,
                    booked[slot.id].id if slot.id in booked else None) for slot in session.slots]


def _write_times(session: InterviewSession, plan: TimesPlan, bookings: dict[int, Booking], *,
                 reason: str | None, by: User, now: datetime) -> tuple[list[Slot], int]:
    """Write the plan's slots and meetings (bookings: the confirmed ones by id); returns the slots added and how
    many meetings were cancelled.

    :raises ReasonNeeded: a candidate took the free interviewer meanwhile and no reason was given.
    """
    existing = {slot.id: slot for slot in session.slots}
    added = [Slot(session=session, lane=p.lane, starts_at=p.starts_at, ends_at=p.ends_at, status=SlotStatus.OPEN)
             for p in plan.added]
    db.session.add_all(added)
    db.session.flush()
    removed = [existing[slot_id] for slot_id in plan.removed]
    for slot in removed:
        slot.status = SlotStatus.CANCELLED
    cancelled = _rehome(session, plan, bookings, reason=reason, by=by, now=now)
    for slot in removed:
        if not _used(slot):
            session.slots.remove(slot)
    return added, cancelled


def _rehome(session: InterviewSession, plan: TimesPlan, bookings: dict[int, Booking], *, reason: str | None,
            by: User, now: datetime) -> int:
    """Move each meeting of a removed slot to the interviewer free at its time, as a booking would get one (rule 0):
    the plan's, unless a candidate took it meanwhile; else cancel it (rule 7); returns how many were cancelled.

    :raises ReasonNeeded: a candidate took the free interviewer meanwhile and no reason was given.
    """
    cancelled = 0
    for meeting in plan.rehomed:
        booking = bookings[meeting.booking_id]
        free = [slot for slot in availability.free_slots_at(booking.slot) if plan.keeps(slot.lane, slot.starts_at)]
        if rules.move_to_free_lane(booking, free):
            audit.record(by, "booking_interviewer_changed", booking, now=now)
            continue
        if not reason:  # a candidate took the free interviewer meanwhile
            raise ReasonNeeded(1)
        rules.cancel_booking(booking, reason=reason, by=by, now=now)
        _wait_again(session, booking, by=by, now=now)
        cancelled += 1
    return cancelled


def _offer_added(session: InterviewSession, added: list[Slot], *, now: datetime) -> None:
    """Offer the added slots that no moved meeting took to the waiting list."""
    if not added:
        return
    booked = _confirmed(session)
    still_free = [slot for slot in added if slot.id not in booked]
    if still_free:
        offers.offer_free_times(session, still_free, now=now)


def _wait_again(session: InterviewSession, booking: Booking, *, by: User, now: datetime, first: bool = False) -> None:
    """Offer the candidate of a cancelled meeting a new place: the session's waiting list (`first`: ahead of the
    others, rule 10). A candidate the list refuses (e.g. no longer eligible) is simply not put on it: the
    cancellation stands either way."""
    try:
        with db.session.begin_nested():
            waitlist.join(session, booking.candidate, by=by, now=now, first=first)
    except MatchappError:
        pass


def move_session(session: InterviewSession, local_date: date, start_time: time, *, confirm: str | None = None,
                 by: User, now: datetime) -> SessionMoved:
    """Move the whole session to another day and/or start time, keeping its length; returns how many booked
    candidates were told, and how many of their meetings moved to another time or were cancelled (rule 10).

    The end moves with the start on the wall clock; every slot shifts by the same real amount, so each meeting keeps
    its length, and the session at its new time must have the slots sessions.plan_slots gives it there. Every
    booking keeps its UID, its SEQUENCE grows by one, and the candidate and the employer contact get an updated
    invite with a "session changed" e-mail.

    No move makes a clash (rule 10): a meeting whose new time would overlap another of its candidate's meetings
    or come closer to it than the gap (rule 2), pass the candidate's daily cap (rule 5), or that is in a session the
    candidate is no longer eligible for (rule 4) moves to the free time of the session nearest its new time that
    fits the candidate (plan_clashes); when none fits, it is cancelled and the candidate is put first on the
    session's waiting list (if eligible and the list is open). Each is told why in plain words. The employer
    confirms this first: a move that would put booked candidates in a clash is refused (ClashesFound) unless
    `confirm` is session_clashes.confirm_code of exactly that outcome (the page showed it).

    :raises Conflict: the session is not published or has started.
    :raises MatchappError: the new time passes midnight, starts in the past, or the clocks change during it so that
        the session would have other slots there (more or fewer).
    :raises ClashesFound: the move would put booked candidates in a clash and `confirm` does not confirm what then
        happens to them; nobody has been told, and the caller's savepoint (attempt()) undoes the flushed move.
    """
    hold_changeable(session, now=now)
    if (local_date, start_time) == (session.local_date, session.start_time):
        return SessionMoved()
    length = datetime.combine(session.local_date, session.end_time) - datetime.combine(
        session.local_date, session.start_time)
    new_start = datetime.combine(local_date, start_time)
    if (new_start + length).date() != local_date:
        raise MatchappError(_l("The session must end on the same day."), field="start_time")
    moves = _shifted(session, local_date, start_time, (new_start + length).time())
    # The session's own times come from its open slots, not from the cancelled ones a change of times left behind.
    planned = [times for slot, times in moves.items() if slot.status == SlotStatus.OPEN] or list(moves.values())
    first = min(starts_at for starts_at, _ in planned)
    if first <= now:
        raise MatchappError(_l("The session must start in the future."), field="local_date")
    booked = _confirmed(session)
    old_times = {booking.id: (booking.slot.starts_at, booking.slot.ends_at) for booking in booked.values()}
    _put_in_place(moves)
    session.local_date, session.start_time = local_date, start_time
    session.end_time = (new_start + length).time()
    session.starts_at = first
    session.ends_at = max(ends_at for _, ends_at in planned)
    db.session.flush()
    clashes = session_clashes.find_clashes(session, booked, now=now)
    code = session_clashes.confirm_code(local_date, start_time, clashes)
    if clashes and confirm != code:
        raise session_clashes.ClashesFound(session_clashes.shown(booked, clashes), code)
    audit.record(by, "session_moved", session, now=now)
    return _settle(session, booked, {clash.booking_id: clash for clash in clashes}, old_times, by=by, now=now)


def _settle(session: InterviewSession, booked: dict[int, Booking], clashes: dict[int, Clashing],
            old_times: dict[int, tuple[datetime, datetime]], *, by: User, now: datetime) -> SessionMoved:
    """Tell each booked candidate about the move; a meeting in a clash first moves to its free time, else is
    cancelled and its candidate put first on the waiting list (rule 10). The times the moved meetings left are
    offered to the waiting list."""
    left, cancelled = [], 0
    for booking in booked.values():
        booking.timed_at = now  # its reminders follow it to the new time (services/reminders.py)
        clash = clashes.get(booking.id)
        if clash is None:
            _tell_changed(booking, old_times=old_times[booking.id], now=now)
            continue
        note, slot = session_clashes.note(booking, clash, was=old_times[booking.id]), booking.slot
        if clash.to is not None and rules.move_to_free_lane(booking, [db.session.get(Slot, clash.to.id)]):
            left.append(slot)
            audit.record(by, "booking_moved", booking, now=now)
            _tell_changed(booking, old_times=old_times[booking.id], clash=note, now=now)
            continue
        rules.cancel_booking(booking, reason=None, by=by, now=now, clash=note)
        if note.waits:
            _wait_again(session, booking, first=True, by=by, now=now)
        cancelled += 1
    if left:
        offers.offer_free_times(session, left, now=now)
    return SessionMoved(told=len(booked), other_time=len(left), cancelled=cancelled)


def _shifted(session: InterviewSession, local_date: date, start_time: time,
             end_time: time) -> dict[Slot, tuple[datetime, datetime]]:
    """Each slot's new start and end (UTC) when the session moves to these wall-clock times: all by the same real
    amount, so that each keeps its length and the session its order.

    :raises MatchappError: the clocks change during the old or the new time, so that the session planned there
        (sessions.plan_slots) would not have the same slots shifted.
    """
    planned_now = _plan(session)
    planned_then = _plan(session, local_date=local_date, start_time=start_time, end_time=end_time)
    shift = local_to_utc(local_date, start_time) - local_to_utc(session.local_date, session.start_time)
    if [(p.lane, p.starts_at + shift, p.ends_at + shift) for p in planned_now] != [
            (p.lane, p.starts_at, p.ends_at) for p in planned_then]:
        raise MatchappError(_l("The clocks change during that time. Choose another time."), field="start_time")
    return {slot: (slot.starts_at + shift, slot.ends_at + shift) for slot in session.slots}


def _put_in_place(moves: dict[Slot, tuple[datetime, datetime]]) -> None:
    """Give each slot its new start and end.

    Two phases, because UNIQUE(session_id, lane, starts_at) is checked row by row: first out of the way (a time no
    session has, unique by slot id), then into place.
    """
    parked = datetime(1970, 1, 1, tzinfo=UTC)
    for slot in moves:
        slot.starts_at = parked + timedelta(minutes=2 * slot.id)
        slot.ends_at = slot.starts_at + timedelta(minutes=1)
    db.session.flush()
    for slot, (starts_at, ends_at) in moves.items():
        slot.starts_at, slot.ends_at = starts_at, ends_at


def change_place(session: InterviewSession, *, video_url: str | None, address: str | None, by: User,
                 now: datetime) -> int:
    """Change the video link (video meetings) or the address (meetings on site); returns how many booked candidates
    were told (an updated invite and an e-mail each).

    :raises Conflict: the session is not published or has started, or is held by phone.
    :raises MatchappError: an on-site meeting without an address.
    """
    hold_changeable(session, now=now)
    if session.mode == MeetingMode.VIDEO:
        new, field = (video_url or "").strip() or None, "video_url"
    elif session.mode == MeetingMode.ONSITE:
        new, field = (address or "").strip() or None, "address"
        if new is None:
            raise MatchappError(_l("Enter the address of the meeting."), field="address")
    else:
        raise Conflict(_l("A phone meeting has no link or address to change."))
    if getattr(session, field) == new:
        return 0
    setattr(session, field, new)
    db.session.flush()
    audit.record(by, "session_place_changed", session, now=now)
    booked = list(_confirmed(session).values())
    for booking in booked:
        _tell_changed(booking, old_times=None, now=now)
    return len(booked)


def _tell_changed(booking: Booking, *, old_times: tuple[datetime, datetime] | None, now: datetime,
                  clash: notifications.ClashNote | None = None) -> None:
    """An updated invite (same UID, SEQUENCE + 1) and an e-mail saying what changed, to everyone involved; with the
    clash that gave the meeting another time than the session's move did, and where the candidate can change it."""
    booking.sequence += 1
    meetings = mail.external_url("candidate.meetings") if clash else None
    for recipient in notifications.people_of(booking):
        mail.queue(recipient, "session_changed", now=now, booking=booking, old_times=old_times, clash=clash,
                   meetings=meetings, invite=notifications.invite_for(booking, recipient, ical.REQUEST))
    webhooks.session_changed(booking, old_times=old_times, now=now)


def change_interviewer(booking: Booking, lane: int, *, by: User, now: datetime) -> None:
    """Move a booking to another of the employer's interviewers at the same time (rule 0: the candidate booked the
    time). Neither the time nor the place changes, and the invite names no interviewer, so nobody is told.

    :raises Conflict: the meeting is cancelled or has started, or that interviewer is not free at that time.
    """
    locks.hold_for_change([booking.session_id])  # rule 9
    session = booking.session
    if booking.status != BookingStatus.CONFIRMED or session.status != SessionStatus.PUBLISHED:
        raise Conflict(_l("The meeting is cancelled."))
    if booking.slot.starts_at <= now:
        raise Conflict(_l("The meeting has already started."))
    if lane == booking.slot.lane:
        return
    target = db.session.scalar(select(Slot).where(
        Slot.session_id == session.id, Slot.lane == lane, Slot.starts_at == booking.slot.starts_at,
        Slot.status == SlotStatus.OPEN))
    if target is None or not rules.move_to_free_lane(booking, [target]):
        raise Conflict(_l("Interviewer %(lane)d is not free at that time.", lane=lane))
    audit.record(by, "booking_interviewer_changed", booking, now=now)
