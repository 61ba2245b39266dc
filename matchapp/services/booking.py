"""Booking rules 1-8 of DESIGN.md: pick several slots, check them as a whole, book each atomically."""
from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from matchapp import formats, ical, mail
from matchapp.extensions import db
from matchapp.localtime import local_day
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    Employer,
    Enrollment,
    InterviewSession,
    Role,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
    WaitStatus,
)
from matchapp.models.course import CourseRun
from matchapp.models.session import session_course
from matchapp.services import audit, offers, waitlist
from matchapp.services.errors import Conflict, MatchappError, SelectionError


@dataclass(frozen=True)
class TakenSlot:
    """A time taken meanwhile, and the time offered instead (none when no other time fits)."""

    slot: Slot
    alternative: Slot | None


@dataclass(frozen=True)
class BookingResult:
    """What one confirm booked, and the chosen times whose interviewers were all booked meanwhile. The times to
    offer instead are looked for after the commit (offer_alternatives), outside the booking's transaction."""

    booked: list[Booking]
    taken: list[Slot]


def booking_gap() -> timedelta:
    """The least time between two of a candidate's meetings (rule 2)."""
    return timedelta(minutes=current_app.config["BOOKING_GAP_MINUTES"])


def overlaps(a: Slot, b: Slot, gap: timedelta) -> bool:
    """Whether two meetings are closer than the gap (rule 2)."""
    return a.starts_at < b.ends_at + gap and b.starts_at < a.ends_at + gap


def closes_at(slot: Slot) -> datetime:
    """When booking the slot closes (rule 5)."""
    return slot.starts_at - timedelta(hours=slot.session.booking_closes_hours)


def slot_label(slot: Slot) -> str:
    """A slot as messages name it: its time and employer."""
    return f"{formats.slot_time(slot.starts_at)} ({slot.session.employer.name})"


def completed_course_ids(candidate: Candidate) -> set[int]:
    """The courses the candidate has completed."""
    return set(db.session.scalars(
        select(CourseRun.course_id).join(Enrollment, Enrollment.course_run_id == CourseRun.id)
        .where(Enrollment.candidate_id == candidate.id, Enrollment.completed_at.is_not(None))
    ))


def _eligible(session_alias, course_ids: set[int]):
    """SQL condition (rule 4): the candidate completed one of the session's courses, or any if it names none."""
    if not course_ids:
        return false()
    named = select(session_course.c.session_id).where(session_course.c.session_id == session_alias.id)
    return or_(~exists(named), exists(named.where(session_course.c.course_id.in_(course_ids))))


def confirmed_bookings(candidate: Candidate) -> list[Booking]:
    """The candidate's confirmed bookings, with slot, session and employer loaded."""
    return list(db.session.scalars(
        select(Booking).where(Booking.candidate_id == candidate.id, Booking.status == BookingStatus.CONFIRMED)
        .options(selectinload(Booking.slot).selectinload(Slot.session).selectinload(InterviewSession.employer))
    ))


def bookable_sessions_query(candidate: Candidate, *, now: datetime) -> Select:
    """Published future sessions of approved employers that the candidate is eligible for (rule 4), soonest first."""
    return (
        select(InterviewSession).join(Employer)
        .where(InterviewSession.status == SessionStatus.PUBLISHED, InterviewSession.ends_at > now,
               Employer.approved_at.is_not(None), _eligible(InterviewSession, completed_course_ids(candidate)))
        .options(contains_eager(InterviewSession.employer), selectinload(InterviewSession.courses))
        .order_by(InterviewSession.starts_at, InterviewSession.id)
    )


def bookable_sessions(candidate: Candidate, *, now: datetime) -> list[InterviewSession]:
    """The sessions of bookable_sessions_query, as a list."""
    return list(db.session.scalars(bookable_sessions_query(candidate, now=now)))


def offer_key(session: InterviewSession) -> tuple:
    """What makes sessions one offer to candidates: the same employer and job, met the same way for as long. A
    candidate talks to an employer about a job once, on whichever of its days."""
    return session.employer_id, session.title, session.mode, session.address, session.slot_minutes


def sessions_to_offer(candidate: Candidate, *, now: datetime) -> list[list[InterviewSession]]:
    """What the find page offers: the bookable sessions, grouped by offer_key, soonest offer first; left out are
    the employers' jobs the candidate has a meeting about already (rule 3, and its other days)."""
    other = aliased(InterviewSession)
    met = exists().where(Booking.session_id == other.id, Booking.candidate_id == candidate.id,
                         Booking.status == BookingStatus.CONFIRMED, other.employer_id == InterviewSession.employer_id,
                         other.title == InterviewSession.title)
    offers: dict[tuple, list[InterviewSession]] = {}
    for session in db.session.scalars(bookable_sessions_query(candidate, now=now).where(~met)):
        offers.setdefault(offer_key(session), []).append(session)
    return list(offers.values())


@dataclass(frozen=True)
class FreeTime:
    """A time that can be booked in a session, and one free interviewer's slot that stands for it (rule 0)."""

    slot_id: int
    session_id: int
    starts_at: datetime


def free_times(sessions: list[InterviewSession], *, now: datetime) -> dict[int, list[FreeTime]]:
    """For each session, its start times with a free interviewer that can still be booked, in order: one row per
    time from the database, not one object per interviewer's slot."""
    closes = {session.id: timedelta(hours=session.booking_closes_hours) for session in sessions}
    by_session: dict[int, list[FreeTime]] = {session_id: [] for session_id in closes}
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    rows = db.session.execute(
        select(Slot.session_id, Slot.starts_at, func.min(Slot.id))
        .where(Slot.session_id.in_(closes), Slot.status == SlotStatus.OPEN, ~taken)
        .group_by(Slot.session_id, Slot.starts_at).order_by(Slot.starts_at, Slot.session_id)
    )
    for session_id, starts_at, slot_id in rows:
        if starts_at - closes[session_id] > now:
            by_session[session_id].append(FreeTime(slot_id, session_id, starts_at))
    return by_session


def free_slots(sessions: list[InterviewSession], *, now: datetime) -> dict[int, list[Slot]]:
    """For each session, its open slots without a confirmed booking that can still be booked."""
    by_session: dict[int, list[Slot]] = {session.id: [] for session in sessions}
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    slots = db.session.scalars(
        select(Slot).where(Slot.session_id.in_(by_session), Slot.status == SlotStatus.OPEN, ~taken)
        .order_by(Slot.starts_at, Slot.lane)
    )
    for slot in slots:
        if closes_at(slot) > now:
            by_session[slot.session_id].append(slot)
    return by_session


def check_selection(candidate: Candidate, slots: list[Slot], *, now: datetime,
                    moving: Booking | None = None) -> list[str]:
    """Every reason why this selection cannot be booked as a whole (rules 2-5); empty when it can. When `moving`
    a booking, the selection is its new time and the booking itself is left out, as if booked anew."""
    problems: list[str] = []
    gap = booking_gap()
    course_ids = completed_course_ids(candidate)
    existing = [booking for booking in confirmed_bookings(candidate) if moving is None or booking.id != moving.id]
    booked_sessions = {booking.session_id for booking in existing}
    if not slots:
        return [str(_l("Choose at least one time."))]
    for slot in slots:
        session = slot.session
        if session.status != SessionStatus.PUBLISHED or not _time_offered(slot):
            problems.append(str(_l("%(slot)s is no longer offered.", slot=slot_label(slot))))
        elif closes_at(slot) <= now:
            problems.append(str(_l("Booking for %(slot)s has closed.", slot=slot_label(slot))))
        if not (course_ids & {course.id for course in session.courses} if session.courses else course_ids):
            problems.append(str(_l("%(slot)s is for participants of other courses.", slot=slot_label(slot))))
        if session.id in booked_sessions:
            problems.append(str(_l("You already have a meeting in the session at %(employer)s.",
                                   employer=session.employer.name)))
    per_session = Counter(slot.session_id for slot in slots)
    for slot in slots:
        if per_session[slot.session_id] > 1:
            problems.append(str(_l("Choose only one time at %(employer)s.", employer=slot.session.employer.name)))
            per_session[slot.session_id] = 0
    ordered = sorted(slots, key=lambda s: s.starts_at)
    for i, slot in enumerate(ordered):
        for other in ordered[i + 1:]:
            if overlaps(slot, other, gap):
                problems.append(str(_l("%(a)s and %(b)s are too close together.",
                                       a=slot_label(slot), b=slot_label(other))))
        for booking in existing:
            if overlaps(slot, booking.slot, gap):
                problems.append(str(_l("%(a)s is too close to your meeting %(b)s.",
                                       a=slot_label(slot), b=slot_label(booking.slot))))
    cap = current_app.config["DAILY_BOOKING_CAP"]
    per_day = Counter(local_day(booking.slot.starts_at) for booking in existing)
    per_day.update(local_day(slot.starts_at) for slot in slots)
    for day, count in sorted(per_day.items()):
        if count > cap:
            problems.append(str(_l("You can have at most %(cap)d meetings on %(day)s.", cap=cap,
                                   day=formats.day_month(day))))
    return problems


def _time_offered(slot: Slot) -> bool:
    """Some interviewer still offers the slot's time (rule 0), even when this slot itself is cancelled."""
    return slot.status == SlotStatus.OPEN or bool(db.session.scalar(select(exists().where(
        Slot.session_id == slot.session_id, Slot.starts_at == slot.starts_at, Slot.status == SlotStatus.OPEN))))


def load_slots(slot_ids: list[int]) -> list[Slot]:
    """The slots with these ids, with session, employer, creator and courses loaded; unknown ids are left out."""
    return list(db.session.scalars(
        select(Slot).where(Slot.id.in_(slot_ids))
        .options(joinedload(Slot.session).options(joinedload(InterviewSession.employer),
                                                  joinedload(InterviewSession.created_by),
                                                  selectinload(InterviewSession.courses)))
        .order_by(Slot.starts_at)
    ))


def book_slots(candidate: Candidate, slot_ids: list[int], *, by: User, now: datetime) -> BookingResult:
    """Book several times with one confirm (rule 6); each slot id stands for its time in its session (rule 0).

    The selection is checked as a whole first; then each time is booked with a free interviewer in its own
    savepoint, so a time taken meanwhile (all interviewers booked) is reported as taken while the others are
    booked.

    :raises SelectionError: the selection breaks a rule as a whole; nothing is booked.
    """
    # Serialise one candidate's bookings (PostgreSQL; SQLite transactions are serial already).
    db.session.execute(select(Candidate.id).where(Candidate.id == candidate.id).with_for_update())
    slots = load_slots(slot_ids)
    if len(slots) != len(set(slot_ids)):
        raise SelectionError([str(_l("One of the chosen times does not exist."))])
    problems = check_selection(candidate, slots, now=now)
    if problems:
        raise SelectionError(problems)
    candidate.user.last_active_at = now  # retention counts the candidate's inactivity from here
    booked, lost = [], []
    for slot in slots:
        booking = _insert_booking(candidate, slot, by=by, now=now)
        (booked if booking else lost).append(booking or slot)
    waitlist.end_waiting(candidate, [booking.session_id for booking in booked], WaitStatus.BOOKED, now=now)
    for booking in booked:
        audit.record(by, "booking_created", booking, now=now)
        _tell_booked(booking, now=now)
    return BookingResult(booked, lost)


def free_slots_at(slot: Slot) -> list[Slot]:
    """The open slots without a confirmed booking in the slot's session that start when it does: one per free
    interviewer (rule 0), in the interviewers' order."""
    taken = exists().where(Booking.slot_id == Slot.id, Booking.status == BookingStatus.CONFIRMED)
    return list(db.session.scalars(
        select(Slot).where(Slot.session_id == slot.session_id, Slot.starts_at == slot.starts_at,
                           Slot.status == SlotStatus.OPEN, ~taken).order_by(Slot.lane)
    ))


def _insert_booking(candidate: Candidate, slot: Slot, *, by: User, now: datetime) -> Booking | None:
    """Book the slot's time with any free interviewer (rule 0), or None when all of them are taken.

    Each interviewer's slot is tried in its own savepoint: a concurrent booking of the same slot ends as an
    IntegrityError on the partial unique index (rule 1), and the next interviewer is tried.
    """
    for lane_slot in free_slots_at(slot):
        booking = Booking(slot=lane_slot, session_id=lane_slot.session_id, candidate=candidate, booked_by_id=by.id,
                          status=BookingStatus.CONFIRMED, uid=f"{uuid.uuid4()}@matchapp", sequence=0,
                          created_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(booking)
        except IntegrityError:
            continue
        return booking
    return None


def offer_alternatives(candidate: Candidate, taken: list[tuple[Slot, Slot | None]], *,
                       now: datetime) -> list[TakenSlot]:
    """For each time taken meanwhile, another time to book instead (rule 6), all of them bookable together: an
    earlier offer stays while it still fits, so that the answer reads the same on every reload; else the nearest
    one that does. A time the candidate has a meeting in the session of by now needs none."""
    answer: list[TakenSlot] = []
    for slot, offered in taken:
        chosen = [t.alternative for t in answer if t.alternative is not None]
        kept = offered and _still_free(offered, candidate, chosen, now=now)
        answer.append(TakenSlot(slot, kept or _alternative(candidate, slot, chosen, now=now)))
    return answer


def _still_free(slot: Slot, candidate: Candidate, chosen: list[Slot], *, now: datetime) -> Slot | None:
    """A free interviewer's slot at the time of this slot (rule 0), if the candidate could book it together with
    the times chosen already (rules 2-5)."""
    free = free_slots_at(slot)
    return free[0] if free and not check_selection(candidate, [*chosen, free[0]], now=now) else None


def _alternative(candidate: Candidate, slot: Slot, chosen: list[Slot], *, now: datetime) -> Slot | None:
    """The free time in the slot's session nearest to its time that passes every rule of check_selection together
    with the times chosen already: never the slot's own time, whose interviewers are all booked (rule 0)."""
    gap = booking_gap()
    mine = [booking.slot for booking in confirmed_bookings(candidate)]
    if any(other.session_id == slot.session_id for other in mine):
        return None
    options = [s for s in free_slots([slot.session], now=now)[slot.session_id]
               if s.starts_at != slot.starts_at and not any(overlaps(s, other, gap) for other in [*mine, *chosen])]
    options.sort(key=lambda s: (abs(s.starts_at - slot.starts_at), s.starts_at, s.lane))
    # The cheap look at the candidate's meetings above leaves few; the full check covers the daily cap and the rest.
    return next((s for s in options if not check_selection(candidate, [*chosen, s], now=now)), None)


def auto_plan(candidate: Candidate, session_ids: list[int], *, now: datetime) -> tuple[list[Slot], list[int]]:
    """A speed round: one free slot in as many of the chosen offers (a session stands for its offer_key's
    sessions) as fit, none overlapping.

    Returns the slots and the ids of the sessions whose offer did not fit. Offers are tried in the order of their
    last free slot and each gets its earliest slot that fits, which places the most offers possible when each
    offer is one interval; a small search covers the rest.
    """
    gap = booking_gap()
    bookable = bookable_sessions(candidate, now=now)
    wanted = {offer_key(s) for s in bookable if s.id in set(session_ids)}
    sessions = [s for s in bookable if offer_key(s) in wanted]
    mine = [booking.slot for booking in confirmed_bookings(candidate)]
    met = {(slot.session.employer_id, slot.session.title) for slot in mine}
    keys = {s.id: offer_key(s) for s in sessions}
    options: dict[tuple, list[Slot]] = {}
    for sid, slots in free_slots(sessions, now=now).items():
        if keys[sid][:2] not in met:
            options.setdefault(keys[sid], []).extend(s for s in slots if not any(overlaps(s, m, gap) for m in mine))
    for slots in options.values():
        slots.sort(key=lambda s: (s.starts_at, s.lane))
    order = sorted((key for key in options if options[key]), key=lambda key: options[key][-1].ends_at)
    cap = current_app.config["DAILY_BOOKING_CAP"]
    per_day = Counter(local_day(slot.starts_at) for slot in mine)
    best: list[Slot] = []
    budget = [20_000]

    def search(index: int, chosen: list[Slot]) -> None:
        nonlocal best
        if len(chosen) > len(best):
            best = list(chosen)
        if index == len(order) or budget[0] <= 0 or len(chosen) + len(order) - index <= len(best):
            return
        budget[0] -= 1
        for slot in options[order[index]]:
            day = local_day(slot.starts_at)
            if per_day[day] < cap and not any(overlaps(slot, other, gap) for other in chosen):
                per_day[day] += 1
                search(index + 1, [*chosen, slot])
                per_day[day] -= 1
                break  # the earliest slot that fits is the best choice for this session
        search(index + 1, chosen)

    search(0, [])
    planned = {keys[slot.session_id] for slot in best}
    return sorted(best, key=lambda s: s.starts_at), [s.id for s in sessions if keys[s.id] not in planned]


def cancel_booking(booking: Booking, *, reason: str | None, by: User | None, now: datetime) -> None:
    """Cancel a booking and free its slot at once (rule 8); everyone involved is told (by None: the app itself,
    when a retention job erases a candidate).

    :raises Conflict: the booking is cancelled already.
    :raises MatchappError: a candidate cancels after the cutoff (rule 5).
    """
    if booking.status == BookingStatus.CANCELLED:
        raise Conflict(_l("The meeting is cancelled already."))
    cutoff = timedelta(hours=current_app.config["CANCEL_CUTOFF_HOURS"])
    if by is not None and by.role == Role.CANDIDATE and now > booking.slot.starts_at - cutoff:
        raise MatchappError(_l("It is too late to cancel here. Please contact your consultant."))
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by_id = by.id if by else None
    booking.cancel_reason = reason or None
    booking.sequence += 1
    db.session.flush()
    audit.record(by, "booking_cancelled", booking, now=now)
    session_cancelled = booking.session.status == SessionStatus.CANCELLED
    for recipient in people_of(booking):
        mail.queue(recipient, "booking_cancelled", now=now, booking=booking, reason=reason,
                   session_cancelled=session_cancelled, invite=invite_for(booking, recipient, ical.CANCEL))
    if booking.slot.status == SlotStatus.OPEN and booking.session.status == SessionStatus.PUBLISHED:
        offers.offer_free_times(booking.session, [booking.slot], now=now)


def move_to_free_lane(booking: Booking, slots: list[Slot]) -> bool:
    """Put the booking on the first of these slots it gets (one interviewer's slot each, rule 0); False when every
    one was booked meanwhile.

    Each slot is tried in its own savepoint: a concurrent booking of it ends as an IntegrityError on the partial
    unique index (rule 1), and the next one is tried.
    """
    for slot in slots:
        try:
            with db.session.begin_nested():
                booking.slot = slot
                db.session.flush()
        except IntegrityError:
            continue
        return True
    return False


def people_of(booking: Booking) -> list[User]:
    """Candidate, the employer contact, and the consultant who booked, each once."""
    people = [booking.candidate.user, booking.session.created_by]
    if booking.booked_by.role == Role.CONSULTANT:
        people.append(booking.booked_by)
    return list({user.id: user for user in people}.values())


def invite_for(booking: Booking, recipient: User, method: str) -> tuple[Booking, str] | None:
    """The calendar invite goes to the meeting's attendees (candidate and employer contact), not to the consultant."""
    attendees = {booking.candidate.user_id, booking.session.created_by_id}
    return (booking, method) if recipient.id in attendees else None


def _tell_booked(booking: Booking, *, now: datetime) -> None:
    for recipient in people_of(booking):
        template = "booking_made_for_you" if (recipient.id == booking.candidate.user_id
                                              and booking.booked_by_id != recipient.id) else "booking_confirmed"
        mail.queue(recipient, template, now=now, booking=booking, invite=invite_for(booking, recipient, ical.REQUEST))
