"""The consultants' dashboard: a known cohort's funnel on the page and in both CSV files, by job centre."""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import replace
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from pages import text
from sqlalchemy import delete, select
from test_query_counts import statements_for

from matchapp import jobs
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, local_to_utc, utcnow
from matchapp.models import (
    Attendance,
    Candidate,
    ConsultantOutcome,
    EmploymentStatus,
    EmploymentType,
    Outcome,
    Result,
    TargetGroup,
)
from matchapp.services import catalogue
from matchapp.services.booking import book_slots
from matchapp.services.outcomes import (
    OutcomeEntry,
    meetings_of,
    record_consultant_outcome,
    record_follow_ups,
    record_outcomes,
)

TODAY = datetime.now(LOCAL_TZ).date()
ATTENDED, NO_SHOW, AWAY = Attendance.ATTENDED, Attendance.CANDIDATE_NO_SHOW, Attendance.EMPLOYER_NO_SHOW
# What came of the job-ready candidates' nine meetings and the activity-ready candidates' two.
JOB_READY_OUTCOMES = [
    (ATTENDED, Result.HIRED, EmploymentType.FULL_TIME), (ATTENDED, Result.HIRED, EmploymentType.FULL_TIME),
    (ATTENDED, Result.HIRED, EmploymentType.SMALL_JOB), (ATTENDED, Result.NEXT_INTERVIEW, None),
    (ATTENDED, Result.JOB_OFFER, None), (ATTENDED, Result.NO_MATCH, None), (ATTENDED, Result.NO_MATCH, None),
    (NO_SHOW, None, None), (AWAY, None, None),
]
ACTIVITY_READY_OUTCOMES = [(ATTENDED, Result.HIRED, EmploymentType.INTERNSHIP), (ATTENDED, Result.NO_MATCH, None)]


class Cohort:
    """One GDPR course run that ended 70 days ago: 20 job-ready and 3 activity-ready completers; one employer's
    session of 18 slots aimed at the course, after it, with 11 meetings; another employer's session, open to any
    course, nobody booked. 60 days after: two hired full-time through the app and one who found full-time work
    elsewhere; three in other work or none; one recorded as unknown; the rest not recorded.

    The consultant recorded two of the outcomes: the internship, which the employer never recorded, and one of the
    job-ready "no match" meetings, which the employer recorded as cancelled late. The figures count the consultant's
    record where there is one."""

    def __init__(self, make, place: str = "Amager", course: str = "Datasikkerhed og GDPR",
                 employers: tuple[str, str] = ("Hotel Nørreport A/S", "Vagtselskabet ApS")):
        self.make = make
        self.jobcenter = make.jobcenter(f"Jobcenter {place}")
        self.consultant = make.consultant(self.jobcenter)
        self.course = make.course(course)
        self.run = catalogue.create_course_run(self.course, self.jobcenter, TODAY - timedelta(days=100),
                                               TODAY - timedelta(days=70), by=None, now=utcnow())
        ready = [self.completer(TargetGroup.JOB_READY, i) for i in range(20)]
        activity = [self.completer(TargetGroup.ACTIVITY_READY, i) for i in range(3)]
        self.employer = make.employer(name=employers[0])
        self.session = self.held_session(self.employer, ready[:9] + activity[:2], courses=[self.course])
        self.other_employer = make.employer(name=employers[1])
        self.other_session = make.session(self.other_employer, day=TODAY - timedelta(days=30),
                                          created_at=utcnow() - timedelta(days=90))
        meetings = {b.candidate_id: b for b in meetings_of(self.session)}
        starts = TODAY - timedelta(days=50)
        entries = [OutcomeEntry(meetings[c.id].id, attendance, result, kind, starts if kind else None)
                   for c, (attendance, result, kind) in zip(ready[:9] + activity[:2],
                                                            JOB_READY_OUTCOMES + ACTIVITY_READY_OUTCOMES, strict=True)]
        self.consultant_only, self.corrected = meetings[activity[0].id], meetings[ready[5].id]
        employers = [replace(e, attendance=Attendance.CANCELLED_LATE, result=None) if e.booking_id == self.corrected.id
                     else e for e in entries if e.booking_id != self.consultant_only.id]
        record_outcomes(self.session, employers, by=self.employer, now=utcnow())
        for booking in (self.consultant_only, self.corrected):
            record_consultant_outcome(booking, next(e for e in entries if e.booking_id == booking.id),
                                      by=self.consultant, now=utcnow())
        record_follow_ups(self.run, {ready[0].id: EmploymentStatus.FULL_TIME, ready[1].id: EmploymentStatus.FULL_TIME,
                                     ready[2].id: EmploymentStatus.SMALL_JOB, ready[9].id: EmploymentStatus.UNEMPLOYED,
                                     ready[10].id: EmploymentStatus.FULL_TIME, ready[11].id: EmploymentStatus.UNKNOWN,
                                     activity[0].id: EmploymentStatus.EDUCATION}, by=self.consultant, now=utcnow())
        refresh()

    def completer(self, group: TargetGroup, n: int):
        candidate = self.make.candidate(consultant=self.consultant, name=f"{group.value} {n:02d}")
        candidate.target_group = group
        catalogue.record_completion(candidate, self.run, local_to_utc(self.run.ends_on, time(12)), by=None,
                                    now=utcnow())
        db.session.commit()
        return candidate

    def held_session(self, employer, candidates, *, courses=()):
        """A session held 65 days ago, 10-11 with three interviewers (18 ten-minute slots), booked 5 days before."""
        session = self.make.session(employer, day=TODAY - timedelta(days=65), interviewers=3, courses=courses,
                                    created_at=utcnow() - timedelta(days=90))
        slots = sorted(session.slots, key=lambda s: (s.starts_at, s.lane))
        for candidate, slot in zip(candidates, slots, strict=False):
            assert book_slots(candidate, [slot.id], by=candidate.user, now=utcnow() - timedelta(days=70)).booked
        db.session.commit()
        return session


def refresh() -> None:
    """The scheduler's job that rebuilds the dashboard's figures every few minutes."""
    jobs.refresh_figures()


@pytest.fixture
def cohort(make) -> Cohort:
    return Cohort(make)


def table_rows(page: str, key: str) -> list[list[str]]:
    """A figure table's body as the text of its cells, row by row."""
    body = re.search(rf'<table[^>]*id="{key}-table".*?<tbody>(.*?)</tbody>', page, flags=re.S)
    assert body, f"no table {key}"
    return [[text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), flags=re.S)]


def download(client, table: str, flavour: str, **filters) -> list[list[str]]:
    """A table's CSV file, checked for its encoding and parsed with its delimiter."""
    response = client.get(f"/consultant/dashboard/{table}.csv", query_string={"format": flavour, **filters})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    exact = "-exact" if filters.get("numbers") == "exact" else ""
    if not {"jobcenter_id", "course_id", "course_run_id", "period_from", "period_to"} & set(filters):
        assert f"matchapp-{table}{exact}-{flavour}.csv" in response.headers["Content-Disposition"]
    raw = response.data
    if flavour == "excel":
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
        return list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))
    assert not raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=","))


def sh(figures: str) -> str:
    """A share as the English page shows it, from "13.0 3/23 4.5-32.1": the per cent, part of whole, and the 95 %
    interval."""
    percent, fraction, interval = figures.split()
    part, whole = fraction.split("/")
    low, high = interval.split("-")
    return f"{percent} % ({part} of {whole}; 95 %: {low}–{high} %)"


GDPR = "Datasikkerhed og GDPR"
ALL, READY, ACTIVE = "All", "Job-ready", "Activity-ready"
# Course, group, completed, met, attended, next step, hired, in full-time work 60 days after, status not recorded,
# share in full-time work of completers and of those with a recorded status.
FUNNEL_ROWS = [
    [ALL, "23", "11", "9", "6", "4", "3", "17", sh("13.0 3/23 4.5-32.1"), sh("50.0 3/6 18.8-81.2")],
    [READY, "20", "9", "7", "5", "3", "3", "15", sh("15.0 3/20 5.2-36.0"), sh("60.0 3/5 23.1-88.2")],
    [ACTIVE, "3", "2", "2", "1", "1", "0", "2", sh("0.0 0/3 0.0-56.1"), sh("0.0 0/1 0.0-79.3")],
]
# Course, group, completed, full-time through the app, found elsewhere, not in full-time work, not recorded, share
# through the app.
OUTCOME_ROWS = [
    [ALL, "23", "2", "1", "3", "17", sh("8.7 2/23 2.4-26.8")],
    [READY, "20", "2", "1", "2", "15", sh("10.0 2/20 2.8-30.1")],
    [ACTIVE, "3", "0", "0", "1", "2", sh("0.0 0/3 0.0-56.1")],
]
# Course, group, then the share in full-time work of the quarter the run ended (one run, one quarter).
TREND_ROWS = [[ALL, sh("13.0 3/23 4.5-32.1")], [READY, sh("15.0 3/20 5.2-36.0")], [ACTIVE, sh("0.0 0/3 0.0-56.1")]]
# Course, group, sessions, slots, booked, share booked, completed, hired, hires per completer.
DEMAND_GDPR = [
    [ALL, "1", "18", "11", sh("61.1 11/18 38.6-79.7"), "23", "4", sh("17.4 4/23 7.0-37.1")],
    [READY, "–", "–", "9", sh("50.0 9/18 29.0-71.0"), "20", "3", sh("15.0 3/20 5.2-36.0")],
    [ACTIVE, "–", "–", "2", sh("11.1 2/18 3.1-32.8"), "3", "1", sh("33.3 1/3 6.1-79.2")],
]
DEMAND_ANY = [
    [ALL, "1", "6", "0", sh("0.0 0/6 0.0-39.0"), "–", "–", "–"],
    [READY, "–", "–", "0", sh("0.0 0/6 0.0-39.0"), "–", "–", "–"],
    [ACTIVE, "–", "–", "0", sh("0.0 0/6 0.0-39.0"), "–", "–", "–"],
]
DEMAND_TOTAL = [  # each session once: the GDPR session and the one open to any course
    [ALL, "2", "24", "11", sh("45.8 11/24 27.9-64.9"), "23", "4", sh("17.4 4/23 7.0-37.1")],
    [READY, "–", "–", "9", sh("37.5 9/24 21.2-57.3"), "20", "3", sh("15.0 3/20 5.2-36.0")],
    [ACTIVE, "–", "–", "2", sh("8.3 2/24 2.3-25.8"), "3", "1", sh("33.3 1/3 6.1-79.2")],
]
# Employer, group, sessions, slots, booked, share booked, outcomes, candidate no-show, employer no-show, hires.
HOTEL = [
    [ALL, "1", "18", "11", sh("61.1 11/18 38.6-79.7"), "11", sh("9.1 1/11 1.6-37.7"), sh("9.1 1/11 1.6-37.7"), "4"],
    [READY, "–", "–", "9", sh("50.0 9/18 29.0-71.0"), "9", sh("11.1 1/9 2.0-43.5"), sh("11.1 1/9 2.0-43.5"), "3"],
    [ACTIVE, "–", "–", "2", sh("11.1 2/18 3.1-32.8"), "2", sh("0.0 0/2 0.0-65.8"), sh("0.0 0/2 0.0-65.8"), "1"],
]
GUARDS = [
    [ALL, "1", "6", "0", sh("0.0 0/6 0.0-39.0"), "0", "–", "–", "0"],
    [READY, "–", "–", "0", sh("0.0 0/6 0.0-39.0"), "0", "–", "–", "0"],
    [ACTIVE, "–", "–", "0", sh("0.0 0/6 0.0-39.0"), "0", "–", "–", "0"],
]
EMPLOYERS_TOTAL = [
    [ALL, "2", "24", "11", sh("45.8 11/24 27.9-64.9"), "11", sh("9.1 1/11 1.6-37.7"), sh("9.1 1/11 1.6-37.7"), "4"],
    [READY, "–", "–", "9", sh("37.5 9/24 21.2-57.3"), "9", sh("11.1 1/9 2.0-43.5"), sh("11.1 1/9 2.0-43.5"), "3"],
    [ACTIVE, "–", "–", "2", sh("8.3 2/24 2.3-25.8"), "2", sh("0.0 0/2 0.0-65.8"), sh("0.0 0/2 0.0-65.8"), "1"],
]
# Employer, course, group, booked, hires, then hires by type: full-time, part-time, small job, internship, wage
# subsidy, flexjob.
HOTEL_GDPR = [[ALL, "11", "4", "2", "0", "1", "1", "0", "0"], [READY, "9", "3", "2", "0", "1", "0", "0", "0"],
              [ACTIVE, "2", "1", "0", "0", "0", "1", "0", "0"]]
MONTH = f"{TODAY - timedelta(days=65):%Y-%m}"
MONTH_ROWS = [[ALL, "11", "4"], [READY, "9", "3"], [ACTIVE, "2", "1"]]


def named(name: str | list[str], rows: list[list[str]]) -> list[list[str]]:
    """Rows with the key's names in front."""
    return [[*([name] if isinstance(name, str) else name), *row] for row in rows]


EXPECTED = {
    "funnel": named(GDPR, FUNNEL_ROWS) + named("Total", FUNNEL_ROWS),
    "outcome": named(GDPR, OUTCOME_ROWS) + named("Total", OUTCOME_ROWS),
    "trend": named(GDPR, TREND_ROWS) + named("Total", TREND_ROWS),
    "demand": named(GDPR, DEMAND_GDPR) + named("Open to any course", DEMAND_ANY) + named("Total", DEMAND_TOTAL),
    "employers": named("Hotel Nørreport A/S", HOTEL) + named("Vagtselskabet ApS", GUARDS)
    + named("Total", EMPLOYERS_TOTAL),
    "employer_courses": named(["Hotel Nørreport A/S", GDPR], HOTEL_GDPR)
    + named(["Vagtselskabet ApS", "Open to any course"], [[group, *["0"] * 8] for group in (ALL, READY, ACTIVE)])
    + named(["Total", ""], HOTEL_GDPR),
    "months": named(MONTH, MONTH_ROWS) + named("Total", MONTH_ROWS),
}


# The columns each table shows on the page (issue 15: the page fits 1280 px); the downloads hold them all.
PAGE_COLUMNS = {
    "funnel": [0, 1, 2, 3, 6, 9],  # course, group, completed, had a meeting, hired, share in full-time work
    "outcome": [0, 1, 3, 4, 5, 6, 7],  # not "completed" (the funnel shows it)
    "trend": None,
    "demand": [0, 1, 3, 4, 5, 7, 8],  # not the sessions nor "completed"
    "employers": [0, 1, 3, 4, 5, 7, 9],  # not the sessions, the outcomes recorded nor the employers' no-shows
    "employer_courses": [0, 1, 2, 3, 4, 5],  # hires full-time, not the other kinds of hire
    "months": None,
}


def on_page(key: str, rows: list[list[str]]) -> list[list[str]]:
    """A table's rows (as the downloads hold them) with the columns the page shows."""
    columns = PAGE_COLUMNS[key]
    return rows if columns is None else [[row[i] for i in columns] for row in rows]


def page_rows(page: str, key: str) -> list[list[str]]:
    """A table's rows as an English page shows them, with plain spaces."""
    return [[cell.replace("\xa0", " ") for cell in row] for row in table_rows(page, key)]


def in_english(user) -> None:
    user.language = "en"
    db.session.commit()


def test_consultant_sees_every_figure_of_the_cohort_on_the_dashboard(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    response = client.get("/consultant/dashboard")

    assert response.status_code == 200
    for key, rows in EXPECTED.items():
        assert page_rows(response.text, key) == on_page(key, rows), key
    assert '<caption class="sr-only">The funnel per course: from completed course to full-time work</caption>' \
        in response.text
    quarter = (cohort.run.ends_on.month - 1) // 3 + 1
    assert f'<th scope="col" class="numeric">Q{quarter} {cohort.run.ends_on.year}</th>' in response.text
    charts = [json.loads(unescape(chart)) for chart in re.findall(r"data-chart='([^']*)'", response.text)]
    headline = "Share in full-time work 60 days after"
    assert charts[0] == {"type": "bar", "percent": True, "title": headline, "labels": [GDPR, "Total"],
                         "datasets": [{"label": headline, "data": [13.0, 13.0]}]}, \
        "the funnel's chart draws the headline: the share in full-time work 60 days after, per course"
    assert charts[1] == {"type": "bar", "stacked": True, "percent": True, "labels": [GDPR, "Total"], "datasets": [
        {"label": "In full-time work through a meeting in the app", "data": [8.7, 8.7]},
        {"label": "In full-time work found elsewhere", "data": [4.3, 4.3]},
        {"label": "Not in full-time work", "data": [13.0, 13.0]},
        {"label": "Status not recorded", "data": [73.9, 73.9]}]}, "the 60-day outcome as shares of the completers"


DASH = "empty, or 0 of 0"
SHARE = re.compile(r"(\d+\.\d) % \((\d+) of (\d+); 95 %: (\d+\.\d)–(\d+\.\d) %\)")


def in_csv(rows: list[list[str]], shares: list[int]) -> list[list[str]]:
    """The page's rows as a download holds them: each share (the columns given) as five cells, its count, what it is
    out of, the percentage and the interval; empty where the page shows a dash (where the share is 0 of 0, the
    download still gives those two counts: `dashes` marks them)."""
    converted = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i in shares:
                found = SHARE.fullmatch(cell)
                cells += [found.group(2), found.group(3), found.group(1), found.group(4), found.group(5)] if found \
                    else [DASH, DASH, "", "", ""]
            else:
                cells.append("" if cell == "–" else cell)
        converted.append(cells)
    return converted


@pytest.mark.parametrize("table", list(EXPECTED))
def test_every_table_downloads_with_the_pages_exact_figures_for_danish_excel_and_as_plain_csv(client, auth,
                                                                                             cohort, table):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)
    shares = [i for i, cell in enumerate(EXPECTED[table][0]) if SHARE.fullmatch(cell)]

    excel = download(client, table, "excel", numbers="exact")
    plain = download(client, table, "plain", numbers="exact")

    expected = in_csv(EXPECTED[table], shares)
    assert [[cell if want == DASH and cell in ("", "0") else want for cell, want in zip(row, wanted, strict=True)]
            for row, wanted in zip(plain[1:], expected, strict=True)] == plain[1:]
    assert len(plain) - 1 == len(expected)
    assert excel[1:] == [[cell.replace(".", ",") for cell in row] for row in plain[1:]], "decimal comma"
    assert excel[0] == plain[0]
    assert len(plain[0]) == len(EXPECTED[table][0]) + 4 * len(shares)


def test_the_danish_page_and_excel_file_speak_danish(client, auth, cohort):
    auth.login(cohort.consultant)

    page = client.get("/consultant/dashboard").text
    excel = download(client, "funnel", "excel")

    assert page_rows(page, "funnel")[1][-1] == "15,0 % (3 af 20; 95 %: 5,2–36,0 %)"
    assert [row[0] for row in page_rows(page, "funnel")][-3:] == ["I alt"] * 3
    assert [row[:2] for row in excel[1:]] == [[GDPR, "Alle"], [GDPR, "Jobparate"], [GDPR, "Aktivitetsparate"],
                                             ["I alt", "Alle"], ["I alt", "Jobparate"], ["I alt", "Aktivitetsparate"]]
    assert "Gennemførte kurset" in excel[0]


def dashboard(client, **filters) -> str:
    return client.get("/consultant/dashboard", query_string=filters).text


def test_filters_narrow_the_figures_to_a_course_run_and_a_period(client, auth, make, cohort):
    in_english(cohort.consultant)
    other_run = catalogue.create_course_run(cohort.course, cohort.jobcenter, TODAY - timedelta(days=20),
                                            TODAY - timedelta(days=10), by=None, now=utcnow())
    late = make.candidate(consultant=cohort.consultant, name="Sen Kandidat")
    catalogue.record_completion(late, other_run, utcnow() - timedelta(days=10), by=None, now=utcnow())
    refresh()
    auth.login(cohort.consultant)

    everything = page_rows(dashboard(client), "funnel")
    by_run = dashboard(client, course_id=cohort.course.id, course_run_id=cohort.run.id)
    by_period = page_rows(dashboard(client, period_from=f"{TODAY - timedelta(days=15):%d.%m.%Y}"), "funnel")
    nothing = dashboard(client, period_to=f"{TODAY - timedelta(days=200)}")

    assert everything[0][2] == "24"
    run_choice = f"{cohort.run.starts_on:%d/%m/%Y}–{cohort.run.ends_on:%d/%m/%Y}</option>"  # English dates
    assert run_choice not in dashboard(client), "runs are offered once a course is chosen"
    assert run_choice in dashboard(client, course_id=cohort.course.id)
    for table, rows in EXPECTED.items():  # bookings of the run's completers only, counted on the spot
        assert page_rows(by_run, table) == on_page(table, rows), table
    assert by_period[0][:4] == [GDPR, "All", "1", "0"]
    assert len(page_rows(dashboard(client, period_from=f"{TODAY - timedelta(days=15):%d.%m.%Y}"), "trend")[0]) == 3
    assert "No figures for this filter." in nothing
    assert 'id="funnel-table"' not in nothing


def test_a_period_that_ends_before_it_starts_is_shown_beside_the_field(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    response = client.get("/consultant/dashboard", query_string={"period_from": "2026-06-01",
                                                                  "period_to": "2026-05-01"})

    assert response.status_code == 422
    assert "The end of the period must be on or after its start." in response.text
    assert 'id="funnel-table"' not in response.text


def test_another_job_centres_consultant_does_not_see_the_cohort(client, auth, make, cohort):
    stranger = make.consultant(make.jobcenter("Jobcenter Nørrebro"))
    in_english(stranger)
    auth.login(stranger)

    page = client.get("/consultant/dashboard", query_string={"jobcenter_id": cohort.jobcenter.id}).text
    forged_run = client.get("/consultant/dashboard", query_string={"course_id": cohort.course.id,
                                                                 "course_run_id": cohort.run.id})

    assert 'id="funnel-table"' not in page.split('aria-labelledby="demand-heading"')[0]
    assert download(client, "funnel", "plain", jobcenter_id=cohort.jobcenter.id)[1:] == []
    employers = page_rows(page, "employers")
    assert employers[0][:4] == ["Hotel Nørreport A/S", "All", "18", "0"], "slots, but none of the bookings"
    assert employers[-3][:4] == ["Total", "All", "24", "0"]
    assert 'id="months-table"' not in page
    assert page_rows(page, "employer_courses")[0][:5] == ["Hotel Nørreport A/S", GDPR, "All", "0", "0"]
    assert forged_run.status_code == 422, "another job centre's run is not a choice"


def test_admin_sees_all_job_centres_or_one(client, auth, make, cohort):
    admin = make.admin()
    in_english(admin)
    auth.login(admin)

    page = client.get("/consultant/dashboard")
    elsewhere = dashboard(client, jobcenter_id=make.jobcenter("Jobcenter Valby").id)

    assert page_rows(page.text, "funnel") == on_page("funnel", EXPECTED["funnel"])
    assert 'id="funnel-table"' not in elsewhere
    assert 'href="/consultant/dashboard" aria-current="page"' in page.text


def test_the_totals_add_up_the_courses_and_their_shares_are_of_the_totals(client, auth, make, cohort):
    Cohort(make, "Valby", "Excel", ("Café Valby", "Netto"))  # the same figures in another course and job centre
    admin = make.admin()
    in_english(admin)
    auth.login(admin)

    page = dashboard(client)
    doubled = [[str(int(cell) * 2) if cell.isdigit() else cell for cell in row] for row in FUNNEL_ROWS]
    doubled[0][-2:] = [sh("13.0 6/46 6.1-25.7"), sh("50.0 6/12 25.4-74.6")]  # the same share, a narrower interval
    doubled[1][-2:] = [sh("15.0 6/40 7.1-29.1"), sh("60.0 6/10 31.3-83.2")]
    doubled[2][-2:] = [sh("0.0 0/6 0.0-39.0"), sh("0.0 0/2 0.0-65.8")]

    assert page_rows(page, "funnel") == on_page("funnel", named(GDPR, FUNNEL_ROWS) + named("Excel", FUNNEL_ROWS)
                                                + named("Total", doubled))
    assert page_rows(page, "months")[-3:] == named("Total", [[ALL, "22", "8"], [READY, "18", "6"],
                                                              [ACTIVE, "4", "2"]])


def test_dashboard_needs_a_consultant_or_an_admin(client, auth, cohort):
    auth.login(cohort.employer)

    assert client.get("/consultant/dashboard").status_code == 403
    assert client.get("/consultant/dashboard/funnel.csv").status_code == 403


def test_an_unknown_table_or_format_is_not_found(client, auth, cohort):
    auth.login(cohort.consultant)

    assert client.get("/consultant/dashboard/candidates.csv").status_code == 404
    assert client.get("/consultant/dashboard/funnel.csv?format=xlsx").status_code == 404


def test_the_dashboard_runs_as_many_statements_with_much_more_data(app, client, auth, make, cohort):
    auth.login(cohort.consultant)
    little = statements_for(app, client, "/consultant/dashboard")
    Cohort(make, "Valby", "Excel", ("Café Valby", "Netto"))  # another job centre's cohort, course and employers
    second_course = make.course("Hotelbookingsystemer")
    second_run = catalogue.create_course_run(second_course, cohort.jobcenter, TODAY - timedelta(days=90),
                                             TODAY - timedelta(days=80), by=None, now=utcnow())
    for candidate in db.session.scalars(select(Candidate)):
        if candidate.jobcenter_id == cohort.jobcenter.id:
            catalogue.record_completion(candidate, second_run, utcnow() - timedelta(days=80), by=None, now=utcnow())
    refresh()

    much = statements_for(app, client, "/consultant/dashboard")

    assert len(much) == len(little), "\n".join(much)


def test_new_outcomes_show_on_the_dashboard_once_the_figures_are_refreshed(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)
    no_show = db.session.scalar(select(Outcome.booking_id).where(Outcome.attendance == NO_SHOW))
    record_outcomes(cohort.session, [OutcomeEntry(no_show, ATTENDED, Result.HIRED, EmploymentType.FULL_TIME,
                                                  TODAY)], by=cohort.employer, now=utcnow())
    db.session.commit()

    before = client.get("/consultant/dashboard").text
    refresh()
    after = client.get("/consultant/dashboard").text

    assert "Figures as of" in before
    assert table_rows(before, "funnel")[0][4] == "4", "the figures are those of the last refresh"
    assert table_rows(after, "funnel")[0][4] == "5"
    assert table_rows(after, "employers")[0][6] == "5"
    assert table_rows(after, "employer_courses")[0][3:6] == ["11", "5", "3"], "booked, hired, of which full-time"


def test_the_consultants_records_count_where_the_employer_recorded_nothing_or_otherwise(client, auth, cohort):
    # The cohort's figures (EXPECTED, above) already count the consultant's two records: the internship only the
    # consultant recorded, and the meeting the consultant corrected from "cancelled late" to "took place".
    in_english(cohort.consultant)
    auth.login(cohort.consultant)
    employers_records = {o.booking_id: o.attendance for o in db.session.scalars(select(Outcome))}
    assert cohort.consultant_only.id not in employers_records
    assert employers_records[cohort.corrected.id] == Attendance.CANCELLED_LATE
    counted = table_rows(client.get("/consultant/dashboard").text, "funnel")

    db.session.execute(delete(ConsultantOutcome))  # what the figures would be on the employer's records alone
    db.session.commit()
    refresh()
    employers_alone = table_rows(client.get("/consultant/dashboard").text, "funnel")

    # Course, group, completed, had a meeting, hired, share in full-time work (the page's columns).
    assert [row[1:5] for row in counted[:3]] == [[ALL, "23", "11", "4"], [READY, "20", "9", "3"],
                                                 [ACTIVE, "3", "2", "1"]]
    assert [row[1:5] for row in employers_alone[:3]] == [[ALL, "23", "11", "3"], [READY, "20", "9", "3"],
                                                         [ACTIVE, "3", "2", "0"]], "the internship no longer counts"
    funnel = download(client, "funnel", "plain", numbers="exact")[1:4]
    assert [row[4:6] for row in funnel] == [["7", "5"], ["6", "5"], ["1", "0"]], \
        "attended and next step: 9 and 6, 7 and 5, 2 and 1 with the consultant's records"


def test_before_the_first_refresh_the_dashboard_says_the_figures_are_coming(client, auth, make):
    consultant = make.consultant(make.jobcenter("Jobcenter Amager"))
    in_english(consultant)
    auth.login(consultant)

    page = client.get("/consultant/dashboard").text

    assert "The figures have not been computed yet." in page
    assert "Figures as of" not in page


def test_the_employers_table_shows_25_employers_a_page_and_the_files_hold_all(client, auth, make, cohort):
    in_english(cohort.consultant)
    for n in range(24):  # with the cohort's two: 26 employers with a session
        make.session(make.employer(name=f"Firma {n:02d} ApS"), day=TODAY - timedelta(days=30),
                     created_at=utcnow() - timedelta(days=90))
    refresh()
    auth.login(cohort.consultant)

    first = client.get("/consultant/dashboard").text
    second = client.get("/consultant/dashboard", query_string={"page": 2}).text

    first_names = [row[0] for row in table_rows(first, "employers")[::3]]
    assert len(first_names) == 25 + 1
    assert first_names[-1] == "Total"
    assert [row[0] for row in table_rows(second, "employers")[::3]] == ["Vagtselskabet ApS", "Total"]
    assert table_rows(second, "employers")[-3][2] == "168", "the totals of all employers on each page"
    assert download(client, "employers", "plain")[-3][2:4] == ["26", "168"]
    assert table_rows(second, "funnel") == table_rows(first, "funnel"), "the other tables stay whole"
    assert "Next page" in first
    assert "Previous page" in second
    assert len(download(client, "employers", "plain")[1:]) == (26 + 1) * 3


def test_the_scheduler_refreshes_the_figures_every_five_minutes(app):
    job = jobs.build_scheduler(app).get_job("refresh_figures")

    assert job.trigger.interval == timedelta(minutes=5)


# Names a spreadsheet would run as formulas (OWASP "CSV Injection"): a link out, a sum, arithmetic.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2+3"]


def test_names_that_look_like_formulas_reach_every_csv_file_as_text(client, auth, make):
    Cohort(make, course=FORMULAS[0], employers=(FORMULAS[1], FORMULAS[2]))
    Cohort(make, place="Nørrebro", course=FORMULAS[3], employers=(FORMULAS[3], "Vagtselskabet ApS"))
    auth.login(make.admin())
    courses = [FORMULAS[0], FORMULAS[3]]
    names = {"funnel": courses, "outcome": courses, "trend": courses, "demand": courses, "employers": FORMULAS[1:],
             "employer_courses": [FORMULAS[0], FORMULAS[1], FORMULAS[3]], "months": []}

    for table, flavour in [(table, flavour) for table in EXPECTED for flavour in ("excel", "plain")]:
        rows = download(client, table, flavour, numbers="exact")
        cells = [cell for row in rows for cell in row]

        assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == [], (table, flavour)
        assert {f"'{name}" for name in names[table]} <= set(cells), (table, flavour)
        names_and_group = 3 if table == "employer_courses" else 2
        figures = [cell for row in rows[1:] for cell in row[names_and_group:]]
        assert figures
        assert all(re.fullmatch(r"\d+([.,]\d+)?|", cell) for cell in figures), "figures stay numbers"
    raw = client.get("/consultant/dashboard/funnel.csv", query_string={"format": "plain"}).text
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in raw, "the quote is inside the quoted cell"


def test_a_course_filter_shows_that_course_and_sessions_open_to_any_course_not_others_sharing_a_session(
        client, auth, make, cohort):
    # Regression: the demand table grouped a shared session by all of its courses, so a filter on one course also
    # showed rows for the others; and sessions open to any course disappeared under a course filter.
    in_english(cohort.consultant)
    excel = make.course("Excel for begyndere")
    shared = make.session(make.employer(name="Kontorhuset ApS"), day=TODAY - timedelta(days=30),
                          courses=[cohort.course, excel], created_at=utcnow() - timedelta(days=90))
    refresh()
    auth.login(cohort.consultant)

    page = dashboard(client, course_id=cohort.course.id)

    demand = page_rows(page, "demand")
    assert [row[0] for row in demand[::3]] == [GDPR, "Open to any course", "Total"]
    assert demand[0][2] == "24", "the slots of the GDPR session and the shared one"
    assert demand[-3][2] == "30", "every session once: GDPR, shared, and the one open to any course"
    sessions = download(client, "demand", "plain", course_id=cohort.course.id)
    assert [sessions[1][2], sessions[-3][2]] == ["2", "3"], "the sessions, in the downloads"
    employers = [row[0] for row in page_rows(page, "employers")[::3]]
    assert employers == ["Hotel Nørreport A/S", "Kontorhuset ApS", "Vagtselskabet ApS", "Total"]
    assert len(shared.slots) == 6
    assert [row[0] for row in page_rows(dashboard(client), "demand")[::3]] == [
        GDPR, "Excel for begyndere", "Open to any course", "Total"]


def test_shares_are_rounded_half_up_on_the_page(client, auth, make):
    # Regression: 5 of 16 is 31.25 %, which was shown as 31.2 % (half to even); people expect 31.3 %.
    jobcenter = make.jobcenter("Jobcenter Valby")
    consultant = make.consultant(jobcenter)
    course = make.course("Rengøring")
    run = catalogue.create_course_run(course, jobcenter, TODAY - timedelta(days=100), TODAY - timedelta(days=70),
                                      by=None, now=utcnow())
    people = [make.candidate(consultant=consultant, name=f"Deltager {n:02d}") for n in range(16)]
    for person in people:
        catalogue.record_completion(person, run, local_to_utc(run.ends_on, time(12)), by=None, now=utcnow())
    record_follow_ups(run, {p.id: EmploymentStatus.FULL_TIME for p in people[:5]}, by=consultant, now=utcnow())
    refresh()
    auth.login(consultant)

    danish = page_rows(dashboard(client), "funnel")

    assert danish[0][:3] == ["Rengøring", "Alle", "16"]
    assert danish[0][-1].startswith("31,3 % (5 af 16;")


def test_each_quarter_of_a_course_stands_beside_the_others(client, auth, make, cohort):
    in_english(cohort.consultant)
    earlier = catalogue.create_course_run(cohort.course, cohort.jobcenter, TODAY - timedelta(days=300),
                                          TODAY - timedelta(days=270), by=None, now=utcnow())
    people = [make.candidate(consultant=cohort.consultant, name=f"Tidlig {n}") for n in range(4)]
    for person in people:
        catalogue.record_completion(person, earlier, local_to_utc(earlier.ends_on, time(12)), by=None, now=utcnow())
    record_follow_ups(earlier, {p.id: EmploymentStatus.FULL_TIME for p in people}, by=cohort.consultant,
                      now=utcnow())
    refresh()
    auth.login(cohort.consultant)

    page = dashboard(client)

    quarters = [f"Q{(day.month - 1) // 3 + 1} {day.year}" for day in (earlier.ends_on, cohort.run.ends_on)]
    header = re.search(r'id="trend-table".*?<thead>(.*?)</thead>', page, flags=re.S).group(1)
    assert [text(cell) for cell in re.findall(r"<th[^>]*>(.*?)</th>", header)] == ["Course", "Target group",
                                                                                  *quarters]
    trend = page_rows(page, "trend")
    assert trend[0] == [GDPR, ALL, sh("100.0 4/4 51.0-100.0"), sh("13.0 3/23 4.5-32.1")], \
        "the course worked better in the earlier quarter"
    assert trend[2] == [GDPR, ACTIVE, "–", sh("0.0 0/3 0.0-56.1")], "no activity-ready completers earlier"


def test_the_follow_up_page_and_the_dashboard_count_the_same_recorded_statuses(client, auth, cohort):
    # Two hires through the app were full-time, but until the consultant saves a status the follow-up page shows
    # none chosen, and the dashboard counts them as not recorded, alike.
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    follow_up = client.get(f"/consultant/runs/{cohort.run.id}/follow-up").text
    funnel = download(client, "funnel", "plain", numbers="exact")[1]  # the page leaves these columns out

    assert "6 of 23 have a known status recorded." in follow_up
    assert funnel[2] == "23"
    assert funnel[8] == "17", "status not recorded: 23 - 6"
    assert funnel[-5:-3] == ["3", "6"], "in full-time work of those with a recorded status: 3 of 6"
