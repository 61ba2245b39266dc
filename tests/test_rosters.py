"""A consultant imports a course provider's participant list into a course run: real workbooks made by openpyxl and
CSV files as Danish Excel saves them, a preview before anything is written, all or nothing, and again changes
nothing."""
from __future__ import annotations

import io
import re
import threading
import zipfile
from datetime import date, timedelta

import pytest
from conftest import AuthActions, csrf_token
from openpyxl import Workbook, load_workbook
from plain_language import page_lix
from sqlalchemy import func, select

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import AuditEvent, Candidate, Enrollment, OutboxMessage, TargetGroup, User
from matchapp.services import accounts, catalogue, erasure
from matchapp.services.roster_files import read_roster

HEADINGS = ["Navn", "E-mail", "Telefon", "Ekstern id", "Målgruppe", "Gennemført"]


def workbook(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    for row in rows:
        sheet.append(list(row))
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def danish_csv(*rows, encoding: str = "utf-8-sig") -> bytes:
    """As Danish Excel saves "CSV UTF-8" (a byte order mark) or plain "CSV" (Windows-1252): semicolons, CRLF."""
    lines = [";".join(HEADINGS), *(";".join(str(cell) for cell in row) for row in rows)]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def run(make):
    consultant = make.consultant()
    course = make.course("Hotelbookingsystemer")
    today = date.today()
    run = catalogue.create_course_run(course, consultant.jobcenter, today - timedelta(days=30),
                                      today - timedelta(days=2), by=None, now=utcnow())
    db.session.commit()
    run.consultant = consultant
    return run


def upload(client, run, content: bytes, filename: str = "deltagere.xlsx", **extra):
    """Send the file as a browser does. The body is made here: the test client would spool a large one to a
    temporary file it never closes."""
    parts = [f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in extra.items()]
    parts.append(f'--b\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n--b--\r\n")
    return client.post(f"/consultant/runs/{run.id}/roster", data=b"".join(parts),
                       content_type="multipart/form-data; boundary=b")


def signed_rows(html: str) -> str:
    return re.search(r'name="rows" type="hidden" value="([^"]+)"', html).group(1)


def confirm(client, run, preview_html: str, **extra):
    return client.post(f"/consultant/runs/{run.id}/roster/confirm", data={"rows": signed_rows(preview_html), **extra})


def counts() -> dict[str, int]:
    """The rows an import may write: to see that a refused one, or the same file again, writes none."""
    db.session.expire_all()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, Candidate, Enrollment, OutboxMessage)}


def completed_emails(run) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(User.email).join(Candidate, Candidate.user_id == User.id)
                                  .join(Enrollment, Enrollment.candidate_id == Candidate.id)
                                  .where(Enrollment.course_run_id == run.id, Enrollment.completed_at.is_not(None))))


def test_the_preview_shows_new_known_and_wrong_rows_and_writes_nothing(client, auth, make, run):
    known = make.candidate(consultant=run.consultant)
    by_id = make.candidate(consultant=run.consultant)
    by_id.external_id = "JC-77"
    db.session.commit()
    content = workbook(
        ("Ny Nielsen", "ny@example.dk", "12345678", "", "jobparat", "ja"),
        ("Kendt", known.user.email.upper(), "", "", "", "ja"),
        ("Ændret adresse", "ny-adresse@example.dk", "", "JC-77", "", "ja"),
        ("Forkert", "ikke en adresse", "", "", "jobparat", "ja"),
        ("Ny Nielsen igen", "NY@example.dk", "", "", "jobparat", "nej"),
        ("Uden målgruppe", "uden@example.dk", "", "", "", "ja"),
    )
    auth.login(run.consultant)
    before = counts()

    response = upload(client, run, content)
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert counts() == before
    assert "Intet er gemt" in page
    assert "Række 5: E-mailadressen er ikke gyldig." in page
    assert "Række 6: Række 2 har samme e-mailadresse." in page
    assert "Række 7: Målgruppen mangler." in page
    assert "Fundet ud fra mailen." in page
    assert "Fundet ud fra det eksterne id." in page
    assert 'name="rows"' not in page  # with errors in the file there is nothing to confirm


def test_importing_a_workbook_creates_candidates_records_completions_and_again_changes_nothing(
        client, auth, make, run):
    known = make.candidate(consultant=run.consultant)
    content = workbook(
        ("Søren Ærø", "soren@example.dk", 12345678, "JC-1", "jobparat", "ja"),
        ("Åse Øberg", "aase@example.dk", None, "JC-2", "aktivitetsparat", "nej"),
        ("Kendt Kandidat", known.user.email, None, "JC-3", None, "Ja"),
    )
    auth.login(run.consultant)
    mails = db.session.scalar(select(func.count()).select_from(OutboxMessage))

    preview = upload(client, run, content)
    response = confirm(client, run, preview.get_data(as_text=True))
    result = client.get(response.headers["Location"])

    assert response.status_code == 303
    assert "2 nye kandidater er oprettet" in result.get_data(as_text=True)
    db.session.expire_all()
    soren = accounts.find_user("soren@example.dk").candidate
    assert (soren.user.name, soren.user.phone, soren.external_id, soren.target_group, soren.consultant_id) == (
        "Søren Ærø", "12345678", "JC-1", TargetGroup.JOB_READY, run.consultant.id)
    assert accounts.find_user("aase@example.dk").candidate.target_group == TargetGroup.ACTIVITY_READY
    assert db.session.get(Candidate, known.id).external_id == "JC-3"
    assert completed_emails(run) == {"soren@example.dk", known.user.email}
    assert db.session.scalar(select(func.count()).select_from(Enrollment)
                             .where(Enrollment.course_run_id == run.id)) == 3
    welcomes = db.session.scalars(select(OutboxMessage.recipient).order_by(OutboxMessage.id).offset(mails)).all()
    assert sorted(welcomes) == ["aase@example.dk", "soren@example.dk"]
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "roster_imported", AuditEvent.object_id == run.id)) == 1

    before = counts()
    again = upload(client, run, content)
    assert "Intet ændres. Listen er indlæst før." in again.get_data(as_text=True)
    response = confirm(client, run, again.get_data(as_text=True))

    assert response.status_code == 303
    assert "3 var der i forvejen" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert counts() == before
    assert completed_emails(run) == {"soren@example.dk", known.user.email}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "utf-8"])
def test_a_csv_file_as_danish_excel_saves_it_is_imported(client, auth, run, encoding):
    content = danish_csv(("Søren Ærø", "soren@example.dk", "", "", "jobparat", "ja"),
                         ("Åse Øberg", "aase@example.dk", "+45 12 34 56 78", "", "Aktivitetsparat", "nej"),
                         encoding=encoding)
    auth.login(run.consultant)

    preview = upload(client, run, content, "deltagere.csv")
    response = confirm(client, run, preview.get_data(as_text=True))

    assert response.status_code == 303
    assert accounts.find_user("soren@example.dk").name == "Søren Ærø"
    assert accounts.find_user("aase@example.dk").phone == "+45 12 34 56 78"
    assert completed_emails(run) == {"soren@example.dk"}


def test_cells_that_look_like_formulas_are_kept_as_text_never_run(client, auth, run):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADINGS)
    sheet.append(['=HYPERLINK("http://evil.example","Klik")', "formel@example.dk", "=1+1", "", "jobparat", "ja"])
    sheet.append(["Ulla", "ulla@example.dk", "", "", "jobparat", "=TRUE()"])
    data = io.BytesIO()
    book.save(data)
    assert load_workbook(io.BytesIO(data.getvalue()))["Sheet"]["C2"].value == "=1+1"  # a formula in the file
    auth.login(run.consultant)

    page = upload(client, run, data.getvalue()).get_data(as_text=True)

    assert "Række 3: Skriv ja eller nej i kolonnen Gennemført." in page  # =TRUE() is text, not true
    fixed = danish_csv(('=HYPERLINK("http://evil.example";"Klik")'.replace(";", ","), "formel@example.dk", "=1+1", "",
                        "jobparat", "ja"), ("@SUM(A1)", "sum@example.dk", "-2+3", "", "jobparat", "nej"))
    confirm(client, run, upload(client, run, fixed, "d.csv").get_data(as_text=True))
    formula = accounts.find_user("formel@example.dk")
    assert (formula.name, formula.phone) == ('=HYPERLINK("http://evil.example","Klik")', "=1+1")
    assert (accounts.find_user("sum@example.dk").name, accounts.find_user("sum@example.dk").phone) == (
        "@SUM(A1)", "-2+3")


def zip_bomb() -> bytes:
    """A workbook-looking zip of about 60 kB that unpacks to 60 MB."""
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * (60 * 1024 * 1024))
    return data.getvalue()


BROKEN = {
    "a zip that is no workbook": (b"PK\x03\x04" + b"\x00" * 200, 422, "Filen kunne ikke læses."),
    "a corrupt workbook": (workbook(("A", "a@example.dk", "", "", "jobparat", "ja"))[:900], 422,
                           "Filen kunne ikke læses."),
    "binary junk": (bytes(range(256)) * 40, 422, "Filen er hverken et regneark"),
    "an empty file": (b"", 422, "Filen er tom."),
    "only line breaks": (b"\r\n\r\n", 422, "Filen er tom."),
    "no headings": (b"Anna;anna@example.dk;ja\r\n", 422, "Der mangler: Navn, E-mail."),
    "headings only": (b"Navn;E-mail\r\n", 422, "Filen har ingen deltagere under overskrifterne."),
    "an old .xls file": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500, 422, "gammel Excel-fil"),
    "a file over 2 MB": (b"Navn;E-mail\r\n" + b"x" * (2 * 1024 * 1024), 413, "højst fylde 2 MB"),
    "a zip bomb": (zip_bomb(), 413, "højst fylde 2 MB"),
    "1,001 participants": (danish_csv(*[(f"P {n}", f"p{n}@example.dk", "", "", "jobparat", "ja")
                                        for n in range(1001)]), 413, "højst have 1.000 deltagere"),
}


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_or_too_large_file_gets_a_4xx_with_the_reason_and_writes_nothing(client, auth, run, name):
    content, status, message = BROKEN[name]
    auth.login(run.consultant)
    before = counts()

    response = upload(client, run, content, "deltagere.xlsx")

    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert counts() == before


def test_a_body_far_over_the_limit_gets_the_sites_413_page(client, auth, run):
    auth.login(run.consultant)

    response = client.post(f"/consultant/runs/{run.id}/roster", data=b"x" * (3 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=b")

    assert response.status_code == 413
    assert "matchapp" in response.get_data(as_text=True)


def test_a_candidate_created_between_preview_and_confirm_is_not_created_twice(client, auth, make, run):
    content = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"))
    auth.login(run.consultant)
    preview = upload(client, run, content).get_data(as_text=True)
    meanwhile = accounts.create_candidate(accounts.CandidateData(
        name="Ny Nielsen", email="ny@example.dk", phone=None, jobcenter_id=run.jobcenter_id,
        target_group=TargetGroup.JOB_READY, consultant_id=None), created_by=run.consultant, now=utcnow())
    db.session.commit()

    response = confirm(client, run, preview)

    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "ny@example.dk")) == 1
    assert completed_emails(run) == {"ny@example.dk"}
    assert db.session.scalar(select(Enrollment.candidate_id).where(Enrollment.course_run_id == run.id)) == meanwhile.id


def test_a_row_that_fails_at_confirmation_shows_the_preview_again_and_writes_nothing(client, auth, make, run):
    content = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"),
                       ("Anden", "anden@example.dk", "", "", "jobparat", "ja"))
    auth.login(run.consultant)
    preview = upload(client, run, content).get_data(as_text=True)
    staff = make.consultant()
    staff.email = "ny@example.dk"  # an address of staff now, which a candidate cannot have
    db.session.commit()
    before = counts()

    response = confirm(client, run, preview)

    assert response.status_code == 409
    assert "Noget er ændret, siden du så rækkerne." in response.get_data(as_text=True)
    assert counts() == before


def test_an_altered_or_someone_elses_preview_is_refused(client, auth, make, run):
    content = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"))
    auth.login(run.consultant)
    preview = upload(client, run, content).get_data(as_text=True)
    rows = signed_rows(preview)
    other_run = catalogue.create_course_run(run.course, run.jobcenter, run.starts_on, run.ends_on, by=None,
                                            now=utcnow())
    db.session.commit()
    colleague = make.consultant(run.jobcenter)
    before = counts()

    altered = client.post(f"/consultant/runs/{run.id}/roster/confirm", data={"rows": rows[:-3] + "abc"})
    another_run = client.post(f"/consultant/runs/{other_run.id}/roster/confirm", data={"rows": rows})
    auth.logout()
    auth.login(colleague)
    someone_elses = client.post(f"/consultant/runs/{run.id}/roster/confirm", data={"rows": rows})

    assert [altered.status_code, another_run.status_code, someone_elses.status_code] == [400, 400, 400]
    assert "Upload filen igen." in altered.get_data(as_text=True)
    assert counts() == before


def test_only_staff_of_the_runs_job_centre_import_into_it(client, auth, make, run):
    content = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"))
    outsider = make.consultant()
    candidate = make.candidate(consultant=run.consultant)
    employer = make.employer()
    admin = make.admin()

    refused = []
    for user in (outsider, candidate.user, employer):
        auth.login(user)
        refused += [client.get(f"/consultant/runs/{run.id}/roster").status_code,
                    upload(client, run, content).status_code]
        if user is not outsider:  # the template is the same for every job centre's staff
            refused.append(client.get("/consultant/roster-template").status_code)
        auth.logout()
    auth.login(admin)
    by_admin = confirm(client, run, upload(client, run, content).get_data(as_text=True))

    assert refused == [403] * 8
    assert by_admin.status_code == 303
    db.session.expire_all()
    assert accounts.find_user("ny@example.dk").candidate.consultant_id is None  # an admin is no one's consultant


def test_the_runs_page_links_to_the_import_and_the_templates_read_back(client, auth, run):
    auth.login(run.consultant)

    runs = client.get("/consultant/runs").get_data(as_text=True)
    page = client.get(f"/consultant/runs/{run.id}/roster").get_data(as_text=True)
    xlsx = client.get("/consultant/roster-template")
    csv_file = client.get("/consultant/roster-template?format=csv")

    assert f"/consultant/runs/{run.id}/roster" in runs
    assert "/consultant/roster-template?format=csv" in page
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert csv_file.data.startswith(b"\xef\xbb\xbfNavn;E-mail;Telefon;Ekstern id;M\xc3\xa5lgruppe;Gennemf\xc3\xb8rt")
    assert [row.name for row in read_roster(xlsx.data)] == [row.name for row in read_roster(csv_file.data)] == [
        "Anna Jensen"]
    assert client.get("/consultant/roster-template?format=pdf").status_code == 404


def test_the_import_works_with_csrf_protection_on(csrf_client, make, run):
    csrf_client.post("/login", data={"email": run.consultant.email, "password": "correct horse battery",
                                     "csrf_token": csrf_token(csrf_client.get("/login").get_data(as_text=True))})
    form = csrf_client.get(f"/consultant/runs/{run.id}/roster").get_data(as_text=True)
    content = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"))

    without = upload(csrf_client, run, content)
    preview = upload(csrf_client, run, content, csrf_token=csrf_token(form)).get_data(as_text=True)
    response = confirm(csrf_client, run, preview, csrf_token=csrf_token(preview))

    assert without.status_code == 400  # CSRFProtect: the site's page
    assert response.status_code == 303
    assert accounts.find_user("ny@example.dk") is not None


def test_the_import_pages_are_plain_danish(client, auth, make, run):
    known = make.candidate(consultant=run.consultant)
    auth.login(run.consultant)
    with_errors = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"),
                           ("Kendt", known.user.email, "", "", "", "ja"),
                           ("Forkert", "forkert", "", "", "", "måske"))
    valid = workbook(("Ny Nielsen", "ny@example.dk", "", "", "jobparat", "ja"), ("Kendt", known.user.email, "", "",
                                                                                   "", "nej"))

    pages = {"upload": client.get(f"/consultant/runs/{run.id}/roster").text,
             "preview with errors": upload(client, run, with_errors).text,
             "preview": (preview := upload(client, run, valid).text)}
    pages["result"] = client.get(confirm(client, run, preview).headers["Location"]).text

    assert {name: round(page_lix(html), 1) for name, html in pages.items() if page_lix(html) > 35} == {}


def test_an_erased_candidate_keeps_no_external_id_and_the_same_file_then_makes_a_new_candidate(
        client, auth, make, run):
    content = workbook(("Søren Ærø", "soren@example.dk", "", "JC-1", "jobparat", "ja"))
    auth.login(run.consultant)
    confirm(client, run, upload(client, run, content).text)
    soren = accounts.find_user("soren@example.dk").candidate
    erasure.erase_candidate(soren, reason="requested", by=run.consultant, now=utcnow())
    db.session.commit()

    page = upload(client, run, content).text

    assert db.session.get(Candidate, soren.id).external_id is None
    assert "1 ny kandidat" in page
    assert "Søren Ærø" in page


def test_two_confirms_of_the_same_preview_at_once_import_it_once(app, auth, client, run):
    """A double click, or two tabs: both confirms run at the same moment; the file is imported once, and the other
    confirm answers with a page (it found everything imported, or was refused as a conflict), never an error."""
    content = workbook(*[(f"Deltager {n}", f"deltager{n}@example.dk", "", f"X{n}", "jobparat", "ja")
                         for n in range(40)])
    auth.login(run.consultant)
    preview = upload(client, run, content).text
    second = app.test_client()
    AuthActions(second).login(run.consultant)
    start = threading.Barrier(2)
    answers = []
    path, rows = f"/consultant/runs/{run.id}/roster/confirm", signed_rows(preview)
    db.session.rollback()  # the test's own read (run.id) would hold SQLite's lock against both writers

    def press(tab):
        start.wait()
        answers.append(tab.post(path, data={"rows": rows}).status_code)

    tabs = [threading.Thread(target=press, args=(tab,)) for tab in (client, second)]
    for tab in tabs:
        tab.start()
    for tab in tabs:
        tab.join()

    assert sorted(answers) in ([303, 303], [303, 409]), answers
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Candidate).where(Candidate.jobcenter_id ==
                                                                                run.jobcenter_id)) == 40
    assert db.session.scalar(select(func.count()).select_from(Enrollment)) == 40
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.recipient.like("deltager%"))) == 40
