"""The dashboard's downloads on the known cohort of test_dashboard.py: the committee workbook read back with openpyxl,
the CSV files with the small-number rule or exact figures, and file names that name the filter."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from pages import text
from test_dashboard import GDPR, TODAY, Cohort, in_english
from werkzeug.http import parse_options_header

from matchapp.localtime import to_local, utcnow
from matchapp.services import figures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ["About the figures", "Funnel", "Outcome after 60 days", "Trend per quarter", "Demand", "Employers",
          "Employers and courses", "Months"]


@pytest.fixture
def cohort(make) -> Cohort:
    return Cohort(make)


def get_csv(client, table: str, **query) -> tuple[list[list[str]], str]:
    """A table's plain CSV file, parsed, and its file name."""
    response = client.get(f"/consultant/dashboard/{table}.csv", query_string={"format": "plain", **query})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8")))), file_name(response)


def get_workbook(client, **query):
    """The committee workbook, read back with openpyxl, and its file name."""
    response = client.get("/consultant/dashboard/figures.xlsx", query_string=query)
    assert response.status_code == 200
    assert response.mimetype == XLSX
    return load_workbook(io.BytesIO(response.data)), file_name(response)


def file_name(response) -> str:
    """The download's file name as a browser reads it: the UTF-8 one if given, else the plain one."""
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    if "filename*=UTF-8''" in disposition:
        return unquote(disposition.split("filename*=UTF-8''")[1])
    return disposition.split("filename=")[1].strip('"')


def as_csv(cell) -> str:
    """A workbook's cell as the plain CSV writes it: a percentage with the one decimal its format shows."""
    if cell.value is None:
        return ""
    return f"{cell.value:.1f}" if cell.number_format == "0.0" else str(cell.value)


def about(sheet) -> dict[str, str]:
    """The About sheet's lines: the first cell of each, and the second."""
    return {row[0]: row[1] for row in sheet.iter_rows(values_only=True) if row[0]}


def moment(instant) -> str:
    """A time as an English page writes it in Danish local time: Friday 4 December 2026 at 10:00."""
    local = to_local(instant)
    return f"{local:%A} {local.day} {local:%B %Y at %H:%M}"


def test_the_workbook_names_its_filter_and_holds_every_table_as_the_csv_does(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)
    period = {"period_from": f"{TODAY - timedelta(days=200):%d.%m.%Y}", "period_to": f"{TODAY:%d.%m.%Y}"}

    book, name = get_workbook(client, course_id=cohort.course.id, **period)

    assert book.sheetnames == SHEETS
    assert book.properties.creator == "matchapp"
    assert book.properties.lastModifiedBy == "matchapp", "not the person who downloaded it"
    lines = about(book["About the figures"])
    assert lines["Job centre"] == "Jobcenter Amager"
    assert lines["Course"] == GDPR
    assert lines["Course run"] == "All course runs"
    assert lines["Period (the course ended)"] == f"{TODAY - timedelta(days=200):%d/%m/%Y}–{TODAY:%d/%m/%Y}"
    assert lines["Figures as of (Danish time)"] == moment(figures.refreshed_at())
    assert lines["File made (Danish time)"] == moment(utcnow())
    assert lines["Small numbers"].startswith("Counts of people from 1 to 4 are shown as “<5”")
    definitions = [row[1] for row in book["About the figures"].iter_rows(values_only=True) if not row[0] and row[1]]
    assert definitions[7].startswith("Each share shows what it is out of and its 95 % interval (Wilson)")
    page = client.get("/consultant/dashboard").text
    assert definitions == [text(li) for li in re.findall(r"<li>(.*?)</li>", page.split("<details")[1])][:10], \
        "the page and the workbook define the figures alike"
    assert lines["Funnel"] == "The funnel per course: from completed course to full-time work"
    assert name == f"matchapp-figures-{GDPR}-{TODAY - timedelta(days=200)}-{TODAY}.xlsx"

    for title in SHEETS[1:]:
        sheet = book[title]
        table = {"Funnel": "funnel", "Outcome after 60 days": "outcome", "Trend per quarter": "trend",
                 "Demand": "demand", "Employers": "employers", "Employers and courses": "employer_courses",
                 "Months": "months"}[title]
        rows, _name = get_csv(client, table, course_id=cohort.course.id, **period)
        cells = list(sheet.iter_rows(min_row=2))
        assert [[as_csv(cell) for cell in row] for row in cells] == rows, title
        assert all(cell.font.b for cell in cells[0]), "the header in bold"
        totals = [row for row in cells[1:] if row[0].value == "Total"]
        assert len(totals) == 3, title
        assert all(cell.font.b for row in totals for cell in row), "the totals in bold"
        assert not any(cell.font.b for row in cells[1:] if row[0].value != "Total" for cell in row)
        assert sheet.freeze_panes == ("C3" if table != "employer_courses" else "D3")
    funnel = list(book["Funnel"].iter_rows(min_row=2))
    assert funnel[0][2].value == "Completed the course"
    assert (funnel[1][2].value, funnel[1][2].data_type) == (23, "n"), "counts as numbers"
    share = [i for i, cell in enumerate(funnel[0]) if cell.value == "Share in full-time work 60 days after (%)"][0]
    assert funnel[1][share - 2].value == "<5", "3 full-time of 23: the 3 is hidden"
    assert funnel[1][share].value is None
    demand = list(book["Demand"].iter_rows(min_row=2))
    booked = [i for i, cell in enumerate(demand[0]) if cell.value == "Share booked (%)"][0]
    assert [cell.value for cell in demand[1][booked - 2:booked + 3]] == [11, 18, 61.1, 38.6, 79.7]
    assert demand[1][booked].number_format == "0.0"


def test_the_protected_funnel_hides_small_counts_and_every_figure_that_would_give_one_away(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    (header, *rows), name = get_csv(client, "funnel")

    assert name == "matchapp-funnel-plain.csv"
    column = {label: i for i, label in enumerate(header)}
    completed = column["Completed the course"]
    recorded = column["Share in full-time work of those with a recorded status: out of"]
    not_recorded = column["Status not recorded"]
    activity_ready, job_ready, everyone = rows[2], rows[1], rows[0]
    assert activity_ready[completed] == "<5", "3 activity-ready completers"
    assert job_ready[completed] == "<5", "20 job-ready completers: 23 for all less them would give the 3 away"
    assert everyone[completed] == "23"
    assert job_ready[column["Had a meeting"]] == "<5"
    assert activity_ready[column["Had a meeting"]] == "<5"
    for share in ("Share in full-time work 60 days after", "Share in full-time work of those with a recorded status"):
        for row in rows:
            assert row[column[f"{share} (%)"]] == ""
            assert row[column[f"{share}: 95 % interval from (%)"]] == ""
            assert row[column[f"{share}: 95 % interval to (%)"]] == ""
    assert [row[1:] for row in rows[3:]] == [row[1:] for row in rows[:3]], "one course: its totals are its rows"
    assert [row[0] for row in rows] == [GDPR] * 3 + ["Total"] * 3

    def hidden(row, i):
        return row[i] == "<5"

    counts = [i for i, label in enumerate(header) if i >= 2 and not label.endswith("(%)")]
    for block in (rows[:3], rows[3:]):  # all = job-ready + activity-ready
        for i in counts:
            assert sum(hidden(row, i) for row in block) != 1, (header[i], [row[i] for row in block])
    for row in rows:  # completed = recorded + not recorded
        assert sum(hidden(row, i) for i in (completed, recorded, not_recorded)) != 1
    for i in counts:  # each total is the course's figure
        for g in range(3):
            assert hidden(rows[g], i) == hidden(rows[3 + g], i)
    assert sum(hidden(row, i) for row in rows for i in counts) > 0


def test_exact_figures_when_asked_and_the_workbook_says_they_stay_inside(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    (header, *rows), name = get_csv(client, "funnel", numbers="exact")
    book, book_name = get_workbook(client, numbers="exact")

    column = {label: i for i, label in enumerate(header)}
    assert [row[column["Completed the course"]] for row in rows] == ["23", "20", "3"] * 2
    share = "Share in full-time work 60 days after"
    assert [rows[1][column[f"{share}{suffix}"]] for suffix in (": count", ": out of", " (%)",
                                                               ": 95 % interval from (%)", ": 95 % interval to (%)")] \
        == ["3", "20", "15.0", "5.2", "36.0"]
    assert name == "matchapp-funnel-exact-plain.csv"
    assert book_name == "matchapp-figures-exact.xlsx"
    assert about(book["About the figures"])["Small numbers"] == "Exact figures, only for use inside the job centre."
    assert book["Funnel"]["C5"].value == 3, "3 activity-ready completers"


def test_the_danish_workbook_and_csv_speak_danish(client, auth, cohort):
    auth.login(cohort.consultant)

    book, _name = get_workbook(client)
    response = client.get("/consultant/dashboard/funnel.csv", query_string={"numbers": "exact"})

    assert book.sheetnames[0] == "Om tallene"
    assert about(book["Om tallene"])["Jobcenter"] == "Jobcenter Amager"
    assert "Andel i fuldtidsarbejde 60 dage efter: 95 %-interval fra (%)" in response.data.decode()
    assert ";15,0;5,2;36,0;" in response.data.decode(), "a decimal comma for Danish Excel"


def test_file_names_name_the_filter_and_cannot_break_the_header(client, auth, make):
    hostile = Cohort(make, 'Vest/"Øst"', 'Kursus\\"; filename=x.exe\x7f')
    admin = make.admin()
    in_english(admin)
    auth.login(admin)
    chosen = {"jobcenter_id": hostile.jobcenter.id, "course_id": hostile.course.id, "course_run_id": hostile.run.id,
              "period_from": f"{TODAY - timedelta(days=80):%d.%m.%Y}"}

    response = client.get("/consultant/dashboard/funnel.csv", query_string={**chosen, "format": "excel"})
    _book, book_name = get_workbook(client, **chosen, numbers="exact")

    assert response.status_code == 200
    run = f"run {hostile.run.starts_on} to {hostile.run.ends_on}"
    since = f"from {TODAY - timedelta(days=80)}"
    assert file_name(response) == f"matchapp-funnel-Jobcenter VestØst-Kursus filename=x.exe-{run}-{since}-excel.csv"
    assert book_name == f"matchapp-figures-Jobcenter VestØst-Kursus filename=x.exe-{run}-{since}-exact.xlsx"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="matchapp-funnel-Jobcenter Vestst-Kursus filename=x.exe'), \
        "an ASCII name for old browsers, the UTF-8 one after it"
    assert parse_options_header(disposition) == ("attachment", {"filename": file_name(response)}), \
        "no parameter of the course's name's making"


def test_a_course_named_as_a_formula_stays_text_in_the_workbook_and_the_csv(client, auth, make):
    formula = '=HYPERLINK("http://x","y")'
    cohort = Cohort(make, course=formula, employers=("+Hotel", "@Vagt"))
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    book, _name = get_workbook(client)
    rows, _name = get_csv(client, "funnel")

    for title in ("Funnel", "Employers and courses"):
        named = [cell for row in book[title].iter_rows() for cell in row if cell.value == formula]
        assert named, title
        assert all(cell.data_type == "s" for cell in named), "text, not a formula"
    assert not [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.data_type == "f"]
    assert book["Employers"]["A3"].value == "+Hotel"
    assert book["Employers"]["A3"].data_type == "s"
    assert rows[1][0] == f"'{formula}", "the CSV's text cell starts with a quote"


def test_unknown_numbers_or_a_bad_filter_are_refused(client, auth, cohort):
    auth.login(cohort.consultant)

    assert client.get("/consultant/dashboard/figures.xlsx?numbers=all").status_code == 404
    assert client.get("/consultant/dashboard/funnel.csv?numbers=raw").status_code == 404
    assert client.get("/consultant/dashboard/figures.xlsx",
                      query_string={"period_from": "2026-06-01", "period_to": "2026-05-01"}).status_code == 400


def test_an_employer_gets_no_export(client, auth, cohort):
    auth.login(cohort.employer)

    assert client.get("/consultant/dashboard/figures.xlsx").status_code == 403
    assert client.get("/consultant/dashboard/funnel.csv?numbers=exact").status_code == 403


def test_another_job_centres_consultant_gets_none_of_the_cohort_in_the_workbook(client, auth, make, cohort):
    stranger = make.consultant(make.jobcenter("Jobcenter Nørrebro"))
    in_english(stranger)
    auth.login(stranger)

    book, name = get_workbook(client, jobcenter_id=cohort.jobcenter.id, numbers="exact")

    assert about(book["About the figures"])["Job centre"] == "Jobcenter Nørrebro"
    assert name == "matchapp-figures-exact.xlsx", "a consultant's figures are always their own job centre's"
    assert book["Funnel"].max_row == 2, "the caption and the header, no course"


def test_the_page_offers_the_workbook_with_its_filter(client, auth, cohort):
    in_english(cohort.consultant)
    auth.login(cohort.consultant)

    page = client.get("/consultant/dashboard", query_string={"course_id": cohort.course.id, "page": 1}).text

    assert f'<a href="/consultant/dashboard/figures.xlsx?course_id={cohort.course.id}" download>' in page
    assert f'<a href="/consultant/dashboard/figures.xlsx?course_id={cohort.course.id}&amp;numbers=exact" download>' \
        "All tables as an Excel workbook with exact figures, only for use inside the job centre</a>" in page
    assert f'/consultant/dashboard/funnel.csv?format=excel&amp;course_id={cohort.course.id}"' in page
