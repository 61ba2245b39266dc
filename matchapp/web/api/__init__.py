"""The REST API v1 (/api/v1): JSON, OpenAPI 3.1 generated from the code by flask-smorest, problem+json errors, API
keys per integration. docs/api.md tells an integration how to use it."""
from flask import Flask
from werkzeug.exceptions import HTTPException

from matchapp.extensions import csrf, limiter
from matchapp.web.api import bookings, candidates, courses, figures, outcomes, sessions  # noqa: F401 - the views
from matchapp.web.api.access import authenticate, key_bucket
from matchapp.web.api.blueprint import SiteApi, api_settings, bp
from matchapp.web.api.docs import docs_bp
from matchapp.web.api.problems import from_http_error

RATE_LIMIT = "120 per minute; 3000 per hour"  # per key (its prefix), in the limiter's store (Redis in production)

bp.before_request(authenticate)
bp.register_error_handler(HTTPException, from_http_error)  # other exceptions: logged, then main.render_error
csrf.exempt(bp)  # no cookies: a key in a header, which a browser never sends by itself
limiter.limit(RATE_LIMIT, key_func=key_bucket, scope="api")(bp)


def init_api(app: Flask) -> None:
    """Serve the API and its document (/api/v1/openapi.json) and the page that lists its operations."""
    api_settings(app)
    api = SiteApi(app)
    api.register_blueprint(bp)
    app.register_blueprint(docs_bp)
    app.extensions["matchapp-api"] = api


__all__ = ["init_api"]
