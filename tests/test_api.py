"""The REST API as a job centre's integration uses it, and every way a request is refused: each with its documented
problem (application/problem+json) and nothing changed."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import SCOPES, AuditEvent, Booking, BookingStatus, Candidate, ConsultantOutcome
from matchapp.services import catalogue, integrations

PROBLEM = "application/problem+json"


def make_key(make, *, jobcenter=None, scopes=SCOPES, admin=None) -> tuple[str, object]:
    admin = admin or make.admin()
    jobcenter = jobcenter or make.jobcenter()
    integration = integrations.create_integration("Sagssystem", jobcenter, by=admin, now=utcnow())
    key, raw = integrations.create_key(integration, list(scopes), by=admin, now=utcnow())
    db.session.commit()
    return raw, key


def bearer(raw: str, **more) -> dict:
    return {"Authorization": f"Bearer {raw}", **more}


def assert_problem(response, status: int, slug: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status
    assert body["type"] == f"/api/v1/docs#problem-{slug}", body
    return body


def snapshot() -> tuple:
    """What the refused requests below must leave as it was."""
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Candidate)),
            db.session.scalars(select(Booking.status).order_by(Booking.id)).all(),
            db.session.scalar(select(func.count()).select_from(ConsultantOutcome)),
            db.session.scalars(select(Candidate.external_id).order_by(Candidate.id)).all())


@pytest.fixture
def story(make, course):
    """A job centre with a run of the course, a key for its system, and an employer's session tomorrow."""
    jobcenter = make.jobcenter("Jobcenter Amager")
    raw, key = make_key(make, jobcenter=jobcenter)
    run = catalogue.create_course_run(course, jobcenter, date.today() - timedelta(days=30),
                                      date.today() - timedelta(days=1), by=None, now=utcnow())
    session = make.session(courses=[course])
    db.session.commit()
    return {"key": raw, "key_row": key, "run": run, "session": session, "jobcenter": jobcenter}


def put_candidate(client, raw, external_id="EXT-1", **headers):
    return client.put(f"/api/v1/candidates/{external_id}", headers=bearer(raw, **headers),
                      json={"name": "Amina Hassan", "email": "amina@example.dk", "phone": None,
                            "target_group": "jobparat"})


def test_an_integration_registers_a_candidate_completes_the_run_reads_the_booking_and_writes_the_outcome(
        client, story, make):
    raw, run = story["key"], story["run"]
    created = put_candidate(client, raw)
    assert created.status_code == 201
    assert created.get_json()["external_id"] == "EXT-1"
    completion = client.post(f"/api/v1/course-runs/{run.id}/completions", headers=bearer(raw),
                             json={"external_id": "EXT-1", "completed_at": "2026-12-01T15:00:00+01:00"})
    assert completion.status_code == 200
    assert completion.get_json()["completed_at"].startswith("2026-12-01T14:00:00")
    # The candidate books a time of the session (they may: the run is completed).
    candidate = db.session.scalar(select(Candidate).where(Candidate.external_id == "EXT-1"))
    booking = make.booking(candidate, story["session"].slots[0])
    page = client.get("/api/v1/bookings?limit=10", headers=bearer(raw)).get_json()
    assert [b["id"] for b in page["items"]] == [booking.id]
    assert page["next"] is None
    assert page["items"][0]["external_id"] == "EXT-1"
    # The meeting has taken place: the job centre records that the candidate was hired.
    db.session.execute(Booking.__table__.update().values(created_at=utcnow() - timedelta(days=3)))
    booking.slot.starts_at -= timedelta(days=2)
    booking.slot.ends_at -= timedelta(days=2)
    db.session.commit()
    written = client.put(f"/api/v1/bookings/{booking.id}/outcome", headers=bearer(raw),
                         json={"attendance": "attended", "result": "hired", "employment_type": "full_time",
                               "start_date": "2027-01-04", "hours_per_week": 37})
    assert written.status_code == 200, written.get_json()
    assert written.get_json()["recorded_by"] == "consultant"
    read = client.get(f"/api/v1/bookings/{booking.id}/outcome", headers=bearer(raw))
    assert read.get_json()["result"] == "hired"
    assert read.headers["ETag"] == written.headers["ETag"]
    # Every write went through the key, and the audit trail says so.
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.api_key_id)
                                 .where(AuditEvent.api_key_id.is_not(None))).all()
    assert {a for a, _k in actions} >= {"candidate_created", "completion_recorded", "outcome_recorded_by_consultant"}
    assert {k for _a, k in actions} == {story["key_row"].id}
    db.session.refresh(story["key_row"])
    assert story["key_row"].last_used_at is not None  # the admin page shows it


def test_a_course_run_is_added_at_the_key_s_job_centre(client, story, course):
    run = client.post("/api/v1/course-runs", headers=bearer(story["key"]),
                      json={"course_id": course.id, "starts_on": "2027-01-04", "ends_on": "2027-01-29"})
    assert run.status_code == 201
    runs = client.get("/api/v1/course-runs", headers=bearer(story["key"])).get_json()["items"]
    assert run.get_json() in runs
    assert_problem(client.post("/api/v1/course-runs", headers=bearer(story["key"]),
                               json={"course_id": course.id, "starts_on": "2027-01-29", "ends_on": "2027-01-04"}),
                   422, "invalid")


def test_a_list_of_bookings_is_read_page_by_page_with_the_cursor(client, story, make, course):
    raw = story["key"]
    session = make.session(courses=[course], start=__import__("datetime").time(12), end=__import__("datetime").time(13))
    booked = []
    for slot in (story["session"].slots[:3]):
        candidate = make.candidate(completed=[course], jobcenter=story["jobcenter"])
        booked.append(make.booking(candidate, slot).id)
    booked.append(make.booking(make.candidate(completed=[course], jobcenter=story["jobcenter"]), session.slots[0]).id)
    seen, url = [], "/api/v1/bookings?limit=3"
    while url:
        page = client.get(url, headers=bearer(raw)).get_json()
        seen += [b["id"] for b in page["items"]]
        url = page["next"]
    assert seen == sorted(booked)
    assert_problem(client.get("/api/v1/bookings?cursor=bm9wZQ", headers=bearer(raw)), 400, "bad-cursor")


def test_a_candidate_is_changed_only_with_the_etag_just_read(client, story):
    raw = story["key"]
    put_candidate(client, raw)
    etag = client.get("/api/v1/candidates/EXT-1", headers=bearer(raw)).headers["ETag"]
    before = snapshot()
    assert_problem(put_candidate(client, raw, **{"If-Match": '"stale"'}), 412, "precondition-failed")
    assert_problem(put_candidate(client, raw), 428, "precondition-required")
    assert snapshot() == before
    changed = client.put("/api/v1/candidates/EXT-1", headers=bearer(raw, **{"If-Match": etag}),
                         json={"name": "Amina H. Hassan", "email": "amina@example.dk", "phone": "+4512345678",
                               "target_group": "aktivitetsparat"})
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Amina H. Hassan"
    assert_problem(client.put("/api/v1/candidates/EXT-1", headers=bearer(raw, **{"If-Match": etag}),
                              json={"name": "Igen", "email": "amina@example.dk", "target_group": "jobparat"}),
                   412, "precondition-failed")


def test_a_cpr_number_is_refused_wherever_it_is_sent(client, story):
    raw = story["key"]
    before = snapshot()
    assert_problem(put_candidate(client, raw, external_id="010190-1234"), 422, "invalid")
    body = {"name": "0101901234", "email": "a@example.dk", "target_group": "jobparat"}
    refused = assert_problem(client.put("/api/v1/candidates/EXT-2", headers=bearer(raw), json=body), 422, "invalid")
    assert "CPR" in str(refused["errors"])
    assert snapshot() == before


def test_each_refused_key_gets_its_documented_problem_and_changes_nothing(client, story, make, course, caplog):
    raw = story["key"]
    put_candidate(client, raw)
    candidate = db.session.scalar(select(Candidate).where(Candidate.external_id == "EXT-1"))
    catalogue.record_completion(candidate, story["run"], utcnow(), by=None, now=utcnow())
    booking = make.booking(candidate, story["session"].slots[0])
    read_only, _ = make_key(make, jobcenter=story["jobcenter"], scopes=["bookings:read"])
    other_centre, _ = make_key(make)
    revoked, revoked_row = make_key(make, jobcenter=story["jobcenter"])
    integrations.revoke_key(revoked_row, by=make.admin(), now=utcnow())
    db.session.commit()
    cancel = f"/api/v1/bookings/{booking.id}/cancel"
    before = snapshot()
    assert_problem(client.post(cancel, headers=bearer(read_only), json={}), 403, "missing-scope")
    assert_problem(client.post(cancel, headers=bearer(revoked), json={}), 401, "unauthorized")
    assert_problem(client.post(cancel, headers=bearer(other_centre), json={}), 404, "not-found")
    assert_problem(client.get("/api/v1/candidates/EXT-1", headers=bearer(other_centre)), 404, "not-found")
    assert client.get("/api/v1/bookings", headers=bearer(other_centre)).get_json()["items"] == []
    assert_problem(client.post(f"{cancel}?api_key={raw}", json={}), 400, "key-in-query")
    assert_problem(client.post(f"{cancel}?access_token={raw}", headers=bearer(raw), json={}), 400, "key-in-query")
    assert_problem(client.post(cancel, headers={"Authorization": f"Basic {raw}"}, json={}), 401, "unauthorized")
    assert_problem(client.post(cancel, json={}), 401, "unauthorized")
    assert snapshot() == before
    assert "key in the query string" in caplog.text  # logged as a security event, without the key
    assert raw not in caplog.text
    assert revoked not in caplog.text
    assert client.post(cancel, headers=bearer(raw), json={"reason": "Flyttet"}).status_code == 200
    assert db.session.get(Booking, booking.id).status == BookingStatus.CANCELLED
    assert_problem(client.post(cancel, headers=bearer(raw), json={}), 409, "conflict")


def test_a_wrong_if_match_on_an_outcome_changes_nothing(client, story, make):
    raw = story["key"]
    put_candidate(client, raw)
    candidate = db.session.scalar(select(Candidate).where(Candidate.external_id == "EXT-1"))
    catalogue.record_completion(candidate, story["run"], utcnow(), by=None, now=utcnow())
    booking = make.booking(candidate, story["session"].slots[0])
    booking.slot.starts_at -= timedelta(days=2)
    booking.slot.ends_at -= timedelta(days=2)
    db.session.commit()
    url, no_show = f"/api/v1/bookings/{booking.id}/outcome", {"attendance": "candidate_no_show"}
    assert client.put(url, headers=bearer(raw), json=no_show).status_code == 200
    before = snapshot()
    assert_problem(client.put(url, headers=bearer(raw, **{"If-Match": '"old"'}),
                              json={"attendance": "attended", "result": "no_match"}), 412, "precondition-failed")
    assert client.get(url, headers=bearer(raw)).get_json()["attendance"] == "candidate_no_show"
    assert snapshot() == before


def test_the_key_is_rate_limited_per_key(db_url, make):
    from conftest import test_settings

    from matchapp import create_app
    from matchapp.web import api

    limited = create_app(test_settings(db_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    with limited.app_context():
        raw, _key = make_key(make)
        other, _ = make_key(make)
        client = limited.test_client()
        allowed = int(api.RATE_LIMIT.split()[0])
        answers = [client.get("/api/v1/courses", headers=bearer(raw)).status_code for _ in range(allowed + 1)]
        assert answers[:allowed] == [200] * allowed
        assert_problem(client.get("/api/v1/courses", headers=bearer(raw)), 429, "too-many-requests")
        assert client.get("/api/v1/courses", headers=bearer(other)).status_code == 200  # its own bucket
        db.session.remove()
        db.engine.dispose()


def test_the_document_is_openapi_3_1_and_the_site_keeps_its_own_error_pages(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.1")
    assert "/api/v1/bookings" in spec["paths"]
    assert "text/html" in client.get("/no-such-page").mimetype
    assert client.get("/api/v1/no-such-thing").mimetype == PROBLEM
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert 'id="problem-key-in-query"' in page.get_data(as_text=True)


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(client, auth, make):
    admin, jobcenter = make.admin(), make.jobcenter("Jobcenter Nord")
    auth.login(admin)
    response = client.post("/admin/integrations", data={"name": "Fagsystem", "jobcenter_id": str(jobcenter.id)})
    assert response.status_code == 302
    page = client.post(response.headers["Location"] + "/keys", data={"scopes": ["courses:read"]})
    assert page.status_code == 200
    raw = page.get_data(as_text=True).split('<code id="new-key" class="secret-key">')[1].split("<")[0]
    assert client.get("/api/v1/courses", headers=bearer(raw)).status_code == 200
    assert raw not in client.get(response.headers["Location"]).get_data(as_text=True)  # shown once
    key_id = db.session.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "api_key_created"))
    assert client.post(f"/admin/api-keys/{key_id}/revoke").status_code == 302
    assert_problem(client.get("/api/v1/courses", headers=bearer(raw)), 401, "unauthorized")


def test_the_figures_of_a_few_people_are_withheld_as_in_the_downloads(client, story, make, course, app):
    from matchapp.services import figures

    for _ in range(3):
        catalogue.record_completion(make.candidate(jobcenter=story["jobcenter"]), story["run"], utcnow(), by=None,
                                    now=utcnow())
    other_centre, _ = make_key(make)
    figures.refresh_figures(now=utcnow())
    db.session.commit()
    table = client.get("/api/v1/figures/funnel", headers=bearer(story["key"], **{"Accept-Language": "en"})).get_json()
    assert table["small_number_limit"] == app.config["SMALL_NUMBER_LIMIT"] == 5
    completed = table["columns"].index("Completed the course")
    assert {row[completed] for row in table["rows"]} <= {"<5", 0, None}
    assert "<5" in {row[completed] for row in table["rows"]}
    assert_problem(client.get("/api/v1/figures/nope", headers=bearer(story["key"])), 404, "not-found")
    assert_problem(client.get(f"/api/v1/figures/funnel?course_run_id={story['run'].id}",
                              headers=bearer(other_centre)), 404, "not-found")
    assert_problem(client.get("/api/v1/figures/funnel?period_from=2026-02-01&period_to=2026-01-01",
                              headers=bearer(story["key"])), 422, "invalid")
