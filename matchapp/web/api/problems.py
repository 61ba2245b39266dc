"""Errors of the API as RFC 9457 problem details (application/problem+json), each of a documented type.

The site's HTML error pages stay the app's error handlers; the API blueprint turns each error of its own routes
into a problem, and main.render_error does the same for a path under /api/ that no route matched.
"""
from __future__ import annotations

import logging

import marshmallow as ma
from flask import Response, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from matchapp.web import outage

PROBLEM = "application/problem+json"
security_log = logging.getLogger("matchapp.security")

# type (the fragment of the docs page that explains it) → (status, title)
PROBLEMS = {
    "bad-request": (400, "The request could not be understood"),
    "key-in-query": (400, "An API key was sent in the query string"),
    "bad-cursor": (400, "The cursor is not one this API gave"),
    "unauthorized": (401, "No valid API key"),
    "missing-scope": (403, "The key lacks the scope this operation needs"),
    "not-found": (404, "Not found, or not your job centre's"),
    "method-not-allowed": (405, "This operation does not exist for this path"),
    "not-acceptable": (406, "Only JSON is offered"),
    "conflict": (409, "The object is not in a state that allows this"),
    "precondition-failed": (412, "The object was changed since you read it (If-Match)"),
    "too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "Send JSON"),
    "invalid": (422, "Some fields are not valid"),
    "refused": (422, "A rule said no"),
    "precondition-required": (428, "Send If-Match with the ETag you read"),
    "too-many-requests": (429, "Too many requests for this key; wait a minute"),
    "server-error": (500, "Something went wrong on our side"),
    "unavailable": (503, "matchapp is not available right now"),
}
BY_STATUS = {}
for _slug, (_status, _title) in PROBLEMS.items():
    BY_STATUS.setdefault(_status, _slug)


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True, metadata={"description": "A URI reference: the docs page's entry"})
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Per field (or location and field): what is wrong"})


def type_uri(slug: str) -> str:
    return f"/api/v1/docs#problem-{slug}"


def problem(slug: str, detail: str | None = None, *, errors: dict | None = None, status: int | None = None,
            headers: dict | None = None) -> Response:
    """A problem answer of a documented type."""
    code, title = PROBLEMS[slug]
    body = {"type": type_uri(slug), "title": title, "status": status or code}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status or code, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def is_api_request() -> bool:
    """The request is for the API (a route of it, or a path under it that no route matched)."""
    return (request.blueprint == "api" or request.path == "/api/v1" or request.path.startswith("/api/v1/")) \
        and request.endpoint not in ("api_reference.docs", "api-docs.openapi_json")


def from_http_error(error: Exception) -> Response:
    """An HTTP error (or an unexpected exception) of an API route as a problem. Validation errors carry what webargs
    found wrong, by location and field; the request's values are never echoed back or logged."""
    if outage.is_database_outage(error):
        return problem("unavailable", headers={"Retry-After": "30"})
    if not isinstance(error, HTTPException):
        error = InternalServerError()
    data = getattr(error, "data", None) or {}
    slug = data.get("problem") or BY_STATUS.get(error.code, "server-error" if error.code >= 500 else "bad-request")
    if error.code == 403 and slug == "missing-scope":
        security_log.warning("api access refused: %s %s", request.method, request.endpoint)
    errors = data.get("messages") or data.get("errors")
    headers = dict(data.get("headers") or {})
    if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 429:
        headers.setdefault("Retry-After", "60")
    return problem(slug, data.get("detail"), errors=_plain(errors) if errors else None, status=error.code,
                   headers=headers)


def _plain(errors) -> dict:
    """webargs' messages as a JSON object of lists of strings."""
    if isinstance(errors, dict):
        return {str(k): _plain(v) if isinstance(v, dict) else [str(m) for m in (v if isinstance(v, list) else [v])]
                for k, v in errors.items()}
    return {"_": [str(errors)]}
