"""Schemathesis fuzzes every operation of the API from the OpenAPI document the app generates, with data that fits
the document and data that does not, against the app served by gunicorn on a local port, as a key with every scope
of a job centre with a candidate, a course run and a booking: no answer is a 5xx, and every answer (status, content
type, headers, body) is what the document says."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from test_concurrency import server  # noqa: F401 - gunicorn on a local port

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import SCOPES
from matchapp.services import catalogue, integrations

MAX_EXAMPLES = 25  # per operation and mode: about a minute for the whole document on this machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def api_world(app, make, course):
    """A job centre's key with every scope, and one of everything it may see."""
    admin, jobcenter = make.admin(), make.jobcenter()
    integration = integrations.create_integration("Sagssystem", jobcenter, by=admin, now=utcnow())
    _key, raw = integrations.create_key(integration, list(SCOPES), by=admin, now=utcnow())
    candidate = make.candidate(completed=[course], jobcenter=jobcenter)
    candidate.external_id = "EXT-1"
    run = catalogue.create_course_run(course, jobcenter, date.today() - timedelta(days=90),
                                      date.today() - timedelta(days=61), by=None, now=utcnow())
    session = make.session(courses=[course])
    booking = make.booking(candidate, session.slots[0])
    real = {"booking_id": booking.id, "run_id": run.id, "session_id": session.id, "external_id": "EXT-1",
            "table": "funnel"}
    db.session.commit()  # and end the test's transaction: on SQLite it would hold the write lock the server needs
    return raw, real


def fuzz(operation, mode, headers: dict, seen: list, real: dict) -> None:
    """Send the operation the examples of one mode; each answer's status is noted in `seen`. Half the examples of
    data that fits the document name the world's own objects in the path, so that they get past "not found"."""

    def with_real_ids(case, use_real: bool):
        if use_real and mode == GenerationMode.POSITIVE:
            for name in case.path_parameters or {}:
                case.path_parameters[name] = real.get(name, case.path_parameters[name])
        return case

    @given(case=st.tuples(operation.as_strategy(generation_mode=mode), st.booleans()).map(lambda p: with_real_ids(*p)))
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def attempt(case):
        seen.append((operation.label, case.call_and_validate(headers=headers, checks=CHECKS).status_code))

    attempt()


def test_every_operation_answers_as_its_document_says(server, api_world):  # noqa: F811
    """Each operation in turn, first with data that fits the document, then with data that does not; the failures of
    all operations are reported together (schemathesis' pytest plugin and this pytest's subtests do not agree)."""
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    raw, real = api_world
    headers = {"Authorization": f"Bearer {raw}"}
    failures, operations, seen = [], 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            try:
                fuzz(operation, mode, headers, seen, real)
            except Exception as error:  # noqa: BLE001 - collected, reported below with the operation's name
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert operations >= 14, "every operation of the document"
    assert not failures, "\n\n".join(failures)
    answered = {label for label, status in seen if 200 <= status < 300}
    assert len(answered) >= 12, "most operations answered some examples with the resource itself"
