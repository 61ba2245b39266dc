"""Planning a change of a published session, before anything is written: which times are added and removed, which
booked meetings move to another interviewer at the same time and which are cancelled; and which meetings a move of
the session would put in a clash with their candidates' other meetings, and where each goes instead (rule 10).
Plain values only: no app, no database."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from matchapp.localtime import local_to_utc, to_local
from matchapp.models import Clash, MeetingMode
from matchapp.services.errors import MatchappError
from matchapp.services.session_changes_plan import (
    Clashing,
    FreeSlot,
    Meeting,
    Rehoming,
    SlotNow,
    plan_clashes,
    plan_times,
)
from matchapp.services.sessions import PlannedSlot, SessionDraft, plan_slots

DAY = date(2027, 5, 12)
NOW = datetime(2027, 5, 1, 8, tzinfo=UTC)


def at(clock: str) -> datetime:
    """The UTC instant of this local time ("HH:MM") on the session's day."""
    instant = local_to_utc(DAY, time.fromisoformat(clock))
    assert instant is not None
    return instant


def new_times(start: str, end: str, interviewers: int = 1) -> list[PlannedSlot]:
    """The slots a session of ten-minute meetings gets with these times."""
    return plan_slots(SessionDraft(
        title="Receptionist", description="", course_ids=[], local_date=DAY, start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end), slot_minutes=10, break_minutes=0, interviewers=interviewers,
        mode=MeetingMode.VIDEO, video_url=None, address=None, booking_closes_hours=2))


def slots_now(start: str, end: str, interviewers: int = 1, *, booked: dict[tuple[int, str], int] | None = None,
              cancelled: frozenset[tuple[int, str]] = frozenset()) -> list[SlotNow]:
    """The session's slots today, numbered from 1 in the session's order; booked: (interviewer, "HH:MM") -> booking
    id; cancelled: the (interviewer, "HH:MM") of cancelled slots."""
    booked = booked or {}
    slots = []
    for number, planned in enumerate(new_times(start, end, interviewers), start=1):
        key = (planned.lane, f"{to_local(planned.starts_at):%H:%M}")
        slots.append(SlotNow(number, planned.lane, planned.starts_at, key not in cancelled, booked.get(key)))
    return slots


def shown(slots) -> list[tuple[int, str]]:
    return [(slot.lane, f"{to_local(slot.starts_at):%H:%M}") for slot in slots]


def test_an_extra_hour_and_interviewer_add_the_new_times_and_keep_the_booked_one():
    plan = plan_times(slots_now("10:00", "11:00", booked={(1, "10:20"): 7}), new_times("10:00", "12:00", 2), now=NOW)

    assert len(plan.added) == 18
    assert (1, "10:20") not in shown(plan.added)
    assert (plan.removed, plan.rehomed) == ((), ())
    assert (plan.starts_at, plan.ends_at) == (at("10:00"), at("12:00"))


def test_removing_a_booked_time_moves_the_meeting_to_a_free_interviewer():
    plan = plan_times(slots_now("10:00", "10:30", 2, booked={(2, "10:10"): 7}), new_times("10:00", "10:30"), now=NOW)

    assert plan.rehomed == (Rehoming(booking_id=7, starts_at=at("10:10"), lane=1),)
    assert plan.moved == plan.rehomed
    assert plan.cancelled == ()
    assert plan.added == ()
    assert len(plan.removed) == 3, "the second interviewer's three times go"


def test_a_shorter_day_cancels_the_meeting_at_a_time_that_is_gone():
    plan = plan_times(slots_now("10:00", "11:00", booked={(1, "10:50"): 7}), new_times("10:00", "10:30"), now=NOW)

    assert plan.cancelled == (Rehoming(booking_id=7, starts_at=at("10:50"), lane=None),)
    assert plan.moved == ()
    assert plan.removed == (4, 5, 6)
    assert plan.ends_at == at("10:30")


def test_meetings_of_removed_interviewers_take_the_free_ones_in_the_interviewers_order_and_the_rest_are_cancelled():
    today = slots_now("10:00", "10:30", 3, booked={(2, "10:00"): 20, (3, "10:00"): 30, (3, "10:10"): 31})

    plan = plan_times(today, new_times("10:00", "10:30"), now=NOW)

    assert plan.rehomed == (Rehoming(20, at("10:00"), 1), Rehoming(30, at("10:00"), None),
                            Rehoming(31, at("10:10"), 1))
    assert [meeting.booking_id for meeting in plan.cancelled] == [30]


def test_a_meeting_does_not_move_to_a_booked_interviewer_or_a_cancelled_time():
    today = slots_now("10:00", "10:30", 3, booked={(1, "10:00"): 10, (3, "10:00"): 30}, cancelled={(2, "10:00")})

    plan = plan_times(today, new_times("10:00", "10:30", 2), now=NOW)

    assert plan.cancelled == (Rehoming(30, at("10:00"), None),)


def test_removing_an_interviewer_without_meetings_removes_only_their_times():
    plan = plan_times(slots_now("10:00", "10:30", 2, booked={(1, "10:00"): 10}), new_times("10:00", "10:30"),
                      now=NOW)

    assert shown(slot for slot in slots_now("10:00", "10:30", 2) if slot.id in plan.removed) == [
        (2, "10:00"), (2, "10:10"), (2, "10:20")]
    assert plan.rehomed == ()
    assert plan.keeps(1, at("10:00"))
    assert not plan.keeps(2, at("10:00"))


def test_an_earlier_start_adds_the_earlier_times_and_moves_the_start():
    plan = plan_times(slots_now("10:00", "10:30"), new_times("09:40", "10:30"), now=NOW)

    assert shown(plan.added) == [(1, "09:40"), (1, "09:50")]
    assert plan.starts_at == at("09:40")


def test_times_too_short_for_one_slot_are_refused():
    with pytest.raises(MatchappError) as refused:
        plan_times(slots_now("10:00", "11:00"), new_times("10:00", "10:05"), now=NOW)

    assert refused.value.field == "end_time"


def test_times_that_would_start_in_the_past_are_refused():
    with pytest.raises(MatchappError) as refused:
        plan_times(slots_now("10:00", "11:00"), new_times("09:00", "11:00"), now=at("09:00"))

    assert refused.value.field == "start_time"


# --- Rule 10: the clashes a move of the session would make ----------------------------------------------------------

GAP, CAP = timedelta(minutes=5), 6
AMINA, JONAS = 1, 2


def meeting(booking_id: int, candidate_id: int, clock: str, minutes: int = 10, day: date = DAY) -> Meeting:
    """A meeting of ten minutes (booking id = slot id) at this local time on the day."""
    starts_at = local_to_utc(day, time.fromisoformat(clock))
    return Meeting(booking_id, candidate_id, booking_id, starts_at, starts_at + timedelta(minutes=minutes))


def free(*clocks: str) -> list[FreeSlot]:
    """The moved session's free ten-minute slots at these local times (ids from 100)."""
    return [FreeSlot(100 + n, at(clock), at(clock) + timedelta(minutes=10)) for n, clock in enumerate(clocks)]


def clashes(moved, others, free_slots, *, eligible=frozenset({AMINA, JONAS}), list_open=True):
    return plan_clashes(moved, others, free_slots, eligible=set(eligible), gap=GAP, cap=CAP, list_open=list_open)


def test_a_moved_meeting_at_the_time_of_another_moves_to_the_nearest_free_time_that_keeps_the_gap():
    elsewhere = meeting(9, AMINA, "10:00")

    plan = clashes([meeting(1, AMINA, "10:00")], [elsewhere], free("09:50", "10:10", "10:20", "11:00"))

    # 09:50 ends when the other begins and 10:10 begins when it ends: both closer than the 5 minutes' gap.
    assert plan == (Clashing(1, Clash.SAME_TIME, other_id=9, to=free("09:50", "10:10", "10:20", "11:00")[2],
                             waits=False),)


def test_a_moved_meeting_closer_than_the_gap_to_another_is_a_clash_too():
    plan = clashes([meeting(1, AMINA, "10:10")], [meeting(9, AMINA, "10:00", minutes=7)], free())

    assert [(c.why, c.other_id, c.to, c.waits) for c in plan] == [(Clash.TOO_CLOSE, 9, None, True)]


def test_meetings_that_keep_the_gap_are_no_clash():
    plan = clashes([meeting(1, AMINA, "10:15"), meeting(2, JONAS, "10:00")], [meeting(9, AMINA, "10:00")], free())

    assert plan == ()


def test_a_seventh_meeting_on_a_day_is_cancelled_when_the_session_has_no_other_day_and_the_candidate_waits_first():
    six = [meeting(20 + hour, AMINA, f"{hour:02d}:00") for hour in range(8, 14)]

    plan = clashes([meeting(1, AMINA, "15:00")], six, free("15:10", "15:20"))

    assert plan == (Clashing(1, Clash.DAILY_CAP, other_id=None, to=None, waits=True),)


def test_meetings_on_another_day_do_not_count_towards_the_daily_cap():
    six = [meeting(20 + hour, AMINA, f"{hour:02d}:00", day=DAY - timedelta(days=1)) for hour in range(8, 14)]

    assert clashes([meeting(1, AMINA, "15:00")], six, free()) == ()


def test_a_candidate_no_longer_eligible_gets_no_other_time_and_does_not_wait():
    plan = clashes([meeting(1, AMINA, "10:00")], [], free("10:10"), eligible={JONAS})

    assert plan == (Clashing(1, Clash.NOT_ELIGIBLE, other_id=None, to=None, waits=False),)


def test_a_free_time_goes_to_one_meeting_only_in_the_sessions_order():
    plan = clashes([meeting(2, JONAS, "10:20"), meeting(1, AMINA, "10:00")],
                   [meeting(8, AMINA, "10:00"), meeting(9, JONAS, "10:20")], free("10:40"))

    assert [(c.booking_id, c.to.id if c.to else None) for c in plan] == [(1, 100), (2, None)]


def test_a_cancelled_candidate_does_not_wait_when_the_list_has_closed():
    plan = clashes([meeting(1, AMINA, "10:00")], [meeting(9, AMINA, "10:00")], free(), list_open=False)

    assert [(c.to, c.waits) for c in plan] == [(None, False)]
