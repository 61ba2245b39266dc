"""flask commands: demo data and user administration."""
from __future__ import annotations

import logging
import signal
import subprocess
import sys

import click
from flask import Flask
from flask.cli import AppGroup, ScriptInfo
from werkzeug.serving import run_simple

from matchapp import mail
from matchapp.demo import DEMO_PASSWORD, load_demo_data
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Role
from matchapp.services import accounts, figures


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

    @app.cli.command("refresh-figures")
    def refresh_figures():
        """Rebuild the dashboard's figures now (the scheduler does it every few minutes)."""
        figures.refresh_figures(now=utcnow())
        db.session.commit()
        click.echo("The dashboard's figures are up to date.")

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

