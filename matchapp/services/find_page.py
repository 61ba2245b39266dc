"""The find page, worked out: the employers' jobs a candidate can book (rules 0, 3 and 4 of docs/booking-rules.md),
each once with its free times by day, what is chosen, the waiting list of a full one, and why the page is empty
when it is. The view only renders it; the template only lays it out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from matchapp.localtime import local_day
from matchapp.models import Candidate, InterviewSession, WaitlistEntry
from matchapp.services import waitlist
from matchapp.services.availability import (
    FreeTime,
    bookable_sessions,
    completed_course_ids,
    confirmed_bookings,
    free_times,
    load_slots,
    sessions_to_offer,
)

PER_PAGE = 20  # employers' jobs per page
NO_COURSE, ALL_MET, NONE_FREE = "no_course", "all_met", "none_free"


@dataclass(frozen=True)
class PickTime:
    """A time to choose; its slot stands for any free interviewer at that time (rule 0)."""

    slot_id: int
    starts_at: datetime
    chosen: bool


@dataclass(frozen=True)
class PickDay:
    """An offer's times on one local day, in order."""

    day: date
    times: tuple[PickTime, ...]


@dataclass(frozen=True)
class OfferCard:
    """One employer's job (its first session speaks for the others, rule 3) with the free times of its sessions by
    day, or, when every time is taken, the session whose waiting list can be joined and the candidate's place on it.
    `planned_out`: the planner found no time for it; `waiting_count`: how many wait (shown to staff only, else 0)."""

    session: InterviewSession
    days: tuple[PickDay, ...]
    waitlist_session: InterviewSession | None
    waiting_entry: WaitlistEntry | None
    waiting_count: int
    planned_out: bool


@dataclass(frozen=True)
class FindPage:
    """What the find page shows: the offers of this page, those the planner can choose among (the ones with free
    times), whether a next page follows, and why there is nothing to offer (NO_COURSE, ALL_MET, NONE_FREE)."""

    offers: tuple[OfferCard, ...]
    plannable: tuple[OfferCard, ...]
    page: int
    has_next: bool
    why_empty: str | None


@dataclass(frozen=True)
class _Offer:
    sessions: list[InterviewSession]
    times: list[FreeTime]
    waitlist_session: InterviewSession | None


def find_page(candidate: Candidate, *, page: int, staff: bool, chosen: list[int] = (), planned_out: list[int] = (),
              now: datetime) -> FindPage | None:
    """The employers' jobs the candidate can book (rules 3 and 4), each once with its free times by day (rules 0
    and 5); the chosen slots mark their times. None when the page number is past the last page.

    `staff`: a consultant books for the candidate, and sees how many wait for each job.
    """
    offered = sessions_to_offer(candidate, now=now)
    shown = offered[(page - 1) * PER_PAGE:page * PER_PAGE]
    if page > 1 and not shown:
        return None
    offers = _offers(shown, now=now)
    # A chosen slot id stands for its time (rule 0): mark that time, whichever interviewer's slot it now shows.
    chosen_times = {(slot.session_id, slot.starts_at) for slot in (load_slots(list(chosen)) if chosen else [])}
    # The page shows the candidate's place on a waiting list for full offers only, and counts to staff only.
    counts = waitlist.waiting_counts([s.id for offer in offers for s in offer.sessions]) if staff else {}
    waiting = waitlist.waiting_in(candidate, [o.waitlist_session.id for o in offers if o.waitlist_session])
    cards = tuple(_card(offer, chosen_times, set(planned_out), counts, waiting) for offer in offers)
    return FindPage(cards, tuple(card for card in cards if card.days), page, len(offered) > page * PER_PAGE,
                    None if cards else _why_nothing(candidate, now=now))


def _offers(groups: list[list[InterviewSession]], *, now: datetime) -> list[_Offer]:
    """The offers with free times, and the full ones whose waiting list still takes candidates (rule 5)."""
    free = free_times([s for group in groups for s in group], now=now)
    open_lists = waitlist.open_for_waiting([s.id for group in groups for s in group if not free[s.id]], now=now)
    offers = []
    for group in groups:
        times = sorted((t for s in group for t in free[s.id]), key=lambda t: t.starts_at)
        waiting_in = None if times else next((s for s in group if s.id in open_lists), None)
        if times or waiting_in:
            offers.append(_Offer(group, times, waiting_in))
    return offers


def _card(offer: _Offer, chosen_times: set[tuple], planned_out: set[int], counts: dict[int, int],
          waiting: dict[int, WaitlistEntry]) -> OfferCard:
    """The offer as the page shows it."""
    days = tuple(PickDay(day, tuple(PickTime(t.slot_id, t.starts_at, (t.session_id, t.starts_at) in chosen_times)
                                    for t in same))
                 for day, same in groupby(offer.times, key=lambda t: local_day(t.starts_at)))
    listed = offer.waitlist_session or offer.sessions[0]  # the session whose waiting list the card speaks of
    return OfferCard(offer.sessions[0], days, offer.waitlist_session, waiting.get(listed.id),
                     counts.get(listed.id, 0), any(s.id in planned_out for s in offer.sessions))


def _why_nothing(candidate: Candidate, *, now: datetime) -> str:
    """Why the find page has nothing to offer: no completed course yet (rule 4), a meeting at every employer
    already (rule 3), or every time taken (or none published)."""
    if not completed_course_ids(candidate):
        return NO_COURSE
    if confirmed_bookings(candidate) and bookable_sessions(candidate, now=now):
        return ALL_MET
    return NONE_FREE
