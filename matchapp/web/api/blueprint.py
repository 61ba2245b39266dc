"""The REST API's blueprint and its flask-smorest `Api`, on their own so that route modules import them without a
circle. Why flask-smorest: docs/api.md."""
from __future__ import annotations

import http

from flask import Flask
from flask_smorest import Api, Blueprint
from flask_smorest.utils import prepare_response

from matchapp.web.api.problems import PROBLEM, ProblemSchema

bp = Blueprint("api", __name__, url_prefix="/api/v1", description="matchapp's REST API for a job centre's systems.")
PREFIX = "/api/v1"


class SiteApi(Api):
    """flask-smorest's Api, with two changes: it leaves the app's error handlers alone (the site keeps its own error
    pages; the API blueprint answers its errors as problem+json, see problems.py), and it documents every error
    response as application/problem+json with the RFC 9457 schema."""

    ERROR_SCHEMA = ProblemSchema

    def _register_error_handlers(self):
        pass

    def _register_responses(self):
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "A problem (RFC 9457): its `type` says which; the docs page lists them.",
                    "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def api_settings(app: Flask) -> None:
    """What flask-smorest reads from the app's settings: OpenAPI 3.1 at /api/v1/openapi.json, no hosted UI (those
    load scripts from a CDN; docs.py renders the operations as a page of the site instead)."""
    for name, value in {
        "API_TITLE": "matchapp API", "API_VERSION": "v1", "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "servers": [{"url": "/"}],
            "components": {"securitySchemes": {"apiKey": {
                "type": "http", "scheme": "bearer",
                "description": "An API key made by an admin (Administration → Integrations), in the Authorization "
                               "header only; a key in the query string is refused."}}},
            "security": [{"apiKey": []}],
        },
    }.items():
        app.config.setdefault(name, value)
