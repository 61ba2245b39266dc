"""The curl examples of docs/api.md, run as they are written, with real curl against a real server (gunicorn)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from test_concurrency import server  # noqa: F401 - the gunicorn fixture

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import AuditEvent, Booking, BookingStatus, Candidate, ConsultantOutcome, FollowUp
from matchapp.services import catalogue, integrations
from matchapp.services.booking import book_slots

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", DOC.read_text(), re.DOTALL)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_every_curl_example_of_the_api_guide_works(server, make, course):  # noqa: F811
    admin, jobcenter = make.admin(), make.jobcenter("Jobcenter Amager")
    integration = integrations.create_integration("Sagssystem", jobcenter, by=admin, now=utcnow())
    _key, raw = integrations.create_key(integration, ["candidates:read", "candidates:write", "rosters:write",
                                                      "bookings:read", "bookings:write", "outcomes:read",
                                                      "outcomes:write"], by=admin, now=utcnow())
    run = catalogue.create_course_run(course, jobcenter, date.today() - timedelta(days=90),
                                      date.today() - timedelta(days=61), by=None, now=utcnow())
    # A meeting yesterday of another of the job centre's candidates: the one the guide writes the outcome of.
    other = make.candidate(completed=[course], jobcenter=jobcenter)
    other.external_id = "EXT-2002"
    held = make.session(day=date.today() - timedelta(days=1), courses=[course],
                        created_at=utcnow() - timedelta(days=10))
    booking = book_slots(other, [held.slots[0].id], by=other.user, now=utcnow() - timedelta(days=5)).booked[0]
    env = {**os.environ, "MATCHAPP": server.url, "KEY": raw, "RUN": str(run.id), "BOOKING": str(booking.id)}
    booking_id, key_id = booking.id, _key.id
    db.session.commit()  # and end the test's transaction: on SQLite it would hold the write lock
    blocks = shell_blocks()
    assert len(blocks) >= 6
    for block in blocks:
        done = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", block], env=env, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
    db.session.rollback()
    candidate = db.session.scalar(select(Candidate).where(Candidate.external_id == "EXT-1001"))
    assert candidate.user.phone == "+4512345678"
    assert db.session.scalar(select(FollowUp.status).where(FollowUp.candidate_id == candidate.id)) == "full_time"
    recorded = select(ConsultantOutcome.result).where(ConsultantOutcome.booking_id == booking_id)
    assert db.session.scalar(recorded) == "hired"
    assert db.session.get(Booking, booking_id).status == BookingStatus.CANCELLED
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.api_key_id == key_id)) is not None
