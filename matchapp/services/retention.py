"""Storage limitation (GDPR art. 5(1)(e)): what the app keeps no longer than needed, run once a day by the scheduler.

- sent e-mails lose their bodies and invites after RETENTION_OUTBOX_DAYS (the row stays; dead letters wait for
  an admin);
- used and expired links are deleted after RETENTION_TOKEN_DAYS, and so is a registration never confirmed;
- candidates inactive for RETENTION_CANDIDATE_MONTHS are erased, after their consultant was warned
  RETENTION_NOTICE_WEEKS before and could keep them;
- employers' private notes on outcomes are emptied after RETENTION_NOTE_MONTHS.
"""
from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import local_day, local_to_utc, to_local
from matchapp.models import (
    AuditEvent,
    Candidate,
    Employer,
    InterviewSession,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    Role,
    SentNotice,
    User,
    UserSession,
    UserToken,
)
from matchapp.services import audit, locks, webhooks
from matchapp.services.accounts import ACTIVATE
from matchapp.services.erasure import erase_candidate
from matchapp.services.errors import Conflict
from matchapp.services.reminders import claim_and_queue

WARNING = "retention-warning"  # SentNotice kind: object_id is the candidate, recipient_id the consultant told
RUN = "retention-run"  # SentNotice kind: object_id is the local day's ordinal, recipient_id 0 (nobody)


@dataclass(frozen=True)
class RetentionReport:
    """How many rows each rule touched in one run (what the scheduler logs: counts, never who)."""

    messages_purged: int
    registrations_removed: int
    tokens_deleted: int
    warnings_queued: int
    candidates_anonymised: int
    notes_purged: int
    webhooks_purged: int


def _config(key: str) -> int:
    return current_app.config[key]


def months_after(instant: datetime, months: int) -> datetime:
    """The same Danish wall-clock time `months` calendar months later (earlier if negative), on the month's last
    day when it is shorter."""
    local = to_local(instant)
    year, month = divmod(local.year * 12 + local.month - 1 + months, 12)
    day = min(local.day, monthrange(year, month + 1)[1])
    return local.replace(year=year, month=month + 1, day=day).astimezone(UTC)


def last_activity(user: User) -> datetime:
    """When the user was last active: sign-in, booking or being kept; their account's creation when none."""
    return user.last_active_at or user.created_at


def _last_active():
    """In a query: a candidate's last activity: sign-in, booking or being kept; their account's creation when none."""
    return func.coalesce(User.last_active_at, User.created_at)


def purge_sent_messages(*, now: datetime) -> int:
    """Empty the bodies and invites of e-mails sent more than RETENTION_OUTBOX_DAYS ago; the number purged.

    The row (recipient, subject, dates) stays as the record that it was sent; dead letters keep their bodies until
    an admin has dealt with them, and unsent messages are not touched.
    """
    cutoff = now - timedelta(days=_config("RETENTION_OUTBOX_DAYS"))
    return db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at <= cutoff,
               OutboxMessage.purged_at.is_(None))
        .values(body_text="", body_html="", ical=None, purged_at=now)).rowcount


def remove_unconfirmed_registrations(*, now: datetime) -> int:
    """Delete employer members who registered but never confirmed, RETENTION_TOKEN_DAYS after their newest link
    expired, with their organisation when nobody else is in it and it has no sessions; the number removed.

    They never became users. Run before purge_used_tokens: without its open link such a member would look like one
    deactivated after confirming, and registering again would be refused.
    """
    cutoff = now - timedelta(days=_config("RETENTION_TOKEN_DAYS"))
    open_link = select(UserToken.id).where(UserToken.user_id == User.id, UserToken.purpose == ACTIVATE,
                                           UserToken.used_at.is_(None))
    members = db.session.scalars(
        select(User).where(User.role == Role.EMPLOYER, User.active.is_(False), User.erased_at.is_(None),
                           exists(open_link), ~exists(open_link.where(UserToken.expires_at > cutoff)))
        .order_by(User.id)).all()
    for member in members:
        employer_id = member.employer_id
        audit.record(None, "registration_removed", member, now=now)
        db.session.execute(update(AuditEvent).where(AuditEvent.actor_id == member.id).values(actor_id=None))
        for model, column in ((OutboxMessage, OutboxMessage.recipient_id), (UserToken, UserToken.user_id),
                              (UserSession, UserSession.user_id)):
            db.session.execute(delete(model).where(column == member.id))
        db.session.delete(member)
        db.session.flush()
        if employer_id is not None and not db.session.scalar(select(
                exists().where(User.employer_id == employer_id)
                | exists().where(InterviewSession.employer_id == employer_id))):
            db.session.execute(delete(Employer).where(Employer.id == employer_id))
    return len(members)


def purge_used_tokens(*, now: datetime) -> int:
    """Delete sign-in, password and activation links used or expired more than RETENTION_TOKEN_DAYS ago."""
    cutoff = now - timedelta(days=_config("RETENTION_TOKEN_DAYS"))
    return db.session.execute(delete(UserToken).where(
        or_(UserToken.used_at <= cutoff, UserToken.expires_at <= cutoff))).rowcount


def anonymisation_day(last_active: datetime, warned: datetime) -> date:
    """The first Danish day on which a candidate inactive since `last_active`, whose consultant was warned at
    `warned`, is anonymised: RETENTION_CANDIDATE_MONTHS after the activity, and RETENTION_NOTICE_WEEKS after
    the warning at the earliest."""
    moment = max(months_after(last_active, _config("RETENTION_CANDIDATE_MONTHS")),
                 warned + timedelta(weeks=_config("RETENTION_NOTICE_WEEKS")))
    day = local_day(moment)
    return day if local_to_utc(day, time(0)) >= moment else day + timedelta(days=1)


def warnings_sent(candidate_ids: list[int]) -> dict[int, datetime]:
    """When each of these candidates' consultants was first warned of the anonymisation (if they were)."""
    rows = db.session.execute(
        select(SentNotice.object_id, func.min(SentNotice.sent_at))
        .where(SentNotice.kind == WARNING, SentNotice.object_id.in_(candidate_ids))
        .group_by(SentNotice.object_id)).all()
    return dict(rows)


def candidates_due(*, jobcenter_id: int | None, now: datetime) -> Select:
    """Candidates (of one job centre, or all) who will be anonymised within the notice period unless kept, the
    longest inactive first: the query a page lists."""
    soon = months_after(now + timedelta(weeks=_config("RETENTION_NOTICE_WEEKS")),
                        -_config("RETENTION_CANDIDATE_MONTHS"))
    query = (select(Candidate).join(User, Candidate.user_id == User.id)
             .where(User.erased_at.is_(None), _last_active() <= soon)
             .options(selectinload(Candidate.user), selectinload(Candidate.consultant))
             .order_by(_last_active(), Candidate.id))
    if jobcenter_id is not None:
        query = query.where(Candidate.jobcenter_id == jobcenter_id)
    return query


def _consultants_to_warn(candidate: Candidate) -> list[User]:
    """The candidate's consultant; when they have none (or one who can no longer be written to, or who moved to
    another job centre), every consultant of the candidate's job centre, so that the warning always reaches
    someone who can keep them."""
    consultant = candidate.consultant
    if (consultant is not None and consultant.role == Role.CONSULTANT
            and consultant.jobcenter_id == candidate.jobcenter_id
            and mail.may_receive(consultant, "retention_warning")):
        return [consultant]
    colleagues = db.session.scalars(select(User).where(
        User.role == Role.CONSULTANT, User.jobcenter_id == candidate.jobcenter_id).order_by(User.id)).all()
    return [user for user in colleagues if mail.may_receive(user, "retention_warning")]


def warn_consultants_of_anonymisation(*, now: datetime) -> int:
    """Tell consultants, RETENTION_NOTICE_WEEKS ahead, which candidates will be anonymised for inactivity and on
    which day, once per candidate and period (claimed by a SentNotice row); the number of e-mails queued.

    A candidate whom nobody can be told about is not warned, and so not anonymised, until someone can.
    """
    warned = exists().where(SentNotice.kind == WARNING, SentNotice.object_id == Candidate.id)
    candidates = db.session.scalars(candidates_due(jobcenter_id=None, now=now).where(~warned)).all()
    queued = 0
    for candidate in candidates:
        last_active = last_activity(candidate.user)
        for consultant in _consultants_to_warn(candidate):
            queued += claim_and_queue(WARNING, candidate.id, consultant, "retention_warning", now=now,
                                      candidate=candidate, last_active=last_active,
                                      anonymised_on=anonymisation_day(last_active, now),
                                      link=mail.external_url("privacy.retention"))
    return queued


def anonymise_inactive_candidates(*, now: datetime) -> int:
    """Erase the candidates inactive for RETENTION_CANDIDATE_MONTHS whose consultant was warned at least
    RETENTION_NOTICE_WEEKS ago, on the day the warning named; the number erased."""
    weeks = timedelta(weeks=_config("RETENTION_NOTICE_WEEKS"))
    warned_in_time = exists().where(SentNotice.kind == WARNING, SentNotice.object_id == Candidate.id,
                                    SentNotice.sent_at <= now - weeks)
    candidates = db.session.scalars(
        select(Candidate).join(User, Candidate.user_id == User.id)
        .where(User.erased_at.is_(None), warned_in_time,
               _last_active() <= months_after(now, -_config("RETENTION_CANDIDATE_MONTHS")))
        .options(selectinload(Candidate.user)).order_by(Candidate.id)).all()
    warnings = warnings_sent([candidate.id for candidate in candidates])
    due = [candidate for candidate in candidates
           if local_day(now) >= anonymisation_day(last_activity(candidate.user), warnings[candidate.id])]
    locks.hold_for_candidates([candidate.id for candidate in due], now=now)  # rule 9: all of them first
    for candidate in due:
        erase_candidate(candidate, reason="inactive", by=None, now=now)
    return len(due)


def keep_candidate(candidate: Candidate, *, by: User, now: datetime) -> None:
    """Keep a candidate whom retention would anonymise: their inactivity counts from now, and a later period warns
    again.

    :raises Conflict: the candidate has been erased already.
    """
    if candidate.user.erased_at is not None:
        raise Conflict(_l("This person has been erased already."))
    candidate.user.last_active_at = now
    db.session.execute(delete(SentNotice).where(SentNotice.kind == WARNING, SentNotice.object_id == candidate.id))
    audit.record(by, "candidate_kept", candidate, now=now)
    db.session.flush()


def purge_outcome_notes(*, now: datetime) -> int:
    """Empty the employers' private notes on outcomes last changed more than RETENTION_NOTE_MONTHS ago."""
    cutoff = months_after(now, -_config("RETENTION_NOTE_MONTHS"))
    return db.session.execute(
        update(Outcome).where(Outcome.note != "", Outcome.updated_at <= cutoff).values(note="")).rowcount


def claim_day(*, now: datetime) -> bool:
    """Claim today's (Danish day's) retention run with a SentNotice row; False if it is claimed already (by this
    scheduler earlier today, or by another one). The caller commits the claim before doing the work."""
    day = local_day(now).toordinal()
    if db.session.scalar(select(SentNotice.id).where(SentNotice.kind == RUN, SentNotice.object_id == day)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SentNotice(kind=RUN, object_id=day, recipient_id=0, sent_at=now))
    except IntegrityError:  # another scheduler got there first
        return False
    return True


def release_day(*, now: datetime) -> None:
    """Give back today's claim after a run failed, so that the next run tries again."""
    db.session.execute(delete(SentNotice).where(SentNotice.kind == RUN,
                                                SentNotice.object_id == local_day(now).toordinal()))


def apply_retention(*, now: datetime) -> RetentionReport:
    """Apply every retention rule once; how many rows each touched."""
    return RetentionReport(
        messages_purged=purge_sent_messages(now=now),
        registrations_removed=remove_unconfirmed_registrations(now=now),  # before its links go
        tokens_deleted=purge_used_tokens(now=now),
        warnings_queued=warn_consultants_of_anonymisation(now=now),
        candidates_anonymised=anonymise_inactive_candidates(now=now),
        notes_purged=purge_outcome_notes(now=now),
        webhooks_purged=webhooks.purge_delivered(now=now),
    )
