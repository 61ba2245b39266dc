"""The scheduler process: one APScheduler BlockingScheduler whose jobs read due work from the database:
deliver the outbox and the webhooks, reminders, "record the outcome" nudges, 60-day follow-ups, the dashboard's
figures and data retention (once a day).

Run exactly one (`flask --app wsgi scheduler`), never inside web workers. Every job is safe to run twice: due
work is claimed in the database before it is acted on, so a restart or a second scheduler sends nothing twice.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from matchapp import mail, webhooks
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.services import figures, nudges, reminders, retention, user_sessions

log = logging.getLogger(__name__)


def deliver_outbox() -> None:
    """Send the e-mails that are due."""
    report = mail.deliver_due(now=utcnow())
    if report.sent or report.failed or report.dead:
        log.info("outbox: sent %d, failed %d, dead %d", report.sent, report.failed, report.dead)


def deliver_webhooks() -> None:
    """Send the webhooks that are due."""
    report = webhooks.deliver_due(now=utcnow())
    if report.sent or report.failed or report.dead:
        log.info("webhooks: sent %d, failed %d, dead %d", report.sent, report.failed, report.dead)


def queue_reminders() -> None:
    """Queue the reminders that are due, and commit them with their notices."""
    queued = reminders.send_reminders(now=utcnow())
    db.session.commit()
    if queued:
        log.info("reminders: queued %d", queued)


def queue_outcome_nudges() -> None:
    """Ask employers for the outcomes of sessions that have just ended."""
    queued = nudges.send_outcome_nudges(now=utcnow())
    db.session.commit()
    if queued:
        log.info("outcome nudges: queued %d", queued)


def queue_follow_up_requests() -> None:
    """Ask consultants for the employment status 60 days after a course."""
    queued = nudges.send_follow_up_requests(now=utcnow())
    db.session.commit()
    if queued:
        log.info("follow-up requests: queued %d", queued)


def refresh_figures() -> None:
    """Rebuild the dashboard's figures from the data as it is now."""
    figures.refresh_figures(now=utcnow())
    db.session.commit()


def remove_expired_sessions() -> None:
    """Delete signed-in sessions that have expired (they already sign nobody in)."""
    user_sessions.remove_expired_sessions(now=utcnow())
    db.session.commit()


def apply_retention() -> None:
    """Once a Danish day: purge and anonymise what is kept too long. The day is claimed in its own transaction
    first, so a second scheduler (or a later run the same day) does nothing; a failed run gives the claim back."""
    now = utcnow()
    claimed = retention.claim_day(now=now)
    db.session.commit()
    if not claimed:
        return
    try:
        report = retention.apply_retention(now=now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        retention.release_day(now=now)
        db.session.commit()
        raise
    log.info("retention: %d e-mail bodies purged, %d unconfirmed registrations and %d links deleted, "
             "%d warnings queued, %d candidates anonymised, %d notes and %d webhook payloads purged",
             report.messages_purged, report.registrations_removed, report.tokens_deleted, report.warnings_queued,
             report.candidates_anonymised, report.notes_purged, report.webhooks_purged)


def run_in_app(app: Flask, job: Callable[[], None]) -> Callable[[], None]:
    """Wrap a job: its own app context, a rollback and a log line (the error's kind only, no personal data) when
    it fails; the next run tries again."""

    def run() -> None:
        with app.app_context():
            try:
                job()
            except Exception as error:  # noqa: BLE001 - a failing job must not stop the scheduler
                db.session.rollback()
                log.error("job %s failed: %s", job.__name__, type(error).__name__)
            finally:
                db.session.remove()

    run.__name__ = job.__name__
    return run


def build_scheduler(app: Flask) -> BlockingScheduler:
    """The scheduler with matchapp's jobs, in Danish time, with an in-memory job store."""
    scheduler = BlockingScheduler(timezone=LOCAL_TZ, jobstores={"default": MemoryJobStore()},
                                  job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30})
    config = app.config
    scheduler.add_job(run_in_app(app, deliver_outbox), "interval", seconds=config["SCHEDULER_OUTBOX_SECONDS"],
                      id="deliver_outbox", name="deliver_outbox", next_run_time=utcnow())
    scheduler.add_job(run_in_app(app, deliver_webhooks), "interval", seconds=config["SCHEDULER_OUTBOX_SECONDS"],
                      id="deliver_webhooks", name="deliver_webhooks", next_run_time=utcnow())
    scheduler.add_job(run_in_app(app, queue_reminders), "interval", seconds=config["SCHEDULER_REMINDER_SECONDS"],
                      id="queue_reminders", name="queue_reminders", next_run_time=utcnow())
    for job in (queue_outcome_nudges, queue_follow_up_requests, remove_expired_sessions):
        scheduler.add_job(run_in_app(app, job), "interval", seconds=config["SCHEDULER_NUDGE_SECONDS"],
                          id=job.__name__, name=job.__name__, next_run_time=utcnow())
    scheduler.add_job(run_in_app(app, refresh_figures), "interval", seconds=config["SCHEDULER_FIGURES_SECONDS"],
                      id="refresh_figures", name="refresh_figures", next_run_time=utcnow())
    scheduler.add_job(run_in_app(app, apply_retention), "interval", seconds=config["SCHEDULER_RETENTION_SECONDS"],
                      id="apply_retention", name="apply_retention", next_run_time=utcnow())
    return scheduler
