"""The front page, health check and error pages."""
from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text
from werkzeug.exceptions import HTTPException, InternalServerError

from matchapp.extensions import db, limiter
from matchapp.models import Role

bp = Blueprint("main", __name__)

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


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Access denied"), _l("You do not have access to this page.")),
    404: (_l("Page not found"), _l("The page does not exist, or it has been removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used like that.")),
    409: (_l("Conflict"), _l("This cannot be done in the current state. Reload the page and try again.")),
    429: (_l("Too many attempts"), _l("Please wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("An error occurred on our side. Please try again later.")),
}


def render_error(error: Exception):
    """An error page in the site layout, with the status code kept."""
    code = error.code if isinstance(error, HTTPException) else InternalServerError.code
    if code >= 500:
        db.session.rollback()
    title, message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    return render_template("errors/error.html", code=code, title=title, message=message), code
