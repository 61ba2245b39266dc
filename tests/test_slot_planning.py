"""Slot planning: a session written on the Danish wall clock is split in real time and stored in UTC, on the nights
the clocks change too."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from matchapp.localtime import to_local
from matchapp.models import MeetingMode
from matchapp.services.sessions import SessionDraft, plan_slots

SPRING_FORWARD = date(2026, 3, 29)  # 02:00 CET becomes 03:00 CEST
FALL_BACK = date(2026, 10, 25)  # 03:00 CEST becomes 02:00 CET
ORDINARY_DAY = date(2026, 5, 12)


def draft(day: date = ORDINARY_DAY, start: str = "10:00", end: str = "11:00", *, slot_minutes: int = 10,
          break_minutes: int = 0, interviewers: int = 1) -> SessionDraft:
    return SessionDraft(
        title="Receptionist", description="", course_ids=[], local_date=day, start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end), slot_minutes=slot_minutes, break_minutes=break_minutes,
        interviewers=interviewers, mode=MeetingMode.VIDEO, video_url=None, address=None, booking_closes_hours=2)


def local_starts(slots, lane: int = 1) -> list[str]:
    return [f"{to_local(slot.starts_at):%H:%M}" for slot in slots if slot.lane == lane]


def test_an_hour_of_ten_minute_slots_gives_six_slots_of_ten_minutes():
    slots = plan_slots(draft())

    assert local_starts(slots) == ["10:00", "10:10", "10:20", "10:30", "10:40", "10:50"]
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=10) for slot in slots)


def test_two_interviewers_give_two_lanes_of_the_same_times():
    slots = plan_slots(draft(interviewers=2))

    assert len(slots) == 12
    assert {slot.lane for slot in slots} == {1, 2}
    assert local_starts(slots, lane=1) == local_starts(slots, lane=2)
    lane_one = [(s.starts_at, s.ends_at) for s in slots if s.lane == 1]
    assert lane_one == [(s.starts_at, s.ends_at) for s in slots if s.lane == 2]


def test_the_break_is_kept_between_slots():
    slots = plan_slots(draft(slot_minutes=10, break_minutes=5))

    assert local_starts(slots) == ["10:00", "10:15", "10:30", "10:45"]
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert later.starts_at - earlier.ends_at == timedelta(minutes=5)


def test_a_slot_that_would_run_past_the_end_of_the_session_is_left_out():
    slots = plan_slots(draft(start="10:00", end="10:25"))

    assert local_starts(slots) == ["10:00", "10:10"]
    assert to_local(slots[-1].ends_at).time() == time(10, 20)


def test_slots_are_stored_as_timezone_aware_utc():
    slots = plan_slots(draft())

    assert all(slot.starts_at.utcoffset() == timedelta(0) for slot in slots)
    # 12 May is summer time: 10:00 in Copenhagen is 08:00 UTC.
    assert slots[0].starts_at == datetime(2026, 5, 12, 8, 0, tzinfo=UTC)


def test_on_the_spring_forward_day_nine_oclock_local_is_seven_utc():
    slots = plan_slots(draft(SPRING_FORWARD, "09:00", "10:00"))

    assert slots[0].starts_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    assert slots[-1].ends_at == datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert local_starts(slots) == ["09:00", "09:10", "09:20", "09:30", "09:40", "09:50"]


def test_on_the_fall_back_day_nine_oclock_local_is_eight_utc():
    slots = plan_slots(draft(FALL_BACK, "09:00", "10:00"))

    assert slots[0].starts_at == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert slots[-1].ends_at == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)


def test_a_night_session_on_the_spring_forward_day_skips_the_missing_hour():
    slots = plan_slots(draft(SPRING_FORWARD, "01:30", "03:30"))

    starts = local_starts(slots)
    assert not [start for start in starts if start.startswith("02:")]
    # 01:50 winter time to 03:00 summer time is ten real minutes: a slot like any other.
    assert starts == ["01:30", "01:40", "01:50", "03:00", "03:10", "03:20"]
    assert slots[0].starts_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    assert (slots[2].starts_at, slots[2].ends_at) == (datetime(2026, 3, 29, 0, 50, tzinfo=UTC),
                                                      datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=10) for slot in slots)


def test_the_issues_spring_night_keeps_the_twenty_minutes_from_0140_to_0300():
    slots = plan_slots(draft(date(2027, 3, 28), "01:00", "04:00", slot_minutes=20))

    assert local_starts(slots) == ["01:00", "01:20", "01:40", "03:00", "03:20", "03:40"]
    [last_winter] = [slot for slot in slots if f"{to_local(slot.starts_at):%H:%M}" == "01:40"]
    assert f"{to_local(last_winter.ends_at):%H:%M %Z}" == "03:00 CEST"
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=20) for slot in slots)


def test_a_session_written_to_start_in_the_missing_hour_starts_when_the_clock_has_jumped():
    # 02:30 does not exist that night; read as calendars read it (RFC 5545): 02:30 winter time, so 03:30 summer time.
    slots = plan_slots(draft(SPRING_FORWARD, "02:30", "04:00"))

    assert local_starts(slots) == ["03:30", "03:40", "03:50"]


def test_every_slot_lasts_its_length_on_the_fall_back_day_and_both_two_oclocks_are_slots():
    slots = plan_slots(draft(FALL_BACK, "01:30", "03:30"))

    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=10) for slot in slots)
    assert [f"{to_local(slot.starts_at):%H:%M %Z}" for slot in slots] == [
        "01:30 CEST", "01:40 CEST", "01:50 CEST",
        "02:00 CEST", "02:10 CEST", "02:20 CEST", "02:30 CEST", "02:40 CEST", "02:50 CEST",
        "02:00 CET", "02:10 CET", "02:20 CET", "02:30 CET", "02:40 CET", "02:50 CET",
        "03:00 CET", "03:10 CET", "03:20 CET"]


@pytest.mark.parametrize("session", [
    draft(),
    draft(slot_minutes=15, break_minutes=5, interviewers=3),
    draft(start="08:00", end="16:00", slot_minutes=7, break_minutes=3, interviewers=2),
    draft(SPRING_FORWARD, "00:30", "04:00", slot_minutes=25, break_minutes=5, interviewers=2),
    draft(SPRING_FORWARD, "00:55", "06:00", slot_minutes=60, break_minutes=10),
    draft(FALL_BACK, "00:30", "04:00", slot_minutes=25, break_minutes=5, interviewers=2),
    draft(FALL_BACK, "00:55", "06:00", slot_minutes=60, break_minutes=10),
    draft(SPRING_FORWARD, "00:00", "06:00", slot_minutes=25, interviewers=2),
    draft(FALL_BACK, "00:00", "06:00", slot_minutes=45),
], ids=["plain", "three-lanes", "long-day", "spring-forward", "spring-forward-hours", "fall-back",
        "fall-back-hours", "spring-forward-odd-length", "fall-back-odd-length"])
def test_slots_follow_each_other_in_real_time_and_last_their_length(session):
    slots = plan_slots(session)

    length = timedelta(minutes=session.slot_minutes)
    step = timedelta(minutes=session.slot_minutes + session.break_minutes)
    assert slots
    for lane in range(1, session.interviewers + 1):
        ordered = sorted((s for s in slots if s.lane == lane), key=lambda s: s.starts_at)
        assert ordered
        assert all(slot.ends_at - slot.starts_at == length for slot in ordered)
        # No time is lost on the nights the clocks change: each slot starts a slot and a break after the one before.
        for earlier, later in zip(ordered, ordered[1:], strict=False):
            assert later.starts_at - earlier.starts_at == step
