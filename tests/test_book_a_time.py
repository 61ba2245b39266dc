"""Rule 0 of docs/booking-rules.md: a candidate books a time; the app chooses a free interviewer at that time."""
from __future__ import annotations

from datetime import time

import pytest
from conftest import book, slot_at
from flask_babel import force_locale
from pages import own_form, sign_in, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import to_local
from matchapp.models import Booking, BookingStatus, Slot
from matchapp.services import availability
from matchapp.services.booking import book_slots
from matchapp.services.errors import SelectionError
from matchapp.services.planning import offer_alternatives
from matchapp.services.sessions import cancel_slot


@pytest.fixture
def course_name() -> str:
    return "Vagtplanlægger"


@pytest.fixture
def two_interviewers(make):
    """A session 10:00-10:30 tomorrow with two interviewers: each time can be booked twice."""
    return make.session(make.employer(name="Hotel Nørreport A/S"), start=time(10), end=time(10, 30),
                        interviewers=2)


def meeting_of(candidate) -> Booking | None:
    return db.session.scalar(select(Booking).filter_by(candidate_id=candidate.id, status=BookingStatus.CONFIRMED))


def offered_times(client, session) -> dict[str, str]:
    """The pick page's choices for the session, time shown: value sent."""
    page = client.get("/candidate/").text
    values = [i["value"] for i in own_form(page).inputs if i.get("name") == f"slot-{session.id}" and i["value"]]
    return {f"{to_local(db.session.get(Slot, int(value)).starts_at):%H:%M}": value for value in values}


def test_two_candidates_choosing_the_same_time_both_get_it_with_different_interviewers(
        make, course, two_interviewers, now):
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    ten = slot_at(two_interviewers, "10:00")  # what the pick page offers for 10:00: the first interviewer's slot

    first, second = book(amina, ten, now=now), book(jonas, ten, now=now)

    assert len(first.booked) == len(second.booked) == 1
    assert first.taken == second.taken == []
    assert to_local(meeting_of(amina).slot.starts_at).time() == time(10)
    assert to_local(meeting_of(jonas).slot.starts_at).time() == time(10)
    assert {meeting_of(amina).slot.lane, meeting_of(jonas).slot.lane} == {1, 2}


def test_the_third_candidate_is_told_the_time_is_taken_and_offered_another_time(make, course, two_interviewers, now):
    first, second, third = (make.candidate(completed=[course]) for _ in range(3))
    ten = slot_at(two_interviewers, "10:00")
    book(first, ten, now=now)
    book(second, ten, now=now)

    result = book(third, ten, now=now)

    assert not result.booked
    assert meeting_of(third) is None
    [taken] = offer_alternatives(third, [(slot, None) for slot in result.taken], now=now)
    assert taken.slot.id == ten.id
    assert to_local(taken.alternative.starts_at).time() == time(10, 10)  # the nearest time that is really free
    assert book(third, taken.alternative, now=now).booked


def test_a_time_stays_bookable_when_one_of_its_interviewers_is_cancelled(make, course, two_interviewers, now):
    employer = two_interviewers.created_by
    amina = make.candidate(completed=[course])
    ten = slot_at(two_interviewers, "10:00")  # shown on Amina's page before the employer cancels it
    cancel_slot(ten, "Interviewer 1 is ill", by=employer, now=now)
    db.session.commit()

    result = book(amina, ten, now=now)

    assert len(result.booked) == 1
    assert meeting_of(amina).slot == slot_at(two_interviewers, "10:00", lane=2)


def test_a_time_whose_other_interviewer_is_booked_is_taken_when_the_first_is_cancelled(
        make, course, two_interviewers, now):
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    ten = slot_at(two_interviewers, "10:00")
    book(amina, ten, now=now)  # Amina gets interviewer 1; the employer then cancels that slot and her meeting
    cancel_slot(meeting_of(amina).slot, "Interviewer 1 is ill", by=two_interviewers.created_by, now=now)
    book(make.candidate(completed=[course]), ten, now=now)  # someone else gets interviewer 2

    result = book(jonas, ten, now=now)

    assert not result.booked
    [taken] = offer_alternatives(jonas, [(slot, None) for slot in result.taken], now=now)
    assert taken.alternative.starts_at != ten.starts_at


def test_a_time_whose_interviewers_are_all_cancelled_is_no_longer_offered(make, course, two_interviewers, now):
    amina = make.candidate(completed=[course])
    for lane in (1, 2):
        cancel_slot(slot_at(two_interviewers, "10:00", lane), "Closed", by=two_interviewers.created_by, now=now)
    db.session.commit()

    with force_locale("en"), pytest.raises(SelectionError) as refused:
        book_slots(amina, [slot_at(two_interviewers, "10:00").id], by=amina.user, now=now)

    assert any("no longer offered" in problem for problem in refused.value.problems)
    assert meeting_of(amina) is None


def test_a_race_lost_on_one_interviewer_books_the_next(make, course, two_interviewers, now, monkeypatch):
    amina, jonas = (make.candidate(completed=[course]) for _ in range(2))
    ten = slot_at(two_interviewers, "10:00")
    book(amina, ten, now=now)
    # Jonas's request looked before Amina's booking was committed: it still believes both interviewers free.
    both = [slot_at(two_interviewers, "10:00", 1), slot_at(two_interviewers, "10:00", 2)]
    monkeypatch.setattr(availability, "free_slots_at", lambda slot: both)

    result = book(jonas, ten, now=now)

    assert len(result.booked) == 1
    assert meeting_of(amina).slot.lane == 1
    assert meeting_of(jonas).slot.lane == 2


def test_the_pick_page_offers_a_time_until_every_interviewer_is_booked(client, make, course, two_interviewers, now):
    amina = make.candidate(completed=[course])
    sign_in(client, amina.user)
    assert list(offered_times(client, two_interviewers)) == ["10:00", "10:10", "10:20"]  # one choice per time

    book(make.candidate(completed=[course]), slot_at(two_interviewers, "10:00"), now=now)
    assert offered_times(client, two_interviewers)["10:00"] == str(slot_at(two_interviewers, "10:00", lane=2).id)

    book(make.candidate(completed=[course]), slot_at(two_interviewers, "10:00"), now=now)
    assert list(offered_times(client, two_interviewers)) == ["10:10", "10:20"]


def test_a_refused_selection_keeps_the_chosen_time_ticked_whichever_interviewer_is_left(
        client, make, course, two_interviewers, now):
    amina = make.candidate(completed=[course])
    other = make.session(make.employer(name="Datavagten ApS"), start=time(10), end=time(10, 30))
    sign_in(client, amina.user)
    pick = own_form(client.get("/candidate/").text)
    ten = slot_at(two_interviewers, "10:00")
    book(make.candidate(completed=[course]), ten, now=now)  # interviewer 1 goes meanwhile

    # Two meetings at 10:00 overlap: nothing is booked and the page shows the choice again.
    response = client.post("/candidate/", data={**pick.hidden(), "action": "book",
                                                f"slot-{two_interviewers.id}": str(ten.id),
                                                f"slot-{other.id}": str(slot_at(other, "10:00").id)})

    assert response.status_code == 422
    assert own_form(response.text).checked(f"slot-{two_interviewers.id}") == {
        f"slot-{two_interviewers.id}": str(slot_at(two_interviewers, "10:00", lane=2).id)}
    assert meeting_of(amina) is None


def test_the_employer_sees_who_talks_to_which_interviewer(client, make, course, two_interviewers, now):
    amina = make.candidate(completed=[course], name="Amina Hassan")
    jonas = make.candidate(completed=[course], name="Jonas Berg")
    book(amina, slot_at(two_interviewers, "10:00"), now=now)
    book(jonas, slot_at(two_interviewers, "10:00"), now=now)
    two_interviewers.created_by.language = "en"
    db.session.commit()
    sign_in(client, two_interviewers.created_by)

    page = client.get(f"/employer/sessions/{two_interviewers.id}").text

    lanes = {text(part).split(" ", 2)[1]: text(part) for part in page.split("<h2>")[1:]
             if part.startswith("Interviewer ")}  # one heading and table per interviewer
    assert "Amina Hassan" in lanes["1"]
    assert "Jonas Berg" not in lanes["1"]
    assert "Jonas Berg" in lanes["2"]
    assert "Amina Hassan" not in lanes["2"]
