"""The guards at the edge, one attack at a time: bounded ids and pages, ASCII digits, dates in range, no control
characters, length limits. Each is refused with the site's own page (in Danish) and changes nothing."""
from __future__ import annotations

import logging

import pytest
from pages import alerts, count, danish, field_error, text
from test_web_flows import session_form

from matchapp.models import Booking, BookingStatus, Course, CourseRun, Employer, InterviewSession, User

HUGE = "9223372036854775808"  # 2^63: more than any database integer


def site_page(response) -> bool:
    return 'class="skipnav"' in response.text and '<html lang="da">' in response.text


@pytest.mark.parametrize("path", [f"/employer/sessions/{HUGE}", "/employer/sessions/2147483648",
                                  "/employer/sessions/²", "/employer/sessions/٣", f"/employer/?page={HUGE}",
                                  "/employer/?page=²", "/employer/?page=0", "/employer/?page=-1"])
def test_ids_and_pages_outside_the_databases_range_or_not_in_ascii_digits_are_not_found(client, auth, make, path):
    auth.login(make.employer())

    response = client.get(path)

    assert response.status_code == 404
    assert site_page(response)
    assert danish("Page not found") in text(response.text)


def test_a_hostile_slot_id_on_the_pick_page_books_nothing(client, auth, make):
    employer = make.employer()
    course = make.course()
    session = make.session(employer, courses=[course])
    candidate = make.candidate(completed=[course])
    auth.login(candidate.user)

    for value in ("²", HUGE, "-1", "1e3", "٣"):
        response = client.post("/candidate/", data={f"slot-{session.id}": value, "action": "book",
                                                    "session": value})
        assert response.status_code < 500, value

    assert count(Booking) == 0


@pytest.mark.parametrize(("local_date", "start_time"), [("0001-01-01", "10:00"), ("9999-12-31", "23:30"),
                                                        ("31.12.9999", "10:00")])
def test_a_session_date_outside_the_supported_years_is_refused_beside_the_field(client, auth, make, local_date,
                                                                                 start_time):
    auth.login(make.employer())

    response = client.post("/employer/sessions/new", data=session_form(local_date=local_date, start_time=start_time,
                                                                       end_time="23:50"))

    assert response.status_code == 422
    assert field_error(response.text, "local_date") == danish("Enter a date between the years 2000 and 2099.")
    assert count(InterviewSession) == 0


def test_a_course_run_ending_in_year_9999_is_refused_and_the_runs_page_keeps_working(client, auth, make):
    admin = make.admin()
    course, jobcenter = make.course(), make.jobcenter()
    auth.login(admin)

    response = client.post("/admin/course-runs", data={"run-course_id": course.id, "run-jobcenter_id": jobcenter.id,
                                                       "run-starts_on": "2026-01-05", "run-ends_on": "9999-12-31"})

    assert response.status_code == 422
    assert count(CourseRun) == 0
    assert client.get("/consultant/runs").status_code == 200


@pytest.mark.parametrize("nul", ["\x00", "a\x00b", "\x1b", "\x7f"])
def test_control_characters_in_a_form_are_refused_even_on_the_anonymous_registration(client, make, nul):
    response = client.post("/register", data={"organisation": f"Firma{nul}", "cvr": "12345674",
                                              "address": "Vej 1", "name": "Navn", "email": "ny@example.dk",
                                              "password": "a long and unusual passphrase"})

    assert response.status_code == 400
    assert site_page(response)
    assert count(Employer) == 0
    assert count(User) == 0


@pytest.mark.parametrize("path", ["/consultant/?q=a%00b", "/calendar/feed/abc%00def.ics", "/link/abc%00",
                                  "/consultant/?q=%0d%0a"])
def test_control_characters_in_a_search_or_an_address_are_refused(client, auth, make, path):
    auth.login(make.consultant())

    response = client.get(path)

    assert response.status_code == 400
    assert site_page(response)


@pytest.mark.parametrize("target", ["/login\r\n", "/login\r\nSet-Cookie: stolen=1", "/login\n"])
def test_a_line_break_in_the_page_to_return_to_sends_the_user_to_the_front_page(client, target):
    response = client.post("/language", data={"language": "en", "next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "stolen" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example", "https://evil.example/login",
                                    "javascript:alert(1)"])
def test_the_page_to_return_to_is_never_another_site(client, target):
    response = client.post("/language", data={"language": "en", "next": target})

    assert response.headers["Location"] == "/"


def test_a_line_break_in_a_one_line_field_becomes_a_space(client, auth, make):
    auth.login(make.employer())

    client.post("/employer/sessions/new", data=session_form(title="Receptionist\r\nBcc: x@example.dk"))

    assert [s.title for s in InterviewSession.query.all()] == ["Receptionist Bcc: x@example.dk"]


def test_a_cancel_reason_longer_than_300_characters_is_refused_and_the_meeting_stays(client, auth, make):
    consultant = make.consultant()
    course = make.course()
    candidate = make.candidate(consultant=consultant, completed=[course])
    session = make.session(courses=[course])
    booking = make.booking(candidate, session.slots[0])
    auth.login(consultant)

    response = client.post(f"/consultant/bookings/{booking.id}/cancel", data={"reason": "x" * 301},
                           follow_redirects=True)

    assert danish("Write at most 300 characters.") in alerts(response.text)
    assert count(Booking, Booking.status == BookingStatus.CONFIRMED) == 1


def test_a_request_body_over_a_megabyte_is_refused_with_the_sites_page(client):
    response = client.post("/login", data={"email": "a@example.dk", "password": "x" * (1024 * 1024 + 1)})

    assert response.status_code == 413
    assert site_page(response)


@pytest.mark.parametrize("name", ["Ældrepleje", "ÆLDREPLEJE", "ældrepleje "])
def test_a_course_name_in_use_is_refused_whatever_its_letters(client, auth, make, name):
    """SQLite's lower() knows only ASCII: a name with Æ, Ø or Å once slipped past the check and answered 500."""
    auth.login(make.admin())
    client.post("/admin/courses", data={"course-name": "Ældrepleje", "course-description": ""})

    response = client.post("/admin/courses", data={"course-name": name, "course-description": ""})

    assert response.status_code == 422
    assert danish("The name is in use already.") in text(response.text)
    assert count(Course) == 1


def test_a_refused_control_character_is_logged_as_a_security_event_without_what_was_sent(client, caplog):
    with caplog.at_level(logging.WARNING, logger="matchapp.security"):
        client.post("/link", data={"email": "secret.person@example.dk\x00"})

    assert "refused a control character in the form of POST auth.link_request" in caplog.text
    assert "secret.person" not in caplog.text


def test_a_refused_page_is_logged_with_the_user_and_the_page_but_no_data(client, auth, make, caplog):
    candidate = make.candidate()
    auth.login(candidate.user)

    with caplog.at_level(logging.WARNING, logger="matchapp.security"):
        assert client.get("/admin/mailbox").status_code == 403

    assert f"access refused: user {candidate.user.id}, GET admin.mailbox" in caplog.text
    assert candidate.user.email not in caplog.text


def test_a_page_number_beyond_any_list_is_not_found(client, auth, make):
    auth.login(make.consultant())

    assert client.get("/consultant/dashboard?page=10000").status_code == 200  # the employers' table, empty
    assert client.get("/consultant/dashboard?page=10001").status_code == 404


def test_an_id_written_in_other_digits_than_ascii_is_not_an_id(client, auth, make):
    """int("٣") is 3 in Python; a course chosen as Arabic-Indic or full-width digits is refused, not taken."""
    course, jobcenter = make.course(), make.jobcenter()
    auth.login(make.admin())
    other_digits = str(course.id).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))

    response = client.post("/admin/course-runs", data={"run-course_id": other_digits, "run-jobcenter_id": jobcenter.id,
                                                       "run-starts_on": "2026-01-05", "run-ends_on": "2026-02-05"})

    assert response.status_code == 422
    assert count(CourseRun) == 0


def test_a_number_written_in_full_width_digits_is_explained_not_taken(client, auth, make):
    auth.login(make.employer())

    response = client.post("/employer/sessions/new", data=session_form(slot_minutes="１０"))

    assert response.status_code == 422
    assert field_error(response.text, "slot_minutes") == danish("Choose between 5 and 60 minutes.")
    assert count(InterviewSession) == 0


def test_a_line_break_after_the_page_to_return_to_after_a_new_calendar_address_goes_to_the_front_page(
        client, auth, make):
    auth.login(make.employer())

    response = client.post("/calendar/token", data={"next": "/employer/\n"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
