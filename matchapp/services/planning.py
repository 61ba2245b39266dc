"""Choosing times for a candidate (rule 6 of docs/booking-rules.md): the speed round that plans one time at each
chosen employer's job ("Find times for me"), and the time offered instead of one taken meanwhile. Reads only; the
candidate books what is chosen with booking.book_slots."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from matchapp.localtime import local_day
from matchapp.models import Candidate, InterviewSession, Slot
from matchapp.services.availability import (
    bookable_sessions,
    booking_gap,
    check_selection,
    confirmed_bookings,
    free_slots,
    free_slots_at,
    offer_key,
    overlaps,
)

SEARCH_BUDGET = 20_000  # steps of the planner's search: enough for the offers of one page, bounded for any


@dataclass(frozen=True)
class TakenSlot:
    """A time taken meanwhile, and the time offered instead (none when no other time fits)."""

    slot: Slot
    alternative: Slot | None


def auto_plan(candidate: Candidate, session_ids: list[int], *, now: datetime) -> tuple[list[Slot], list[int]]:
    """A speed round (rule 6): one free slot in as many of the chosen offers (a session stands for its offer_key's
    sessions) as fit, none overlapping, with the gap (rule 2) and within the daily cap (rule 5).

    Returns the slots and the ids of the sessions whose offer did not fit. Offers are tried in the order of their
    last free slot and each gets its earliest slot that fits, which places the most offers possible when each
    offer is one interval; a small search covers the rest.
    """
    bookable = bookable_sessions(candidate, now=now)
    wanted = {offer_key(s) for s in bookable if s.id in set(session_ids)}
    sessions = [s for s in bookable if offer_key(s) in wanted]
    keys = {s.id: offer_key(s) for s in sessions}
    mine = [booking.slot for booking in confirmed_bookings(candidate)]
    options = _options(sessions, keys, mine, now=now)
    order = sorted((key for key in options if options[key]), key=lambda key: options[key][-1].ends_at)
    best = _search([options[key] for key in order], mine)
    planned = {keys[slot.session_id] for slot in best}
    return sorted(best, key=lambda s: s.starts_at), [s.id for s in sessions if keys[s.id] not in planned]


def _options(sessions: list[InterviewSession], keys: dict[int, tuple], mine: list[Slot], *,
             now: datetime) -> dict[tuple, list[Slot]]:
    """Per offer, its free slots that keep the gap to the candidate's meetings (rule 2), soonest first; the
    employers' jobs the candidate has a meeting about already are left out (rule 3)."""
    gap = booking_gap()
    met = {(slot.session.employer_id, slot.session.title) for slot in mine}
    options: dict[tuple, list[Slot]] = {}
    for sid, slots in free_slots(sessions, now=now).items():
        if keys[sid][:2] not in met:
            options.setdefault(keys[sid], []).extend(s for s in slots if not any(overlaps(s, m, gap) for m in mine))
    for slots in options.values():
        slots.sort(key=lambda s: (s.starts_at, s.lane))
    return options


def _search(offers: list[list[Slot]], mine: list[Slot]) -> list[Slot]:
    """The most offers that fit together, one slot each, none overlapping (rule 2) and within the daily cap
    (rule 5) counting the candidate's meetings: a bounded depth-first search."""
    gap = booking_gap()
    cap = current_app.config["DAILY_BOOKING_CAP"]
    per_day = Counter(local_day(slot.starts_at) for slot in mine)
    best: list[Slot] = []
    budget = [SEARCH_BUDGET]

    def search(index: int, chosen: list[Slot]) -> None:
        nonlocal best
        if len(chosen) > len(best):
            best = list(chosen)
        if index == len(offers) or budget[0] <= 0 or len(chosen) + len(offers) - index <= len(best):
            return
        budget[0] -= 1
        for slot in offers[index]:
            day = local_day(slot.starts_at)
            if per_day[day] < cap and not any(overlaps(slot, other, gap) for other in chosen):
                per_day[day] += 1
                search(index + 1, [*chosen, slot])
                per_day[day] -= 1
                break  # the earliest slot that fits is the best choice for this session
        search(index + 1, chosen)

    search(0, [])
    return best


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
