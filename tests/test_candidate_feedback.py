"""The candidate's side of a meeting: two clicks say whether it happened and what came of it; consultants see both."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, count, danish, form, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import Attendance, Booking, CandidateFeedback, EmploymentType, NextStep, Result
from matchapp.services.errors import MatchappError
from matchapp.services.outcomes import OutcomeEntry, both_sides, record_candidate_feedback, record_outcomes

YESTERDAY = datetime.now(LOCAL_TZ).date() - timedelta(days=1)


def meeting(make, *, candidate=None, day=YESTERDAY, employer=None) -> Booking:
    """A confirmed meeting of a candidate (with a consultant) at a session held yesterday, unless another day given."""
    if candidate is None:
        candidate = make.candidate(completed=[make.course()], consultant=make.consultant())
    session = make.session(employer or make.employer(name="Hotel Nørreport A/S"), day=day,
                           created_at=utcnow() - timedelta(days=10))
    slot = min(session.slots, key=lambda s: s.starts_at)
    return make.booking(candidate, slot, now=utcnow() - timedelta(days=5))


def feedback_url(booking: Booking) -> str:
    return f"/candidate/meetings/{booking.id}/feedback"


def feedback_of(booking: Booking) -> CandidateFeedback | None:
    return db.session.scalar(select(CandidateFeedback).where(CandidateFeedback.booking_id == booking.id))


def buttons(page: str, booking: Booking) -> dict[str, str]:
    """The answer buttons of the question about this meeting, value: label."""
    question = form(page, feedback_url(booking))
    assert all(i["type"] == "submit" for i in question.inputs if i["tag"] == "button"), "each button sends the answer"
    return {i["value"]: label for i, label in zip(
        (i for i in question.inputs if i["tag"] == "button"),
        (text(label) for label in re.findall(r'<button type="submit" name="answer"[^>]*>(.*?)</button>',
                                             page, flags=re.S)), strict=True)}


# --- Candidates: two clicks ----------------------------------------------------------------------------------------

def test_a_candidate_says_in_two_clicks_that_the_meeting_happened_and_led_to_a_next_interview(client, auth, make):
    booking = meeting(make)
    auth.login(booking.candidate.user)
    page = client.get("/candidate/meetings").text
    assert buttons(page, booking) == {"yes": danish("Yes, it happened"), "no": danish("No, it did not happen")}
    legend = re.search(r"<legend[^>]*>(.*?)</legend>", page, flags=re.S).group(1)
    assert danish("Did the meeting happen?") in text(legend)
    assert "Hotel Nørreport A/S" in text(legend), "a screen reader hears which meeting the buttons are about"

    first = client.post(feedback_url(booking), data={"answer": "yes"})

    assert first.status_code == 302
    assert first.headers["Location"] == f"/candidate/meetings#meeting-{booking.id}"
    assert (feedback_of(booking).happened, feedback_of(booking).next_step) == (True, None)
    page = client.get("/candidate/meetings").text
    assert danish("Thank you. Now tell us what came of it.") in alerts(page)
    assert danish("What now?") in text(page)
    assert buttons(page, booking) == {
        "nothing": danish("Nothing more came of it"), "next_interview": danish("I am invited to another interview"),
        "job_offer": danish("I was offered a job"), "hired": danish("I got the job")}

    second = client.post(feedback_url(booking), data={"answer": "next_interview"})

    assert second.status_code == 302
    assert (feedback_of(booking).happened, feedback_of(booking).next_step) == (True, NextStep.NEXT_INTERVIEW)
    page = client.get("/candidate/meetings").text
    assert danish("Thank you. Your answer is saved.") in alerts(page)
    assert danish("You are invited to another interview") in text(page)
    assert count(CandidateFeedback) == 1


def test_one_click_says_the_meeting_did_not_happen_and_the_answer_can_be_changed_later(client, auth, make):
    booking = meeting(make)
    auth.login(booking.candidate.user)

    client.post(feedback_url(booking), data={"answer": "no"})

    assert (feedback_of(booking).happened, feedback_of(booking).next_step) == (False, None)
    page = client.get("/candidate/meetings").text
    assert danish("the meeting did not happen.") in text(page)
    assert danish("Change your answer") in text(page)
    client.post(feedback_url(booking), data={"answer": "yes"})
    client.post(feedback_url(booking), data={"answer": "hired"})
    assert (feedback_of(booking).happened, feedback_of(booking).next_step) == (True, NextStep.HIRED)
    client.post(feedback_url(booking), data={"answer": "no"})
    assert (feedback_of(booking).happened, feedback_of(booking).next_step) == (False, None), "no next step is kept"
    assert count(CandidateFeedback) == 1


def test_before_the_meeting_the_answer_is_refused_and_nothing_is_stored(client, auth, make):
    booking = meeting(make, day=YESTERDAY + timedelta(days=2))
    auth.login(booking.candidate.user)
    assert f'action="{feedback_url(booking)}"' not in client.get("/candidate/meetings").text

    response = client.post(feedback_url(booking), data={"answer": "yes"})

    assert response.status_code == 302
    assert danish("You can say how the meeting went once it has begun.") in alerts(
        client.get(response.headers["Location"]).text)
    assert count(CandidateFeedback) == 0


def test_another_candidates_meeting_is_not_found(client, auth, make):
    booking = meeting(make)
    auth.login(make.candidate().user)

    assert client.post(feedback_url(booking), data={"answer": "yes"}).status_code == 404
    assert client.post("/candidate/meetings/999999/feedback", data={"answer": "yes"}).status_code == 404
    assert count(CandidateFeedback) == 0


def test_an_answer_that_is_not_one_of_the_buttons_is_refused(client, auth, make):
    booking = meeting(make)
    auth.login(booking.candidate.user)

    assert client.post(feedback_url(booking), data={"answer": "maybe"}).status_code == 400
    assert count(CandidateFeedback) == 0


def test_only_the_candidate_can_answer_and_only_once_the_meeting_has_begun(make):
    booking = meeting(make)
    starts_at = booking.slot.starts_at

    with pytest.raises(MatchappError):
        record_candidate_feedback(booking, happened=True, next_step=None, by=make.consultant(), now=starts_at)
    with pytest.raises(MatchappError):
        record_candidate_feedback(booking, happened=True, next_step=None, by=booking.candidate.user,
                                  now=starts_at - timedelta(seconds=1))
    feedback = record_candidate_feedback(booking, happened=False, next_step=NextStep.HIRED, by=booking.candidate.user,
                                         now=starts_at)
    assert (feedback.happened, feedback.next_step, feedback.recorded_at) == (False, None, starts_at)


# --- Consultants: both sides ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("attendance", "result", "happened", "next_step", "disagree"), [
    (Attendance.ATTENDED, Result.HIRED, True, NextStep.HIRED, False),
    (Attendance.ATTENDED, Result.NO_MATCH, True, NextStep.NOTHING, False),
    (Attendance.ATTENDED, Result.JOB_OFFER, True, None, False),
    (Attendance.ATTENDED, Result.NEXT_INTERVIEW, True, NextStep.JOB_OFFER, True),
    (Attendance.CANDIDATE_NO_SHOW, None, True, NextStep.NOTHING, True),
    (Attendance.ATTENDED, Result.NO_MATCH, False, None, True),
    (Attendance.EMPLOYER_NO_SHOW, None, False, None, False),
], ids=["both-hired", "both-nothing", "half-answered", "next-step-differs", "no-show-vs-happened",
        "attended-vs-not", "both-not"])
def test_the_two_sides_disagree_on_whether_it_happened_or_what_came_of_it(make, attendance, result, happened,
                                                                          next_step, disagree):
    booking = meeting(make)
    after = booking.slot.ends_at
    hired = result == Result.HIRED
    record_outcomes(booking.session, [OutcomeEntry(booking.id, attendance, result,
                                                   EmploymentType.FULL_TIME if hired else None,
                                                   YESTERDAY if hired else None)], by=booking.session.created_by,
                    now=after)
    record_candidate_feedback(booking, happened=happened, next_step=next_step, by=booking.candidate.user, now=after)

    assert both_sides([booking])[booking.id].disagree is disagree


def test_one_side_alone_is_no_disagreement(make):
    answered, untouched = meeting(make), meeting(make)
    record_candidate_feedback(answered, happened=False, next_step=None, by=answered.candidate.user,
                              now=answered.slot.ends_at)

    sides = both_sides([answered, untouched])

    assert (sides[answered.id].feedback.happened, sides[answered.id].outcome, sides[answered.id].disagree) == (
        False, None, False)
    assert (sides[untouched.id].feedback, sides[untouched.id].disagree) == (None, False)


def test_the_consultant_sees_both_sides_and_where_they_disagree(client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(completed=[make.course()], consultant=consultant)
    disputed, agreed = (meeting(make, candidate=candidate),
                        meeting(make, candidate=candidate, day=YESTERDAY - timedelta(days=1)))
    for booking, result, next_step in ((disputed, Result.NO_MATCH, NextStep.JOB_OFFER),
                                       (agreed, Result.NEXT_INTERVIEW, NextStep.NEXT_INTERVIEW)):
        record_outcomes(booking.session, [OutcomeEntry(booking.id, Attendance.ATTENDED, result)],
                        by=booking.session.created_by, now=utcnow())
        record_candidate_feedback(booking, happened=True, next_step=next_step, by=candidate.user, now=utcnow())
    db.session.commit()
    auth.login(consultant)

    page = client.get(f"/consultant/candidates/{candidate.id}").text

    rows = {int(i): text(row) for i, row in re.findall(
        r'<tr id="booking-(\d+)"[^>]*>(.*?)</tr>', page, flags=re.S)}
    took_place = danish("took place")
    assert f"{took_place}: {danish('no match')} {took_place}: {danish('job offer')}" in rows[disputed.id]
    assert danish("The two sides disagree") in rows[disputed.id]
    assert f"{took_place}: {danish('next interview')} {took_place}: {danish('next interview')}" in rows[agreed.id]
    assert danish("The two sides disagree") not in rows[agreed.id]


# --- CSRF ---------------------------------------------------------------------------------------------------------

def test_the_answer_buttons_need_their_csrf_token(csrf_client, make):
    booking = meeting(make)
    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        booking.candidate.user, "/candidate/meetings", feedback_url(booking), {"answer": "yes"},
        lambda: count(CandidateFeedback)))
