"""The REST API's list of bookings, 10,000 of one job centre's, read to the end with the cursor (100 a page).

Builds a throwaway SQLite database with the migrations (or uses --database-url), inserts 100 candidates with a
meeting in each of 100 sessions (bulk Core inserts), makes a key and pages through GET /api/v1/bookings with the
Flask test client. Prints the time for all pages and the median and 95th percentile per page. Asserts nothing.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta

from flask_migrate import upgrade
from sqlalchemy import text

from matchapp import create_app
from matchapp.extensions import db
from matchapp.models import SCOPES, Booking, Candidate, InterviewSession, Slot, User
from matchapp.services import catalogue, integrations

SESSIONS, CANDIDATES = 100, 100


def fill(now: datetime) -> str:
    jobcenter = catalogue.create_jobcenter("Jobcenter Bench", by=None, now=now)
    admin = User(email="admin@bench.example", name="Admin", role="admin", created_at=now)
    employer_user = User(email="chef@bench.example", name="Chef", role="employer", created_at=now)
    db.session.add_all([admin, employer_user])
    db.session.flush()
    db.session.execute(db.metadata.tables["employer"].insert(), [{"id": 1, "name": "Firma", "cvr": "12345674",
                                                                  "address": "Vej 1", "created_at": now}])
    users = [{"id": 1000 + i, "email": f"k{i}@bench.example", "name": f"K {i}", "role": "candidate",
              "created_at": now, "language": "da", "active": True, "jobcenter_id": jobcenter.id}
             for i in range(CANDIDATES)]
    db.session.execute(User.__table__.insert(), users)
    db.session.execute(Candidate.__table__.insert(), [{"id": 1000 + i, "user_id": 1000 + i,
                                                        "jobcenter_id": jobcenter.id, "target_group": "jobparat",
                                                        "pitch": "", "external_id": f"EXT-{i}"}
                                                       for i in range(CANDIDATES)])
    day = date(2026, 6, 1)
    sessions, slots, bookings = [], [], []
    for s in range(SESSIONS):
        start = datetime(2026, 6, 1, 8, tzinfo=UTC) + timedelta(days=s)
        sessions.append({"id": s + 1, "employer_id": 1, "created_by_id": employer_user.id, "title": "Job",
                         "description": "", "local_date": day + timedelta(days=s), "start_time": start.time(),
                         "end_time": (start + timedelta(hours=9)).time(), "slot_minutes": 5, "break_minutes": 0,
                         "interviewers": 1, "mode": "phone", "booking_closes_hours": 2, "status": "published",
                         "starts_at": start, "ends_at": start + timedelta(hours=9), "created_at": now})
        for c in range(CANDIDATES):
            slot_id = s * CANDIDATES + c + 1
            at = start + timedelta(minutes=5 * c)
            slots.append({"id": slot_id, "session_id": s + 1, "lane": 1, "starts_at": at,
                          "ends_at": at + timedelta(minutes=5), "status": "open"})
            bookings.append({"id": slot_id, "slot_id": slot_id, "session_id": s + 1, "candidate_id": 1000 + c,
                             "booked_by_id": 1000 + c, "status": "confirmed", "uid": f"b{slot_id}@bench",
                             "sequence": 0, "created_at": now, "timed_at": now})
    db.session.execute(InterviewSession.__table__.insert(), sessions)
    db.session.execute(Slot.__table__.insert(), slots)
    db.session.execute(Booking.__table__.insert(), bookings)
    integration = integrations.create_integration("Bench", jobcenter, by=admin, now=now)
    _key, raw = integrations.create_key(integration, list(SCOPES), by=admin, now=now)
    db.session.commit()
    with db.engine.connect() as connection:  # statistics for the planner, as after any bulk load
        connection.execute(text("ANALYZE"))
        connection.commit()
    return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: an SQLite file in a temporary folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/api.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        with app.app_context():
            upgrade()
            raw = fill(datetime.now(UTC))
            client, headers = app.test_client(), {"Authorization": f"Bearer {raw}"}
            client.get("/api/v1/bookings?limit=100", headers=headers)  # warm-up
            times, seen, url_ = [], 0, "/api/v1/bookings?limit=100"
            started = time.perf_counter()
            while url_:
                t = time.perf_counter()
                page = client.get(url_, headers=headers).get_json()
                times.append(time.perf_counter() - t)
                seen += len(page["items"])
                url_ = page["next"]
            total = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    p95 = statistics.quantiles(times, n=20)[18]
    print(f"{url.split(':')[0]}: {seen} bookings in {len(times)} pages: "
          f"{total:.2f} s in all; per page median {statistics.median(times) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
