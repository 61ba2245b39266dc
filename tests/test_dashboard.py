"""The consultants' dashboard: a known cohort's funnel on the page and in both CSV files, by job centre."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, time, timedelta
from html import unescape

import pytest
from pages import text
from sqlalchemy import select
from test_query_counts import statements_for

from matchapp import jobs
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, local_to_utc, utcnow
from matchapp.models import Attendance, Candidate, EmploymentStatus, EmploymentType, Outcome, Result, TargetGroup
from matchapp.services import catalogue
from matchapp.services.booking import book_slots
from matchapp.services.outcomes import OutcomeEntry, meetings_of, record_follow_ups, record_outcomes

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
    session of 18 slots aimed at the course, after it, with 11 meetings; another employer's session nobody booked."""

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
        record_outcomes(self.session, entries, by=self.employer, now=utcnow())
        record_follow_ups(self.run, {ready[0].id: EmploymentStatus.FULL_TIME, ready[1].id: EmploymentStatus.FULL_TIME,
                                     ready[2].id: EmploymentStatus.SMALL_JOB, ready[9].id: EmploymentStatus.UNEMPLOYED,
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
    assert f"matchapp-{table}-{flavour}.csv" in response.headers["Content-Disposition"]
    raw = response.data
    if flavour == "excel":
        assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
        return list(csv.reader(io.StringIO(raw[3:].decode("utf-8")), delimiter=";"))
    assert not raw.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(raw.decode("utf-8")), delimiter=","))


# Course, group, completed, met, attended, next step, hired, hired by type (full-time, part-time, small job,
# internship, wage subsidy, flexjob), full-time after 60 days, share of completers.
FUNNEL = [
    ["Datasikkerhed og GDPR", "All", "23", "11", "9", "6", "4", "2", "0", "1", "1", "0", "0", "2", "8.7"],
    ["Datasikkerhed og GDPR", "Job-ready", "20", "9", "7", "5", "3", "2", "0", "1", "0", "0", "0", "2", "10.0"],
    ["Datasikkerhed og GDPR", "Activity-ready", "3", "2", "2", "1", "1", "0", "0", "0", "1", "0", "0", "0", "0.0"],
]
# Course, group, sessions, slots, booked, share booked, completed, hired, hires per completer.
DEMAND = [
    ["Datasikkerhed og GDPR", "All", "1", "18", "11", "61.1", "23", "4", "0.17"],
    ["Datasikkerhed og GDPR", "Job-ready", "", "", "9", "50.0", "20", "3", "0.15"],
    ["Datasikkerhed og GDPR", "Activity-ready", "", "", "2", "11.1", "3", "1", "0.33"],
]
# Employer, group, sessions, slots, booked, share booked, outcomes, candidate no-show, employer no-show, hires.
EMPLOYERS = [
    ["Hotel Nørreport A/S", "All", "1", "18", "11", "61.1", "11", "9.1", "9.1", "4"],
    ["Hotel Nørreport A/S", "Job-ready", "", "", "9", "50.0", "9", "11.1", "11.1", "3"],
    ["Hotel Nørreport A/S", "Activity-ready", "", "", "2", "11.1", "2", "0.0", "0.0", "1"],
    ["Vagtselskabet ApS", "All", "1", "6", "0", "0.0", "0", "", "", "0"],
    ["Vagtselskabet ApS", "Job-ready", "", "", "0", "0.0", "0", "", "", "0"],
    ["Vagtselskabet ApS", "Activity-ready", "", "", "0", "0.0", "0", "", "", "0"],
]
MONTH = f"{TODAY - timedelta(days=65):%Y-%m}"
MONTHS = [[MONTH, "All", "11", "4"], [MONTH, "Job-ready", "9", "3"], [MONTH, "Activity-ready", "2", "1"]]
EXPECTED = {"funnel": FUNNEL, "demand": DEMAND, "employers": EMPLOYERS, "months": MONTHS}


def on_page(rows: list[list[str]]) -> list[list[str]]:
    """The expected figures as an English page shows them: 8.7 %, 0.17, a dash where a figure does not apply."""
    return [[f"{cell} %" if re.fullmatch(r"\d+\.\d", cell) else cell or "–" for cell in row] for row in rows]


def in_english(user) -> None:
    user.language = "en"
    db.session.commit()


def test_consultant_sees_every_figure_of_the_cohort_on_the_dashboard(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    response = client.get("/consultant/dashboard")

    assert response.status_code == 200
    for key, rows in EXPECTED.items():
        assert [[cell.replace("\xa0", " ") for cell in row] for row in table_rows(response.text, key)] == \
            on_page(rows), key
    assert '<caption class="sr-only">The funnel per course: from completed course to full-time work</caption>' \
        in response.text
    funnel_chart = json.loads(unescape(re.search(r"data-chart='([^']*)'", response.text).group(1)))
    assert funnel_chart == {"labels": ["Completed the course", "Had a meeting", "Attended a meeting", "Next step",
                                       "Hired", "In full-time work 60 days after"],
                            "datasets": [{"label": "Datasikkerhed og GDPR", "data": [23, 11, 9, 6, 4, 2]}]}, \
        "the chart draws the table's figures"
    assert response.text.count('<th scope="col"') == sum(len(funnel_columns) for funnel_columns in (
        FUNNEL[0], DEMAND[0], EMPLOYERS[0], MONTHS[0]))


@pytest.mark.parametrize("table", list(EXPECTED))
def test_every_table_downloads_for_danish_excel_and_as_plain_csv(client, auth, cohort, table):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    excel = download(client, table, "excel")
    plain = download(client, table, "plain")

    assert plain[1:] == EXPECTED[table]
    assert excel[1:] == [[cell.replace(".", ",") for cell in row] for row in EXPECTED[table]], "decimal comma"
    assert excel[0] == plain[0]
    assert len(plain[0]) == len(EXPECTED[table][0])


def test_the_danish_page_and_excel_file_speak_danish(client, auth, cohort):
    auth.login(cohort.consultant)

    page = client.get("/consultant/dashboard").text
    excel = download(client, "funnel", "excel")

    assert table_rows(page, "funnel")[1][-1].replace("\xa0", " ") == "10,0 %"
    assert [row[1] for row in excel[1:]] == ["Alle", "Jobparate", "Aktivitetsparate"]
    assert excel[2][-1] == "10,0"
    assert "Andel i fuldtidsarbejde 60 dage efter (%)" in excel[0]


def test_filters_narrow_the_figures_to_a_course_run_and_a_period(client, auth, make, cohort):
    in_english(cohort.consultant)
    other_run = catalogue.create_course_run(cohort.course, cohort.jobcenter, TODAY - timedelta(days=20),
                                            TODAY - timedelta(days=10), by=None, now=utcnow())
    late = make.candidate(consultant=cohort.consultant, name="Sen Kandidat")
    catalogue.record_completion(late, other_run, utcnow() - timedelta(days=10), by=None, now=utcnow())
    refresh()
    auth.login(cohort.consultant)

    everything = table_rows(client.get("/consultant/dashboard").text, "funnel")
    by_run = download(client, "funnel", "plain", course_id=cohort.course.id, course_run_id=cohort.run.id)
    by_period = download(client, "funnel", "plain", period_from=f"{TODAY - timedelta(days=15):%d.%m.%Y}")
    nothing = client.get("/consultant/dashboard", query_string={"period_to": f"{TODAY - timedelta(days=200)}"})

    assert everything[0][2] == "24"
    run_choice = f"{cohort.run.starts_on:%d/%m/%Y}–{cohort.run.ends_on:%d/%m/%Y}</option>"  # English dates
    assert run_choice not in client.get("/consultant/dashboard").text, "runs are offered once a course is chosen"
    assert run_choice in client.get(f"/consultant/dashboard?course_id={cohort.course.id}").text
    assert by_run[1:] == FUNNEL
    for table in ("demand", "employers", "months"):  # the run's completers' bookings, counted on the spot
        assert download(client, table, "plain", course_id=cohort.course.id, course_run_id=cohort.run.id)[1:] == \
            [row for row in EXPECTED[table] if row[0] != "Vagtselskabet ApS"], table
    assert by_period[1][:4] == ["Datasikkerhed og GDPR", "All", "1", "0"]
    assert "No figures for this filter." in nothing.text


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
    employers = download(client, "employers", "plain")
    assert employers[1][:5] == ["Hotel Nørreport A/S", "All", "1", "18", "0"], "sessions, but none of the bookings"
    assert download(client, "months", "plain")[1:] == []
    assert forged_run.status_code == 422, "another job centre's run is not a choice"


def test_admin_sees_all_job_centres_or_one(client, auth, make, cohort):
    admin = make.admin()
    in_english(admin)
    auth.login(admin)

    everywhere = download(client, "funnel", "plain")
    elsewhere = download(client, "funnel", "plain", jobcenter_id=make.jobcenter("Jobcenter Valby").id)
    page = client.get("/consultant/dashboard")

    assert everywhere[1:] == FUNNEL
    assert elsewhere[1:] == []
    assert 'href="/consultant/dashboard" aria-current="page"' in page.text


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
    assert table_rows(before, "funnel")[0][6] == "4", "the figures are those of the last refresh"
    assert table_rows(after, "funnel")[0][6] == "5"
    assert table_rows(after, "employers")[0][9] == "5"


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
    assert len(first_names) == 25
    assert [row[0] for row in table_rows(second, "employers")[::3]] == ["Vagtselskabet ApS"]
    assert table_rows(second, "funnel") == table_rows(first, "funnel"), "the other tables stay whole"
    assert "Next page" in first
    assert "Previous page" in second
    assert len(download(client, "employers", "plain")[1:]) == 26 * 3


def test_the_scheduler_refreshes_the_figures_every_five_minutes(app):
    job = jobs.build_scheduler(app).get_job("refresh_figures")

    assert job.trigger.interval == timedelta(minutes=5)


# Names a spreadsheet would run as formulas (OWASP "CSV Injection"): a link out, a sum, arithmetic.
FORMULAS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(1)", "-2+3"]


def test_names_that_look_like_formulas_reach_every_csv_file_as_text(client, auth, make):
    Cohort(make, course=FORMULAS[0], employers=(FORMULAS[1], FORMULAS[2]))
    Cohort(make, place="Nørrebro", course=FORMULAS[3], employers=(FORMULAS[3], "Vagtselskabet ApS"))
    auth.login(make.admin())
    names = {"funnel": [FORMULAS[0], FORMULAS[3]], "demand": [FORMULAS[0], FORMULAS[3]],
             "employers": FORMULAS[1:], "months": []}

    for table, flavour in [(table, flavour) for table in EXPECTED for flavour in ("excel", "plain")]:
        rows = download(client, table, flavour)
        cells = [cell for row in rows for cell in row]

        assert [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")] == [], (table, flavour)
        assert {f"'{name}" for name in names[table]} <= set(cells), (table, flavour)
        figures = [cell for row in rows[1:] for cell in row[2:]]
        assert figures
        assert all(re.fullmatch(r"\d+([.,]\d+)?|", cell) for cell in figures), "figures stay numbers"
    raw = client.get("/consultant/dashboard/funnel.csv", query_string={"format": "plain"}).text
    assert '"\'=HYPERLINK(""http://x"",""y"")"' in raw, "the quote is inside the quoted cell"
