"""What every outbox shares (e-mails in mail.py, webhooks in webhooks.py): rows written in the change's transaction
and delivered later by the scheduler, each claimed before it is sent, so that two passes never send one twice;
a failure waits longer each time, and after the row's give_up_at it is dead and shows to the admins.

A row model here has: id, status (OutboxStatus), attempts, next_attempt_at, claimed_until, give_up_at, last_error.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from matchapp.extensions import db
from matchapp.models import OutboxStatus

CLAIM_MINUTES = 10  # a pass that dies mid-send gives its claim back after this long


@dataclass
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    dead: int = 0


def _due(model, now: datetime):
    return (model.next_attempt_at <= now) & or_(
        model.status == OutboxStatus.PENDING,
        (model.status == OutboxStatus.SENDING) & (model.claimed_until < now))


def due_ids(model, *, now: datetime, limit: int) -> list[int]:
    """The ids of the rows due now, oldest first (a claim that has run out counts as due)."""
    ids = db.session.scalars(select(model.id).where(_due(model, now)).order_by(model.id).limit(limit)).all()
    db.session.commit()
    return list(ids)


def claim(model, row_id: int, *, now: datetime) -> bool:
    """Take one due row for this pass, in its own committed transaction; False if another pass has it."""
    claimed = db.session.execute(
        update(model).where(model.id == row_id, _due(model, now))
        .values(status=OutboxStatus.SENDING, claimed_until=now + timedelta(minutes=CLAIM_MINUTES))
    ).rowcount == 1
    db.session.commit()
    return claimed


def retry_wait(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failure, at most an hour."""
    return timedelta(minutes=min(2 ** (attempts - 1), 60))


def record_sent(row, *, now: datetime, report: DeliveryReport) -> None:
    row.status, row.sent_at, row.claimed_until = OutboxStatus.SENT, now, None
    report.sent += 1


def record_failure(row, error: str, *, now: datetime, report: DeliveryReport) -> bool:
    """Count a failed attempt (error: words without personal data); True when the row has now given up (dead)."""
    row.attempts += 1
    row.last_error = error[:300]
    row.claimed_until = None
    retry_at = now + retry_wait(row.attempts)
    if retry_at > row.give_up_at:
        row.status = OutboxStatus.DEAD
        report.dead += 1
        return True
    row.status, row.next_attempt_at = OutboxStatus.PENDING, retry_at
    report.failed += 1
    return False


def start_again(row, *, now: datetime, give_up_hours: int) -> None:
    """Give a row a new round of attempts from now (an admin's "send again")."""
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_until = None
    row.give_up_at = now + timedelta(hours=give_up_hours)
    row.last_error = None
