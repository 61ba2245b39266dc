"""Hostile input, as an attacker or a careless user sends it, against every route of the app for every role.

Hypothesis draws, per route: a role (signed out, candidate, employer, consultant, admin), ids in the URL (the real
ones of the world below, or huge, negative, non-ASCII ones), a query string and a form body built from the fields
the app's own pages show (a filled form with some fields made hostile, or hostile fields alone), and the body's
content type. Whatever it sends, the app answers below 500; a refusal (4xx) is the site's own page and changes no
row. A new route fails `test_every_route_is_exercised` until this file knows how to fill in its URL.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, timedelta
from urllib.parse import quote, urlencode

import conftest
import pytest
from conftest import PASSWORD
from flask import request, request_finished
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from pages import forms
from sqlalchemy import select, text

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import SCOPES, OutboxMessage, WaitlistEntry, WaitlistOffer, WaitStatus, WebhookDelivery
from matchapp.services import accounts, catalogue, funnel, integrations, webhooks
from matchapp.services import booking as booking_service

# Tables that a refused request may still write to: the audit trail (a failed sign-in is audited) and the
# server-side session rows (the last time a session was seen).
LOGS = {"audit_event", "user_session"}

HOSTILE_TEXT = [
    "", " ", "0", "-1", "1.5", "1e9", "2147483647", "2147483648", "9223372036854775807", "9223372036854775808",
    "99999999999999999999999999", "²", "٣", "１２", "0x10", "9" * 400, "0001-01-01", "9999-12-31", "31.12.9999",
    "1.1.0001", "2026-02-30", "23:30", "24:00", "-00:01", "\x00", "a\x00b", "\x1b[31m", "\x7f", "\r\nSet-Cookie: x=y",
    "\n", "\r\n", "line\nbreak", "\t", "\u202ereversed", "\ufeff", "😀" * 50, "=HYPERLINK(\"http://evil.example\",\"x\")",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "//evil.example", "/\\evil.example",
    "https://evil.example/", "javascript:alert(1)", "%00", "%0d%0a", "x" * 5000, "x" * 100_000,
]
hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)
# The edges of each kind of field, for the "everything at its extreme" attack: a date in year 1 or 9999 only
# overflows with a time near midnight, so the kinds are pushed to their edges together.
EDGES = {
    "date": ["0001-01-01", "9999-12-31"],
    "time": ["00:10", "23:30", "23:59"],
    "number": ["0", "-1", "2147483647", "2147483648", "9223372036854775808", "²"],
}
# What a person types into an empty field of each kind, so that a form as a whole gets past its own checks.
TYPED = {"date": (date.today() + timedelta(days=1)).isoformat(), "number": "1", "email": "ny@example.dk",
         "url": "https://meet.example.dk/x", "text": "Tekst", "password": "a long and unusual passphrase 42"}
HOSTILE_IDS = ["0", "2147483648", "9223372036854775808", "123456789012345678901234567890", "²", "٣", "-1", "1e3",
               "%00", "1%0a"]
QUERY_NAMES = ["page", "q", "course_id", "jobcenter_id", "course_run_id", "period_from", "period_to", "format",
               "numbers", "next", "language"]
CONTENT_TYPES = ["form", "multipart", "json", "text"]
# What the API's bodies and query strings name, and values that get past its schemas.
API_NAMES = ["name", "email", "phone", "target_group", "external_id", "completed_at", "reason", "attendance", "result",
             "employment_type", "start_date", "hours_per_week", "status", "cursor", "limit"]
API_VALUES = ["jobparat", "attended", "hired", "full_time", "candidate_no_show", "confirmed", "EXT-1",
              "ny@example.dk", "2026-12-01T10:00:00+01:00", "2027-01-04", "37", "Navn"]

# How each URL argument is filled in: names of the world's objects (a real id) or a string strategy.
ID_ARGUMENTS = {"session_id": "session", "slot_id": "slot", "booking_id": "booking", "candidate_id": "candidate",
                "run_id": "run", "employer_id": "unapproved_employer", "message_id": "message", "user_id": "consultant",
                "entry_id": "entry", "subscription_id": "subscription", "delivery_id": "delivery",
                "integration_id": "integration", "key_id": "api_key"}
# Routes whose id argument names another of the world's objects than the name says by default.
ENDPOINT_ID_ARGUMENTS = {"consultant.booking_outcome": {"booking_id": "held_booking"}}  # a meeting that has begun
STRING_ARGUMENTS = {"token": ("sign_in_token", "password_token", "calendar_token", "offer_token"),
                    "external_id": ("external_id",),
                    "table": tuple(funnel.TABLES)}


def real_object(endpoint: str, name: str) -> str:
    """The world's object whose id fills in this argument of this route."""
    return ENDPOINT_ID_ARGUMENTS.get(endpoint, {}).get(name) or ID_ARGUMENTS[name]


class World:
    """One of everything, owned by the signed-in users, so that real ids reach the views behind the access checks.

    Built once per test module and kept as rows (`Snapshot`): each route's test starts from these same rows.
    """

    def __init__(self, make):
        now = utcnow()
        self.consultant = make.consultant()
        course = make.course()
        self.candidate_obj = make.candidate(consultant=self.consultant, completed=[course])
        self.employer = make.employer()
        session = make.session(self.employer, interviewers=2)
        kok = make.session(self.employer, day=date.today() + timedelta(days=3), title="Kok")  # open to the candidate
        self.admin = make.admin()
        system = integrations.create_integration("Sagssystem", self.consultant.jobcenter, by=self.admin, now=now)
        subscription, _secret = webhooks.subscribe(system, "https://sag.example.dk/hooks", ["booking.created"],
                                                   personal=False, insecure_allowed=False, by=self.admin, now=now)
        result = booking_service.book_slots(self.candidate_obj, [session.slots[0].id], by=self.candidate_obj.user,
                                            now=now)
        held = make.session(self.employer, day=date.today() - timedelta(days=1), created_at=now - timedelta(days=10))
        held_booking = booking_service.book_slots(self.candidate_obj, [held.slots[0].id], by=self.candidate_obj.user,
                                                  now=now - timedelta(days=5)).booked[0]
        unapproved = make.employer(approved=False)
        run = catalogue.create_course_run(course, self.consultant.jobcenter, date.today() - timedelta(days=90),
                                          date.today() - timedelta(days=61), by=None, now=now)
        self.sign_in_token = accounts.issue_token(self.candidate_obj.user, accounts.SIGN_IN, minutes=60, now=now)
        self.password_token = accounts.issue_token(self.employer, accounts.PASSWORD, minutes=60, now=now)
        self.calendar_token = accounts.new_calendar_token(self.employer, now=now)
        # A waiting-list offer of Kok's first time to the candidate (only the hash of its link's token is stored).
        self.offer_token = "an-offer-of-a-free-time"
        entry = WaitlistEntry(session=kok, candidate=self.candidate_obj, added_by_id=self.candidate_obj.user_id,
                              status=WaitStatus.WAITING, created_at=now)
        db.session.add(WaitlistOffer(entry=entry, slot=kok.slots[0], created_at=now,
                                     token_hash=hashlib.sha256(self.offer_token.encode()).hexdigest(),
                                     expires_at=kok.slots[0].starts_at - timedelta(hours=2)))
        # An integration of the consultant's job centre with a key of every scope: API routes get it (or not).
        integration = integrations.create_integration("Sagssystem", self.consultant.jobcenter, by=self.admin, now=now)
        api_key, self.api_key = integrations.create_key(integration, list(SCOPES), by=self.admin, now=now)
        self.candidate_obj.external_id = self.external_id = "EXT-1"
        db.session.commit()
        self.ids = {"session": session.id, "slot": session.slots[3].id, "booking": result.booked[0].id,
                    "held_booking": held_booking.id,
                    "candidate": self.candidate_obj.id, "run": run.id, "unapproved_employer": unapproved.employer_id,
                    "message": db.session.scalar(select(OutboxMessage.id).limit(1)), "consultant": self.consultant.id,
                    "entry": entry.id, "subscription": subscription.id,
                    "delivery": db.session.scalar(select(WebhookDelivery.id).limit(1)),
                    "integration": integration.id, "api_key": api_key.id}
        self.users = {"anonymous": None, "candidate": self.candidate_obj.user.email, "employer": self.employer.email,
                      "consultant": self.consultant.email, "admin": self.admin.email}
        del self.candidate_obj, self.employer, self.consultant, self.admin  # ids and addresses outlive the objects


class Snapshot:
    """Every row of every table, taken once and put back before each test: a world costs one build per module."""

    def __init__(self):
        db.session.commit()
        self.rows = {table: [dict(row) for row in db.session.execute(select(table)).mappings()]
                     for table in db.metadata.sorted_tables}
        db.session.rollback()

    def restore(self) -> None:
        """Put the rows back into the (emptied) tables; on PostgreSQL, move each id sequence past them."""
        for table, rows in self.rows.items():
            if rows:
                db.session.execute(table.insert(), rows)
            if db.engine.dialect.name == "postgresql" and "id" in table.c:
                db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"))
        db.session.commit()


def fingerprint() -> str:
    """A digest of every row of every table but the logs: equal digests, no row changed.

    On PostgreSQL the server digests each table's rows (as text, in order) in one statement: one round trip per
    look instead of one per table, in a test that looks twice per request."""
    digest = hashlib.sha256()
    db.session.rollback()
    tables = [table for table in db.metadata.sorted_tables if table.name not in LOGS]
    if db.engine.dialect.name == "postgresql":
        quote = db.engine.dialect.identifier_preparer.quote
        digest.update(repr(db.session.execute(text("SELECT " + ", ".join(
            f"(SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM {quote(table.name)} t)"
            for table in tables))).one()).encode())
    else:
        for table in tables:
            rows = db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            digest.update(repr((table.name, rows)).encode())
    db.session.rollback()
    return digest.hexdigest()


def routes(app):
    """Every rule of the app but the static files, with the methods a browser or attacker can send it."""
    return sorted(((rule.endpoint, rule) for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
                  key=lambda pair: (pair[0], pair[1].rule))


def build_path(rule, world: World, draw) -> str:
    """The rule's URL with each argument a real value of the world or a hostile one."""
    values = {}
    for name in rule.arguments:
        if name in ID_ARGUMENTS:
            real = world.ids[real_object(rule.endpoint, name)]
            values[name] = draw(st.one_of(st.just(str(real)), st.just(str(real)), st.sampled_from(HOSTILE_IDS)))
        elif name in STRING_ARGUMENTS:
            real = [getattr(world, option, option) for option in STRING_ARGUMENTS[name]]
            values[name] = quote(draw(st.one_of(st.sampled_from(real), hostile_text.filter(bool))), safe="")
        else:
            raise AssertionError(f"{rule.endpoint}: teach test_hostile_input.py how to fill in <{name}>")
    path = rule.rule
    for name, value in values.items():
        for placeholder in (f"<int:{name}>", f"<{name}>", f"<string:{name}>"):
            path = path.replace(placeholder, value)
    return path


def typed_in(shown) -> tuple[dict[str, str], dict[str, str]]:
    """A form as shown, with its empty fields typed in as a person would; and each field's kind (its input type)."""
    filled, kinds, times = shown.filled(), {}, iter(["10:00", "11:00"])
    for field in shown.inputs:
        name, kind = field.get("name"), field.get("type", "text")
        if not name or field["tag"] != "input" or kind in ("hidden", "radio", "checkbox", "submit", "button"):
            continue
        kinds[name] = kind = next((k for k in ("url", "email") if k in name), kind)  # a type="text" link field
        if not filled.get(name):
            filled[name] = next(times, "12:00") if kind == "time" else TYPED.get(kind, "")
    return filled, kinds


def page_forms(client, app, world: World) -> tuple[dict[tuple[str, str], list[dict]], dict[str, str]]:
    """The forms the app's pages show each role, typed in: {(endpoint they post to, role): [fields]}, and the kind
    of each field name."""
    found: dict[tuple[str, str], list[dict]] = {}
    kinds: dict[str, str] = {}
    adapter = app.url_map.bind("localhost")
    for role, email in world.users.items():
        sign_in(client, email)
        for _endpoint, rule in routes(app):
            if "GET" not in rule.methods or any(a not in ID_ARGUMENTS for a in rule.arguments):
                continue
            path = rule.rule
            for name in rule.arguments:
                path = path.replace(f"<int:{name}>", str(world.ids[real_object(rule.endpoint, name)]))
            response = client.get(path)
            if response.status_code != 200 or "html" not in response.mimetype:
                continue
            for shown in forms(response.text):
                action = (shown.action or path).split("?")[0]
                try:
                    target, _args = adapter.match(action, method="POST" if shown.method == "post" else "GET")
                except Exception:  # noqa: BLE001 - a form posting elsewhere is not ours to fill in
                    continue
                filled, shown_kinds = typed_in(shown)
                found.setdefault((target, role), []).append(filled)
                kinds.update(shown_kinds)
        client.post("/logout")
    return found, kinds


def sign_in(client, email: str | None) -> None:
    client.post("/logout")
    if email is not None:
        client.post("/login", data={"email": email, "password": PASSWORD})


def send(client, method: str, path: str, query: dict, body: dict, content_type: str, headers: dict | None = None):
    url = f"{path}?{urlencode(query)}" if query else path
    if method in ("GET", "PUT"):
        return client.open(url, method=method, headers=headers,
                           **({"data": json.dumps(body), "content_type": "application/json"} if body else {}))
    if content_type == "json" or headers:
        return client.post(url, data=json.dumps(body), content_type="application/json", headers=headers)
    if content_type == "text":
        return client.post(url, data="\n".join(f"{k}={v}" for k, v in body.items()), content_type="text/plain")
    if content_type == "multipart":
        return client.post(url, data=body, content_type="multipart/form-data")
    return client.post(url, data=body)


def assert_answered_well(response, before: str) -> None:
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400:
        if response.status_code not in (401,) and response.mimetype == "text/html":
            assert 'class="skipnav"' in response.text, "a refusal is the site's own page"
            assert "– matchapp</title>" in response.text
        assert fingerprint() == before, "a refused request changed a row"


def route_ids():
    """The routes, known before the app exists, so that each is its own test (and a failure names it)."""
    app = create_app(conftest.test_settings("sqlite://"))
    return [f"{endpoint} {rule.rule}" for endpoint, rule in routes(app)]


@pytest.fixture(scope="module")
def built(db_url) -> tuple[World, Snapshot, tuple]:
    """The world, its rows, and the forms its pages show each role: crawled once for all the routes' tests."""
    app = create_app(conftest.test_settings(db_url))
    with app.app_context():
        world = World(conftest.Factory())
        shown = page_forms(app.test_client(), app, world)
        snapshot = Snapshot()
        conftest.empty_tables()
        db.engine.dispose()
    return world, snapshot, shown


@pytest.fixture
def world(app, built) -> World:
    world, snapshot, _shown = built
    snapshot.restore()
    return world


@pytest.fixture
def known_forms(built) -> tuple:
    return built[2]


@pytest.mark.parametrize("route", route_ids())
def test_no_route_answers_hostile_input_with_an_error_of_ours(app, client, world, known_forms, route):
    known_forms, kinds = known_forms
    endpoint, path_rule = route.split(" ", 1)
    rule = next(r for e, r in routes(app) if e == endpoint and r.rule == path_rule)
    methods = sorted(m for m in rule.methods if m in ("GET", "POST", "PUT"))
    reached = []
    request_finished.connect(lambda sender, **extra: reached.append(request.url_rule), app, weak=False)
    names = sorted({name for filled in (f for fs in known_forms.values() for f in fs) for name in filled}
                   | {"reason", "next", "action", "session", "slot-1", "language", "q"})

    form_roles = sorted(role for target, role in known_forms if target == endpoint)
    form_method = "POST" if "POST" in methods else "GET"

    @settings(max_examples=60 if form_roles else 10, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def attempt(data):
        # Mostly the app's own form for this route, typed in by a role that is shown it, with some fields hostile
        # or with its dates and times at their extremes; else anything from anyone, in any content type.
        own_form = bool(form_roles) and data.draw(st.integers(0, 3), label="own form") > 0
        role = data.draw(st.sampled_from(form_roles if own_form else list(world.users)), label="role")
        method = form_method if own_form else data.draw(st.sampled_from(methods), label="method")
        path = build_path(rule, world, data.draw)
        query = {data.draw(st.sampled_from(QUERY_NAMES)): data.draw(hostile_text)
                 for _ in range(data.draw(st.integers(0, 3)))}
        body = dict(data.draw(st.sampled_from(known_forms[(endpoint, role)]))) if own_form else {}
        attack = data.draw(st.sampled_from(["fields", "extremes", "line ends"] if own_form else ["fields"]))
        if attack == "extremes":  # dates and times (and maybe numbers) at their edges, the rest as typed
            pushed = {"date", "time"} | ({"number"} if data.draw(st.booleans(), label="numbers too") else set())
            for kind in sorted(pushed):
                names_of_kind = [name for name in body if kinds.get(name) == kind]  # in the page's order
                # Distinct and in order, so that "from" comes before "to" and the form gets past its own checks.
                edges = data.draw(st.lists(st.sampled_from(EDGES[kind]), min_size=len(names_of_kind),
                                           max_size=len(names_of_kind),
                                           unique=len(names_of_kind) <= len(EDGES[kind])).map(sorted))
                body.update(zip(names_of_kind, edges, strict=True))
        elif attack == "line ends":  # a line end after what each field shows: "/employer/" + LF passes a check
            # that a bare LF does not, and then splits a header
            ending = data.draw(st.sampled_from(["\n", "\r\n", "\r", "\x00"]))
            body = {name: value + ending for name, value in body.items()}
        else:
            for _ in range(data.draw(st.integers(1, 4))):
                name = data.draw(st.sampled_from(sorted(body) or names))
                shown = body.get(name, "")  # the hostile text instead of the value, or after it
                body[name] = data.draw(st.one_of(hostile_text, hostile_text.map(shown.__add__)))
        content_type = data.draw(st.sampled_from(["form", "form", "multipart"] if own_form else CONTENT_TYPES))
        if method == "GET":
            query, body = {**query, **body}, {}
        sign_in(client, world.users[role])
        # The API: mostly with the world's key (its job centre's objects), sometimes without; a JSON body of the
        # names the API reads (and any others), hostile or not.
        headers = None
        if path.startswith("/api/v1/") and data.draw(st.integers(0, 3), label="with the key") > 0:
            headers = {"Authorization": f"Bearer {world.api_key}"}
            body = {name: data.draw(st.one_of(hostile_text, st.sampled_from(API_VALUES)))
                    for name in data.draw(st.lists(st.sampled_from(API_NAMES), max_size=6, unique=True))}
            if method == "GET":
                query = {**query, **body}
                body = {}
        before = fingerprint()
        response = send(client, method, path, query, body, content_type, headers)
        assert_answered_well(response, before)

    attempt()
    assert rule in reached, "no example reached the route"


def test_every_route_is_exercised(app):
    """Every rule has its arguments known to this file, so no route escapes the test above."""
    for endpoint, rule in routes(app):
        for name in rule.arguments:
            assert name in ID_ARGUMENTS or name in STRING_ARGUMENTS, \
                f"{endpoint}: teach test_hostile_input.py how to fill in <{name}>"


def test_the_guards_hold_with_these_examples(client, make):
    """A few of the attacks that once answered 500, one by one, so that a failure reads plainly."""
    employer = make.employer()
    sign_in(client, employer.email)
    for path in ("/employer/sessions/9223372036854775808", "/employer/sessions/²",
                 "/employer/?page=9223372036854775808", "/employer/?page=²", "/employer/?page=0"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert 'class="skipnav"' in response.text
    assert client.get("/employer/?q=a%00b").status_code == 400
    assert db.session.execute(text("SELECT 1")).scalar() == 1


def roster_files() -> dict[str, tuple[str, bytes]]:
    """Participant lists whose cells are the hostile texts, one column at a time, as a workbook and as Danish
    Excel's CSV in both encodings; and files that are no participant list at all."""
    columns = ["Navn", "E-mail", "Telefon", "Ekstern id", "Målgruppe", "Gennemført"]
    rows = []
    for n, hostile in enumerate(HOSTILE_TEXT):
        row = [f"Deltager {n}", f"deltager{n}@example.dk", "", f"X{n}", "jobparat", "ja"]
        row[n % len(columns)] = hostile
        rows.append(row)
    book = Workbook()
    book.active.append(columns)
    for row in rows:  # a workbook cannot hold control characters: openpyxl refuses to write them
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row])
    workbook = io.BytesIO()
    book.save(workbook)
    text = io.StringIO()
    csv.writer(text, delimiter=";", lineterminator="\r\n").writerows([columns, *rows])
    return {"workbook": ("deltagere.xlsx", workbook.getvalue()),
            "csv utf-8": ("deltagere.csv", ("\ufeff" + text.getvalue()).encode("utf-8")),
            "csv windows-1252": ("deltagere.csv", text.getvalue().encode("cp1252", errors="replace")),
            "zip of junk": ("deltagere.xlsx", b"PK\x03\x04" + bytes(range(256)) * 8),
            "junk": ("deltagere.csv", bytes(range(256)) * 8),
            "nothing": ("deltagere.csv", b"")}


@pytest.mark.parametrize("name", list(roster_files()))
def test_a_roster_of_hostile_cells_is_previewed_and_imported_or_refused_cleanly(app, client, world, name):
    """The file upload the crawl above cannot send: each hostile text in each column of a participant list."""
    filename, content = roster_files()[name]
    run = world.ids["run"]
    sign_in(client, world.users["consultant"])
    before = fingerprint()

    preview = client.post(f"/consultant/runs/{run}/roster", data={"file": (io.BytesIO(content), filename)},
                          content_type="multipart/form-data")

    assert_answered_well(preview, before)
    assert fingerprint() == before, "a preview changed a row"
    signed = re.search(r'name="rows" type="hidden" value="([^"]+)"', preview.text)
    if signed:
        assert_answered_well(client.post(f"/consultant/runs/{run}/roster/confirm", data={"rows": signed[1]}), before)
