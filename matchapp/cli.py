"""flask commands: demo data and user administration."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys
from datetime import date, datetime, time, timedelta

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from werkzeug.serving import run_simple

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import MeetingMode, Role, TargetGroup, User
from matchapp.services import accounts, catalogue, sessions

DEMO_PASSWORD = "matchapp-demo"
COURSES = ["Datasikkerhed og GDPR", "Hotelbookingsystemer", "Excel", "Digital koordinator", "Vagtplanlægger"]
JOBCENTERS = ["Jobcenter København", "Jobcenter Amager", "Jobcenter Nørrebro", "Jobcenter Valby"]
EMPLOYERS = [  # organisation, CVR (modulus-11 valid), address, contact, e-mail, job, course index or None
    ("Hotel Nørreport A/S", "12345674", "Nørre Voldgade 1, 1358 København K", "Mette Holm",
     "mette@hotel-norreport.example", "Receptionist", 1),
    ("Datavagten ApS", "34567891", "Vesterbrogade 20, 1620 København V", "Jonas Berg",
     "jonas@datavagten.example", "GDPR-assistent", 0),
    ("Kontorhjælpen I/S", "29876541", "Amagerbrogade 100, 2300 København S", "Sara Lund",
     "sara@kontorhjaelpen.example", "Kontorassistent", None),
]
CANDIDATES = [  # name, e-mail, target group, completed course indexes
    ("Amina Hassan", "kandidat@matchapp.example", TargetGroup.JOB_READY, [0, 1, 2]),
    ("Peter Jensen", "peter@matchapp.example", TargetGroup.JOB_READY, [1]),
    ("Lone Nielsen", "lone@matchapp.example", TargetGroup.ACTIVITY_READY, [2]),
    ("Omar Ali", "omar@matchapp.example", TargetGroup.JOB_READY, [0]),
    ("Karin Madsen", "karin@matchapp.example", TargetGroup.ACTIVITY_READY, [3, 4]),
]


def next_weekdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def load_demo_data() -> bool:
    """Create the demo organisation; False (and nothing changed) when it is there already."""
    if accounts.find_user("admin@matchapp.example"):
        return False
    now = utcnow()
    admin = User(email="admin@matchapp.example", name="Admin Andersen", role=Role.ADMIN,
                 password_hash=accounts.hash_password(DEMO_PASSWORD), created_at=now)
    db.session.add(admin)
    jobcenters = [catalogue.create_jobcenter(name, by=admin, now=now) for name in JOBCENTERS]
    consultant = accounts.create_staff(name="Kim Konsulent", email="konsulent@matchapp.example",
                                       role=Role.CONSULTANT, jobcenter=jobcenters[0], by=admin, now=now)
    consultant.password_hash = accounts.hash_password(DEMO_PASSWORD)
    courses = [catalogue.create_course(name, "", by=admin, now=now) for name in COURSES]
    today = now.astimezone(LOCAL_TZ).date()
    runs = [catalogue.create_course_run(course, jobcenters[0], today - timedelta(days=40), today - timedelta(days=3),
                                        by=admin, now=now) for course in courses]
    for name, email, group, completed in CANDIDATES:
        candidate = accounts.create_candidate(
            accounts.CandidateData(name=name, email=email, phone=None, jobcenter_id=jobcenters[0].id,
                                   target_group=group, consultant_id=consultant.id), created_by=consultant, now=now)
        candidate.user.password_hash = accounts.hash_password(DEMO_PASSWORD)
        candidate.pitch = f"{name.split()[0]} har netop gennemført kurset og glæder sig til at komme i gang."
        for index in completed:
            finished = datetime.combine(runs[index].ends_on, time(15), tzinfo=LOCAL_TZ)
            catalogue.record_completion(candidate, runs[index], finished, by=consultant, now=now)
    days = next_weekdays(today, 2)
    for organisation, cvr, address, contact, email, job, course_index in EMPLOYERS:
        member = accounts.register_employer(accounts.EmployerRegistration(
            organisation=organisation, cvr=cvr, address=address, name=contact, email=email, phone=None,
            password=DEMO_PASSWORD), now=now)
        accounts.approve_employer(member.employer, by=consultant, now=now)
        for day, start in zip(days, (time(9), time(13)), strict=True):
            draft = sessions.SessionDraft(
                title=job, description=f"Kort samtale om et job som {job.lower()} hos {organisation}.",
                course_ids=[courses[course_index].id] if course_index is not None else [], local_date=day,
                start_time=start, end_time=(datetime.combine(day, start) + timedelta(hours=2)).time(),
                slot_minutes=10, break_minutes=5, interviewers=2, mode=MeetingMode.VIDEO,
                video_url=f"https://meet.example.dk/{cvr}-{day:%Y%m%d}", address=None, booking_closes_hours=2)
            session = sessions.create_session(draft, by=member, now=now)
            sessions.publish_session(session, by=member, now=now)
    return True


def register(app: Flask) -> None:
    """Add matchapp's commands to `flask`."""

    @app.cli.command("demo-data")
    def demo_data():
        """Create demo job centres, courses, employers, sessions and users (safe to run twice)."""
        if load_demo_data():
            db.session.commit()
            click.echo(f"Demo data created. Every demo user's password is {DEMO_PASSWORD!r}.")
        else:
            click.echo("Demo data is there already; nothing changed.")

    outbox = AppGroup("outbox", help="The e-mail outbox.")
    app.cli.add_command(outbox)

    @outbox.command("send")
    def outbox_send():
        """Run one delivery pass: send the messages that are due."""
        if not mail.smtp_configured():
            click.echo("No SMTP server is configured (MATCHAPP_SMTP_HOST); messages stay in the outbox.")
            return
        report = mail.deliver_due(now=utcnow())
        click.echo(f"sent {report.sent}, failed {report.failed} (will retry), dead {report.dead}")

    @app.cli.command("scheduler")
    def scheduler():
        """Run the scheduler (e-mail delivery, reminders) until stopped. Run exactly one."""
        from matchapp.jobs import build_scheduler

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        click.echo("Scheduler running; stop it with Ctrl+C.")
        # SIGTERM (systemd, `flask serve`) stops it like Ctrl+C: the delivery pass in progress finishes first.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            build_scheduler(app).start()
        except (KeyboardInterrupt, SystemExit):
            click.echo("Scheduler stopped.")

    @app.cli.command("serve")
    @click.option("--port", default=5000, show_default=True)
    def serve(port: int):
        """Development server on 127.0.0.1 with one scheduler process beside it (stopped together)."""
        app_path = click.get_current_context().find_object(ScriptInfo).app_import_path or "wsgi"
        scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, "scheduler"])
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so that `finally` stops the scheduler too
        try:
            run_simple("127.0.0.1", port, app, threaded=True)
        finally:
            scheduler.terminate()
            scheduler.wait(timeout=15)

    @app.cli.command("create-admin")
    @click.option("--name", required=True)
    @click.option("--email", required=True)
    def create_admin(name: str, email: str):
        """Create an administrator, who is e-mailed a link to choose a password."""
        accounts.create_staff(name=name, email=email, role=Role.ADMIN, jobcenter=None, by=None, now=utcnow())
        db.session.commit()
        click.echo("Administrator created; the password link is in the outbox.")

