"""The pick-and-confirm page, shared by candidates and by consultants booking on a candidate's behalf."""
from __future__ import annotations

from itertools import groupby

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchapp.extensions import db
from matchapp.localtime import local_day, utcnow
from matchapp.models import Booking, Candidate, Role, Slot
from matchapp.services import booking as booking_service
from matchapp.services import waitlist
from matchapp.services.errors import SelectionError
from matchapp.web.access import get_or_404
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number, parse_id

PICK_PREFIX = "slot-"


def chosen_slot_ids(form) -> list[int]:
    """The slot ids picked on the page, one per session (fields named slot-<session id>)."""
    ids = []
    for name, value in form.items():
        slot_id = parse_id(value) if name.startswith(PICK_PREFIX) else None
        if slot_id is not None:
            ids.append(slot_id)
    return ids


def pick_page(candidate: Candidate, *, chosen: list[int] = (), problems: list[str] = (), status: int = 200,
              planned_out: list[int] = ()):
    """Render the upcoming sessions the candidate can book, by day, with their free times."""
    now = utcnow()
    page = db.paginate(booking_service.sessions_to_offer_query(candidate, now=now), page=page_number(), per_page=20)
    shown = page.items
    free = booking_service.free_slots(shown, now=now)
    # A chosen slot id stands for its time (rule 0): mark that time, whichever interviewer's slot it now shows.
    chosen_times = {(slot.session_id, slot.starts_at)
                    for slot in (booking_service.load_slots(list(chosen)) if chosen else [])}
    open_lists = waitlist.open_for_waiting([s.id for s in shown if not free[s.id]], now=now)
    offers = []
    for s in shown:
        times = []  # one choice per start time: the first free interviewer's slot
        for _start, same_time in groupby(free[s.id], key=lambda slot: slot.starts_at):
            times.append(next(same_time))
        if times or s.id in open_lists:  # a full session still taking bookings: its waiting list
            offers.append((s, times))
    days = [(day, list(items)) for day, items in groupby(offers, key=lambda o: local_day(o[0].starts_at))]
    chosen = {slot.id for _s, times in offers for slot in times if (slot.session_id, slot.starts_at) in chosen_times}
    # The page shows the candidate's place on a waiting list for full sessions only, and counts to staff only.
    full = [s.id for s, times in offers if not times]
    counts = waitlist.waiting_counts([s.id for s, _times in offers]) if current_user.role != Role.CANDIDATE else {}
    return render_template("booking/pick.html", candidate=candidate, days=days, chosen=chosen,
                           problems=problems, planned_out=set(planned_out), form=ActionForm(), page=page.page,
                           has_next=page.has_next, waiting=waitlist.waiting_in(candidate, full),
                           waiting_counts=counts), status


def handle_pick(candidate: Candidate, *, done_endpoint: str, **done_values):
    """Book the picked slots, or plan them ("auto-plan"), and answer with what happened."""
    if request.form.get("action") == "plan":
        session_ids = [i for i in map(parse_id, request.form.getlist("session")) if i is not None]
        if not session_ids:
            return pick_page(candidate, problems=[_("Tick the sessions you want us to plan.")], status=422)
        slots, left_out = booking_service.auto_plan(candidate, session_ids, now=utcnow())
        if slots:
            flash(ngettext("We have chosen %(num)d time. Check it and press \"Book the chosen times\".",
                           "We have chosen %(num)d times that do not overlap. Check them and press \"Book the "
                           "chosen times\".", len(slots)), "info")
        return pick_page(candidate, chosen=[s.id for s in slots], planned_out=left_out,
                         problems=[_("No free time fits for this session.")] if left_out and not slots else [])
    chosen = chosen_slot_ids(request.form)
    try:
        result = booking_service.book_slots(candidate, chosen, by=current_user, now=utcnow())
    except SelectionError as error:
        db.session.rollback()
        return pick_page(candidate, chosen=chosen, problems=error.problems, status=422)
    # Read the ids before the commit expires the objects: after it, each would be loaded again, in a new
    # transaction that on SQLite waits for the write lock once more.
    session["booking_result"] = {"candidate": candidate.id, "booked": [b.id for b in result.booked],
                                 "taken": [[t.slot.id, t.alternative.id if t.alternative else None]
                                           for t in result.taken]}
    db.session.commit()
    return redirect(url_for(done_endpoint, **done_values))


def result_page(candidate: Candidate, *, pick_url: str):
    """What the last confirm booked, and what was taken meanwhile with alternatives."""
    result = session.get("booking_result") or {}
    if result.get("candidate") != candidate.id:  # the last confirm was for someone else
        result = {"booked": [], "taken": []}
    booked = [b for b in (db.session.get(Booking, i) for i in result["booked"])
              if b is not None and b.candidate_id == candidate.id]
    taken = [(get_or_404(Slot, slot_id), db.session.get(Slot, alt) if alt else None)
             for slot_id, alt in result["taken"]]
    return render_template("booking/result.html", candidate=candidate, booked=booked, taken=taken,
                           form=ActionForm(), book_url=pick_url)
