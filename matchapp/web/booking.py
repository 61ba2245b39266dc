"""The pick-and-confirm page, shared by candidates and by consultants booking on a candidate's behalf."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchapp.localtime import local_day, utcnow
from matchapp.models import Candidate, InterviewSession, Role
from matchapp.services import booking as booking_service
from matchapp.services import waitlist
from matchapp.transaction import attempt
from matchapp.web.booking_result import remember_result
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number, parse_id

PICK_PREFIX = "slot-"
PER_PAGE = 20  # employers' jobs per page


def chosen_slot_ids(form) -> list[int]:
    """The slot ids picked on the page, one per session (fields named slot-<session id>)."""
    ids = []
    for name, value in form.items():
        slot_id = parse_id(value) if name.startswith(PICK_PREFIX) else None
        if slot_id is not None:
            ids.append(slot_id)
    return ids


@dataclass
class Offer:
    """One entry of the find page: an employer's job (its first session speaks for the others) with the free
    times of its sessions by day, or, when every time is taken, the session whose waiting list can be joined."""

    session: InterviewSession
    days: list[tuple[date, list[booking_service.FreeTime]]]
    waitlist_session: InterviewSession | None
    session_ids: list[int]


def pick_page(candidate: Candidate, *, chosen: list[int] = (), problems: list[str] = (), status: int = 200,
              planned_out: list[int] = ()):
    """Render the employers' jobs the candidate can book, each once with its free times by day."""
    now = utcnow()
    page = page_number()
    offered = booking_service.sessions_to_offer(candidate, now=now)
    shown = offered[(page - 1) * PER_PAGE:page * PER_PAGE]
    if page > 1 and not shown:
        abort(404)
    free = booking_service.free_times([s for group in shown for s in group], now=now)
    full = [s.id for group in shown for s in group if not free[s.id]]
    open_lists = waitlist.open_for_waiting(full, now=now)
    offers = []
    for group in shown:
        times = sorted((t for s in group for t in free[s.id]), key=lambda t: t.starts_at)
        waiting_in = None if times else next((s for s in group if s.id in open_lists), None)
        if times or waiting_in:  # a full offer still taking bookings: its waiting list
            days = [(day, list(same)) for day, same in groupby(times, key=lambda t: local_day(t.starts_at))]
            offers.append(Offer(group[0], days, waiting_in, [s.id for s in group]))
    # A chosen slot id stands for its time (rule 0): mark that time, whichever interviewer's slot it now shows.
    chosen_times = {(slot.session_id, slot.starts_at)
                    for slot in (booking_service.load_slots(list(chosen)) if chosen else [])}
    chosen = {t.slot_id for o in offers for _day, times in o.days for t in times
              if (t.session_id, t.starts_at) in chosen_times}
    # The page shows the candidate's place on a waiting list for full offers only, and counts to staff only.
    lists = [o.waitlist_session.id for o in offers if o.waitlist_session]
    counts = waitlist.waiting_counts([i for o in offers for i in o.session_ids]) \
        if current_user.role != Role.CANDIDATE else {}
    return render_template("booking/pick.html", candidate=candidate, offers=offers, chosen=chosen,
                           problems=problems, planned_out=set(planned_out), form=ActionForm(), page=page,
                           has_next=len(offered) > page * PER_PAGE, waiting=waitlist.waiting_in(candidate, lists),
                           waiting_counts=counts, why_empty=None if offers else why_nothing(candidate, now=now)), status


def why_nothing(candidate: Candidate, *, now) -> str:
    """Why the find page has nothing to offer: no completed course yet, a meeting at every employer already, or
    every time taken (or none published)."""
    if not booking_service.completed_course_ids(candidate):
        return "no_course"
    if booking_service.confirmed_bookings(candidate) and booking_service.bookable_sessions(candidate, now=now):
        return "all_met"
    return "none_free"


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
    with attempt(show=False) as tried:
        remember_result(candidate, booking_service.book_slots(candidate, chosen, by=current_user, now=utcnow()))
        return redirect(url_for(done_endpoint, **done_values))
    return pick_page(candidate, chosen=chosen, problems=tried.error.problems, status=422)
