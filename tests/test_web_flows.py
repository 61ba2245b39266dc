"""The app as its users meet it, through the test client: employers, candidates, consultants and admins."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from pages import (
    FormCase,
    alerts,
    assert_form_needs_its_csrf_token,
    count,
    danish,
    field_error,
    form,
    own_form,
    text,
)
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local, utcnow
from matchapp.models import (
    Booking,
    BookingStatus,
    Candidate,
    CandidateFeedback,
    Course,
    CourseRun,
    Employer,
    Enrollment,
    FollowUp,
    InterviewSession,
    Jobcenter,
    OutboxMessage,
    Outcome,
    Role,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
)
from matchapp.services import accounts, catalogue
from matchapp.services import booking as booking_service


def tomorrow():
    return datetime.now(LOCAL_TZ).date() + timedelta(days=1)


def session_form(**changes) -> dict[str, str]:
    """What an employer types into the new-session form: tomorrow 10-11, 10-minute talks, two interviewers."""
    return {"title": "Receptionist", "description": "Morgenvagter i receptionen.", "local_date": tomorrow().isoformat(),
            "start_time": "10:00", "end_time": "11:00", "slot_minutes": "10", "break_minutes": "0",
            "interviewers": "2", "mode": "video", "video_url": "https://meet.example.dk/receptionist", "address": "",
            "booking_closes_hours": "2", **changes}


def clock(slot: Slot) -> str:
    return f"{to_local(slot.starts_at):%H:%M}–{to_local(slot.ends_at):%H:%M}"


def messages_to(user: User) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)
                                   .order_by(OutboxMessage.id)))


# --- Employers: sessions -------------------------------------------------------------------------------------------

def test_employer_creates_a_session_sees_the_times_and_publishes_it(client, auth, make):
    employer = make.employer(name="Hotel Nørreport A/S")
    candidate = make.candidate(completed=[make.course()])
    auth.login(employer)

    response = client.post("/employer/sessions/new", data=session_form())

    session = db.session.scalar(select(InterviewSession))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/employer/sessions/{session.id}"
    assert session.status == SessionStatus.DRAFT
    page = client.get(f"/employer/sessions/{session.id}").text
    starts = [f"10:{m:02d}" for m in range(0, 60, 10)]
    ends = [*starts[1:], "11:00"]
    for start, end in zip(starts, ends, strict=True):
        assert page.count(f"{start}–{end}") == 2, f"{start}–{end} for each of the two interviewers"
    assert "10:50–11:00" in page
    assert "11:00–11:10" not in page
    assert sorted((s.lane, f"{to_local(s.starts_at):%H:%M}") for s in session.slots) == sorted(
        (lane, start) for lane in (1, 2) for start in starts)

    published = client.post(form(page, f"/employer/sessions/{session.id}/publish").action, follow_redirects=True)

    assert published.status_code == 200
    assert db.session.get(InterviewSession, session.id).status == SessionStatus.PUBLISHED
    assert f"/employer/sessions/{session.id}/publish" not in published.text  # no publish button any more
    auth.logout()
    auth.login(candidate.user)
    offer = client.get("/candidate/").text
    assert "Receptionist – Hotel Nørreport A/S" in text(offer)


def test_an_unapproved_employer_is_told_why_the_session_cannot_be_published(client, auth, make):
    employer = make.employer(approved=False)
    session = make.session(employer, publish=False)
    candidate = make.candidate(completed=[make.course()])
    auth.login(employer)

    response = client.post(f"/employer/sessions/{session.id}/publish", follow_redirects=True)

    told = danish("Your organisation must be approved by the job centre before you can publish.")
    assert told in alerts(response.text)
    assert db.session.get(InterviewSession, session.id).status == SessionStatus.DRAFT
    auth.logout()
    auth.login(candidate.user)
    assert f'name="slot-{session.id}"' not in client.get("/candidate/").text


@pytest.mark.parametrize(("mistake", "field", "message"), [
    ({"start_time": "11:00", "end_time": "10:00"}, "end_time", "The end time must be after the start time."),
    ({"slot_minutes": "3"}, "slot_minutes", "Choose between 5 and 60 minutes."),
    ({"mode": "onsite", "address": " "}, "address", "Enter the address of the meeting."),
    ({"title": ""}, "title", "Enter the job title."),
    ({"video_url": "meet.example.dk"}, "video_url", "Enter a full link starting with https://"),
    # The rules below need the service, which names the field in its error.
    ({"start_time": "10:00", "end_time": "10:05"}, "end_time", "The time is too short for one slot."),
    ({"local_date": "2020-01-06"}, "local_date", "The session must start in the future."),
], ids=["end-before-start", "slot-length-3", "onsite-without-address", "no-title", "bad-link", "too-short",
        "in-the-past"])
def test_the_session_form_shows_a_mistake_beside_its_field_in_danish_and_stores_nothing(
        client, auth, make, mistake, field, message):
    auth.login(make.employer())

    response = client.post("/employer/sessions/new", data=session_form(**mistake))

    assert response.status_code == 422
    assert '<html lang="da">' in response.text
    assert field_error(response.text, field) == danish(message)
    assert any(danish(message) in alert for alert in alerts(response.text)), "the summary at the top repeats it"
    assert count(InterviewSession) == 0
    assert count(Slot) == 0


def test_the_session_form_speaks_english_to_an_employer_who_chose_english(client, auth, make):
    employer = make.employer()
    employer.language = "en"
    db.session.commit()
    auth.login(employer)

    response = client.post("/employer/sessions/new", data=session_form(start_time="11:00", end_time="10:00"))

    assert response.status_code == 422
    assert field_error(response.text, "end_time") == "The end time must be after the start time."
    assert count(InterviewSession) == 0


def test_the_session_page_shows_who_booked_with_their_course_and_pitch(client, auth, make):
    gdpr, hotel = make.course("Datasikkerhed og GDPR"), make.course("Hotelbookingsystemer")
    employer = make.employer()
    session = make.session(employer, interviewers=2)
    amina = make.candidate(completed=[gdpr], name="Amina Hassan")
    peter = make.candidate(completed=[hotel], name="Peter Jensen")
    accounts.update_pitch(amina, "Jeg taler arabisk og dansk og elsker <b>service</b>.", now=utcnow())
    accounts.update_pitch(peter, "Udlært receptionist, klar til skiftende vagter.", now=utcnow())
    db.session.commit()
    first, second = session.slots[0], session.slots[3]
    make.booking(amina, first)
    make.booking(peter, second)
    auth.login(employer)

    page = client.get(f"/employer/sessions/{session.id}").text

    rows = [text(row) for row in page.split("<tr>")[1:]]
    amina_row = next(row for row in rows if row.startswith(clock(first)) and "Amina" in row)
    assert "Amina Hassan Datasikkerhed og GDPR Jeg taler arabisk og dansk og elsker <b>service</b>." in amina_row
    assert "&lt;b&gt;service&lt;/b&gt;" in page, "a pitch is shown as text, never as HTML"
    assert "Peter Jensen Hotelbookingsystemer Udlært receptionist, klar til skiftende vagter." in text(page)
    assert sum(danish("free") in row for row in rows) == len(session.slots) - 2


def test_an_employer_cannot_see_or_cancel_another_organisations_session(client, auth, make):
    session = make.session()
    auth.login(make.employer())

    assert client.get(f"/employer/sessions/{session.id}").status_code == 403
    assert client.post(f"/employer/sessions/{session.id}/cancel", data={"reason": "Nej"}).status_code == 403
    assert client.post(f"/employer/slots/{session.slots[0].id}/cancel", data={"reason": "Nej"}).status_code == 403
    assert client.get("/employer/sessions/999999").status_code == 404
    assert db.session.get(InterviewSession, session.id).status == SessionStatus.PUBLISHED


# --- Candidates: booking several at once ---------------------------------------------------------------------------

def test_candidate_books_three_slots_at_three_employers_in_one_go(client, auth, make):
    candidate = make.candidate(completed=[make.course()])
    names = ["Hotel Nørreport A/S", "Datavagten ApS", "Kontorhjælpen I/S"]
    sessions = [make.session(make.employer(name=name), start=time(10 + i), end=time(11 + i))
                for i, name in enumerate(names)]
    chosen = [s.slots[1] for s in sessions]
    auth.login(candidate.user)
    welcome = len(messages_to(candidate.user))
    page = client.get("/candidate/").text
    pick = own_form(page)
    for session, slot in zip(sessions, chosen, strict=True):
        assert str(slot.id) in {i["value"] for i in pick.inputs if i.get("name") == f"slot-{session.id}"}

    response = client.post("/candidate/", data={"action": "book", **{f"slot-{slot.session_id}": str(slot.id)
                                                                      for slot in chosen}})

    assert response.status_code == 302
    assert response.headers["Location"] == "/candidate/booked"
    result = text(client.get("/candidate/booked").text)
    assert danish("%(num)d conversation is booked", plural="%(num)d conversations are booked", num=3) in result
    for name in names:
        assert name in result
    bookings = db.session.scalars(select(Booking).where(Booking.candidate_id == candidate.id)).all()
    assert sorted(b.slot_id for b in bookings) == sorted(s.id for s in chosen)
    assert {b.status for b in bookings} == {BookingStatus.CONFIRMED}
    assert {b.booked_by_id for b in bookings} == {candidate.user_id}
    meetings = text(client.get("/candidate/meetings").text)
    for name, slot in zip(names, chosen, strict=True):
        assert f"{to_local(slot.starts_at):%H:%M}" in meetings
        assert name in meetings
    assert len(messages_to(candidate.user)) == welcome + 3


def test_an_overlapping_selection_shows_the_problem_and_books_nothing(client, auth, make):
    candidate = make.candidate(completed=[make.course()])
    hotel = make.session(make.employer(name="Hotel Nørreport A/S"))
    data = make.session(make.employer(name="Datavagten ApS"))
    clash = {f"slot-{hotel.id}": str(hotel.slots[0].id), f"slot-{data.id}": str(data.slots[0].id)}
    auth.login(candidate.user)
    messages = count(OutboxMessage)

    response = client.post("/candidate/", data={"action": "book", **clash})

    assert response.status_code == 422
    summary = text(response.text.split('id="error-summary"', 1)[1].split("</div>", 2)[0])
    assert danish("Nothing is booked yet") in summary
    for part in danish("%(a)s and %(b)s are too close together.", a="|", b="|").split("|"):
        assert part.strip() in summary
    assert "Hotel Nørreport A/S" in summary
    assert "Datavagten ApS" in summary
    assert own_form(response.text).checked("slot-") == clash, "the choices stay, so the candidate can change one"
    assert count(Booking) == 0
    assert count(OutboxMessage) == messages


def test_a_time_taken_meanwhile_is_reported_with_an_alternative_to_book_instead(client, auth, make):
    course = make.course()
    amina, peter = make.candidate(completed=[course]), make.candidate(completed=[course])
    session = make.session(make.employer(name="Hotel Nørreport A/S"))
    wanted = session.slots[1]
    auth.login(amina.user)
    client.get("/candidate/")
    make.booking(peter, wanted)  # a moment before Amina presses the button

    response = client.post("/candidate/", data={"action": "book", f"slot-{session.id}": str(wanted.id)},
                           follow_redirects=True)

    assert danish("Someone else booked these times a moment before you") in alerts(response.text)
    instead = form(response.text, "/candidate/")
    alternative = db.session.get(Slot, int(instead.hidden()[f"slot-{session.id}"]))
    assert alternative.id != wanted.id
    assert alternative.session_id == session.id
    client.post("/candidate/", data={**instead.hidden(), "action": "book"})
    assert db.session.scalar(select(Booking.slot_id).where(Booking.candidate_id == amina.id)) == alternative.id


def lose_a_time(client, auth, make, course, *, index: int) -> tuple[InterviewSession, Slot, str]:
    """A candidate signs in and presses "Book" for the session's time `index`, which someone else booked a moment
    before: the session, that time and the answer page."""
    session = make.session(make.employer(name="Hotel Nørreport A/S"))
    wanted = session.slots[index]
    auth.login(make.candidate(completed=[course]).user)
    make.booking(make.candidate(completed=[course]), wanted)
    answer = client.post("/candidate/", data={"action": "book", f"slot-{session.id}": str(wanted.id)},
                         follow_redirects=True)
    return session, wanted, answer.text


def test_the_offer_for_a_taken_time_is_the_same_after_a_reload_and_booking_it_lists_it(client, auth, make):
    session, wanted, first = lose_a_time(client, auth, make, make.course(), index=1)

    again = client.get("/candidate/booked").text

    offered = form(first, "/candidate/").hidden()
    assert form(again, "/candidate/").hidden() == offered
    assert int(offered[f"slot-{session.id}"]) != wanted.id
    booked = text(client.post("/candidate/", data={**offered, "action": "book"}, follow_redirects=True).text)
    assert danish("%(num)d conversation is booked", plural="%(num)d conversations are booked", num=1) in booked
    assert danish("Someone else booked these times a moment before you") not in booked
    assert danish("See my meetings") in booked


def test_the_offer_for_a_taken_time_is_replaced_when_taken_and_then_stays_put(client, auth, make):
    course = make.course()
    session, wanted, first = lose_a_time(client, auth, make, course, index=2)
    lone = make.candidate(completed=[course])
    first_offer = int(form(first, "/candidate/").hidden()[f"slot-{session.id}"])

    lones = make.booking(lone, db.session.get(Slot, first_offer))  # Lone books the offered time
    second_offer = int(form(client.get("/candidate/booked").text, "/candidate/").hidden()[f"slot-{session.id}"])
    booking_service.cancel_booking(lones, reason=None, by=lone.user, now=utcnow())  # and frees it again
    db.session.commit()
    third_offer = int(form(client.get("/candidate/booked").text, "/candidate/").hidden()[f"slot-{session.id}"])

    assert len({wanted.id, first_offer, second_offer}) == 3
    assert third_offer == second_offer  # what the page offers does not jump back and forth


def test_plan_for_me_preselects_times_that_do_not_overlap_and_books_nothing(client, auth, make, app):
    candidate = make.candidate(completed=[make.course()])
    sessions = [make.session(make.employer()) for _ in range(3)]  # all three at 10-11
    auth.login(candidate.user)

    response = client.post("/candidate/", data={"action": "plan", "session": [str(s.id) for s in sessions]})

    assert response.status_code == 200
    assert danish("We have chosen %(num)d time. Check it and press \"Book the chosen times\".",
                  "We have chosen %(num)d times that do not overlap. Check them and press \"Book the chosen times\".",
                  num=3) in alerts(response.text)
    chosen = own_form(response.text).checked("slot-")
    assert set(chosen) == {f"slot-{s.id}" for s in sessions}
    slots = sorted((db.session.get(Slot, int(v)) for v in chosen.values()), key=lambda s: s.starts_at)
    gap = timedelta(minutes=app.config["BOOKING_GAP_MINUTES"])
    for earlier, later in zip(slots, slots[1:], strict=False):
        assert earlier.ends_at + gap <= later.starts_at
    assert count(Booking) == 0


# --- Consultants: booking on a candidate's behalf ------------------------------------------------------------------

def test_consultant_books_for_a_candidate_of_their_job_centre(client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()], name="Omar Ali")
    session = make.session(make.employer(name="Datavagten ApS"))
    slot = session.slots[2]
    auth.login(consultant)
    page = client.get(f"/consultant/candidates/{candidate.id}/book")
    assert page.status_code == 200
    assert "Omar Ali" in text(page.text)

    response = client.post(f"/consultant/candidates/{candidate.id}/book",
                           data={"action": "book", f"slot-{session.id}": str(slot.id)})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/consultant/candidates/{candidate.id}/booked"
    booking = db.session.scalar(select(Booking))
    assert (booking.candidate_id, booking.slot_id, booking.booked_by_id) == (candidate.id, slot.id, consultant.id)
    assert "Datavagten ApS" in text(client.get(response.headers["Location"]).text)
    message = messages_to(candidate.user)[-1]
    assert message.subject == danish("Your consultant booked a job conversation for you")
    assert consultant.name in message.body_text
    assert "Datavagten ApS" in message.body_text
    profile = text(client.get(f"/consultant/candidates/{candidate.id}").text)
    assert consultant.name in profile
    assert "Datavagten ApS" in profile


def test_a_consultant_of_another_job_centre_cannot_book_for_the_candidate(client, auth, make):
    candidate = make.candidate(consultant=make.consultant(), completed=[make.course()])
    session = make.session()
    auth.login(make.consultant())  # a consultant of a new, other job centre
    data = {"action": "book", f"slot-{session.id}": str(session.slots[0].id)}

    assert client.get(f"/consultant/candidates/{candidate.id}").status_code == 403
    assert client.get(f"/consultant/candidates/{candidate.id}/book").status_code == 403
    assert client.post(f"/consultant/candidates/{candidate.id}/book", data=data).status_code == 403
    assert client.get("/consultant/candidates/999999/book").status_code == 404
    assert client.post("/consultant/candidates/999999/book", data=data).status_code == 404
    assert count(Booking) == 0


# --- Cancelling ----------------------------------------------------------------------------------------------------

def test_candidate_cancels_and_the_time_is_free_for_someone_else(client, auth, make):
    course = make.course()
    session = make.session(make.employer(name="Kontorhjælpen I/S"))
    amina = make.candidate(completed=[course])
    peter = make.candidate(completed=[course])
    booking = make.booking(amina, session.slots[0])
    auth.login(amina.user)
    page = client.get("/candidate/meetings").text
    cancel = form(page, f"/candidate/meetings/{booking.id}/cancel")

    response = client.post(cancel.action, data={**cancel.hidden(), "reason": "Jeg er syg"}, follow_redirects=True)

    assert response.status_code == 200
    booking = db.session.get(Booking, booking.id)
    assert (booking.status, booking.cancel_reason, booking.cancelled_by_id) == (
        BookingStatus.CANCELLED, "Jeg er syg", amina.user_id)
    assert f"/candidate/meetings/{booking.id}/cancel" not in response.text
    employer_mail = messages_to(session.created_by)[-1]
    assert "Jeg er syg" in employer_mail.body_text
    auth.logout()
    auth.login(peter.user)
    assert f'value="{session.slots[0].id}"' in client.get("/candidate/").text

    client.post("/candidate/", data={"action": "book", f"slot-{session.id}": str(session.slots[0].id)})

    assert db.session.scalar(select(Booking.candidate_id).where(Booking.slot_id == session.slots[0].id,
                                                                Booking.status == BookingStatus.CONFIRMED)) == peter.id


def test_a_candidate_cannot_cancel_another_candidates_booking(client, auth, make):
    course = make.course()
    session = make.session()
    booking = make.booking(make.candidate(completed=[course]), session.slots[0])
    auth.login(make.candidate(completed=[course]).user)

    response = client.post(f"/candidate/meetings/{booking.id}/cancel", data={"reason": "Ha"})

    assert response.status_code == 404
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    assert client.post("/candidate/meetings/999999/cancel").status_code == 404


def test_employer_cancels_a_slot_with_a_reason_and_the_candidate_is_told(client, auth, make):
    employer = make.employer()
    session = make.session(employer)
    candidate = make.candidate(completed=[make.course()])
    slot = session.slots[0]
    booking = make.booking(candidate, slot)
    auth.login(employer)
    cancel = form(client.get(f"/employer/sessions/{session.id}").text, f"/employer/slots/{slot.id}/cancel")
    before = len(messages_to(candidate.user))

    client.post(cancel.action, data={**cancel.hidden(), "reason": "Vores interviewer er syg"})

    assert db.session.get(Slot, slot.id).status == SlotStatus.CANCELLED
    booking = db.session.get(Booking, booking.id)
    assert (booking.status, booking.cancel_reason) == (BookingStatus.CANCELLED, "Vores interviewer er syg")
    told = messages_to(candidate.user)[before:]
    assert len(told) == 1
    assert "Vores interviewer er syg" in told[0].body_text
    assert db.session.get(Slot, session.slots[1].id).status == SlotStatus.OPEN


def test_employer_cancels_the_whole_session_and_every_candidate_is_told(client, auth, make):
    employer = make.employer()
    session = make.session(employer)
    course = make.course()
    candidates = [make.candidate(completed=[course]) for _ in range(2)]
    for candidate, slot in zip(candidates, session.slots[::2], strict=False):
        make.booking(candidate, slot)
    auth.login(employer)
    page = client.get(f"/employer/sessions/{session.id}").text
    cancel = form(page, f"/employer/sessions/{session.id}/cancel")

    response = client.post(cancel.action, data={**cancel.hidden(), "reason": "Stillingen er besat"},
                           follow_redirects=True)

    assert danish("The session is cancelled. %(num)d candidate has been told.",
                  "The session is cancelled. %(num)d candidates have been told.", num=2) in alerts(response.text)
    assert db.session.get(InterviewSession, session.id).status == SessionStatus.CANCELLED
    assert {s.status for s in db.session.get(InterviewSession, session.id).slots} == {SlotStatus.CANCELLED}
    assert count(Booking, Booking.status == BookingStatus.CONFIRMED) == 0
    for candidate in candidates:
        assert "Stillingen er besat" in messages_to(candidate.user)[-1].body_text


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
@pytest.mark.parametrize("what", ["slot", "session"])
def test_an_employer_cancelling_without_a_reason_changes_nothing(client, auth, make, what, reason):
    employer = make.employer()
    session = make.session(employer)
    booking = make.booking(make.candidate(completed=[make.course()]), session.slots[0])
    auth.login(employer)
    messages = count(OutboxMessage)
    url = {"slot": f"/employer/slots/{session.slots[0].id}/cancel",
           "session": f"/employer/sessions/{session.id}/cancel"}[what]

    response = client.post(url, data={"reason": reason}, follow_redirects=True)

    assert danish("Write a reason for the candidates.") in alerts(response.text)
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED
    assert db.session.get(Slot, session.slots[0].id).status == SlotStatus.OPEN
    assert db.session.get(InterviewSession, session.id).status == SessionStatus.PUBLISHED
    assert count(OutboxMessage) == messages


# --- Admin ---------------------------------------------------------------------------------------------------------

def test_the_admins_mailbox_lists_the_queued_messages(client, auth, make):
    consultant = make.consultant()  # queues a welcome e-mail with a password link
    candidate = make.candidate(consultant=consultant)  # and a welcome e-mail for the candidate
    auth.login(make.admin())

    page = text(client.get("/admin/mailbox").text)

    for message in db.session.scalars(select(OutboxMessage)):
        assert f"{message.recipient} · {message.subject}" in page
    assert consultant.email in page
    assert candidate.user.email in page


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.CONSULTANT])
def test_only_the_admin_sees_the_mailbox(client, auth, make, role):
    user = {Role.CANDIDATE: lambda: make.candidate().user, Role.EMPLOYER: make.employer,
            Role.CONSULTANT: make.consultant}[role]()
    auth.login(user)

    assert client.get("/admin/mailbox").status_code == 403


def test_signed_out_visitors_cannot_read_the_mailbox(client):
    response = client.get("/admin/mailbox")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_admin_sets_up_job_centre_course_course_run_and_consultant_from_the_dashboard(client, auth, make):
    auth.login(make.admin())
    first_day, last_day = tomorrow() - timedelta(days=40), tomorrow() - timedelta(days=12)

    client.post("/admin/jobcenters", data={"jobcenter-name": "Jobcenter Amager"})
    client.post("/admin/courses", data={"course-name": "Vagtplanlægger", "course-description": "Fire uger"})
    jobcenter = db.session.scalar(select(Jobcenter).where(Jobcenter.name == "Jobcenter Amager"))
    course = db.session.scalar(select(Course).where(Course.name == "Vagtplanlægger"))
    client.post("/admin/course-runs", data={"run-course_id": course.id, "run-jobcenter_id": jobcenter.id,
                                            "run-starts_on": first_day.isoformat(),
                                            "run-ends_on": last_day.isoformat()})
    response = client.post("/admin/consultants", data={"consultant-name": "Lise Konsulent",
                                                       "consultant-email": "Lise@KK.dk",
                                                       "consultant-jobcenter_id": jobcenter.id},
                           follow_redirects=True)

    assert response.status_code == 200
    assert course.description == "Fire uger"
    run = db.session.scalar(select(CourseRun))
    assert (run.course_id, run.jobcenter_id, run.starts_on, run.ends_on) == (course.id, jobcenter.id, first_day,
                                                                           last_day)
    consultant = db.session.scalar(select(User).where(User.email == "lise@kk.dk"))
    assert (consultant.role, consultant.jobcenter_id) == (Role.CONSULTANT, jobcenter.id)
    assert "/password/" in messages_to(consultant)[0].body_text
    dashboard = text(response.text)
    for shown in ("Jobcenter Amager", "Vagtplanlægger", "Lise Konsulent (Jobcenter Amager)"):
        assert shown in dashboard


@pytest.mark.parametrize(("url", "data", "field", "message"), [
    ("/admin/jobcenters", lambda admin, j: {"jobcenter-name": "jobcenter amager"}, "jobcenter-name",
     "The name is in use already."),
    ("/admin/courses", lambda admin, j: {"course-name": "EXCEL "}, "course-name", "The name is in use already."),
    ("/admin/consultants", lambda admin, j: {"consultant-name": "Ny", "consultant-email": admin.email.upper(),
                                             "consultant-jobcenter_id": j.id},
     "consultant-email", "A user with this e-mail address already exists."),
], ids=["job-centre", "course", "consultant-e-mail"])
def test_a_duplicate_on_the_admin_dashboard_is_shown_beside_its_field(client, auth, make, url, data, field, message):
    jobcenter = make.jobcenter("Jobcenter Amager")
    make.course("Excel")
    admin = make.admin()
    auth.login(admin)
    rows = (count(Jobcenter), count(Course), count(User))

    response = client.post(url, data=data(admin, jobcenter))

    assert response.status_code == 422
    assert field_error(response.text, field) == danish(message)
    assert (count(Jobcenter), count(Course), count(User)) == rows


# --- Only POST changes anything ------------------------------------------------------------------------------------

def snapshot() -> dict[str, list]:
    """Every row of every table, but for what signing in and out writes (the session rows, their audit rows and the
    user's last activity) and the audit rows of an admin's reading of the outbox."""
    rows = {table.name: db.session.execute(
        select(*[column for column in table.columns if column is not User.__table__.c.last_active_at])
        .order_by(*table.primary_key.columns)).all()
        for table in db.metadata.sorted_tables if table.name != "user_session"}
    rows["audit_event"] = [row for row in rows["audit_event"] if row.action not in (
        "signed_in", "signed_out", "outbox_listed", "outbox_message_read")]
    return rows


def test_opening_pages_changes_nothing(client, auth, make):
    consultant = make.consultant()
    course = make.course()
    candidate = make.candidate(consultant=consultant, completed=[course])
    employer = make.employer()
    session = make.session(employer)
    draft = make.session(employer, publish=False, title="Kok")
    make.employer(approved=False)
    make.booking(candidate, session.slots[0])
    run = db.session.scalar(select(CourseRun))
    token = accounts.issue_token(candidate.user, accounts.SIGN_IN, minutes=10, now=utcnow())
    reset = accounts.issue_token(employer, accounts.PASSWORD, minutes=60, now=utcnow())
    db.session.commit()
    mailed = db.session.scalars(select(OutboxMessage)).first()
    pages = {
        None: ["/", "/login", "/link", f"/link/{token}", "/password/forgot", f"/password/{reset}", "/register",
               "/healthz", "/nowhere"],
        candidate.user: ["/candidate/", "/candidate/booked", "/candidate/meetings", "/candidate/profile"],
        employer: ["/employer/", "/employer/sessions/new", f"/employer/sessions/{session.id}",
                   f"/employer/sessions/{draft.id}", f"/employer/sessions/{draft.id}/edit",
                   f"/employer/sessions/{session.id}/outcomes"],
        consultant: ["/consultant/", "/consultant/?q=kandidat", "/consultant/candidates/new",
                     f"/consultant/candidates/{candidate.id}", f"/consultant/candidates/{candidate.id}/book",
                     f"/consultant/candidates/{candidate.id}/booked", "/consultant/employers", "/consultant/runs",
                     f"/consultant/runs/{run.id}/follow-up"],
        make.admin(): ["/admin/", "/admin/mailbox", f"/admin/mailbox/{mailed.id}", "/consultant/runs",
                       f"/consultant/runs/{run.id}/follow-up"],
    }
    before = snapshot()

    for user, paths in pages.items():
        if user is not None:
            auth.login(user)
        for path in paths:
            assert client.get(path).status_code in (200, 404), path
        if user is not None:
            assert client.get("/logout").status_code == 405
            assert client.get(paths[0]).status_code == 200, "a GET of /logout does not sign out"
            auth.logout()

    assert snapshot() == before


# --- Every form needs its CSRF token -------------------------------------------------------------------------------

def _candidate_book(make):
    candidate, session = make.candidate(completed=[make.course()]), make.session()
    return FormCase(candidate.user, "/candidate/", None, {"action": "book", f"slot-{session.id}": session.slots[0].id},
                    lambda: count(Booking))


def _candidate_cancel(make):
    candidate, session = make.candidate(completed=[make.course()]), make.session()
    booking = make.booking(candidate, session.slots[0])
    return FormCase(candidate.user, "/candidate/meetings", f"/candidate/meetings/{booking.id}/cancel",
                    {"reason": ""}, lambda: db.session.get(Booking, booking.id).status)


def _candidate_feedback(make):
    session = make.session(day=tomorrow() - timedelta(days=2), created_at=utcnow() - timedelta(days=10))
    candidate = make.candidate(completed=[make.course()])
    booking = make.booking(candidate, session.slots[0], now=utcnow() - timedelta(days=5))
    return FormCase(candidate.user, "/candidate/meetings", f"/candidate/meetings/{booking.id}/feedback",
                    {"answer": "no"}, lambda: count(CandidateFeedback))


def _candidate_profile(make):
    candidate = make.candidate()
    return FormCase(candidate.user, "/candidate/profile", None, {"pitch": "Jeg kan lide mennesker."},
                    lambda: db.session.get(Candidate, candidate.id).pitch)


def _session_new(make):
    return FormCase(make.employer(), "/employer/sessions/new", None, session_form(), lambda: count(InterviewSession))


def _session_edit(make):
    session = make.session(publish=False)
    return FormCase(session.created_by, f"/employer/sessions/{session.id}/edit", None, session_form(title="Kok"),
                    lambda: db.session.get(InterviewSession, session.id).title)


def _session_publish(make):
    session = make.session(publish=False)
    return FormCase(session.created_by, f"/employer/sessions/{session.id}",
                    f"/employer/sessions/{session.id}/publish", {},
                    lambda: db.session.get(InterviewSession, session.id).status)


def _slot_cancel(make):
    session = make.session()
    slot_id = session.slots[0].id
    return FormCase(session.created_by, f"/employer/sessions/{session.id}", f"/employer/slots/{slot_id}/cancel",
                    {"reason": "Syg"}, lambda: db.session.get(Slot, slot_id).status)


def _session_cancel(make):
    session = make.session()
    return FormCase(session.created_by, f"/employer/sessions/{session.id}", f"/employer/sessions/{session.id}/cancel",
                    {"reason": "Besat"}, lambda: db.session.get(InterviewSession, session.id).status)


def _candidate_new(make):
    consultant = make.consultant()
    return FormCase(consultant, "/consultant/candidates/new", None,
                    {"name": "Ny Kandidat", "email": "ny@example.dk", "phone": "", "target_group": "jobparat",
                     "jobcenter_id": consultant.jobcenter_id, "consultant_id": consultant.id},
                    lambda: count(Candidate))


def _completion_add(make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    run = catalogue.create_course_run(make.course(), consultant.jobcenter, tomorrow() - timedelta(days=30),
                                      tomorrow() - timedelta(days=2), by=None, now=utcnow())
    db.session.commit()
    return FormCase(consultant, f"/consultant/candidates/{candidate.id}",
                    f"/consultant/candidates/{candidate.id}/completions",
                    {"course_run_id": run.id, "completed_on": (tomorrow() - timedelta(days=2)).isoformat()},
                    lambda: count(Enrollment, Enrollment.completed_at.is_not(None)))


def _consultant_book(make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    session = make.session()
    return FormCase(consultant, f"/consultant/candidates/{candidate.id}/book", None,
                    {"action": "book", f"slot-{session.id}": session.slots[0].id}, lambda: count(Booking))


def _consultant_cancel(make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    booking = make.booking(candidate, make.session().slots[0], by=consultant)
    return FormCase(consultant, f"/consultant/candidates/{candidate.id}", f"/consultant/bookings/{booking.id}/cancel",
                    {}, lambda: db.session.get(Booking, booking.id).status)


def _employer_approve(make):
    employer_id = make.employer(approved=False).employer_id
    return FormCase(make.consultant(), "/consultant/employers", f"/consultant/employers/{employer_id}/approve", {},
                    lambda: db.session.get(Employer, employer_id).approved_at is not None)


def _candidate_deactivate(make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    candidate_id, user_id = candidate.id, candidate.user.id
    return FormCase(consultant, f"/consultant/candidates/{candidate_id}",
                    f"/consultant/candidates/{candidate_id}/deactivate", {},
                    lambda: db.session.get(User, user_id).active)


def _consultant_deactivate(make):
    user_id = make.consultant().id
    return FormCase(make.admin(), "/admin/", f"/admin/users/{user_id}/deactivate", {},
                    lambda: db.session.get(User, user_id).active)


def _outcomes(make):
    session = make.session(day=tomorrow() - timedelta(days=2), created_at=utcnow() - timedelta(days=10))
    candidate = make.candidate(completed=[make.course()])
    make.booking(candidate, session.slots[0], now=utcnow() - timedelta(days=5))
    return FormCase(session.created_by, f"/employer/sessions/{session.id}/outcomes", None,
                    {"rows-0-attendance": "candidate_no_show"}, lambda: count(Outcome))


def _follow_up(make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    run_id = db.session.scalar(select(Enrollment.course_run_id).where(Enrollment.candidate_id == candidate.id))
    return FormCase(consultant, f"/consultant/runs/{run_id}/follow-up", None, {"rows-0-status": "education"},
                    lambda: count(FollowUp))


def _language(make):
    candidate = make.candidate()
    return FormCase(candidate.user, "/candidate/profile", "/language", {"language": "en", "next": "/candidate/profile"},
                    lambda: db.session.get(User, candidate.user.id).language)


def _admin(kind: str, data):
    def build(make):
        jobcenter, course = make.jobcenter(), make.course()
        values = data(jobcenter, course) if callable(data) else data
        return FormCase(make.admin(), "/admin/", f"/admin/{kind}", values,
                        lambda: (count(Jobcenter), count(Course), count(CourseRun), count(User)))
    return build


FORMS = {
    "candidate-book": _candidate_book,
    "candidate-cancel": _candidate_cancel,
    "candidate-feedback": _candidate_feedback,
    "candidate-profile": _candidate_profile,
    "employer-session-new": _session_new,
    "employer-session-edit": _session_edit,
    "employer-publish": _session_publish,
    "employer-slot-cancel": _slot_cancel,
    "employer-session-cancel": _session_cancel,
    "employer-outcomes": _outcomes,
    "consultant-candidate-new": _candidate_new,
    "consultant-completion": _completion_add,
    "consultant-book": _consultant_book,
    "consultant-cancel": _consultant_cancel,
    "consultant-approve-employer": _employer_approve,
    "consultant-stop-candidate-access": _candidate_deactivate,
    "admin-stop-consultant-access": _consultant_deactivate,
    "consultant-follow-up": _follow_up,
    "language-switch": _language,
    "admin-jobcenter": _admin("jobcenters", {"jobcenter-name": "Jobcenter Valby"}),
    "admin-course": _admin("courses", {"course-name": "Excel for begyndere", "course-description": ""}),
    "admin-course-run": _admin("course-runs", lambda j, c: {
        "run-course_id": c.id, "run-jobcenter_id": j.id, "run-starts_on": "2026-01-05", "run-ends_on": "2026-01-30"}),
    "admin-consultant": _admin("consultants", lambda j, c: {
        "consultant-name": "Lise", "consultant-email": "lise@example.dk", "consultant-jobcenter_id": j.id}),
}


@pytest.mark.parametrize("name", FORMS)
def test_a_form_without_its_csrf_token_is_refused_and_with_it_works(csrf_client, make, name):
    assert_form_needs_its_csrf_token(csrf_client, FORMS[name](make))

