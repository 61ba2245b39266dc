"""The errors services raise; views map them onto forms and messages."""
from __future__ import annotations


class MatchappError(Exception):
    """A rule said no. `message` is a translatable, user-facing sentence; `field` names a form field if any."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(MatchappError):
    """The user may not do this (maps to 403)."""


class Conflict(MatchappError):
    """The object is not in a state that allows this (maps to 409 or a message)."""


class SelectionError(MatchappError):
    """A selection of slots fails as a whole; `problems` holds one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__(problems[0] if problems else "")
        self.problems = problems
