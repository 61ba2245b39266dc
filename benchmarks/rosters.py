"""Time the import of a course provider's participant list of 350 rows, on SQLite or PostgreSQL.

Builds a throwaway database with the migrations, a job centre with a consultant, and per round a course run and a
workbook (made by openpyxl) of 350 participants: 300 new and 50 the job centre knows already (by e-mail, 25 of them
with an external id), most marked as completed. Through the Flask test client, signed in as the consultant, it times
the upload that shows the preview, the confirm that imports (300 candidates created with their welcome e-mails, 350
enrolments, about 275 completions) and the same file imported again (which changes nothing), and prints each round's
figures and the medians. It prints figures and asserts none; see benchmarks/README.md.
"""
from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import time
from datetime import date, timedelta

from flask_migrate import upgrade
from openpyxl import Workbook
from sqlalchemy import event, func, select
from throwaway import database_url, empty_database

from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Candidate, Enrollment, OutboxMessage, Role, TargetGroup, User
from matchapp.services import accounts, catalogue

PASSWORD = "benchmark"
CONSULTANT_EMAIL = "konsulent@bench-rosters.example"  # marks a database this script filled, which it may empty again


class Counter:
    """Counts the SQL statements sent (an engine's before_cursor_execute listener)."""

    def __init__(self):
        self.count = 0

    def __call__(self, *_args) -> None:
        self.count += 1


def workbook(round_number: int, rows: int, known: list[Candidate]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Navn", "E-mail", "Telefon", "Ekstern id", "Målgruppe", "Gennemført"])
    for n, candidate in enumerate(known):
        sheet.append([candidate.user.name, candidate.user.email, "", f"R{round_number}-K{n}" if n % 2 else "", "",
                      "nej" if n % 2 else "ja"])
    for n in range(rows - len(known)):
        sheet.append([f"Deltager {n} Ærø", f"r{round_number}-deltager{n}@bench-rosters.example", f"2{n:07d}",
                      f"R{round_number}-N{n}", "jobparat" if n % 3 else "aktivitetsparat", "ja" if n % 6 else "nej"])
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def one_round(app, client, consultant: User, round_number: int, rows: int, known_count: int) -> dict[str, float]:
    course = catalogue.create_course(f"Kursus {round_number}", "", by=None, now=utcnow())
    run = catalogue.create_course_run(course, consultant.jobcenter, date.today() - timedelta(days=30),
                                      date.today() - timedelta(days=1), by=None, now=utcnow())
    known = [accounts.create_candidate(accounts.CandidateData(
        name=f"Kendt {round_number}-{n}", email=f"r{round_number}-kendt{n}@bench-rosters.example", phone=None,
        jobcenter_id=consultant.jobcenter_id, target_group=TargetGroup.JOB_READY, consultant_id=consultant.id),
        created_by=consultant, now=utcnow()) for n in range(known_count)]
    db.session.commit()
    content = workbook(round_number, rows, known)
    figures = {}
    for attempt in ("import", "again"):
        started = time.perf_counter()
        preview = client.post(f"/consultant/runs/{run.id}/roster", data={"file": (io.BytesIO(content), "d.xlsx")},
                              content_type="multipart/form-data")
        previewed = time.perf_counter()
        signed = re.search(r'name="rows" type="hidden" value="([^"]+)"', preview.text)
        if preview.status_code != 200 or not signed:
            sys.exit(f"the preview failed: {preview.status_code}")
        statements = Counter()
        event.listen(db.engine, "before_cursor_execute", statements)
        confirmed = client.post(f"/consultant/runs/{run.id}/roster/confirm", data={"rows": signed[1]})
        done = time.perf_counter()
        event.remove(db.engine, "before_cursor_execute", statements)
        figures[f"{attempt}: confirm statements"] = statements.count
        if confirmed.status_code != 303:
            sys.exit(f"the import failed: {confirmed.status_code}")
        figures[f"{attempt}: preview"] = previewed - started
        figures[f"{attempt}: confirm"] = done - previewed
        figures[f"{attempt}: both"] = done - started
    db.session.expire_all()
    enrolled = db.session.scalar(select(func.count()).select_from(Enrollment).where(Enrollment.course_run_id == run.id))
    completed = db.session.scalar(select(func.count()).select_from(Enrollment).where(
        Enrollment.course_run_id == run.id, Enrollment.completed_at.is_not(None)))
    print(f"round {round_number}: {rows} rows, {len(content) // 1024} kB workbook; {enrolled} enrolled, "
          f"{completed} completed; " + ", ".join(f"{name} {value:.2f} s" if isinstance(value, float)
                                                 else f"{name} {value}" for name, value in figures.items()))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a throwaway database (default: a SQLite file in the temp folder)")
    parser.add_argument("--rows", type=int, default=350)
    parser.add_argument("--known", type=int, default=50, help="of the rows, candidates the job centre knows")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(args.database_url, "matchapp-bench-rosters.sqlite"),
                      "SECRET_KEY": "benchmark", "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 64, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        empty_database(CONSULTANT_EMAIL)
        upgrade()
        jobcenter = catalogue.create_jobcenter("Jobcenter Bench", by=None, now=utcnow())
        consultant = accounts.create_staff(name="Konsulent", email=CONSULTANT_EMAIL, role=Role.CONSULTANT,
                                           jobcenter=jobcenter, by=None, now=utcnow())
        consultant.password_hash = accounts.hash_password(PASSWORD)
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": CONSULTANT_EMAIL, "password": PASSWORD})
        rounds = [one_round(app, client, consultant, n, args.rows, args.known) for n in range(1, args.rounds + 1)]
        mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"{db.engine.dialect.name}: median of {args.rounds} rounds ({mails} e-mails in the outbox):")
        for name, value in rounds[0].items():
            median = statistics.median(r[name] for r in rounds)
            print(f"  {name:26} {median:.2f} s" if isinstance(value, float) else f"  {name:26} {median}")


if __name__ == "__main__":
    main()
