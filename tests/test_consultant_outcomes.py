"""A consultant records what came of a candidate's meeting where the employer has not, or corrects the employer: the
consultant's record is kept beside the employer's, both are shown, and the figures count the consultant's."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, count, danish, field_error, own_form, text
from sqlalchemy import select

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local, utcnow
from matchapp.models import (
    Attendance,
    AuditEvent,
    Booking,
    ConsultantOutcome,
    EmploymentType,
    Outcome,
    Result,
)
from matchapp.services import catalogue
from matchapp.services.booking import book_slots, cancel_booking
from matchapp.services.errors import NotAllowed
from matchapp.services.outcomes import (
    OutcomeEntry,
    OutcomeErrors,
    follow_up_rows,
    record_consultant_outcome,
    record_outcomes,
)

YESTERDAY = datetime.now(LOCAL_TZ).date() - timedelta(days=1)


class Meeting:
    """Amina's meeting at the hotel yesterday 10:00, booked five days before; her consultant; the hotel's member."""

    def __init__(self, make):
        course = make.course("Hotelbookingsystemer")
        self.consultant = make.consultant()
        self.candidate = make.candidate(completed=[course], consultant=self.consultant, name="Amina Hassan")
        self.employer = make.employer(name="Hotel Nørreport A/S")
        self.session = make.session(self.employer, day=YESTERDAY, created_at=utcnow() - timedelta(days=10))
        [self.booking] = book_slots(self.candidate, [self.session.slots[0].id], by=self.candidate.user,
                                    now=utcnow() - timedelta(days=5)).booked
        db.session.commit()

    @property
    def page(self) -> str:
        return f"/consultant/bookings/{self.booking.id}/outcome"

    def employer_records(self, attendance: Attendance, result: Result | None = None) -> None:
        record_outcomes(self.session, [OutcomeEntry(self.booking.id, attendance, result)], by=self.employer,
                        now=utcnow())
        db.session.commit()


@pytest.fixture
def meeting(make) -> Meeting:
    return Meeting(make)


def consultants_record(booking: Booking) -> ConsultantOutcome | None:
    return db.session.scalar(select(ConsultantOutcome).where(ConsultantOutcome.booking_id == booking.id))


def employers_record(booking: Booking) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking.id))


def audited(booking: Booking) -> int:
    return count(AuditEvent, AuditEvent.action == "outcome_recorded_by_consultant",
                 AuditEvent.object_type == "Booking", AuditEvent.object_id == booking.id)


def labelled(page: str) -> list[str]:
    """The ids of the form's visible inputs that have no <label for=...>."""
    inputs = [i for i in own_form(page).inputs if i["tag"] in ("input", "select", "textarea")
              and i.get("type") not in ("hidden", "submit")]
    return [i["id"] for i in inputs if f'for="{i["id"]}"' not in page]


def test_consultant_records_a_hire_the_employer_never_recorded(client, auth, meeting):
    auth.login(meeting.consultant)
    candidate_page = client.get(f"/consultant/candidates/{meeting.candidate.id}").text
    assert f'href="{meeting.page}"' in candidate_page, "the meetings list links to the meeting's outcome page"
    assert danish("Record the outcome") in text(candidate_page)

    page = client.get(meeting.page)

    assert page.status_code == 200
    shown = text(page.text)
    assert danish("The employer has not recorded what came of the meeting.") in shown
    assert f"kl. {to_local(meeting.booking.slot.starts_at):%H:%M}" in shown, "the meeting's time in Danish local time"
    assert "Hotel Nørreport A/S" in shown
    assert not labelled(page.text), "every input has a label"
    assert danish("The employer could not attend") in shown, "the options are in a consultant's words"
    data = {**own_form(page.text).hidden(), "attendance": "attended", "result": "hired",
            "employment_type": "full_time", "start_date": "1.9.2026", "hours_per_week": "37"}

    response = client.post(meeting.page, data=data)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/consultant/candidates/{meeting.candidate.id}#booking-{meeting.booking.id}"
    record = consultants_record(meeting.booking)
    assert (record.attendance, record.result, record.employment_type, record.start_date, record.hours_per_week,
            record.recorded_by_id) == (Attendance.ATTENDED, Result.HIRED, EmploymentType.FULL_TIME, date(2026, 9, 1),
                                       37, meeting.consultant.id)
    assert employers_record(meeting.booking) is None, "the employer's record is not made for them"
    assert audited(meeting.booking) == 1
    after = client.get(response.headers["Location"]).text
    assert danish("Your record of the meeting is saved. The figures count it instead of the employer's.") \
        in alerts(after)
    assert f"{danish('took place')}: {danish('hired')}" in text(after)
    assert own_form(client.get(meeting.page).text).filled() | {"csrf_token": ""} == {
        "csrf_token": "", "attendance": "attended", "result": "hired", "employment_type": "full_time",
        "start_date": "2026-09-01", "hours_per_week": "37"}, "the page shows the consultant's record to change"


def test_a_correction_is_kept_beside_the_employers_record_and_both_are_shown(client, auth, meeting):
    meeting.employer_records(Attendance.CANDIDATE_NO_SHOW)
    auth.login(meeting.consultant)
    page = client.get(meeting.page).text
    assert danish("the candidate did not come") in text(page), "the employer's record is shown"

    client.post(meeting.page, data={**own_form(page).hidden(), "attendance": "attended", "result": "next_interview"})

    assert employers_record(meeting.booking).attendance == Attendance.CANDIDATE_NO_SHOW, "the employer's stays"
    assert consultants_record(meeting.booking).result == Result.NEXT_INTERVIEW
    shown = text(client.get(meeting.page).text)
    assert danish("the candidate did not come") in shown
    with force_locale("da"):
        saved_at = formats.moment(consultants_record(meeting.booking).updated_at)
    assert danish("Recorded by %(name)s, last changed %(time)s.", name=meeting.consultant.name, time=saved_at) \
        in shown
    row = text(client.get(f"/consultant/candidates/{meeting.candidate.id}").text)
    assert f"{danish('the candidate did not come')} {danish('did not take place')}" not in row
    assert f"{danish('took place')}: {danish('next interview')}" in row, "the consultant's record in its column"


def test_the_consultant_is_told_when_the_employer_changes_their_record_afterwards(client, auth, meeting):
    later = utcnow() + timedelta(minutes=5)
    record_consultant_outcome(meeting.booking, OutcomeEntry(meeting.booking.id, Attendance.ATTENDED, Result.NO_MATCH),
                              by=meeting.consultant, now=utcnow())
    record_outcomes(meeting.session, [OutcomeEntry(meeting.booking.id, Attendance.ATTENDED, Result.JOB_OFFER)],
                    by=meeting.employer, now=later)
    db.session.commit()
    auth.login(meeting.consultant)

    shown = alerts(client.get(meeting.page).text)

    assert danish("The employer has changed their record since the consultant's record was last saved. The "
                  "consultant's record still counts: check whether it should be changed.") in shown


def test_missing_details_are_shown_in_the_summary_and_beside_their_fields_and_nothing_is_saved(client, auth,
                                                                                                meeting):
    auth.login(meeting.consultant)
    hidden = own_form(client.get(meeting.page).text).hidden()

    hired = client.post(meeting.page, data={**hidden, "attendance": "attended", "result": "hired",
                                            "hours_per_week": "0"})
    empty = client.post(meeting.page, data=hidden)

    assert hired.status_code == empty.status_code == 422
    assert field_error(hired.text, "hours_per_week") == danish("Enter a whole number of hours between 1 and 60.")
    assert 'id="error-summary"' in hired.text
    assert 'href="#hours_per_week"' in hired.text
    assert field_error(empty.text, "attendance") == danish("Choose whether the meeting took place.")
    assert 'href="#attendance"' in empty.text, "the summary links to the radio group"
    without_type = client.post(meeting.page, data={**hidden, "attendance": "attended", "result": "hired"})
    assert without_type.status_code == 422
    assert field_error(without_type.text, "employment_type") == danish("Choose the type of employment.")
    assert field_error(without_type.text, "start_date") == danish("Enter the first day of work.")
    assert 'href="#employment_type"' in without_type.text
    assert count(ConsultantOutcome) == 0
    assert audited(meeting.booking) == 0


def test_a_meeting_still_to_come_cannot_have_an_outcome_yet(client, auth, make, meeting):
    coming = make.session(meeting.employer, title="Kok")
    [booking] = book_slots(meeting.candidate, [coming.slots[0].id], by=meeting.consultant, now=utcnow()).booked
    db.session.commit()
    auth.login(meeting.consultant)
    candidate_page = client.get(f"/consultant/candidates/{meeting.candidate.id}").text
    assert f"/consultant/bookings/{booking.id}/outcome" not in candidate_page

    page = client.get(f"/consultant/bookings/{booking.id}/outcome").text
    refused = client.post(f"/consultant/bookings/{booking.id}/outcome",
                          data={**own_form(client.get(meeting.page).text).hidden(), "attendance": "attended",
                                "result": "no_match"})

    assert danish("You can record what came of the meeting once it has begun.") in text(page)
    assert refused.status_code == 422
    assert danish("The meeting has not taken place yet.") in alerts(refused.text)
    assert count(ConsultantOutcome) == 0


def test_only_consultants_of_the_candidates_job_centre_and_admins_reach_the_page(client, auth, make, meeting):
    for outsider in (make.consultant(make.jobcenter("Jobcenter Valby")), meeting.employer, meeting.candidate.user):
        auth.login(outsider)
        assert client.get(meeting.page).status_code == 403, outsider.email
        assert client.post(meeting.page, data={"attendance": "attended", "result": "no_match"}).status_code == 403
        auth.logout()
    assert count(ConsultantOutcome) == 0
    auth.login(make.admin())
    assert client.get(meeting.page).status_code == 200, "admins see every job centre's candidates"
    assert client.get("/consultant/bookings/999999/outcome").status_code == 404


def test_a_cancelled_meeting_has_no_outcome_page(client, auth, make, meeting):
    coming = make.session(meeting.employer, title="Kok")
    [booking] = book_slots(meeting.candidate, [coming.slots[0].id], by=meeting.candidate.user, now=utcnow()).booked
    cancel_booking(booking, reason="", by=meeting.candidate.user, now=utcnow())
    db.session.commit()
    auth.login(meeting.consultant)

    assert client.get(f"/consultant/bookings/{booking.id}/outcome").status_code == 404
    assert client.post(f"/consultant/bookings/{booking.id}/outcome", data={}).status_code == 404


def test_the_service_refuses_anyone_but_the_job_centres_staff_and_a_cancelled_meeting(make, meeting):
    entry = OutcomeEntry(meeting.booking.id, Attendance.ATTENDED, Result.NO_MATCH)
    for outsider in (meeting.employer, meeting.candidate.user, make.consultant(make.jobcenter("Jobcenter Valby"))):
        with pytest.raises(NotAllowed):
            record_consultant_outcome(meeting.booking, entry, by=outsider, now=utcnow())
    with pytest.raises(OutcomeErrors) as refused:
        record_consultant_outcome(meeting.booking, OutcomeEntry(meeting.booking.id, Attendance.ATTENDED),
                                  by=meeting.consultant, now=utcnow())
    assert refused.value.rows == {meeting.booking.id: {"result": danish("Choose what came of the meeting.")}}
    assert count(ConsultantOutcome) == 0


def test_saving_the_same_record_again_is_no_event_and_a_no_show_drops_the_details(make, meeting):
    hire = OutcomeEntry(meeting.booking.id, Attendance.ATTENDED, Result.HIRED, EmploymentType.PART_TIME,
                        YESTERDAY, 20)
    record_consultant_outcome(meeting.booking, hire, by=meeting.consultant, now=utcnow())
    record_consultant_outcome(meeting.booking, hire, by=make.consultant(meeting.consultant.jobcenter), now=utcnow())
    assert audited(meeting.booking) == 1
    assert consultants_record(meeting.booking).recorded_by_id == meeting.consultant.id

    no_show = OutcomeEntry(meeting.booking.id, Attendance.CANDIDATE_NO_SHOW, Result.HIRED, EmploymentType.FULL_TIME,
                           YESTERDAY, 37)
    record = record_consultant_outcome(meeting.booking, no_show, by=meeting.consultant, now=utcnow())

    assert (record.attendance, record.result, record.employment_type, record.start_date, record.hours_per_week) == (
        Attendance.CANDIDATE_NO_SHOW, None, None, None, None)
    assert audited(meeting.booking) == 2


def test_the_follow_up_page_names_the_hire_the_consultant_recorded_over_the_employers_no_match(make, meeting):
    run = catalogue.create_course_run(make.course("Excel"), meeting.consultant.jobcenter,
                                      YESTERDAY - timedelta(days=30), YESTERDAY - timedelta(days=5), by=None,
                                      now=utcnow())
    catalogue.record_completion(meeting.candidate, run, utcnow() - timedelta(days=5), by=None, now=utcnow())
    meeting.employer_records(Attendance.ATTENDED, Result.NO_MATCH)
    assert follow_up_rows(run)[0].hire is None

    record_consultant_outcome(meeting.booking, OutcomeEntry(meeting.booking.id, Attendance.ATTENDED, Result.HIRED,
                                                            EmploymentType.FULL_TIME, YESTERDAY),
                              by=meeting.consultant, now=utcnow())

    [row] = follow_up_rows(run)
    assert (row.hire.booking.id, row.hire.employment_type, row.hire.start_date) == (
        meeting.booking.id, EmploymentType.FULL_TIME, YESTERDAY)
    assert row.status is None, "a hire is never taken for a status"


def test_the_consultants_outcome_form_needs_its_csrf_token(csrf_client, make):
    meeting = Meeting(make)
    assert_form_needs_its_csrf_token(csrf_client, FormCase(
        meeting.consultant, meeting.page, None, {"attendance": "attended", "result": "no_match"},
        lambda: count(ConsultantOutcome)))
