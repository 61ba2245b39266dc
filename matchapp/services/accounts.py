"""Accounts: passwords, sign-in links, candidates, employers and consultants."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from matchapp import mail
from matchapp.extensions import db
from matchapp.models import Candidate, Employer, Jobcenter, Role, TargetGroup, User, UserToken
from matchapp.services import audit, user_sessions
from matchapp.services.errors import Conflict, MatchappError
from matchapp.services.passwords import check_password

SIGN_IN = "sign_in"
PASSWORD = "password"
ACTIVATE = "activate"  # the link that confirms a new employer's e-mail address and signs them in


def _hasher() -> PasswordHasher:
    # argon2id; tests lower the cost through ARGON2_TIME_COST / ARGON2_MEMORY_COST.
    config = current_app.config
    return PasswordHasher(time_cost=config.get("ARGON2_TIME_COST", 3),
                          memory_cost=config.get("ARGON2_MEMORY_COST", 65536),
                          parallelism=config.get("ARGON2_PARALLELISM", 4))


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher().hash(password)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    # Made once per cost setting: verifying against it costs what verifying a real user's hash costs.
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism).hash(
        secrets.token_urlsafe(16))


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """The user with this e-mail address, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def authenticate(email: str, password: str) -> User:
    """The active user with this e-mail and password.

    :raises MatchappError: the same message whether the address or the password is wrong.
    """
    user = find_user(email)
    hasher = _hasher()
    usable = user is not None and user.active and bool(user.password_hash)
    # Exactly one verification in every branch, so that the time taken does not tell whether the address is known.
    stored = user.password_hash if usable else _dummy_hash(hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    try:
        hasher.verify(stored, password)
    except (VerificationError, InvalidHashError) as exc:
        raise MatchappError(_l("Wrong e-mail address or password.")) from exc
    if not usable:  # only reached if someone guessed the dummy's random password
        raise MatchappError(_l("Wrong e-mail address or password."))
    return user


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _use_up_tokens(user: User, purpose: str, *, now: datetime) -> None:
    """Mark the user's open links of this purpose as used, so that only the newest (or none) works."""
    db.session.execute(update(UserToken)
                       .where(UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
                       .values(used_at=now))


def issue_token(user: User, purpose: str, *, minutes: int, now: datetime) -> str:
    """Store a new single-use token for the user and return it (only its hash is kept); older unused links of the
    same purpose stop working."""
    _use_up_tokens(user, purpose, now=now)
    raw = secrets.token_urlsafe(32)
    db.session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_token_hash(raw),
                             created_at=now, expires_at=now + timedelta(minutes=minutes)))
    db.session.flush()
    return raw


def consume_token(raw: str, purpose: str, *, now: datetime) -> User:
    """Use up a token and return its user.

    :raises MatchappError: the link is unknown, used or expired.
    """
    used = db.session.execute(
        update(UserToken)
        .where(UserToken.token_hash == _token_hash(raw), UserToken.purpose == purpose,
               UserToken.used_at.is_(None), UserToken.expires_at > now)
        .values(used_at=now)
        .returning(UserToken.user_id)
    ).scalar_one_or_none()
    if used is None:
        raise MatchappError(_l("The link has expired or has already been used. Ask for a new one."))
    user = db.session.get(User, used)
    if not user.active and purpose != ACTIVATE:  # an activation link is how a new member becomes active
        raise MatchappError(_l("The link has expired or has already been used. Ask for a new one."))
    return user


def send_sign_in_link(email: str, *, now: datetime) -> None:
    """E-mail a candidate a sign-in link valid for a few minutes; silently nothing for unknown addresses."""
    user = find_user(email)
    if user is None or user.role != Role.CANDIDATE or not user.active:
        return
    minutes = current_app.config["SIGN_IN_LINK_MINUTES"]
    raw = issue_token(user, SIGN_IN, minutes=minutes, now=now)
    mail.queue(user, "sign_in_link", now=now, link=mail.external_url("auth.link_sign_in", token=raw),
               minutes=minutes)


def send_password_link(email: str, *, now: datetime) -> None:
    """E-mail a link to choose a new password; silently nothing for unknown addresses."""
    user = find_user(email)
    if user is None or not user.active:
        return
    minutes = current_app.config["PASSWORD_RESET_MINUTES"]
    raw = issue_token(user, PASSWORD, minutes=minutes, now=now)
    mail.queue(user, "password_link", now=now, link=mail.external_url("auth.password_reset", token=raw),
               minutes=minutes)


def reset_password(raw: str, password: str, *, now: datetime) -> User:
    """Set a new password through a password link; any other open password link of the user stops working.

    :raises MatchappError: the link is unknown, used or expired, or the password is weak (field "password").
    """
    user = consume_token(raw, PASSWORD, now=now)
    check_password(password, email=user.email)
    _use_up_tokens(user, PASSWORD, now=now)
    user.password_hash = hash_password(password)
    user_sessions.end_all_sessions(user)  # a cookie copied before the reset no longer signs anyone in
    audit.record(user, "password_reset", user, now=now)
    return user


def _claim_email(email: str) -> str:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise MatchappError(_l("A user with this e-mail address already exists."), field="email")
    return email


@dataclass(frozen=True)
class CandidateData:
    name: str
    email: str
    phone: str | None
    jobcenter_id: int
    target_group: TargetGroup
    consultant_id: int | None
    external_id: str | None = None  # the job centre's own system's id for the person (never a CPR number)


def create_candidate(data: CandidateData, *, created_by: User, now: datetime) -> Candidate:
    """Register a candidate and e-mail them how to sign in.

    :raises MatchappError: the e-mail address is taken, or the consultant is not from the job centre.
    """
    return create_candidates([data], created_by=created_by, now=now)[0]


def create_candidates(entries: list[CandidateData], *, created_by: User, now: datetime) -> list[Candidate]:
    """Register candidates and e-mail each how to sign in: one query for their addresses and one flush for the lot
    (a roster import registers hundreds).

    :raises MatchappError: an e-mail address is taken (or given twice), or a consultant is not from the candidate's
        job centre.
    """
    emails = [normalise_email(data.email) for data in entries]
    if len(set(emails)) < len(emails) or (emails and db.session.scalar(
            select(func.count()).select_from(User).where(User.email.in_(emails)))):
        raise MatchappError(_l("A user with this e-mail address already exists."), field="email")
    candidates = []
    for data, email in zip(entries, emails, strict=True):
        consultant = db.session.get(User, data.consultant_id) if data.consultant_id else None
        if consultant and (consultant.role != Role.CONSULTANT or consultant.jobcenter_id != data.jobcenter_id):
            raise MatchappError(_l("Choose a consultant from the candidate's job centre."), field="consultant_id")
        user = User(email=email, name=data.name.strip(), phone=data.phone or None, role=Role.CANDIDATE,
                    jobcenter_id=data.jobcenter_id, created_at=now)
        candidates.append(Candidate(user=user, jobcenter_id=data.jobcenter_id, consultant_id=data.consultant_id,
                                    target_group=data.target_group, pitch="", external_id=data.external_id))
    db.session.add_all(candidates)
    db.session.flush()
    for candidate in candidates:
        audit.record(created_by, "candidate_created", candidate, now=now)
        mail.queue(candidate.user, "candidate_welcome", now=now, link=mail.external_url("auth.link_request"),
                   privacy=mail.external_url("privacy.notice"))
    return candidates


def update_candidate(candidate: Candidate, *, name: str, email: str, phone: str | None, target_group: TargetGroup,
                     by: User, now: datetime) -> bool:
    """Change a candidate's name, e-mail address, phone and target group (as the job centre's system has them);
    audited when something changed. Returns whether something did.

    :raises MatchappError: the new e-mail address belongs to another user.
    """
    user = candidate.user
    if normalise_email(email) != user.email:
        user.email = _claim_email(email)
    user.name, user.phone, candidate.target_group = name.strip(), phone or None, target_group
    changed = db.session.is_modified(user) or db.session.is_modified(candidate)
    if changed:
        db.session.flush()
        audit.record(by, "candidate_updated", candidate, now=now)
    return changed


def update_pitch(candidate: Candidate, pitch: str, *, now: datetime) -> None:
    """Save the short pitch employers see (audited only when it changed)."""
    if candidate.pitch == pitch.strip():
        return
    candidate.pitch = pitch.strip()
    audit.record(candidate.user, "pitch_updated", candidate, now=now)


def change_language(user: User, language: str) -> None:
    """Remember the language the user reads pages and e-mails in."""
    user.language = language


def cvr_is_valid(cvr: str) -> bool:
    """8 digits passing the modulus-11 check with weights 2 7 6 5 4 3 2 1."""
    if len(cvr) != 8 or not cvr.isdigit():
        return False
    return sum(int(d) * w for d, w in zip(cvr, (2, 7, 6, 5, 4, 3, 2, 1), strict=True)) % 11 == 0


@dataclass(frozen=True)
class EmployerRegistration:
    organisation: str
    cvr: str
    address: str
    name: str
    email: str
    phone: str | None
    password: str
    language: str = "da"  # the language the form was filled in: the member's pages and e-mails


ACTIVATION_MINUTES = 3 * 24 * 60


def _awaits_activation(user: User) -> bool:
    """A member who registered but has not yet followed the e-mailed link: their newest one is still open (a member
    deactivated after confirming has none open)."""
    if user.active:
        return False
    return bool(db.session.scalar(select(func.count()).select_from(UserToken).where(
        UserToken.user_id == user.id, UserToken.purpose == ACTIVATE, UserToken.used_at.is_(None))))


def _send_activation_link(user: User, *, now: datetime) -> None:
    raw = issue_token(user, ACTIVATE, minutes=ACTIVATION_MINUTES, now=now)
    mail.queue(user, "registration_confirm", now=now, link=mail.external_url("auth.register_confirm", token=raw))


def register_employer(data: EmployerRegistration, *, now: datetime) -> User | None:
    """Create an organisation awaiting approval and its first member, who becomes active through an e-mailed link.

    Every registration that passes the form's checks answers the same way, "check your e-mail": an address that has
    an account already creates nothing and its owner is told by e-mail, and so is a registrant whose CVR number is
    registered already. Otherwise the page, or a second try with the same CVR number, would tell who has an account
    (for a candidate: that they are a job-centre client). Returns the new, not yet active member, or None.

    :raises MatchappError: the CVR number is invalid, or the password is weak.
    """
    cvr = data.cvr.replace(" ", "")
    if not cvr_is_valid(cvr):
        raise MatchappError(_l("Enter a valid CVR number: 8 digits."), field="cvr")
    email = normalise_email(data.email)
    check_password(data.password, email=email)
    password_hash = hash_password(data.password)  # in every branch: the time taken must not tell them apart
    existing = find_user(email)
    if existing is not None and _awaits_activation(existing) and existing.employer and existing.employer.cvr == cvr:
        # The same person again, who lost the first e-mail: a new link (the old one stops working).
        _send_activation_link(existing, now=now)
        return None
    if existing is not None:
        mail.queue(existing, "registration_known", now=now, sign_in=mail.external_url("auth.login"),
                   forgot=mail.external_url("auth.password_forgot"))
        return None
    if db.session.scalar(select(func.count()).select_from(Employer).where(Employer.cvr == cvr)):
        # Not saved: a User only to address the e-mail to someone who has no account.
        registrant = User(email=email, name=data.name.strip(), language=data.language)
        mail.queue(registrant, "registration_cvr_taken", now=now, cvr=cvr)
        return None
    employer = Employer(name=data.organisation.strip(), cvr=cvr, address=data.address.strip(), created_at=now)
    user = User(email=email, name=data.name.strip(), phone=data.phone or None, role=Role.EMPLOYER,
                employer=employer, password_hash=password_hash, language=data.language, active=False,
                created_at=now)
    db.session.add(user)
    db.session.flush()
    audit.record(user, "employer_registered", employer, now=now)
    _send_activation_link(user, now=now)
    return user


def confirm_registration(raw: str, *, now: datetime) -> User:
    """Activate a new employer member through the e-mailed link (the link proves the address is theirs).

    :raises MatchappError: the link is unknown, used or expired.
    """
    user = consume_token(raw, ACTIVATE, now=now)
    user.active = True
    audit.record(user, "employer_confirmed", user, now=now)
    return user


def approve_employer(employer: Employer, *, by: User, now: datetime) -> None:
    """Let an organisation publish sessions, and tell its members."""
    if employer.is_approved:
        return
    employer.approved_at = now
    audit.record(by, "employer_approved", employer, now=now)
    members = db.session.scalars(select(User).where(User.employer_id == employer.id)).all()
    for member in members:
        mail.queue(member, "employer_approved", now=now, organisation=employer.name,
                   link=mail.external_url("employer.dashboard"))


def create_staff(*, name: str, email: str, role: Role, jobcenter: Jobcenter | None, by: User | None,
                 now: datetime) -> User:
    """Create a consultant or an admin and e-mail them a link to choose a password.

    :raises MatchappError: the e-mail address is taken.
    """
    user = User(email=_claim_email(email), name=name.strip(), role=role,
                jobcenter_id=jobcenter.id if jobcenter else None, created_at=now)
    db.session.add(user)
    db.session.flush()
    audit.record(by, "staff_created", user, now=now)
    raw = issue_token(user, PASSWORD, minutes=3 * 24 * 60, now=now)
    mail.queue(user, "staff_welcome", now=now, link=mail.external_url("auth.password_reset", token=raw))
    return user


def new_calendar_token(user: User, *, now: datetime) -> str:
    """Give the user a new secret calendar feed address, working for CALENDAR_FEED_DAYS; the old one stops working."""
    user.calendar_token = secrets.token_urlsafe(32)
    user.calendar_token_expires_at = now + timedelta(days=current_app.config["CALENDAR_FEED_DAYS"])
    audit.record(user, "calendar_token_renewed", user, now=now)
    return user.calendar_token


def extend_calendar_token(user: User, *, now: datetime) -> datetime:
    """Keep the user's calendar feed address (expired or not) working for another CALENDAR_FEED_DAYS from now, so
    that existing subscriptions go on; when it now stops working.

    :raises MatchappError: the user has no calendar address.
    """
    if user.calendar_token is None:
        raise MatchappError(_l("You have no calendar address yet."))
    user.calendar_token_expires_at = now + timedelta(days=current_app.config["CALENDAR_FEED_DAYS"])
    audit.record(user, "calendar_token_extended", user, now=now)
    return user.calendar_token_expires_at


def deactivate_user(user: User, *, by: User, now: datetime) -> None:
    """Stop a user from signing in: every session of theirs ends now, and links and passwords are refused."""
    if not user.active:
        return
    user.active = False
    user_sessions.end_all_sessions(user)
    db.session.execute(update(UserToken).where(UserToken.user_id == user.id, UserToken.used_at.is_(None))
                       .values(used_at=now))  # no link of theirs (sign-in, password, confirmation) works now
    audit.record(by, "user_deactivated", user, now=now)


def reactivate_user(user: User, *, by: User, now: datetime) -> None:
    """Let a deactivated user sign in again (with a new link or password reset; their old ones stay used up).

    :raises Conflict: the user has been erased, which cannot be undone.
    """
    if user.erased_at is not None:
        raise Conflict(_l("This person has been erased and cannot be reactivated."))
    if user.active:
        return
    user.active = True
    audit.record(by, "user_reactivated", user, now=now)
