"""One transaction per web request, committed once at its end: the rule every view follows (docs/architecture.md).

- A request whose answer is a page or a redirect (a status below 400) commits its changes once, after the view;
  an error answer (4xx, 5xx) or an exception rolls them all back. Views never commit or roll back.
- A view that shows a service's refusal (a MatchappError) on its form, as a message or as a list of problems runs
  the service in `attempt()`: a savepoint that the refusal rolls back. A service may have flushed part of a change
  before refusing; that part is undone even when the answer is a redirect, and whatever else the request wrote (the
  audit of a failed sign-in) is kept.
- Outbox rows (e-mail) are written in the request's transaction, so they exist only when the change is committed;
  the scheduler delivers them afterwards.
- A commit that fails fails the request: the site's error page (503 while the database is down), and the messages
  the view queued for the next page, which would say that something was done, are dropped.

CLI commands and the scheduler's jobs (cli.py, jobs.py, mail.py) are not web requests: they commit themselves.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask, Response, flash, g, got_request_exception, session
from flask_wtf import FlaskForm
from sqlalchemy import delete, false
from sqlalchemy.exc import DBAPIError

from matchapp.database import in_read_only_request
from matchapp.extensions import db
from matchapp.models import OutboxMessage
from matchapp.services.errors import MatchappError

AFTER_THE_PAGE = "writes_after_the_page"  # in `g`: bookkeeping writes of a GET, see write_bookkeeping


def init_app(app: Flask) -> None:
    """Make every request of the app follow the rule."""
    app.before_request(_forget_earlier_requests)
    app.after_request(end_transaction)
    got_request_exception.connect(_roll_back_after_exception, app)


def _forget_earlier_requests() -> None:
    # `g` lives as long as the app context, and one app context may serve several requests (the tests' does).
    g.pop(AFTER_THE_PAGE, None)


def end_transaction(response: Response) -> Response:
    """Commit the request's changes if its answer is not an error, else roll them back; then a GET's bookkeeping
    writes, each in a short transaction of its own (not when the commit fails: then at the next request)."""
    bookkeeping = g.pop(AFTER_THE_PAGE, ())
    if response.status_code >= 400:
        roll_back()
    else:
        try:
            db.session.commit()
        except Exception:
            session.pop("_flashes", None)  # "saved" would be shown on the error page, and nothing was saved
            raise
    for write in bookkeeping:
        write()
        db.session.commit()
    return response


def _roll_back_after_exception(_app: Flask, **_extra) -> None:
    # Sent before the error page is made: the page may read the database (who is signed in), which a session
    # whose flush failed refuses until it is rolled back.
    roll_back()


def roll_back() -> None:
    """Roll back the request's transaction, also when the database is gone."""
    try:
        db.session.rollback()
    except DBAPIError:  # the connection is lost (the database is down); the pool throws it away
        pass


@dataclass
class Attempt:
    """How the block of an `attempt()` went: `error` is the service's refusal, or None if nothing was refused."""

    error: MatchappError | None = None


@contextmanager
def attempt(form: FlaskForm | None = None, *, show: bool = True) -> Iterator[Attempt]:
    """Run the block in a savepoint. A MatchappError raised in it ends the block there, rolls back what the block
    changed and, unless show=False, is shown: beside its field of `form`, or as an error message (on this page, or
    the next one after a redirect). The yielded Attempt holds the refusal for the code after the `with`; a block
    that answers (returns) when nothing is refused leaves that code to the refusal alone.

    Any other exception goes on (and the whole request is rolled back).
    """
    tried = Attempt()
    try:
        with db.session.begin_nested():
            yield tried
    except MatchappError as error:
        tried.error = error
        if show:
            show_error(form, error)


def show_error(form: FlaskForm | None, error: MatchappError) -> None:
    """Show a service's refusal beside its field of the form, or as an error message when it names none."""
    field = getattr(form, error.field, None) if form is not None and error.field else None
    if field is None:
        flash(str(error.message), "error")
        return
    field.errors = [*field.errors, str(error.message)]
    form._errors = None  # WTForms caches form.errors; let it see the new message


def write_bookkeeping(write: Callable[[], None]) -> None:
    """Make a small bookkeeping write (that a session is in use): in the request's transaction, committed with it;
    in a GET, after the page's transaction has ended, in a short one of its own.

    A GET's transaction only reads; on SQLite it is deferred, and writing in it after another request's commit
    fails at once ("database is locked"), whereas a transaction that starts with the write waits for the lock.
    """
    if in_read_only_request():
        g.setdefault(AFTER_THE_PAGE, []).append(write)
    else:
        write()


def check_database_writable() -> None:
    """Try a write that touches no row, and roll it back: a read-only database (a replica, a read-only file, a
    database set to default_transaction_read_only) refuses even that. The outbox is written by every change.

    :raises sqlalchemy.exc.SQLAlchemyError: the database cannot be reached or written.
    """
    try:
        db.session.execute(delete(OutboxMessage).where(false()))
    finally:
        roll_back()
