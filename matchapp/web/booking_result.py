"""The answer to a confirm: what was booked, and for a time taken meanwhile another time to book instead.

The answer is kept in the signed session cookie per candidate, so that reloading the page, or a consultant
confirming for another candidate in a second tab, shows the same answer. The times to offer instead are looked
for here, after the booking's commit (planning.offer_alternatives), and kept in the answer; each showing
checks them anew, so an offer taken meanwhile is replaced.
"""
from __future__ import annotations

from flask import render_template, request, session, url_for
from flask_login import current_user

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, Candidate, Role, Slot
from matchapp.services import availability, planning
from matchapp.services.booking import BookingResult
from matchapp.web.forms_common import ActionForm

RESULTS = "booking_results"
KEEP_RESULTS = 5  # a consultant booking for several candidates in turn: the last few answers
FROM_RESULT = "from_result"  # the offer's form sends it: the answer then adds to the one shown


def remember_result(candidate: Candidate, result: BookingResult) -> None:
    """Keep the answer to this confirm for the result page; booking an offered time adds to the answer it came
    from, so the page goes on listing everything booked and the offers still open."""
    booked = [b.id for b in result.booked]
    taken = [[slot.id, None] for slot in result.taken]
    results = dict(session.get(RESULTS) or {})
    earlier = results.pop(str(candidate.id), None)
    if earlier and request.form.get(FROM_RESULT):
        answered = {slot.session_id for slot in result.taken} | {b.session_id for b in result.booked}
        earlier_slots = {s.id: s for s in availability.load_slots([i for i, _alt in earlier["taken"]])}
        booked = [*earlier["booked"], *booked]
        taken = [[i, alt] for i, alt in earlier["taken"]
                 if i in earlier_slots and earlier_slots[i].session_id not in answered] + taken
    results[str(candidate.id)] = {"booked": booked, "taken": taken}
    session[RESULTS] = dict(list(results.items())[-KEEP_RESULTS:])


def result_page(candidate: Candidate, *, pick_url: str):
    """What the candidate's last confirm booked, and the times taken meanwhile with a time to book instead."""
    result = (session.get(RESULTS) or {}).get(str(candidate.id)) or {"booked": [], "taken": []}
    booked = [b for b in (db.session.get(Booking, i) for i in result["booked"])
              if b is not None and b.candidate_id == candidate.id and b.status == BookingStatus.CONFIRMED]
    now = utcnow()
    met = {b.session_id for b in availability.confirmed_bookings(candidate)}
    pairs = [(db.session.get(Slot, i), db.session.get(Slot, alt) if alt else None) for i, alt in result["taken"]]
    taken = planning.offer_alternatives(
        candidate, [(slot, alt) for slot, alt in pairs if slot is not None and slot.session_id not in met], now=now)
    offers = [[t.slot.id, t.alternative.id if t.alternative else None] for t in taken]
    if offers != result["taken"]:  # keep what is offered now, so that a reload offers the same while it fits
        session[RESULTS] = {**session[RESULTS], str(candidate.id): {**result, "taken": offers}}
    staff = current_user.role != Role.CANDIDATE
    meetings_url = (url_for("consultant.candidate", candidate_id=candidate.id) if staff
                    else url_for("candidate.meetings"))
    return render_template("booking/result.html", candidate=candidate, booked=booked, taken=taken, staff=staff,
                           form=ActionForm(), book_url=pick_url, meetings_url=meetings_url,
                           from_result=FROM_RESULT)
