"""Users, candidate profiles and single-use tokens (sign-in links, password resets)."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from matchapp.database import UTCDateTime
from matchapp.extensions import db
from matchapp.models.organisation import Employer, Jobcenter


class Role(enum.StrEnum):
    CANDIDATE = "candidate"
    EMPLOYER = "employer"
    CONSULTANT = "consultant"
    ADMIN = "admin"


class TargetGroup(enum.StrEnum):
    JOB_READY = "jobparat"
    ACTIVITY_READY = "aktivitetsparat"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    """A string column limited to an enum's values (a CHECK constraint, the same on both databases)."""
    return Enum(cls, name=name, native_enum=False, create_constraint=True, length=20,
                values_callable=lambda members: [m.value for m in members])


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="da")
    jobcenter_id: Mapped[int | None] = mapped_column(ForeignKey("jobcenter.id"))
    employer_id: Mapped[int | None] = mapped_column(ForeignKey("employer.id"))
    active: Mapped[bool] = mapped_column(default=True)
    # The secret in the personal calendar feed's address; a new one replaces (and kills) the old.
    calendar_token: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    # The feed address stops working then, unless the user renews it (least exposure: a forgotten subscription in
    # an old phone does not show meetings for ever).
    calendar_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Sign-in, booking, or a consultant choosing to keep the person: the retention job anonymises candidates
    # inactive for long (None: nothing since created_at).
    last_active_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Erased (GDPR art. 17): the row stays, pseudonymous, so that the anonymised figures stay the same.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    jobcenter: Mapped[Jobcenter | None] = relationship()
    employer: Mapped[Employer | None] = relationship(foreign_keys=[employer_id])
    candidate: Mapped[Candidate | None] = relationship(back_populates="user", foreign_keys="Candidate.user_id")

    # The random key of the signed-in session this user was loaded through (not stored: only its hash is, in
    # UserSession). Flask-Login keeps it in the cookie instead of the user's id (LoginManager.id_attribute).
    session_key = None

    @property
    def is_active(self) -> bool:
        return self.active

    def get_session_key(self) -> str | None:
        return self.session_key


class Candidate(db.Model):
    """A citizen's profile: the job centre, the responsible consultant and the pitch employers see."""

    __tablename__ = "candidate"
    # The id the job centre's own system gives the citizen (never a CPR number): what a roster file or an
    # integration matches on, unique within the job centre.
    __table_args__ = (UniqueConstraint("jobcenter_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    jobcenter_id: Mapped[int] = mapped_column(ForeignKey("jobcenter.id"))
    consultant_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    target_group: Mapped[TargetGroup] = mapped_column(_enum(TargetGroup, "target_group"))
    pitch: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="candidate", foreign_keys=[user_id])
    consultant: Mapped[User | None] = relationship(foreign_keys=[consultant_id])
    jobcenter: Mapped[Jobcenter] = relationship()


class UserToken(db.Model):
    """A single-use link token; only its SHA-256 is stored."""

    __tablename__ = "user_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """One signed-in browser: ended by signing out, a password reset, a deactivation, or when idle or too old.

    Only the SHA-256 of the session's random key is stored; the key itself is in the browser's signed cookie.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
