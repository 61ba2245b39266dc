"""After the meetings: the employer records every outcome on one page, the consultant records the 60-day follow-up."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, count, danish, field_error, own_form, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local, utcnow
from matchapp.models import (
    Attendance,
    Booking,
    EmploymentStatus,
    EmploymentType,
    FollowUp,
    InterviewSession,
    Outcome,
    Result,
)
from matchapp.services import catalogue
from matchapp.services.booking import book_slots
from matchapp.services.outcomes import OutcomeEntry, meetings_of, record_outcomes

YESTERDAY = datetime.now(LOCAL_TZ).date() - timedelta(days=1)


def held_session(make, *, meetings: int = 12, employer=None, candidates=None) -> InterviewSession:
    """A session held yesterday 10-11 with two interviewers (12 ten-minute slots), its first slots booked."""
    session = make.session(employer, day=YESTERDAY, interviewers=2, created_at=utcnow() - timedelta(days=10))
    if candidates is None:
        course, consultant = make.course(), make.consultant()
        candidates = [make.candidate(completed=[course], consultant=consultant, name=f"Kandidat {i + 1:02d}")
                      for i in range(meetings)]
    slots = sorted(session.slots, key=lambda s: (s.starts_at, s.lane))
    for candidate, slot in zip(candidates, slots, strict=False):
        result = book_slots(candidate, [slot.id], by=candidate.user, now=utcnow() - timedelta(days=5))
        assert result.booked, "booked before the session"
    db.session.commit()
    return session


def outcomes_page(session: InterviewSession) -> str:
    return f"/employer/sessions/{session.id}/outcomes"


def rows_of(page: str) -> dict[int, str]:
    """The row prefix (rows-0) of each meeting on the outcome page, by the booking id it carries."""
    found = re.findall(r'name="(rows-\d+)-booking_id" type="hidden" value="(\d+)"', page)
    return {int(value): prefix for prefix, value in found}


def outcome_of(booking: Booking) -> Outcome | None:
    return db.session.scalar(select(Outcome).where(Outcome.booking_id == booking.id))


def labelled(page: str) -> list[str]:
    """The ids of the form's visible inputs that have no <label for=...>."""
    inputs = [i for i in own_form(page).inputs if i["tag"] in ("input", "select", "textarea")
              and i.get("type") not in ("hidden", "submit")]
    return [i["id"] for i in inputs if f'for="{i["id"]}"' not in page]


# --- Employers: all outcomes on one page ---------------------------------------------------------------------------

def test_employer_records_the_outcomes_of_twelve_meetings_on_one_page_with_one_submit(client, auth, make):
    employer = make.employer(name="Hotel Nørreport A/S")
    session = held_session(make, employer=employer)
    meetings = meetings_of(session)
    assert len(meetings) == 12
    auth.login(employer)

    session_page = client.get(f"/employer/sessions/{session.id}").text
    assert f'href="{outcomes_page(session)}"' in session_page, "the session page links to the outcome page"
    page = client.get(outcomes_page(session)).text

    rows = rows_of(page)
    assert set(rows) == {b.id for b in meetings}
    assert not labelled(page), "every input has a label"
    first = meetings[0]
    legend = f"{to_local(first.slot.starts_at):%H:%M}, {first.candidate.user.name}"
    assert text(page).count(legend) >= 2, "the radio groups' legends name the time and the candidate"
    data = own_form(page).hidden()
    for booking in meetings:
        data[f"{rows[booking.id]}-attendance"] = "attended"
        data[f"{rows[booking.id]}-result"] = "no_match"
    hired, no_show = meetings[0], meetings[1]
    data.update({f"{rows[hired.id]}-result": "hired", f"{rows[hired.id]}-employment_type": "full_time",
                 f"{rows[hired.id]}-start_date": "2026-09-01", f"{rows[hired.id]}-hours_per_week": "37",
                 f"{rows[hired.id]}-note": "Starter i receptionen.",
                 f"{rows[no_show.id]}-attendance": "candidate_no_show"})
    data.pop(f"{rows[no_show.id]}-result")

    response = client.post(outcomes_page(session), data=data)

    assert response.status_code == 302
    assert response.headers["Location"] == outcomes_page(session)
    assert count(Outcome) == 12
    outcome = outcome_of(hired)
    assert (outcome.attendance, outcome.result, outcome.employment_type, outcome.start_date, outcome.hours_per_week,
            outcome.note) == (Attendance.ATTENDED, Result.HIRED, EmploymentType.FULL_TIME, date(2026, 9, 1), 37,
                              "Starter i receptionen.")
    assert (outcome_of(no_show).attendance, outcome_of(no_show).result) == (Attendance.CANDIDATE_NO_SHOW, None)
    assert count(Outcome, Outcome.result == Result.NO_MATCH) == 10
    shown = client.get(response.headers["Location"])
    assert danish("%(num)d outcome is saved.", "%(num)d outcomes are saved.", num=12) in alerts(shown.text)
    prefilled = own_form(shown.text).filled()
    assert {k: v for k, v in prefilled.items() if k.startswith(rows[hired.id])} == {
        f"{rows[hired.id]}-booking_id": str(hired.id), f"{rows[hired.id]}-attendance": "attended",
        f"{rows[hired.id]}-result": "hired", f"{rows[hired.id]}-employment_type": "full_time",
        f"{rows[hired.id]}-start_date": "2026-09-01", f"{rows[hired.id]}-hours_per_week": "37",
        f"{rows[hired.id]}-note": "Starter i receptionen."}


def test_bad_or_missing_input_is_shown_beside_its_row_and_nothing_is_saved(client, auth, make):
    session = held_session(make)
    meetings = meetings_of(session)
    auth.login(session.created_by)
    page = client.get(outcomes_page(session)).text
    rows = rows_of(page)
    data = own_form(page).hidden()
    for booking in meetings:
        data[f"{rows[booking.id]}-attendance"] = "attended"
        data[f"{rows[booking.id]}-result"] = "next_interview"
    hired_without_details, result_without_attendance = rows[meetings[2].id], rows[meetings[5].id]
    note_without_attendance = rows[meetings[8].id]
    data[f"{hired_without_details}-result"] = "hired"
    del data[f"{result_without_attendance}-attendance"]
    del data[f"{note_without_attendance}-attendance"], data[f"{note_without_attendance}-result"]
    data[f"{note_without_attendance}-note"] = "Ring tilbage i næste uge."

    response = client.post(outcomes_page(session), data=data)

    assert response.status_code == 422
    assert count(Outcome) == 0, "nothing is half-saved"
    html = response.text
    assert field_error(html, f"{hired_without_details}-employment_type") == danish("Choose the type of employment.")
    assert field_error(html, f"{hired_without_details}-start_date") == danish("Enter the first day of work.")
    assert field_error(html, f"{result_without_attendance}-attendance") == danish(
        "Choose whether the meeting took place.")
    assert field_error(html, f"{note_without_attendance}-attendance") == danish(
        "Choose whether the meeting took place."), "a note is not silently dropped"
    assert field_error(html, f"{rows[meetings[0].id]}-attendance") is None, "the other rows are fine"
    summary = next(a for a in alerts(html) if danish("Please correct the following") in a)
    assert danish("Some rows need to be corrected. Nothing has been saved yet.") in summary
    name = meetings[2].candidate.user.name
    assert f"{to_local(meetings[2].slot.starts_at):%H:%M} {name}: {danish('Choose the type of employment.')}" in summary
    assert f'href="#{hired_without_details}-employment_type"' in html
    kept = own_form(html).filled()
    assert kept[f"{hired_without_details}-result"] == "hired", "what was typed is kept"
    assert kept[f"{rows[meetings[11].id]}-result"] == "next_interview"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hours_per_week", "90", "Enter a whole number of hours between 1 and 60."),
    ("hours_per_week", "37,5", "Enter a whole number of hours between 1 and 60."),
    ("start_date", "31.02.2026", "Enter a date, like 1.9.2026."),
    ("attendance", "maybe", "Choose one of the options."),
], ids=["hours-out-of-range", "hours-not-whole", "no-such-day", "unknown-attendance"])
def test_input_of_the_wrong_shape_is_shown_beside_its_field_and_nothing_is_saved(client, auth, make, field, value,
                                                                                 message):
    session = held_session(make, meetings=3)
    auth.login(session.created_by)
    page = client.get(outcomes_page(session)).text
    data = {**own_form(page).hidden(), "rows-0-attendance": "attended", "rows-0-result": "hired",
            "rows-0-employment_type": "part_time", "rows-0-start_date": "2026-09-01", "rows-1-attendance": "attended",
            "rows-1-result": "no_match", f"rows-1-{field}": value}

    response = client.post(outcomes_page(session), data=data)

    assert response.status_code == 422
    assert field_error(response.text, f"rows-1-{field}") == danish(message)
    assert count(Outcome) == 0


def test_an_employer_corrects_one_outcome_later(client, auth, make):
    session = held_session(make, meetings=4)
    meetings = meetings_of(session)
    recorded_at = max(slot.ends_at for slot in session.slots) + timedelta(minutes=5)  # just after, yesterday
    record_outcomes(session, [OutcomeEntry(b.id, Attendance.ATTENDED, Result.NEXT_INTERVIEW, note=f"Note {i}")
                              for i, b in enumerate(meetings)], by=session.created_by, now=recorded_at)
    db.session.commit()
    auth.login(session.created_by)
    page = client.get(outcomes_page(session)).text
    rows = rows_of(page)
    later = meetings[1]
    data = {**own_form(page).filled(), f"{rows[later.id]}-result": "hired",
            f"{rows[later.id]}-employment_type": "small_job", f"{rows[later.id]}-start_date": "2026-10-01"}

    response = client.post(outcomes_page(session), data=data)

    assert response.status_code == 302
    assert count(Outcome) == 4
    corrected = outcome_of(later)
    assert (corrected.result, corrected.employment_type, corrected.start_date, corrected.note) == (
        Result.HIRED, EmploymentType.SMALL_JOB, date(2026, 10, 1), "Note 1")
    assert corrected.updated_at > recorded_at
    others = [outcome_of(b) for b in meetings if b is not later]
    assert [(o.result, o.note) for o in others] == [(Result.NEXT_INTERVIEW, f"Note {i}") for i in (0, 2, 3)]


def test_an_employer_cannot_see_or_record_another_organisations_outcomes(client, auth, make):
    session = held_session(make, meetings=2)
    auth.login(make.employer())

    assert client.get(outcomes_page(session)).status_code == 403
    assert client.post(outcomes_page(session), data={"rows-0-booking_id": meetings_of(session)[0].id,
                                                      "rows-0-attendance": "attended"}).status_code == 403
    assert client.get("/employer/sessions/999999/outcomes").status_code == 404
    assert count(Outcome) == 0


def test_the_outcome_link_appears_once_the_session_has_started(client, auth, make):
    upcoming = make.session()
    auth.login(upcoming.created_by)

    assert outcomes_page(upcoming) not in client.get(f"/employer/sessions/{upcoming.id}").text


# --- Consultants: the 60-day follow-up -----------------------------------------------------------------------------

def course_run_with_a_hire(make):
    """A GDPR course run of the consultant's job centre with two completers; one was hired full-time yesterday."""
    consultant = make.consultant()
    course = make.course("Datasikkerhed og GDPR")
    run = catalogue.create_course_run(course, consultant.jobcenter, YESTERDAY - timedelta(days=90),
                                      YESTERDAY - timedelta(days=60), by=None, now=utcnow())
    amina = make.candidate(consultant=consultant, name="Amina Hassan")
    peter = make.candidate(consultant=consultant, name="Peter Jensen")
    for candidate in (amina, peter):
        catalogue.record_completion(candidate, run, utcnow() - timedelta(days=61), by=consultant, now=utcnow())
    db.session.commit()
    session = held_session(make, employer=make.employer(name="Hotel Nørreport A/S"), candidates=[amina])
    [booking] = meetings_of(session)
    record_outcomes(session, [OutcomeEntry(booking.id, Attendance.ATTENDED, Result.HIRED, EmploymentType.FULL_TIME,
                                           YESTERDAY, 37)], by=session.created_by, now=utcnow())
    db.session.commit()
    return consultant, run, amina, peter


def hint_of(page: str, field_id: str) -> str | None:
    """The hint a field points to with aria-describedby (DKFDS: span#<field id>-hint), as a person reads it."""
    if not re.search(rf'<select[^>]*aria-describedby="[^"]*\b{re.escape(field_id)}-hint\b', page):
        return None
    match = re.search(rf'<span class="form-hint" id="{re.escape(field_id)}-hint">(.*?)</span>', page, flags=re.S)
    return None if match is None else text(match.group(1))


def known_statuses(known: int, completers: int) -> str:
    """The sentence above the follow-up table: how many completers have a known status recorded."""
    return danish("%(known)d of %(num)d has a known status recorded.",
                  "%(known)d of %(num)d have a known status recorded.", known=known, num=completers)


def test_consultant_records_the_follow_up_of_a_hire_the_page_names_but_does_not_choose(client, auth, make):
    consultant, run, amina, peter = course_run_with_a_hire(make)
    auth.login(consultant)

    runs = client.get("/consultant/runs")
    assert runs.status_code == 200
    assert f'href="/consultant/runs/{run.id}/follow-up"' in runs.text
    assert danish("%(missing)d of %(completers)d", missing=2, completers=2) in text(runs.text)
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text
    shown = own_form(page).filled()
    assert shown == {**own_form(page).hidden(), "rows-0-status": "", "rows-1-status": ""}, "nothing is chosen for them"
    assert hint_of(page, "rows-0-status") == " ".join((
        danish("Hired full-time at %(employer)s through a meeting in matchapp.", employer="Hotel Nørreport A/S"),
        danish("Choose the status they have now.")))
    assert hint_of(page, "rows-1-status") is None, "Peter was not hired through matchapp"
    assert not labelled(page), "every select has a label"

    response = client.post(f"/consultant/runs/{run.id}/follow-up",
                           data={**shown, "rows-0-status": "full_time", "rows-1-status": "unemployed"})

    assert response.status_code == 302
    saved = {f.candidate_id: (f.status, f.source) for f in db.session.scalars(select(FollowUp))}
    assert saved == {amina.id: (EmploymentStatus.FULL_TIME, "consultant"),
                     peter.id: (EmploymentStatus.UNEMPLOYED, "consultant")}
    assert danish("%(missing)d of %(completers)d", missing=0, completers=2) in text(client.get("/consultant/runs").text)
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text
    assert own_form(page).filled()["rows-0-status"] == "full_time"
    assert hint_of(page, "rows-0-status") == danish("Hired full-time at %(employer)s through a meeting in matchapp.",
                                                    employer="Hotel Nørreport A/S"), "the hire is still named"


def test_the_follow_up_page_says_how_many_completers_have_a_known_status(client, auth, make):
    consultant, run, _amina, _peter = course_run_with_a_hire(make)
    others = danish("The dashboard counts the others as “status not recorded”.")
    auth.login(consultant)
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text
    assert f"{known_statuses(0, 2)} {others}" in text(page)

    # "Unknown" is saved, but the dashboard does not count it as a known status, and neither does the page.
    client.post(f"/consultant/runs/{run.id}/follow-up",
                data={**own_form(page).filled(), "rows-0-status": "full_time", "rows-1-status": "unknown"})
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text
    assert f"{known_statuses(1, 2)} {others}" in text(page)

    client.post(f"/consultant/runs/{run.id}/follow-up", data={**own_form(page).filled(), "rows-1-status": "education"})
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text
    assert known_statuses(2, 2) in text(page)
    assert others not in text(page)


def test_saving_the_follow_up_again_keeps_who_recorded_an_unchanged_status(client, auth, make):
    consultant, run, amina, peter = course_run_with_a_hire(make)
    reported_at = utcnow() - timedelta(days=2)
    db.session.add(FollowUp(candidate_id=peter.id, course_run_id=run.id, status=EmploymentStatus.EDUCATION,
                            source="candidate", recorded_at=reported_at))
    db.session.commit()
    auth.login(consultant)
    page = client.get(f"/consultant/runs/{run.id}/follow-up").text

    response = client.post(f"/consultant/runs/{run.id}/follow-up",
                           data={**own_form(page).filled(), "rows-0-status": "full_time"})

    assert response.status_code == 302
    assert danish("The status of %(num)d candidate is saved.", "The status of %(num)d candidates is saved.",
                  num=1) in alerts(client.get(response.headers["Location"]).text)
    peters = db.session.scalar(select(FollowUp).where(FollowUp.candidate_id == peter.id))
    assert (peters.status, peters.source, peters.recorded_by_id) == (EmploymentStatus.EDUCATION, "candidate", None)
    aminas = db.session.scalar(select(FollowUp).where(FollowUp.candidate_id == amina.id))
    assert (aminas.status, aminas.source) == (EmploymentStatus.FULL_TIME, "consultant")


def test_a_consultant_of_another_job_centre_cannot_open_the_follow_up(client, auth, make):
    _consultant, run, amina, _peter = course_run_with_a_hire(make)
    auth.login(make.consultant())

    assert client.get(f"/consultant/runs/{run.id}/follow-up").status_code == 403
    response = client.post(f"/consultant/runs/{run.id}/follow-up",
                           data={"rows-0-candidate_id": amina.id, "rows-0-status": "full_time"})
    assert response.status_code == 403
    assert f"/consultant/runs/{run.id}/follow-up" not in client.get("/consultant/runs").text
    assert client.get("/consultant/runs/999999/follow-up").status_code == 404
    assert count(FollowUp) == 0
    auth.logout()
    auth.login(make.admin())
    assert client.get(f"/consultant/runs/{run.id}/follow-up").status_code == 200, "admins see every job centre"


# --- CSRF ---------------------------------------------------------------------------------------------------------

def _outcomes(make):
    session = held_session(make, meetings=2)
    return FormCase(session.created_by, outcomes_page(session), None,
                    {"rows-0-attendance": "attended", "rows-0-result": "no_match"}, lambda: count(Outcome))


def _follow_up(make):
    consultant, run, _amina, _peter = course_run_with_a_hire(make)
    return FormCase(consultant, f"/consultant/runs/{run.id}/follow-up", None,
                    {"rows-0-status": "full_time", "rows-1-status": "education"}, lambda: count(FollowUp))


@pytest.mark.parametrize("build", [_outcomes, _follow_up], ids=["employer-outcomes", "consultant-follow-up"])
def test_the_outcome_and_follow_up_forms_need_their_csrf_token(csrf_client, make, build):
    assert_form_needs_its_csrf_token(csrf_client, build(make))
