"""Course rosters: a course provider's participant list for a course run, checked row by row against the run's job
centre and then imported all or none.

A row is a new candidate (registered as every candidate is, `accounts.create_candidate`, with the welcome e-mail),
a known one (matched by the job centre's external id when the row has one, else by e-mail address), or an error,
with the reason in plain words. The participants the file marks as completed get the run's completion
(`catalogue.record_completion`); the others are enrolled. Nothing a consultant typed is overwritten and no
completion is undone, so importing the same file again changes nothing. The file itself is read by
`roster_files.py`.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ
from matchapp.models import Candidate, CourseRun, Enrollment, Role, TargetGroup, User
from matchapp.services import accounts, audit, catalogue
from matchapp.services.errors import Conflict, MatchappError
from matchapp.services.roster_files import RosterRow

log = logging.getLogger(__name__)

NEW, KNOWN, ERROR = "new", "known", "error"
BY_EMAIL, BY_EXTERNAL_ID = "email", "external_id"
YES = {"ja", "j", "x", "1", "yes", "y", "true", "sand"}
NO = {"", "nej", "n", "0", "no", "false", "falsk"}
TARGET_GROUPS = {"jobparat": TargetGroup.JOB_READY, "jobready": TargetGroup.JOB_READY,
                 "aktivitetsparat": TargetGroup.ACTIVITY_READY, "activityready": TargetGroup.ACTIVITY_READY}
MAX_NAME, MAX_EMAIL, MAX_PHONE, MAX_EXTERNAL_ID = 200, 254, 40, 64  # the columns' lengths


@dataclass(frozen=True)
class CheckedRow:
    """A row of the file and what importing it does: `status` NEW, KNOWN or ERROR (then `problems` says why)."""

    row: RosterRow
    status: str
    problems: tuple[str, ...] = ()
    candidate: Candidate | None = None  # the known candidate
    matched_by: str | None = None  # BY_EXTERNAL_ID or BY_EMAIL
    completed: bool = False  # the file marks the course as completed
    enrol: bool = False  # the candidate is not in the run yet
    complete: bool = False  # the completion is recorded now (not recorded before)
    save_external_id: bool = False  # a known candidate gets the file's external id

    @property
    def changes(self) -> bool:
        """Whether importing the row changes anything (False: imported before)."""
        return self.status == NEW or self.enrol or self.complete or self.save_external_id


@dataclass(frozen=True)
class RosterCheck:
    """Every row of a file checked against the database as it is now."""

    run: CourseRun
    rows: tuple[CheckedRow, ...]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def errors(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.status == ERROR]

    @property
    def unchanged(self) -> int:
        return sum(1 for row in self.rows if row.status == KNOWN and not row.changes)

    @property
    def completions(self) -> int:
        return sum(1 for row in self.rows if row.complete)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the numbers only (a page and the log may show them)."""

    created: int
    enrolled: int
    completed: int
    unchanged: int


class RosterChanged(MatchappError):
    """At confirmation, a row no longer passes (the database changed since the preview); `check` is the new one."""

    def __init__(self, check: RosterCheck):
        super().__init__(_l("Something changed since the preview. Read the rows again."))
        self.check = check


@dataclass
class _Known:
    """What the database knows about the file's people, read in a few statements for the whole file."""

    users_by_email: dict[str, User]
    by_external_id: dict[str, Candidate]
    enrollments: dict[int, Enrollment]
    emails_seen: dict[str, int] = field(default_factory=dict)
    external_ids_seen: dict[str, int] = field(default_factory=dict)


def _normalised_email(text: str) -> str:
    return accounts.normalise_email(text) if text else ""


def _read_known(run: CourseRun, rows: list[RosterRow]) -> _Known:
    emails = {_normalised_email(row.email) for row in rows if row.email}
    external_ids = {row.external_id for row in rows if row.external_id}
    users = db.session.scalars(select(User).where(User.email.in_(emails))
                               .options(selectinload(User.candidate))).all() if emails else []
    candidates = db.session.scalars(
        select(Candidate).where(Candidate.jobcenter_id == run.jobcenter_id, Candidate.external_id.in_(external_ids))
        .options(selectinload(Candidate.user))).all() if external_ids else []
    enrollments = db.session.scalars(select(Enrollment).where(Enrollment.course_run_id == run.id)).all()
    return _Known(users_by_email={user.email: user for user in users},
                  by_external_id={candidate.external_id: candidate for candidate in candidates},
                  enrollments={enrollment.candidate_id: enrollment for enrollment in enrollments})


def _shape_problems(row: RosterRow, known: _Known) -> list[str]:
    """What is wrong with the row by itself, and whether an earlier row names the same person."""
    problems = []
    if not row.name:
        problems.append(_l("The name is missing."))
    elif len(row.name) > MAX_NAME:
        problems.append(_l("The name is longer than %(max)d characters.", max=MAX_NAME))
    if row.email:
        try:
            validate_email(row.email, check_deliverability=False)
            if len(row.email) > MAX_EMAIL:
                raise EmailNotValidError("too long")
        except EmailNotValidError:
            problems.append(_l("The e-mail address is not valid."))
    if len(row.phone) > MAX_PHONE:
        problems.append(_l("The phone number is longer than %(max)d characters.", max=MAX_PHONE))
    if len(row.external_id) > MAX_EXTERNAL_ID:
        problems.append(_l("The external id is longer than %(max)d characters.", max=MAX_EXTERNAL_ID))
    if row.target_group and _target_group(row) is None:
        problems.append(_l("Write jobparat or aktivitetsparat as the target group."))
    if row.completed.casefold() not in YES | NO:
        problems.append(_l("Write ja or nej in the column Gennemført."))
    email = _normalised_email(row.email)
    if email and email in known.emails_seen:
        problems.append(_l("Row %(line)d has the same e-mail address.", line=known.emails_seen[email]))
    if row.external_id and row.external_id in known.external_ids_seen:
        problems.append(_l("Row %(line)d has the same external id.", line=known.external_ids_seen[row.external_id]))
    if email:
        known.emails_seen.setdefault(email, row.line)
    if row.external_id:
        known.external_ids_seen.setdefault(row.external_id, row.line)
    return problems


def _target_group(row: RosterRow) -> TargetGroup | None:
    return TARGET_GROUPS.get(row.target_group.casefold().replace("-", "").replace(" ", ""))


def _match(run: CourseRun, row: RosterRow, known: _Known) -> tuple[Candidate | None, str | None, list[str]]:
    """The known candidate the row names (by external id, else by e-mail), how, and why it cannot be imported."""
    by_id = known.by_external_id.get(row.external_id) if row.external_id else None
    user = known.users_by_email.get(_normalised_email(row.email)) if row.email else None
    ours = user.candidate if user and user.candidate and user.candidate.jobcenter_id == run.jobcenter_id else None
    if by_id is not None:
        if user is not None and user.id != by_id.user_id:
            return None, None, [_l("The external id and the e-mail address belong to two different people.")]
        candidate, matched_by = by_id, BY_EXTERNAL_ID
    elif user is not None:
        if ours is None:
            return None, None, [_l("Someone in matchapp who is not a candidate of this job centre has this e-mail "
                                   "address. Ask an admin.")]
        if row.external_id and ours.external_id:
            return None, None, [_l("The candidate with this e-mail address has another external id.")]
        candidate, matched_by = ours, BY_EMAIL
    else:
        problems = [] if row.email else [_l("The e-mail address is missing.")]
        if not row.target_group:
            problems.append(_l("The target group is missing: write jobparat or aktivitetsparat."))
        return None, None, problems
    if candidate.user.erased_at is not None:
        return None, None, [_l("This candidate has been erased from matchapp.")]
    return candidate, matched_by, []


def _check_row(run: CourseRun, row: RosterRow, known: _Known) -> CheckedRow:
    problems = _shape_problems(row, known)
    candidate, matched_by, match_problems = _match(run, row, known)
    problems += match_problems
    completed = row.completed.casefold() in YES
    if problems:
        return CheckedRow(row, ERROR, tuple(problems), completed=completed)
    if candidate is None:
        return CheckedRow(row, NEW, completed=completed, enrol=True, complete=completed)
    enrollment = known.enrollments.get(candidate.id)
    return CheckedRow(row, KNOWN, candidate=candidate, matched_by=matched_by, completed=completed,
                      enrol=enrollment is None,
                      complete=completed and (enrollment is None or enrollment.completed_at is None),
                      save_external_id=bool(row.external_id) and not candidate.external_id)


def check_roster(run: CourseRun, rows: list[RosterRow]) -> RosterCheck:
    """Every row of a participant list as importing it into the run would treat it, read only: new candidate,
    known candidate (and what changes for them), or error with the reasons."""
    known = _read_known(run, rows)
    return RosterCheck(run=run, rows=tuple(_check_row(run, row, known) for row in rows))


def completion_time(run: CourseRun, *, now: datetime) -> datetime:
    """When an imported completion is recorded as made: the run's last day at noon (as a consultant records one),
    or now if that is still to come."""
    return min(datetime.combine(run.ends_on, time(12), tzinfo=LOCAL_TZ), now)


def import_roster(run: CourseRun, rows: list[RosterRow], *, by: User, now: datetime) -> ImportResult:
    """Import a participant list into a course run, all rows or none: create the new candidates (each e-mailed how
    to sign in), enrol the rest, record the completion of those the file marks completed. The rows are checked
    again first, so a change since the preview (a candidate created meanwhile) is seen; a row imported before
    changes nothing.

    :raises RosterChanged: a row no longer passes the check; nothing is written.
    :raises Conflict: the same people were written by someone else at the same moment; nothing is written.
    :raises MatchappError: an address was taken by someone else between the check and the writing.
    """
    check = check_roster(run, rows)
    if check.errors:
        raise RosterChanged(check)
    consultant_id = by.id if by.role == Role.CONSULTANT and by.jobcenter_id == run.jobcenter_id else None
    completed_at = completion_time(run, now=now)
    try:
        with db.session.begin_nested():
            created = iter(accounts.create_candidates(
                [_candidate_data(run, checked.row, consultant_id) for checked in check.rows if checked.status == NEW],
                created_by=by, now=now))
            candidates = [next(created) if checked.status == NEW else _known(checked, by=by, now=now)
                          for checked in check.rows]
            pairs = zip(check.rows, candidates, strict=True)
            catalogue.record_completions([(candidate, completed_at if checked.complete else None)
                                          for checked, candidate in pairs if checked.complete or checked.enrol],
                                         run, by=by, now=now)
    except IntegrityError as error:  # another import or a consultant created the same person just now
        raise Conflict(_l("Someone else saved some of these candidates at the same moment. Upload the file "
                          "again to see them as they are now.")) from error
    result = ImportResult(created=check.count(NEW),
                          enrolled=sum(1 for row in check.rows if row.enrol and not row.complete),
                          completed=check.completions, unchanged=check.unchanged)
    audit.record(by, "roster_imported", run, now=now)
    log.info("roster imported into course run %s by user %s: %d rows, %d new, %d enrolled, %d completed, "
             "%d unchanged", run.id, by.id, len(check.rows), result.created, result.enrolled, result.completed,
             result.unchanged)
    return result


def _candidate_data(run: CourseRun, row: RosterRow, consultant_id: int | None) -> accounts.CandidateData:
    return accounts.CandidateData(name=row.name, email=row.email, phone=row.phone or None,
                                  jobcenter_id=run.jobcenter_id, target_group=_target_group(row),
                                  consultant_id=consultant_id, external_id=row.external_id or None)


def _known(checked: CheckedRow, *, by: User, now: datetime) -> Candidate:
    """The row's known candidate, given the file's external id if they had none."""
    if checked.save_external_id:
        checked.candidate.external_id = checked.row.external_id
        audit.record(by, "external_id_saved", checked.candidate, now=now)
    return checked.candidate
