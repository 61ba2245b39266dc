"""Two systems (or two retries of one) register the same candidate at the same moment, against a real server."""
from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select
from test_concurrency import server  # noqa: F401 - gunicorn with four workers

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import SCOPES, Candidate
from matchapp.services import integrations

WRITERS = 8


def test_the_same_candidate_put_at_once_is_registered_once_and_the_others_are_told_why(server, make):  # noqa: F811
    admin, jobcenter = make.admin(), make.jobcenter()
    integration = integrations.create_integration("Sagssystem", jobcenter, by=admin, now=utcnow())
    _key, raw = integrations.create_key(integration, list(SCOPES), by=admin, now=utcnow())
    db.session.commit()
    barrier, answers = threading.Barrier(WRITERS), []

    def put() -> None:
        barrier.wait(timeout=60)
        answers.append(requests.put(f"{server.url}/api/v1/candidates/EXT-9", timeout=60,
                                    headers={"Authorization": f"Bearer {raw}"},
                                    json={"name": "Amina Hassan", "email": "amina.race@example.dk",
                                          "target_group": "jobparat"}))

    threads = [threading.Thread(target=put) for _ in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(201) == 1, statuses
    # The others: registered meanwhile (409), or seen as registered and so a change without If-Match (428).
    assert set(statuses) - {201} <= {409, 428}, statuses
    assert all(a.headers["Content-Type"] == "application/problem+json" for a in answers if a.status_code != 201)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Candidate).where(Candidate.external_id == "EXT-9")) == 1
