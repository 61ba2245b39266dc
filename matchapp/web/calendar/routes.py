"""Personal calendar feeds (a secret, revocable address that expires unless renewed) and one .ics file per
booking."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from matchapp import formats, ical
from matchapp.extensions import db, limiter
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, Candidate, InterviewSession, Role, Slot, User
from matchapp.services import accounts
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404
from matchapp.web.calendar.blueprint import bp
from matchapp.web.inputs import page_to_return_to

FEED_DAYS_CANCELLED = 30
FEED_DAYS_BACK = 30  # least exposure: a feed shows upcoming meetings and those of the last 30 days, not all history


def address_works(user: User, *, now: datetime) -> bool:
    """Whether the user's calendar feed address answers now: it exists and has not expired."""
    expires_at = user.calendar_token_expires_at
    return user.calendar_token is not None and expires_at is not None and expires_at > now


@bp.app_context_processor
def calendar_helpers():
    """calendar_address_works(user) for the feed box that several areas' pages include."""
    return {"calendar_address_works": lambda user: address_works(user, now=utcnow())}


def _me() -> User:
    # The user object itself, not Flask-Login's proxy: the audit trail records the object's type name.
    return current_user._get_current_object()


def _ics(body: str, filename: str) -> Response:
    # Not cached anywhere (personal data): matchapp.web.headers answers every download with no-store.
    return Response(body, mimetype="text/calendar", headers={"Content-Disposition": f'inline; filename="{filename}"'})


def meetings_query(user: User):
    """The bookings a user takes part in: their own (candidate), their organisation's (employer), or those of the
    candidates they are responsible for (consultant)."""
    query = select(Booking).options(
        selectinload(Booking.slot), selectinload(Booking.candidate).selectinload(Candidate.user),
        selectinload(Booking.session).selectinload(InterviewSession.employer),
        selectinload(Booking.session).selectinload(InterviewSession.created_by))
    if user.role == Role.CANDIDATE:
        return query.where(Booking.candidate_id == user.candidate.id)
    if user.role == Role.EMPLOYER:
        return query.join(InterviewSession, Booking.session_id == InterviewSession.id).where(
            InterviewSession.employer_id == user.employer_id)
    if user.role == Role.CONSULTANT:
        return query.join(Candidate, Booking.candidate_id == Candidate.id).where(Candidate.consultant_id == user.id)
    return query.where(false())


@bp.get("/feed/<token>.ics")
@limiter.limit("60 per minute")
def feed(token: str):
    now = utcnow()
    user = db.session.scalar(select(User).where(User.calendar_token == token, User.active.is_(True),
                                                User.calendar_token_expires_at > now))
    if user is None:
        abort(404)
    bookings = db.session.scalars(meetings_query(user).join(Slot, Booking.slot_id == Slot.id).where(
        Slot.starts_at >= now - timedelta(days=FEED_DAYS_BACK),
        or_(Booking.status == BookingStatus.CONFIRMED,
            Booking.cancelled_at >= now - timedelta(days=FEED_DAYS_CANCELLED)))).all()
    return _ics(ical.calendar_feed(bookings, now=now, name=_("matchapp: job conversations"), reader=user),
                "matchapp.ics")


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    booking = get_or_404(Booking, booking_id)
    if current_user.role != Role.ADMIN and db.session.scalar(
            meetings_query(current_user).where(Booking.id == booking.id).with_only_columns(Booking.id)) is None:
        abort(404)
    return _ics(ical.calendar_feed([booking], now=utcnow(), name=booking.session.title, reader=current_user),
                f"matchapp-{booking.id}.ics")


@bp.post("/token")
@login_required
def token_new():
    accounts.new_calendar_token(_me(), now=utcnow())
    flash(_("Your calendar address is ready. An earlier address no longer works."), "success")
    return redirect(page_to_return_to(request.form.get("next")))


@bp.post("/token/renew")
@login_required
def token_renew():
    """Keep the same address working for another period, so that existing subscriptions go on."""
    with attempt():
        until = accounts.extend_calendar_token(_me(), now=utcnow())
        flash(_("Your calendar address now works until %(day)s.", day=formats.day(until)), "success")
    return redirect(page_to_return_to(request.form.get("next")))
