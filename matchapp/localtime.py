"""Danish local time: slots are planned on the wall clock, stored in UTC."""
from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Copenhagen")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def local_to_utc(day: date, clock: time) -> datetime | None:
    """The UTC instant of a local wall-clock time, or None when that time does not exist (spring-forward gap)."""
    local = datetime.combine(day, clock, tzinfo=LOCAL_TZ)
    instant = local.astimezone(UTC)
    if instant.astimezone(LOCAL_TZ).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def to_local(instant: datetime) -> datetime:
    """A UTC instant as Danish local time."""
    return instant.astimezone(LOCAL_TZ)


def local_day(instant: datetime) -> date:
    """The Danish calendar day an instant falls on."""
    return to_local(instant).date()
