"""matchapp: short digital job interviews right after a job-centre course."""
from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request, session
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from matchapp.config import LANGUAGES, load_config
from matchapp.extensions import babel, csrf, db, limiter, login_manager, migrate
from matchapp.logs import install_log_redaction

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: settings, extensions, blueprints, error pages and commands."""
    install_log_redaction()  # first, so that nothing is logged unredacted; the scheduler's process runs this too
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(ROOT / "instance"))
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    if app.config["TRUSTED_PROXIES"]:
        # Only the trusted proxies' X-Forwarded-* entries count: the client's address (rate limits) and https.
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security_headers(app)
    return app


def select_locale() -> str:
    """The signed-in user's language; else the one chosen with the language switch in this browser; else the
    browser's preference among Danish and English, Danish first."""
    if not has_request_context():
        return "da"
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    if session.get("language") in LANGUAGES:
        return session["language"]
    return request.accept_languages.best_match(LANGUAGES, default="da")


def register_extensions(app: Flask) -> None:
    from matchapp import transaction  # imports the models, which db needs to know
    from matchapp.database import configure_sqlite
    from matchapp.jinja import register_filters
    from matchapp.web.login_sessions import init_login_sessions

    db.init_app(app)
    # One transaction per request, committed at its end. First, so that its after_request hook runs after every
    # other one (Flask runs them in reverse order): the response is complete when it commits.
    transaction.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    # Flask-Login's own message is English only; flash ours, in the page's language.
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.localize_callback = str
    init_login_sessions(app)  # server-side sessions that can be ended; idle and absolute timeouts

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            Path(app.instance_path).mkdir(parents=True, exist_ok=True)
            configure_sqlite(db.engine)
    register_filters(app)


def register_blueprints(app: Flask) -> None:
    from matchapp.web import admin, auth, calendar, candidate, consultant, dashboard, employer, main, offers, privacy
    from matchapp.web.api import init_api
    from matchapp.web.inputs import register_input_guards

    register_input_guards(app)  # first: the blueprints' <int:...> rules take its bounded converter
    for module in (main, auth, candidate, employer, consultant, dashboard, admin, calendar, privacy, offers):
        app.register_blueprint(module.bp)
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    from matchapp.web.main import render_error

    for code in (400, 403, 404, 405, 409, 410, 413, 429, 500, 503):
        app.register_error_handler(code, render_error)


def register_security_headers(app: Flask) -> None:
    from matchapp.web.headers import register_security_headers as register

    register(app)


def register_commands(app: Flask) -> None:
    from matchapp.cli import register

    register(app)
