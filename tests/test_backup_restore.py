"""The restore drill of docs/deploy.md: a `pg_dump -Fc` of the database, restored with `pg_restore` into a new
database, is served by the app: the candidate signs in and sees the booking, /healthz is ok, the schema is at head."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import conftest
import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import make_url, select, text

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking
from matchapp.services.booking import book_slots, cancel_booking

pytestmark = pytest.mark.skipif(not os.environ.get("MATCHAPP_TEST_DATABASE_URL", "").startswith("postgresql"),
                                reason="pg_dump and pg_restore are PostgreSQL's backup tools")

ROOT = Path(__file__).resolve().parent.parent


def postgresql_tool(name: str) -> str:
    """A client tool of the server's own major version (Debian keeps each in /usr/lib/postgresql/<major>/bin; a
    pg_dump older than the server refuses to dump it), else the one on PATH."""
    major = int(db.session.scalar(text("SHOW server_version_num"))) // 10000
    db.session.rollback()
    versioned = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    found = str(versioned) if versioned.exists() else shutil.which(name)
    assert found, f"{name} (PostgreSQL {major}'s client tools) is neither in {versioned.parent} nor on PATH"
    return found


def run(*command: str) -> str:
    """Run a command; its output, or a failure that shows what it said."""
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, f"{' '.join(command[:2])} failed:\n{done.stdout}{done.stderr}"
    return done.stdout


@pytest.fixture
def restored_url(app, db_url):
    """The name of a new, empty database on the test server (libpq form); dropped at the end."""
    server = make_url(db_url).set(drivername="postgresql")
    url = server.set(database=f"{server.database}_restored_{uuid.uuid4().hex[:8]}")
    maintenance = server.render_as_string(hide_password=False)
    run(postgresql_tool("createdb"), f"--maintenance-db={maintenance}", url.database)
    yield url.render_as_string(hide_password=False)
    run(postgresql_tool("dropdb"), f"--maintenance-db={maintenance}", "--if-exists", "--force", url.database)


def test_a_dump_restored_into_a_new_database_serves_the_candidate_their_booking(app, db_url, make, client,
                                                                                restored_url, tmp_path):
    course = make.course()
    session = make.session(courses=[course], title="Receptionist på Hotel Restore")
    candidate = make.candidate(completed=[course])
    book_slots(candidate, [session.slots[0].id], by=candidate.user, now=utcnow())
    db.session.commit()
    email, booking_id = candidate.user.email, db.session.scalar(select(Booking.id))
    cancel_form = f'action="/candidate/meetings/{booking_id}/cancel"'  # shown for an upcoming, confirmed meeting

    dump = tmp_path / "matchapp.dump"
    source = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    run(postgresql_tool("pg_dump"), "--format=custom", f"--file={dump}", source)
    run(postgresql_tool("pg_restore"), "--exit-on-error", "--no-owner", f"--dbname={restored_url}", str(dump))
    # After the backup the meeting is cancelled in the live database; the restored one still has it.
    cancel_booking(db.session.get(Booking, booking_id), reason=None, by=candidate.user, now=utcnow())
    db.session.commit()
    client.post("/login", data={"email": email, "password": PASSWORD})
    assert cancel_form not in client.get("/candidate/meetings").text

    restored = create_app(conftest.test_settings(make_url(restored_url).set(drivername="postgresql+psycopg")
                                        .render_as_string(hide_password=False), WTF_CSRF_ENABLED=True))
    with restored.app_context():
        try:
            browser = restored.test_client()
            assert browser.get("/healthz").get_json() == {"status": "ok"}
            token = csrf_token(browser.get("/login").text)
            signed_in = browser.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD},
                                     follow_redirects=True)
            assert signed_in.request.path == "/candidate/"
            meetings = browser.get("/candidate/meetings").text
            assert "Receptionist på Hotel Restore" in meetings
            assert cancel_form in meetings
        finally:
            db.session.remove()
            db.engine.dispose()  # no connection left open to the database that is dropped next

    environment = {**{k: v for k, v in os.environ.items() if not k.startswith("MATCHAPP_")},
                   "MATCHAPP_DATABASE_URL": restored_url, "MATCHAPP_SECRET_KEY": "restore-drill"}
    current = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "current"], cwd=ROOT,
                             env=environment, capture_output=True, text=True, timeout=60)
    assert current.returncode == 0, current.stderr
    assert "(head)" in current.stdout, current.stdout + current.stderr
