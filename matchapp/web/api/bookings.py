"""The bookings of the job centre's candidates: read, and cancel (the candidate and the employer are told)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, Candidate
from matchapp.services import booking as booking_service
from matchapp.services.errors import MatchappError
from matchapp.web.api.access import acting_user, booking_or_404, jobcenter_id, refuse, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.pages import page_of
from matchapp.web.api.schemas import BookingFilter, BookingPage, BookingSchema, CancelIn


def dump(booking: Booking) -> dict:
    return {"id": booking.id, "external_id": booking.candidate.external_id, "session_id": booking.session_id,
            "starts_at": booking.slot.starts_at, "ends_at": booking.slot.ends_at, "status": booking.status.value,
            "created_at": booking.created_at, "cancelled_at": booking.cancelled_at}


@bp.get("/bookings")
@bp.arguments(BookingFilter, location="query")
@bp.response(200, BookingPage)
@bp.doc(tags=["bookings"])
@scoped("bookings:read")
def bookings(args):
    """The bookings of the job centre's candidates, oldest first, in pages; optionally only confirmed or cancelled."""
    query = (select(Booking).join(Candidate, Candidate.id == Booking.candidate_id)
             .where(Candidate.jobcenter_id == jobcenter_id())
             .options(selectinload(Booking.slot), selectinload(Booking.candidate)))
    if args.get("status"):
        query = query.where(Booking.status == BookingStatus(args["status"]))
    return page_of(query, Booking.id, args, dump, keep=("status",))


@bp.get("/bookings/<int:booking_id>")
@bp.response(200, BookingSchema)
@bp.doc(tags=["bookings"])
@scoped("bookings:read")
def booking(booking_id: int):
    """One booking."""
    return dump(booking_or_404(booking_id))


@bp.post("/bookings/<int:booking_id>/cancel")
@bp.arguments(CancelIn)
@bp.response(200, BookingSchema)
@bp.doc(tags=["bookings"])
@scoped("bookings:write")
def booking_cancel(body, booking_id: int):
    """Cancel a booking and free its time (the candidate and the employer are told). A booking cancelled already is
    409 conflict."""
    booking = booking_or_404(booking_id)
    try:
        booking_service.cancel_booking(booking, reason=body["reason"], by=acting_user(), now=utcnow())
    except MatchappError as error:
        refuse(409, "conflict", str(error.message))
    return dump(booking)
