"""Danish local time: sessions are written on the wall clock, stored in UTC and shown in Europe/Copenhagen."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_to_utc(day: date, clock: time) -> datetime:
    """The UTC instant a Danish wall-clock time stands for, read as calendars read it (RFC 5545, 3.3.5): a time the
    clocks repeat (02:00-02:59 on the autumn night) is its first occurrence, summer time; a time the clocks skip
    (02:00-02:59 on the spring night) counts on with the offset before the jump, so 02:30 is 03:30 summer time."""
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ).astimezone(UTC)


def to_local(instant: datetime) -> datetime:
    """A UTC instant as Danish local time."""
    return instant.astimezone(LOCAL_TZ)


def local_day(instant: datetime) -> date:
    """The Danish calendar day an instant falls on."""
    return to_local(instant).date()


def in_repeated_hour(instant: datetime) -> bool:
    """Whether the instant's Danish clock time happens twice that night (the autumn night's 02:00-02:59), so that
    the time alone does not say which one it is."""
    local = to_local(instant)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def is_summer_time(instant: datetime) -> bool:
    """Whether Denmark keeps summer time (UTC+2) at the instant."""
    return bool(to_local(instant).dst())
