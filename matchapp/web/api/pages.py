"""Cursor pages: a list is read in id order, a page at a time; the cursor is opaque to the client (it encodes the
last id seen), so a row added or removed meanwhile never makes a page skip or repeat one."""
from __future__ import annotations

import base64
import re

from flask import request, url_for
from sqlalchemy import Select

from matchapp.extensions import db
from matchapp.web.api.access import refuse

MAX_LIMIT = 100
_CURSOR = re.compile(r"after:([0-9]{1,10})")


def encode(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int:
    """The last id of the page before (0 for the first page); a cursor this API did not give is a 400 problem."""
    if not cursor:
        return 0
    try:
        found = _CURSOR.fullmatch(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii"))
    except (ValueError, UnicodeDecodeError):
        found = None
    if found is None or int(found.group(1)) > 2**31 - 1:
        refuse(400, "bad-cursor")
    return int(found.group(1))


def page_of(query: Select, id_column, args: dict, dump, *, keep: tuple[str, ...] = ()) -> dict:
    """One page of the query's rows after the cursor, each dumped; and the URL of the next page (None at the end),
    with the filters named in `keep`."""
    after, limit = decode(args.get("cursor")), args["limit"]
    rows = db.session.scalars(query.where(id_column > after).order_by(id_column).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    following = None
    if more:
        params = {name: args[name] for name in keep if args.get(name) is not None}
        following = url_for(request.endpoint, **(request.view_args or {}), **params, limit=limit,
                            cursor=encode(rows[-1].id))
    return {"items": [dump(row) for row in rows], "next": following}
