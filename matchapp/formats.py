"""Days and times as users read them: in Danish local time (Flask-Babel converts from UTC) and in the page's
language, Danish "fredag 4. december 2026 kl. 10:00" or English "Friday 4 December 2026 at 10:00". A time the
clocks show twice (the autumn night's 02:00-02:59) says which one: "02:30 sommertid", "02:30 vintertid"."""
from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, format_time, get_locale
from flask_babel import gettext as _

from matchapp.localtime import in_repeated_hour, is_summer_time, to_local

PATTERNS = {
    "da": {"moment": "EEEE d. MMMM y 'kl.' HH:mm", "slot": "EEEE d. MMMM HH:mm", "day": "EEEE d. MMMM y",
           "day_month": "d. MMMM", "short_day": "dd.MM.y"},
    "en": {"moment": "EEEE d MMMM y 'at' HH:mm", "slot": "EEEE d MMMM HH:mm", "day": "EEEE d MMMM y",
           "day_month": "d MMMM", "short_day": "dd/MM/y"},
}


def _pattern(kind: str) -> str:
    return PATTERNS.get(str(get_locale()), PATTERNS["da"])[kind]


def _which(value: datetime, shown: str) -> str:
    """The shown time, saying summer or winter time when the clocks show it twice (the autumn night's repeated
    hour)."""
    if not isinstance(value, datetime) or value.tzinfo is None or not in_repeated_hour(value):
        return shown
    if is_summer_time(value):
        return _("%(time)s summer time", time=shown)
    return _("%(time)s winter time", time=shown)


def clock(value: datetime) -> str:
    """A time of day, like 09:30."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Babel's "HH:mm" in Danish local time, without Babel's lookups on each call: the pick page shows dozens.
        return _which(value, to_local(value).strftime("%H:%M"))
    return format_time(value, "HH:mm")


def moment(value: datetime) -> str:
    """A day with its year and a time of day."""
    return _which(value, format_datetime(value, _pattern("moment")))


def slot_time(value: datetime) -> str:
    """A day and a time of day, without the year: when a meeting starts."""
    return _which(value, format_datetime(value, _pattern("slot")))


def day(value: date | datetime) -> str:
    """A day with its weekday and year (an instant is shown as its Danish day)."""
    if isinstance(value, datetime):
        return format_datetime(value, _pattern("day"))
    return format_date(value, _pattern("day"))


def day_month(value: date) -> str:
    """A calendar day without its year, like 4. december."""
    return format_date(value, _pattern("day_month"))


def short_day(value: date) -> str:
    """A calendar day in digits, like 04.12.2026."""
    return format_date(value, _pattern("short_day"))


def day_span(first: date, last: date) -> str:
    """Two calendar days in digits, like 02.11.2026–04.12.2026: a course run."""
    return f"{short_day(first)}–{short_day(last)}"
