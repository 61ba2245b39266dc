"""Signing in and out in the browser: Flask-Login's current_user, loaded through a server-side session row.

The cookie holds a random session key (Flask-Login's user id, through LoginManager.id_attribute) instead of the
user's id; services/user_sessions.py says when that key stops working, and why there is no library for it.
"""
from __future__ import annotations

from functools import partial

from flask import Flask, current_app, g, session
from flask_login import current_user, login_user, logout_user

from matchapp import transaction
from matchapp.extensions import login_manager
from matchapp.localtime import utcnow
from matchapp.models import User
from matchapp.services import user_sessions


def init_login_sessions(app: Flask) -> None:
    """Make Flask-Login keep a session key in the cookie and load the user through it."""
    login_manager.id_attribute = "get_session_key"
    login_manager.user_loader(load_user)

    @app.before_request
    def _check_the_session_anew():
        # Flask-Login keeps the loaded user in `g`, which lives as long as the app context; where one app context
        # serves several requests (the tests' does), a session ended meanwhile must still be noticed.
        g.pop("_login_user", None)


def load_user(key: str) -> User | None:
    """The user of a live session, noting (at most once a minute) that the session is in use."""
    now = utcnow()
    found = user_sessions.find_session(key, now=now)
    if found is None:
        return None
    row, user = found
    if user_sessions.needs_touch(row, now=now):
        # Saved with the request's changes (not if it fails: then at the next request); a GET's after its page.
        transaction.write_bookkeeping(partial(user_sessions.touch, row.id, now=now))
    user.session_key = key
    return user


def start_signed_in_session(user: User, *, action: str = "signed_in") -> None:
    """Start a new session for the user; nothing of the browser's session before sign-in carries over (a planted
    session id or CSRF token is worth nothing afterwards)."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's copy of the old token
    # The user's language, also in the cookie: an error page shown while the database is down still speaks it.
    session["language"] = user.language
    user.session_key = user_sessions.start_session(user, action=action, now=utcnow())
    login_user(user)


def sign_out() -> None:
    """End this browser's session; a copy of its cookie no longer signs anyone in."""
    if current_user.is_authenticated:
        user_sessions.end_session(current_user.session_key, current_user, now=utcnow())
    logout_user()


def sign_out_everywhere() -> None:
    """End every session of the signed-in user, in every browser, this one too."""
    user_sessions.sign_out_everywhere(current_user, now=utcnow())
    logout_user()
