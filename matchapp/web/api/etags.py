"""ETag / If-Match where two writers may collide (a candidate, an outcome): a write to an object that exists must
send the ETag it read; a different one is 412 precondition-failed and nothing is changed; none is 428."""
from __future__ import annotations

import hashlib

from flask import json, request

from matchapp.web.api.access import refuse


def etag_of(data: dict) -> str:
    """A strong ETag of the representation a GET answers."""
    return '"' + hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'


def check_if_match(current: str) -> None:
    """Refuse a write whose If-Match does not name the object's current ETag (or is missing)."""
    header = request.headers.get("If-Match")
    if header is None:
        refuse(428, "precondition-required")
    sent = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if "*" not in sent and current not in sent:
        refuse(412, "precondition-failed")
