"""Personal calendar feeds (a secret, revocable address) and one .ics file per booking."""
from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, flash, redirect, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import false, or_, select
from sqlalchemy.orm import selectinload

from matchapp import ical
from matchapp.extensions import db, limiter
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, Candidate, InterviewSession, Role, User
from matchapp.services import accounts
from matchapp.web.access import get_or_404
from matchapp.web.calendar import bp
from matchapp.web.inputs import page_to_return_to

FEED_DAYS_CANCELLED = 30


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
    user = db.session.scalar(select(User).where(User.calendar_token == token, User.active.is_(True)))
    if user is None:
        abort(404)
    now = utcnow()
    bookings = db.session.scalars(meetings_query(user).where(or_(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.cancelled_at >= now - timedelta(days=FEED_DAYS_CANCELLED)))).all()
    return _ics(ical.calendar_feed(bookings, now=now, name=_("matchapp: job conversations")), "matchapp.ics")


@bp.get("/bookings/<int:booking_id>.ics")
@login_required
def booking_ics(booking_id: int):
    booking = get_or_404(Booking, booking_id)
    if current_user.role != Role.ADMIN and db.session.scalar(
            meetings_query(current_user).where(Booking.id == booking.id).with_only_columns(Booking.id)) is None:
        abort(404)
    return _ics(ical.calendar_feed([booking], now=utcnow(), name=booking.session.title),
                f"matchapp-{booking.id}.ics")


@bp.post("/token")
@login_required
def token_new():
    accounts.new_calendar_token(current_user, now=utcnow())
    db.session.commit()
    flash(_("Your calendar address is ready. An earlier address no longer works."), "success")
    return redirect(page_to_return_to(request.form.get("next")))
