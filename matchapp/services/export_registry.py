"""The data export's registry: which tables hold rows about a person, how to find them, and which hold nothing
about anyone (with the reason). services/personal_data.py registers its sources here; a test checks that the two
lists cover all of db.metadata, so a new table cannot be left out of the export unnoticed."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum

from sqlalchemy import MetaData

from matchapp.labels import label
from matchapp.models import Role, User

# Tables whose rows are about no one, each with the reason.
NOTHING_ABOUT_A_PERSON = {
    "jobcenter": "the job centres' names",
    "course": "the course catalogue",
    "course_run": "cohorts: a course, a job centre and two dates (a person's place in one is an enrollment)",
    "slot": "an employer's free and booked times: ids and times only (the one a person booked is in the booking)",
    "session_course": "which courses a session is aimed at: ids only",
    "completion_figure": "dashboard figures: ids and 0/1 flags only, rebuilt from the tables exported here",
    "session_figure": "dashboard figures: ids and counts only, rebuilt from the tables exported here",
    "booking_figure": "dashboard figures: ids and counts only, rebuilt from the tables exported here",
    "course_booking_figure": "dashboard figures: ids and counts only, rebuilt from the tables exported here",
    "figures_refresh": "when the dashboard figures were last rebuilt: one time",
    "webhook_subscription": "an integration's address, events and signing secret (who made it: the audit log)",
}


@dataclass(frozen=True)
class Source:
    """One table of the export: whose rows, found how, and which of their fields the readable page shows."""

    table: str
    title: str  # lazy: the heading in the reader's language
    roles: frozenset[Role]  # the people who can have rows in it
    rows: Callable[[User], list[dict]]
    columns: tuple[str, ...]


REGISTRY: list[Source] = []


def source(table: str, title, roles: frozenset[Role], columns: tuple[str, ...]):
    def register(rows: Callable[[User], list[dict]]):
        REGISTRY.append(Source(table, title, roles, rows, columns))
        return rows

    return register


def unaccounted_tables(metadata: MetaData) -> set[str]:
    """The tables of `metadata` that are neither exported nor declared to hold nothing about a person."""
    return set(metadata.tables) - {s.table for s in REGISTRY} - NOTHING_ABOUT_A_PERSON.keys()


def iso(value: datetime | date | None) -> str | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat() if value is not None else None


def label_of(value: Enum | None) -> str | None:
    return str(label(value)) if value is not None else None
