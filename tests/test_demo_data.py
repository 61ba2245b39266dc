"""`flask demo-data`: the Quick start's organisation with a history that makes the dashboard show real funnels."""
from __future__ import annotations

from sqlalchemy import func, select

from matchapp.demo import CANDIDATES, DEMO_PASSWORD, EMPLOYERS, PAST_CANDIDATES
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import (
    Attendance,
    Booking,
    Candidate,
    EmploymentStatus,
    Enrollment,
    FollowUp,
    InterviewSession,
    Outcome,
    Result,
    SessionStatus,
    TargetGroup,
)
from matchapp.services import accounts, nudges


def row_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def count(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.subquery()))


def test_demo_data_gives_sign_ins_a_history_and_a_second_run_changes_nothing(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "Demo data created" in first.output
    counts = row_counts()

    demo_emails = ["admin@matchapp.example", "konsulent@matchapp.example",
                   *(email for _name, email, _group, _courses in CANDIDATES),
                   *(employer[4] for employer in EMPLOYERS)]
    for email in demo_emails:
        assert accounts.authenticate(email, DEMO_PASSWORD).email == email

    consultant = accounts.find_user("konsulent@matchapp.example")
    candidates = db.session.scalars(select(Candidate)).all()
    assert len(candidates) == len(CANDIDATES) + len(PAST_CANDIDATES) == 45
    assert {c.jobcenter_id for c in candidates} == {consultant.jobcenter_id}
    assert {c.target_group for c in candidates} == set(TargetGroup)

    now = utcnow()
    past = select(InterviewSession).where(InterviewSession.ends_at < now)
    assert count(past) >= 10
    assert count(select(InterviewSession).where(InterviewSession.starts_at > now,
                                                InterviewSession.status == SessionStatus.PUBLISHED)) == 6
    assert count(select(Booking).join(InterviewSession).where(InterviewSession.ends_at < now)) >= 40
    outcomes = db.session.scalars(select(Outcome)).all()
    assert {o.attendance for o in outcomes} >= {Attendance.ATTENDED, Attendance.CANDIDATE_NO_SHOW}
    assert {o.result for o in outcomes} >= set(Result)
    assert len({o.employment_type for o in outcomes if o.result == Result.HIRED}) >= 3
    statuses = {f.status for f in db.session.scalars(select(FollowUp))}
    assert statuses >= {EmploymentStatus.FULL_TIME, EmploymentStatus.UNEMPLOYED, EmploymentStatus.UNKNOWN}
    assert count(select(Enrollment).where(Enrollment.completed_at.is_(None))) > 0  # some dropped out

    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert row_counts() == counts


def test_demo_history_leaves_work_for_the_scheduler_and_the_consultant(runner):
    runner.invoke(args=["demo-data"])
    now = utcnow()

    # A session of the last days has no outcomes yet, and a course run's 60-day follow-up is due.
    assert nudges.send_outcome_nudges(now=now) >= 1
    assert nudges.send_follow_up_requests(now=now) >= 1

