"""The front page, the language switch, the accessibility statement, health check and error pages."""
from __future__ import annotations

import logging
from datetime import date

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms import HiddenField, SelectField

from matchapp import transaction
from matchapp.config import LANGUAGES
from matchapp.extensions import limiter
from matchapp.models import Role
from matchapp.services import accounts
from matchapp.web import outage
from matchapp.web.api import problems
from matchapp.web.forms_common import AppForm
from matchapp.web.inputs import page_to_return_to

bp = Blueprint("main", __name__)
security_log = logging.getLogger("matchapp.security")

HOME = {
    Role.CANDIDATE: "candidate.find",
    Role.EMPLOYER: "employer.dashboard",
    Role.CONSULTANT: "consultant.candidates",
    Role.ADMIN: "admin.dashboard",
}


@bp.get("/")
def index():
    if current_user.is_authenticated:
        return redirect(url_for(HOME[current_user.role]))
    return render_template("main/index.html")


class LanguageForm(AppForm):
    """The language switch in every page's header: the language, and the page to go back to."""

    language = SelectField(choices=LANGUAGES)
    next = HiddenField()


@bp.post("/language")
def change_language():
    form = LanguageForm()
    if not form.validate():
        abort(400)
    session["language"] = form.language.data
    if current_user.is_authenticated:
        accounts.change_language(current_user, form.language.data)
    return redirect(page_to_return_to(form.next.data))


STATEMENT_DATE = date(2026, 11, 27)  # when the accessibility statement was last reviewed


@bp.get("/tilgaengelighed")
def accessibility():
    return render_template("main/accessibility.html", contact=current_app.config["ACCESSIBILITY_EMAIL"],
                           reviewed_on=STATEMENT_DATE)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        transaction.check_database_writable()  # a database that answers but refuses writes is not healthy either
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page does not exist, or it has been removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used like that.")),
    409: (_l("Conflict"), _l("This cannot be done in the current state. Reload the page and try again.")),
    410: (_l("The link no longer works"), _l("The link has expired or has been used already.")),
    413: (_l("Too much data"), _l("What was sent is too large. Shorten the text and try again.")),
    429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later.")),
    503: (_l("matchapp is not available right now"), _l("We are working on it. Please try again in a little while.")),
}


def render_error(error: Exception):
    """An error page in the site layout, with the status code kept; under /api/v1 a problem (RFC 9457)."""
    if problems.is_api_request():
        return problems.from_http_error(error)
    code = error.code if isinstance(error, HTTPException) else InternalServerError.code
    if outage.is_database_outage(error):
        code = 503
        outage.show_as_visitor()
    elif code == 403:
        # A refused authorisation is a security event (ASVS 16.3.2): who and which page, never whose data.
        security_log.warning("access refused: user %s, %s %s", getattr(current_user, "id", None), request.method,
                             request.endpoint)
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code
