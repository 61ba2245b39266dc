"""Planning a change of a published session's times and interviewers (the first step of
session_changes.change_times): the difference between the slots the session has and the ones the new times give,
worked out from plain values. Reads and writes nothing; session_changes writes the plan.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

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
