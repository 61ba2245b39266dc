"""After the meetings: one "record the outcome" e-mail per session, one 60-day follow-up per consultant and run."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, local_to_utc
from matchapp.models import Attendance, EmploymentStatus, OutboxMessage, Result
from matchapp.services import catalogue
from matchapp.services.booking import book_slots
from matchapp.services.nudges import send_follow_up_requests, send_outcome_nudges
from matchapp.services.outcomes import OutcomeEntry, meetings_of, record_follow_ups, record_outcomes


@pytest.fixture
def course_name() -> str:
    return "Datasikkerhed og GDPR"


def held_session(make, course, *, candidates: int, day: date = date(2026, 12, 8)):
    """A session 10:00-11:00 with this many candidates booked, one slot each."""
    employer = make.employer()
    session = make.session(employer, day=day, start=time(10), end=time(11), created_at=datetime(2026, 11, 1,
                                                                                               tzinfo=LOCAL_TZ))
    for slot in session.slots[:candidates]:
        candidate = make.candidate(completed=[course])
        book_slots(candidate, [slot.id], by=candidate.user, now=datetime(2026, 11, 2, tzinfo=LOCAL_TZ))
    db.session.commit()
    return session


def mails(subject_start: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.subject.like(f"{subject_start}%"))))


def link_in(message: OutboxMessage) -> str:
    """The path of the app link in an e-mail."""
    return re.search(r"http://127\.0\.0\.1:5000(/\S+)", message.body_text).group(1)


def test_the_employer_is_asked_once_for_the_outcomes_shortly_after_the_session(make, course, client, auth):
    session = held_session(make, course, candidates=3)
    ended = local_to_utc(date(2026, 12, 8), time(11))

    assert send_outcome_nudges(now=ended) == 0  # not while it is ending
    assert send_outcome_nudges(now=ended + timedelta(minutes=15)) == 1
    assert send_outcome_nudges(now=ended + timedelta(hours=2)) == 0  # never twice
    db.session.commit()

    [nudge] = mails("Hvordan gik jobsamtalerne")
    assert nudge.recipient == session.created_by.email
    assert f"/employer/sessions/{session.id}/outcomes" in nudge.body_text
    assert nudge.body_text.count("Kandidat ") == 3
    auth.login(session.created_by)
    assert client.get(link_in(nudge)).status_code == 200  # the link opens the outcome page


def test_a_session_whose_outcomes_are_all_recorded_gets_no_nudge(make, course):
    session = held_session(make, course, candidates=2)
    ended = local_to_utc(date(2026, 12, 8), time(11))
    record_outcomes(session, [OutcomeEntry(b.id, Attendance.ATTENDED, Result.NO_MATCH) for b in meetings_of(session)],
                    by=session.created_by, now=ended)
    db.session.commit()

    assert send_outcome_nudges(now=ended + timedelta(minutes=30)) == 0


def test_the_consultant_is_asked_for_the_follow_up_on_the_60th_day_after_the_course(make, course, client, auth):
    consultant = make.consultant()
    run = catalogue.create_course_run(course, consultant.jobcenter, date(2026, 9, 1), date(2026, 10, 2), by=None,
                                      now=datetime(2026, 9, 1, tzinfo=LOCAL_TZ))
    done = [make.candidate(consultant=consultant) for _ in range(3)]
    for candidate in done:
        catalogue.record_completion(candidate, run, datetime(2026, 10, 2, 15, tzinfo=LOCAL_TZ), by=None,
                                    now=datetime(2026, 10, 2, tzinfo=LOCAL_TZ))
    record_follow_ups(run, {done[0].id: EmploymentStatus.FULL_TIME}, by=consultant,
                      now=datetime(2026, 11, 20, tzinfo=LOCAL_TZ))
    db.session.commit()
    day_59 = datetime(2026, 11, 30, 12, tzinfo=LOCAL_TZ)  # 2 October + 59 days
    day_60 = day_59 + timedelta(days=1)

    assert send_follow_up_requests(now=day_59) == 0
    assert send_follow_up_requests(now=day_60) == 1
    assert send_follow_up_requests(now=day_60 + timedelta(hours=1)) == 0
    db.session.commit()

    [request] = mails("Opfølgning")
    assert request.recipient == consultant.email
    assert f"/consultant/runs/{run.id}/follow-up" in request.body_text
    assert done[0].user.name not in request.body_text  # recorded already
    assert done[1].user.name in request.body_text
    assert done[2].user.name in request.body_text
    auth.login(consultant)
    page = client.get(link_in(request))
    assert page.status_code == 200
    assert done[1].user.name in page.text
