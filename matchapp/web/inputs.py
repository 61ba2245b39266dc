"""The edge of the app: every value from a URL, a query string or a form passes one of these guards before it
reaches a service or the database.

- ids in URLs: the `int` URL converter is replaced by one that takes ASCII digits only, within the range of the
  database's integer columns (PostgreSQL's `integer` ends at 2^31 - 1); anything else is a 404;
- ids and page numbers in query strings and forms: `parse_id` and `page_number`;
- control characters: refused (400) in the path, query string and form fields, for every request, by one hook;
- request bodies are bounded by MAX_CONTENT_LENGTH (413); a view that takes a file says its own bound
  (`body_limit`).
"""
from __future__ import annotations

import logging
import re
from typing import NoReturn
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

security_log = logging.getLogger("matchapp.security")
MAX_ID = 2**31 - 1  # PostgreSQL's integer; SQLite's ids never get near it
MAX_PAGE = 10_000  # 20 rows a page: far more pages than any list here will have
MAX_SEARCH_LENGTH = 100
MAX_BODY_BYTES = 1024 * 1024  # the largest form here (a session's outcomes) is a few kB
ASCII_NUMBER = re.compile(r"[0-9]{1,10}")

# C0 controls and DEL anywhere; line breaks and tabs are text in a form field (a textarea), not in a URL.
CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: ASCII digits only, at most the largest id the database can hold (else 404)."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def parse_id(value: str | None) -> int | None:
    """A database id typed as ASCII digits, else None (so "²", "-1", "1e3" and 2^63 are not ids)."""
    if value is None or not ASCII_NUMBER.fullmatch(value):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def page_number() -> int:
    """The `?page=` of a paginated list: 1 when absent; a 404 when it is not a page that can exist."""
    raw = request.args.get("page")
    if raw is None or raw == "":
        return 1
    page = parse_id(raw)
    if page is None or page > MAX_PAGE:
        abort(404)
    return page


def search_text(name: str = "q") -> str:
    """A search box's text, trimmed and cut to a length that is still a search."""
    return request.args.get(name, "").strip()[:MAX_SEARCH_LENGTH]


def page_to_return_to(path: str | None) -> str:
    """A path on this site that answers GET, else the front page: never another site, never a header split."""
    if not path or CONTROL_IN_URL.search(path) or "\\" in path:
        return url_for("main.index")
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return url_for("main.index")
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except (NotFound, MethodNotAllowed):
        return url_for("main.index")
    return path


def body_limit(max_bytes: int):
    """A view that takes a larger body than MAX_BODY_BYTES (a file, or a preview carried in a hidden field): its own
    bound for the whole body and for a form field, set before any hook reads the body."""

    def decorator(view):
        view.max_body_bytes = max_bytes
        return view

    return decorator


def apply_body_limit() -> None:
    """Give this request its view's own body bound, if the view has one (`body_limit`)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "max_body_bytes", None)
    if limit:
        request.max_content_length = limit
        request.max_form_memory_size = limit


def refuse_control_characters() -> None:
    """Answer 400 when the path, the query string or a form field holds a control character (NUL among them:
    PostgreSQL refuses it in text, and a line break in a redirect target splits a header)."""
    if CONTROL_IN_URL.search(request.path):
        refuse("path")
    for key, value in request.args.items(multi=True):
        if CONTROL_IN_URL.search(key) or CONTROL_IN_URL.search(value):
            refuse("query string")
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if CONTROL_IN_URL.search(key) or CONTROL_IN_FORM.search(value):
                refuse("form")


def refuse(where: str) -> NoReturn:
    """Answer 400, and log the attempt (ASVS 16.3.3) by where it was and which page, never what was sent."""
    security_log.warning("refused a control character in the %s of %s %s", where, request.method, request.endpoint)
    abort(400)


def register_input_guards(app: Flask) -> None:
    """Install the guards: before any blueprint adds a rule, so that every `<int:...>` uses the bounded converter."""
    app.url_map.converters["int"] = IdConverter
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask has no limit of its own
        app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.before_request(apply_body_limit)  # first: the next hook reads the body
    app.before_request(refuse_control_characters)
