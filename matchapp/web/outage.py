"""Pages while the database is down or read-only: the site's own 503 page, rendered without the database."""
from __future__ import annotations

from flask import g
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from matchapp.extensions import login_manager

READ_ONLY_TRANSACTION = "25006"  # PostgreSQL's SQLSTATE for a write in a read-only transaction


def is_database_outage(error: BaseException | None) -> bool:
    """The error (or the one an InternalServerError wraps) means the database cannot be reached or written:
    a refused or lost connection, a file that cannot be opened, a read-only database."""
    error = getattr(error, "original_exception", None) or error
    if isinstance(error, OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) == READ_ONLY_TRANSACTION


def show_as_visitor() -> None:
    """Render the rest of this request for a visitor, without asking the database who is signed in.

    Flask-Login loads the user from the database the first time a page asks for `current_user` (the page's
    language, the header); with the database down that fails again inside the error page. The session cookie is
    left alone: the person is still signed in when the database is back. (The transaction is rolled back
    already: matchapp.transaction.)
    """
    g._login_user = login_manager.anonymous_user()  # Flask-Login's per-request user (no public setter)

