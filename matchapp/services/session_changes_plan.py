"""Planning a change of a published session before anything is written, from plain values: the difference between
the slots the session has and the ones new times give (the first step of session_changes.change_times), and which
booked meetings a move of the session would put in a clash, and where each goes instead (session_changes.move_session,
rule 10). Reads and writes nothing; session_changes writes the plan.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from matchapp.localtime import local_day
from matchapp.models import Clash
from matchapp.services import availability
from matchapp.services.errors import MatchappError
from matchapp.services.sessions import PlannedSlot


@dataclass(frozen=True)
class SlotNow:
    """One interviewer's time (a slot of a lane, rule 0) as the session has it before the change."""

    id: int
    lane: int
    starts_at: datetime
    is_open: bool
    booking_id: int | None = None  # its confirmed booking


@dataclass(frozen=True)
class Rehoming:
    """A booked meeting whose interviewer's time the change removes: it moves to the interviewer `lane`, free at
    the same time, or, when no interviewer is free then (lane None), it is cancelled and the candidate waits again."""

    booking_id: int
    starts_at: datetime
    lane: int | None


@dataclass(frozen=True)
class TimesPlan:
    """What a change of times and interviewers does to a session, worked out before anything is written."""

    planned: tuple[PlannedSlot, ...]  # every slot of the new times
    added: tuple[PlannedSlot, ...]  # the slots the session does not have yet: offered to the waiting list
    removed: tuple[int, ...]  # ids of the slots the new times leave out
    rehomed: tuple[Rehoming, ...]  # the meetings booked on those, in the session's order

    @property
    def moved(self) -> tuple[Rehoming, ...]:
        return tuple(meeting for meeting in self.rehomed if meeting.lane is not None)

    @property
    def cancelled(self) -> tuple[Rehoming, ...]:
        return tuple(meeting for meeting in self.rehomed if meeting.lane is None)

    @property
    def starts_at(self) -> datetime:
        return min(p.starts_at for p in self.planned)

    @property
    def ends_at(self) -> datetime:
        return max(p.ends_at for p in self.planned)

    def keeps(self, lane: int, starts_at: datetime) -> bool:
        """Whether the new times have this interviewer's slot at this time."""
        return any((p.lane, p.starts_at) == (lane, starts_at) for p in self.planned)


def plan_times(slots: list[SlotNow], planned: list[PlannedSlot], *, now: datetime) -> TimesPlan:
    """The difference between a session's slots and the new times planned (rule 0: slots are matched by interviewer
    and start time; a meeting of a removed slot gets a free interviewer at its time, else it is cancelled, rule 7).
    Reads and writes nothing.

    :raises MatchappError: the new times give no slot, or start in the past.
    """
    _check_new_times(planned, now=now)
    existing = {(slot.lane, slot.starts_at): slot for slot in slots}
    keys = {(p.lane, p.starts_at) for p in planned}
    removed = [slot for key, slot in existing.items() if key not in keys]
    return TimesPlan(planned=tuple(planned), added=tuple(p for p in planned if (p.lane, p.starts_at) not in existing),
                     removed=tuple(slot.id for slot in removed),
                     rehomed=_rehomings(removed, _free_lanes(existing, planned)))


def _check_new_times(planned: list[PlannedSlot], *, now: datetime) -> None:
    """:raises MatchappError: the new times give no slot, or start in the past."""
    if not planned:
        raise MatchappError(_l("The time is too short for one slot."), field="end_time")
    if min(p.starts_at for p in planned) <= now:
        raise MatchappError(_l("The session must start in the future."), field="start_time")


def _free_lanes(existing: dict[tuple[int, datetime], SlotNow], planned: list[PlannedSlot]) -> dict[datetime, list[int]]:
    """The interviewers free at each time of the new plan, in their order: a new slot, or a kept open one without a
    booking."""
    free: dict[datetime, list[int]] = defaultdict(list)
    for p in sorted(planned, key=lambda p: (p.starts_at, p.lane)):
        slot = existing.get((p.lane, p.starts_at))
        if slot is None or (slot.is_open and slot.booking_id is None):
            free[p.starts_at].append(p.lane)
    return free


def _rehomings(removed: list[SlotNow], free: dict[datetime, list[int]]) -> tuple[Rehoming, ...]:
    """Each meeting of a removed slot with the first interviewer still free at its time, or none."""
    rehomed = []
    for slot in removed:
        if slot.booking_id is not None:
            lanes = free.get(slot.starts_at, [])
            rehomed.append(Rehoming(slot.booking_id, slot.starts_at, lanes.pop(0) if lanes else None))
    return tuple(rehomed)


@dataclass(frozen=True)
class Meeting:
    """A confirmed meeting as plain values: its booking, candidate, slot and time (for a moved session's meeting,
    the time the move gives it)."""

    booking_id: int
    candidate_id: int
    slot_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class FreeSlot:
    """An open slot of the session without a confirmed booking, at the time the change gives it."""

    id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Clashing:
    """A booked meeting that cannot be at the time the change gives it (rule 10): why (the candidate's other meeting
    it meets, for SAME_TIME and TOO_CLOSE), and what happens to it: it moves to the free slot `to` of the session,
    or, when none fits the candidate (to None), it is cancelled, and the candidate waits first in line on the
    session's waiting list when `waits` (eligible, and the list still open)."""

    booking_id: int
    why: Clash
    other_id: int | None
    to: FreeSlot | None
    waits: bool


def plan_clashes(moved: list[Meeting], others: list[Meeting], free: list[FreeSlot], *, eligible: set[int],
                 gap: timedelta, cap: int, list_open: bool) -> tuple[Clashing, ...]:
    """The meetings of a changed session that would break rule 2 (overlap, with the gap), rule 4 (eligible:
    `eligible` holds the candidate ids who are) or rule 5 (the daily cap) at their new times, in the session's order;
    each gets the free slot of the session nearest its new time that fits its candidate (a slot goes to one meeting
    only), else none. `others` are the candidates' meetings outside the session. Reads and writes nothing (rule 10).
    """
    theirs: dict[int, list[Meeting]] = defaultdict(list)
    for meeting in sorted(others, key=lambda m: (m.starts_at, m.booking_id)):
        theirs[meeting.candidate_id].append(meeting)
    left = sorted(free, key=lambda slot: (slot.starts_at, slot.id))
    clashing = []
    for meeting in sorted(moved, key=lambda m: (m.starts_at, m.slot_id)):
        mine = theirs[meeting.candidate_id]
        why, other = _clash(meeting, mine, eligible=meeting.candidate_id in eligible, gap=gap, cap=cap)
        if why is None:
            continue
        fitting = [] if why == Clash.NOT_ELIGIBLE else [
            slot for slot in left if _clash(slot, mine, eligible=True, gap=gap, cap=cap)[0] is None]
        to = min(fitting, key=lambda slot: (abs(slot.starts_at - meeting.starts_at), slot.starts_at), default=None)
        if to is not None:
            left.remove(to)
        clashing.append(Clashing(meeting.booking_id, why, other.booking_id if other else None, to,
                                 waits=to is None and why != Clash.NOT_ELIGIBLE and list_open))
    return tuple(clashing)


def _clash(time: Meeting | FreeSlot, mine: list[Meeting], *, eligible: bool, gap: timedelta,
           cap: int) -> tuple[Clash | None, Meeting | None]:
    """Why the candidate cannot have a meeting at this time beside their meetings `mine` (rules 4, 2 and 5, in that
    order), and the meeting it meets; (None, None) when it fits."""
    if not eligible:
        return Clash.NOT_ELIGIBLE, None
    for why, apart in ((Clash.SAME_TIME, timedelta(0)), (Clash.TOO_CLOSE, gap)):
        other = next((m for m in mine if availability.overlaps(time, m, apart)), None)
        if other is not None:
            return why, other
    day = local_day(time.starts_at)
    if sum(1 for m in mine if local_day(m.starts_at) == day) >= cap:
        return Clash.DAILY_CAP, None
    return None, None
