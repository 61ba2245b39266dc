"""Waiting lists: a candidate, or their consultant for them, asks to be told of a free time in a full
session; the employer and the consultant see how many wait."""
from __future__ import annotations

import re
from datetime import time, timedelta
from html import unescape

import pytest
from pages import alerts, count, danish, own_form, sign_in, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Booking, BookingStatus, WaitlistEntry, WaitlistOffer, WaitStatus
from matchapp.services import booking as booking_service
from matchapp.services import erasure, refills, sessions, waitlist
from matchapp.services.errors import NotAllowed
from matchapp.services.funnel.filters import FunnelFilter


@pytest.fixture
def consultant(make):
    return make.consultant()


@pytest.fixture
def candidate(make, course, consultant):
    """A candidate who has just completed the course, with a consultant at their job centre."""
    return make.candidate(completed=[course], consultant=consultant, name="Amina Hassan")


@pytest.fixture
def full_session(make, course):
    """A session with one time tomorrow at 10:00, booked by someone else."""
    session = make.session(start=time(10), end=time(10, 10), slot_minutes=10, courses=[course], title="Receptionist")
    other = make.candidate(completed=[course])
    booking_service.book_slots(other, [session.slots[0].id], by=other.user, now=utcnow())
    db.session.commit()
    return session


def waiting(session=None) -> int:
    where = [WaitlistEntry.status == WaitStatus.WAITING]
    if session is not None:
        where.append(WaitlistEntry.session_id == session.id)
    return count(WaitlistEntry, *where)


def button(html: str, label: str) -> dict:
    """The submit button with this label that posts elsewhere (formaction): where it posts and what a browser sends
    with it (the page form's hidden fields, and the button's own name and value)."""
    for attributes, label_html in re.findall(r"<button([^>]*formaction=[^>]*)>(.*?)</button>", html, flags=re.S):
        if text(label_html) == label:
            found = dict(re.findall(r'(\w+)="([^"]*)"', attributes))
            data = own_form(html).hidden()
            if "name" in found:
                data[found["name"]] = found.get("value", "")
            return {"action": unescape(found["formaction"]), "data": data}
    raise AssertionError(f"no button {label!r} on the page")


# Joining, through the pages.

def test_a_candidate_asks_to_be_told_when_a_time_in_a_full_session_frees(csrf_client, full_session, candidate):
    sign_in(csrf_client, candidate.user)
    page = csrf_client.get("/candidate/").text
    assert danish("Full") in text(page)
    join = button(page, danish("Tell me if a time becomes free"))
    assert join["action"] == f"/candidate/sessions/{full_session.id}/waitlist"

    forged = csrf_client.post(join["action"], data={k: v for k, v in join["data"].items() if k != "csrf_token"})
    assert forged.status_code == 400
    assert waiting() == 0

    answer = csrf_client.post(join["action"], data=join["data"], follow_redirects=True)

    assert danish("You are on the waiting list. We will e-mail you if a time becomes free.") in alerts(answer.text)
    assert waiting(full_session) == 1
    assert danish("Leave the waiting list") in text(answer.text)
    meetings = csrf_client.get("/candidate/meetings").text
    assert danish("Waiting lists") in text(meetings)
    assert "Receptionist" in text(meetings)


def test_a_session_with_free_times_shows_no_waiting_list_button(client, make, course, candidate):
    make.session(courses=[course])
    sign_in(client, candidate.user)
    page = client.get("/candidate/").text
    assert danish("Tell me if a time becomes free") not in text(page)


def test_a_closed_full_session_is_not_shown(client, make, course, candidate):
    session = make.session(start=time(10), end=time(10, 10), courses=[course], closes_hours=48, title="Lukket")
    other = make.candidate(completed=[course])
    db.session.add(Booking(slot=session.slots[0], session_id=session.id, candidate=other, booked_by_id=other.user_id,
                           status=BookingStatus.CONFIRMED, uid="x@matchapp", sequence=0, created_at=utcnow()))
    db.session.commit()
    sign_in(client, candidate.user)
    assert "Lukket" not in text(client.get("/candidate/").text)


def test_a_consultant_puts_their_candidate_on_the_list_and_sees_how_many_wait(client, make, full_session, candidate,
                                                                              consultant, course):
    make_waiting = make.candidate(completed=[course])
    waitlist.join(full_session, make_waiting, by=make_waiting.user, now=utcnow())
    db.session.commit()
    sign_in(client, consultant)
    book_page = f"/consultant/candidates/{candidate.id}/book"
    page = client.get(book_page).text
    assert danish("%(num)d waiting for a free time", "%(num)d waiting for a free time", num=1) in text(page)

    join = button(page, danish("Put on the waiting list"))
    answer = client.post(join["action"], data=join["data"], follow_redirects=True)

    assert danish("%(name)s is on the waiting list and will get an e-mail if a time becomes free.",
                  name="Amina Hassan") in alerts(answer.text)
    assert danish("%(num)d waiting for a free time", "%(num)d waiting for a free time", num=2) in text(answer.text)
    entry = db.session.scalar(select(WaitlistEntry).filter_by(candidate_id=candidate.id))
    assert entry.added_by_id == consultant.id
    candidate_page = client.get(f"/consultant/candidates/{candidate.id}").text
    assert danish("Waiting lists") in text(candidate_page)
    assert danish("Leave the list") in text(candidate_page)

    client.post(f"/consultant/waitlist/{entry.id}/leave")

    assert waiting(full_session) == 1
    assert danish("Waiting lists") not in text(client.get(f"/consultant/candidates/{candidate.id}").text)


def test_a_consultant_of_another_job_centre_cannot_act_for_the_candidate(client, make, full_session, candidate):
    stranger = make.consultant()
    sign_in(client, stranger)
    assert client.post(f"/consultant/candidates/{candidate.id}/sessions/{full_session.id}/waitlist").status_code == 403
    assert waiting() == 0


# Every refusal changes nothing.

def _not_eligible(make, full_session, candidate):
    return make.candidate(completed=[make.course()]), full_session


def _has_meeting(make, full_session, candidate):
    other = db.session.scalar(select(Booking).filter_by(session_id=full_session.id)).candidate
    return other, full_session


def _already_waiting(make, full_session, candidate):
    waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    db.session.commit()
    return candidate, full_session


def _draft(make, full_session, candidate):
    return candidate, make.session(courses=list(full_session.courses), publish=False)


def _closed(make, full_session, candidate):
    return candidate, make.session(courses=list(full_session.courses), closes_hours=72)


def _free_times(make, full_session, candidate):
    return candidate, make.session(courses=list(full_session.courses))


REFUSALS = {
    "not eligible": (_not_eligible, "This session is for participants of other courses."),
    "has a meeting there": (_has_meeting, "There is already a meeting in this session."),
    "already waiting": (_already_waiting, "You are already on the waiting list."),
    "not published": (_draft, "Booking for this session has closed."),
    "booking closed": (_closed, "Booking for this session has closed."),
    "times are free": (_free_times, "There are free times in this session. Choose one of them."),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_a_refused_join_says_why_and_changes_nothing(client, make, full_session, candidate, case):
    build, message = REFUSALS[case]
    who, session = build(make, full_session, candidate)
    before = count(WaitlistEntry)
    sign_in(client, who.user)

    answer = client.post(f"/candidate/sessions/{session.id}/waitlist", follow_redirects=True)

    assert danish(message) in alerts(answer.text)
    assert count(WaitlistEntry) == before


def test_two_joins_at_once_end_as_one_entry_and_a_clean_answer(full_session, candidate, monkeypatch):
    now = utcnow()
    waitlist.join(full_session, candidate, by=candidate.user, now=now)
    monkeypatch.setattr(waitlist, "_is_waiting", lambda *args: False)  # the second request read before the first wrote

    with pytest.raises(waitlist.AlreadyWaiting):
        waitlist.join(full_session, candidate, by=candidate.user, now=now)
    db.session.commit()

    assert waiting(full_session) == 1


def test_an_employer_of_another_organisation_cannot_add_a_candidate(make, full_session, candidate):
    with pytest.raises(NotAllowed):
        waitlist.join(full_session, candidate, by=make.employer(), now=utcnow())


def test_the_employer_whose_change_cancelled_a_meeting_can_add_the_candidate(make, full_session, candidate):
    """The session's own employer skips the "times are free" check: its change may have freed other times."""
    entry = waitlist.join(full_session, candidate, by=full_session.created_by, now=utcnow())
    assert entry.status == WaitStatus.WAITING


# Leaving.

def test_a_candidate_leaves_a_list_from_my_meetings(client, full_session, candidate):
    entry = waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    db.session.commit()
    sign_in(client, candidate.user)
    page = client.get("/candidate/meetings").text
    assert f'action="/candidate/waitlist/{entry.id}/leave"' in page

    answer = client.post(f"/candidate/waitlist/{entry.id}/leave", follow_redirects=True)

    assert danish("You have left the waiting list.") in alerts(answer.text)
    assert waiting() == 0
    assert db.session.get(WaitlistEntry, entry.id).ended_at is not None
    again = client.post(f"/candidate/waitlist/{entry.id}/leave", follow_redirects=True)
    assert danish("You are no longer on this waiting list.") in alerts(again.text)


def test_a_candidate_leaves_from_the_pick_page_and_stays_there(client, full_session, candidate):
    waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    db.session.commit()
    sign_in(client, candidate.user)
    leave = button(client.get("/candidate/").text, danish("Leave the waiting list"))

    answer = client.post(leave["action"], data=leave["data"])

    assert answer.headers["Location"].endswith("/candidate/")
    assert waiting() == 0


def test_a_candidate_cannot_leave_someone_elses_list(client, make, course, full_session, candidate):
    entry = waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    db.session.commit()
    sign_in(client, make.candidate(completed=[course]).user)
    assert client.post(f"/candidate/waitlist/{entry.id}/leave").status_code == 404
    assert waiting() == 1


def test_the_audit_trail_names_no_one(full_session, candidate):
    from matchapp.models import AuditEvent
    entry = waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    waitlist.leave(entry, by=candidate.user, now=utcnow())
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("waitlist_%"))).all()
    assert [(e.action, e.object_type, e.object_id) for e in events] == [
        ("waitlist_joined", "WaitlistEntry", entry.id), ("waitlist_left", "WaitlistEntry", entry.id)]


# Counts for the employer.

def test_the_employer_sees_how_many_wait(client, make, course, full_session):
    for _ in range(2):
        someone = make.candidate(completed=[course])
        waitlist.join(full_session, someone, by=someone.user, now=utcnow())
    db.session.commit()
    sign_in(client, full_session.created_by)

    dashboard = text(client.get("/employer/").text)
    session_page = text(client.get(f"/employer/sessions/{full_session.id}").text)

    assert danish("%(num)d waiting", "%(num)d waiting", num=2) in dashboard
    assert danish("%(num)d candidate is waiting for a free time.", "%(num)d candidates are waiting for a free time.",
                  num=2) in session_page


def test_waiting_counts_leave_out_sessions_nobody_waits_for(make, course, full_session, candidate):
    empty = make.session(courses=[course])
    waitlist.join(full_session, candidate, by=candidate.user, now=utcnow())
    assert waitlist.waiting_counts([full_session.id, empty.id]) == {full_session.id: 1}


# Booking ends the waiting.

def test_booking_a_time_in_the_session_ends_the_waiting(full_session, candidate):
    now = utcnow()
    entry = waitlist.join(full_session, candidate, by=candidate.user, now=now)
    taken = db.session.scalar(select(Booking).filter_by(session_id=full_session.id))
    booking_service.cancel_booking(taken, reason=None, by=taken.candidate.user, now=now)

    booking_service.book_slots(candidate, [full_session.slots[0].id], by=candidate.user, now=now)
    db.session.commit()

    db.session.refresh(entry)
    assert entry.status == WaitStatus.BOOKED
    assert waitlist.waiting_entries(candidate) == []


def test_a_candidate_can_join_again_after_leaving(full_session, candidate):
    now = utcnow()
    waitlist.leave(waitlist.join(full_session, candidate, by=candidate.user, now=now), by=candidate.user, now=now)
    waitlist.join(full_session, candidate, by=candidate.user, now=now + timedelta(minutes=1))
    db.session.commit()
    assert waiting(full_session) == 1
    assert count(WaitlistEntry) == 2


# The dashboard's figure: freed times, booked again, of which through the waiting list.

def test_the_dashboard_counts_freed_times_and_how_many_were_booked_again(client, make, course, consultant):
    """Three times at one employer. 10:00 is cancelled and booked again by someone else; 10:10 is cancelled and
    booked again by a waiting candidate through an offer; 10:20's time is cancelled by the employer (not freed).
    At another employer a cancelled time stays free. Another job centre's cancellation does not count."""
    now = utcnow()
    people = [make.candidate(completed=[course], consultant=consultant) for _ in range(6)]
    a, b, c, d, e, f = people
    session = make.session(start=time(10), end=time(10, 30), slot_minutes=10, courses=[course])
    ten, ten_ten, ten_twenty = session.slots
    other_session = make.session(courses=[course])
    stranger = make.candidate(completed=[course])

    def book(who, slot):
        booking_service.book_slots(who, [slot.id], by=who.user, now=now)
        return db.session.scalar(select(Booking).filter_by(candidate_id=who.id, session_id=slot.session_id,
                                                           status=BookingStatus.CONFIRMED))

    def cancel(booking):
        booking_service.cancel_booking(booking, reason=None, by=booking.candidate.user, now=now)

    first, second, third = book(a, ten), book(b, ten_ten), book(c, ten_twenty)
    cancel(first)
    book(d, ten)
    entry = waitlist.join(session, e, by=e.user, now=now)
    cancel(second)
    refill = book(e, ten_ten)
    db.session.add(WaitlistOffer(entry=entry, slot=ten_ten, token_hash="0" * 64, created_at=now,
                                 expires_at=now + timedelta(hours=1), answered_at=now, booking=refill))
    sessions.cancel_slot(ten_twenty, reason="Syg", by=session.created_by, now=now)
    cancel(book(f, other_session.slots[0]))
    cancel(book(stranger, other_session.slots[1]))
    db.session.commit()
    assert third.status == BookingStatus.CANCELLED

    sign_in(client, consultant)
    page = client.get("/consultant/dashboard").text

    figures = {name: re.search(rf'<dd id="refills-{name}">(\d+)</dd>', page).group(1)
               for name in ("freed", "refilled", "waitlist")}
    assert figures == {"freed": "3", "refilled": "2", "waitlist": "1"}
    assert danish("Freed times booked again") in text(page)


# Erasure.

def test_an_erased_candidate_leaves_every_list_and_their_offer_links_die(make, course, full_session, candidate):
    now = utcnow()
    entry = waitlist.join(full_session, candidate, by=candidate.user, now=now)
    db.session.add(WaitlistOffer(entry=entry, slot=full_session.slots[0], token_hash="a" * 64, created_at=now,
                                 expires_at=now + timedelta(hours=1)))
    db.session.commit()
    before = refills.refill_figures(FunnelFilter())

    erasure.erase_candidate(candidate, reason="requested", by=None, now=now)
    db.session.commit()

    db.session.refresh(entry)
    assert entry.status == WaitStatus.LEFT
    assert db.session.scalar(select(WaitlistOffer.token_hash)) is None
    assert count(WaitlistOffer) == 1
    assert refills.refill_figures(FunnelFilter()) == before


def test_cancelling_the_session_takes_everyone_off_its_list(make, full_session, candidate, now):
    waitlist.join(full_session, candidate, by=candidate.user, now=now)
    db.session.commit()
    assert waiting(full_session) == 1

    sessions.cancel_session(full_session, "Stillingen er besat", by=full_session.created_by, now=now)
    db.session.commit()

    assert waiting(full_session) == 0
    [entry] = db.session.scalars(select(WaitlistEntry)).all()
    assert (entry.status, entry.ended_at is not None) == (WaitStatus.LEFT, True)
    assert db.session.scalars(select(WaitlistOffer)).all() == [], "a cancelled session offers nothing"
