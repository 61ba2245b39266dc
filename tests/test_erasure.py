"""Erasure (GDPR art. 17): the erased people are gone from every table, and the dashboard shows the same figures."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import PASSWORD, csrf_token
from sqlalchemy import select
from test_dashboard import EXPECTED, Cohort, download, refresh, table_rows

from matchapp import mail
from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    Candidate,
    Employer,
    OutboxMessage,
    Outcome,
    SessionStatus,
    User,
    UserSession,
    UserToken,
)
from matchapp.services import accounts, erasure
from matchapp.services.booking import book_slots, cancel_booking


def dashboard(client) -> dict[str, list[list[str]]]:
    """Every figure table as the page shows it and as both CSV files hold it."""
    page = client.get("/consultant/dashboard").get_data(as_text=True)
    figures = {}
    for table in EXPECTED:
        figures[f"{table} page"] = table_rows(page, table)
        for flavour in ("excel", "plain"):
            figures[f"{table} {flavour}"] = download(client, table, flavour)
    return figures


def dump() -> str:
    """Every row of every table, as text."""
    db.session.expire_all()
    return "\n".join(repr(row) for table in db.metadata.sorted_tables
                     for row in db.session.execute(select(table)).all())


def identifying(user: User) -> list[str]:
    return [value for value in (user.name, user.email, user.phone) if value]


@pytest.fixture
def cohort(make) -> Cohort:
    return Cohort(make)


def test_erasing_a_third_of_the_candidates_and_an_employer_leaves_every_figure_as_it_was(
        app, client, auth, make, cohort):
    now = utcnow()
    candidates = db.session.scalars(select(Candidate).join(User, Candidate.user_id == User.id)
                                    .where(Candidate.jobcenter_id == cohort.jobcenter.id).order_by(User.name)).all()
    erased = candidates[::3]  # 8 of 23: hired ones, no-shows, followed-up ones and some who never met anyone
    # What there is to find afterwards: phone numbers, pitches, a cancel reason and a note naming the person, e-mails
    # to them and about them. (A meeting still to come would be cancelled, and so leave the figures: see below.)
    coming = make.session(cohort.other_employer, day=(now + timedelta(days=3)).date())
    secrets = []
    for n, candidate in enumerate(erased):
        candidate.user.phone = f"+45 20 30 40 {n:02d}"
        candidate.pitch = f"Jeg er {candidate.user.name} og kan lide at lave mad"
        candidate.external_id = f"SAG-{n:04d}-{candidate.id}"  # the job centre's own id for them
        secrets += [*identifying(candidate.user), candidate.pitch, candidate.external_id]
    first = erased[1]
    booking = book_slots(first, [coming.slots[0].id], by=first.user, now=now).booked[0]
    cancel_booking(booking, reason=f"{first.user.name} er syg", by=first.user, now=now)
    held = db.session.scalars(select(Outcome).join(Booking).where(Booking.candidate_id.in_([c.id for c in erased]))
                              .order_by(Outcome.id)).first()  # one the employer recorded (not the consultant alone)
    held.note = f"{held.booking.candidate.user.name} var godt forberedt"
    secrets.append(held.note)
    db.session.commit()
    members = db.session.scalars(select(User).where(User.employer_id == cohort.employer.employer_id)).all()
    secrets += [value for member in members for value in identifying(member)]
    organisation = cohort.employer.employer
    organisation.address = "Bagergade 7, 1000 København K"  # the factory gives every organisation the same one
    secrets += [organisation.cvr, organisation.address]
    refresh()

    auth.login(cohort.consultant)
    before = dashboard(client)
    assert before["funnel page"][0][2] == "23"
    admin = make.admin()
    for candidate in erased:
        erasure.erase_candidate(candidate, reason="requested", by=cohort.consultant, now=now)
    erasure.erase_employer(organisation, reason="requested", by=admin, now=now)
    db.session.commit()
    refresh()
    after = dashboard(client)

    label = f"#{organisation.id}"
    for name, rows in before.items():
        expected = [[label if cell == "Hotel Nørreport A/S" else cell for cell in row] for row in rows]
        assert sorted(after[name]) == sorted(expected), name
    assert after["funnel page"] == before["funnel page"]
    everything = dump()
    found = [secret for secret in secrets if secret in everything]
    assert found == []


def test_an_erased_candidates_coming_meeting_is_cancelled_and_the_employer_told_without_a_name(app, make, now):
    consultant = make.consultant()
    course = make.course()
    candidate = make.candidate(completed=[course], consultant=consultant, name="Jonas Vestergaard")
    employer = make.employer()
    session = make.session(employer)
    booking = book_slots(candidate, [session.slots[0].id], by=consultant, now=now).booked[0]
    db.session.commit()
    erasure.erase_candidate(candidate, reason="requested", by=consultant, now=now)
    db.session.commit()
    assert booking.status == BookingStatus.CANCELLED
    cancellations = db.session.scalars(select(OutboxMessage).where(OutboxMessage.ical_method == "CANCEL")).all()
    assert [message.recipient_id for message in cancellations] == [employer.id]
    told = cancellations[0]
    assert f"#{candidate.user_id}" in told.body_text
    assert "METHOD:CANCEL" in told.ical
    everything = dump()
    assert "Jonas Vestergaard" not in everything
    assert "Jonas" not in told.ical


def test_the_audit_log_keeps_a_pseudonymous_entry_with_the_reason(app, make, now):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, name="Aisha Ahmed")
    erasure.erase_candidate(candidate, reason="no_longer_needed", by=consultant, now=now)
    db.session.commit()
    entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate_erased"))
    assert (entry.actor_id, entry.object_id, entry.reason) == (consultant.id, candidate.id, "no_longer_needed")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "candidate_created")) is not None
    assert candidate.user.name == f"#{candidate.user.id}"


def test_an_erased_candidate_cannot_sign_in_and_is_never_written_to_again(app, client, make, now):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, name="Peter Jensen")
    email = candidate.user.email
    client.post("/login", data={"email": email, "password": PASSWORD})
    assert db.session.scalar(select(UserSession.id)) is not None
    erasure.erase_candidate(candidate, reason="requested", by=consultant, now=now)
    db.session.commit()
    assert db.session.scalar(select(UserSession.id)) is None
    assert db.session.scalar(select(UserToken.id).where(UserToken.user_id == candidate.user_id)) is None
    assert client.get("/candidate/").status_code == 302  # the old cookie signs nobody in
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 200
    assert "Forkert e-mailadresse eller adgangskode." in response.get_data(as_text=True)
    client.post("/link", data={"email": email})
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == candidate.user_id)).all() == []
    assert mail.queue(candidate.user, "candidate_welcome", now=now, link="x", privacy="x") is None
    with pytest.raises(erasure.Conflict):
        erasure.erase_candidate(candidate, reason="requested", by=consultant, now=now)
    with pytest.raises(erasure.Conflict):
        accounts.reactivate_user(candidate.user, by=consultant, now=now)


def test_a_consultant_erases_a_candidate_after_choosing_a_reason_and_confirming(app, client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, name="Mette Frederiksen")
    auth.login(consultant)
    page = client.get(f"/privacy/candidates/{candidate.id}/erase").get_data(as_text=True)
    assert "Slet Mette Frederiksen" in page
    assert "kan ikke fortrydes" in page
    response = client.post(f"/privacy/candidates/{candidate.id}/erase", data={"reason": "requested"})
    assert response.status_code == 400
    assert "Sæt kryds for at bekræfte sletningen." in response.get_data(as_text=True)
    response = client.post(f"/privacy/candidates/{candidate.id}/erase", data={"reason": "because", "confirm": "y"})
    assert response.status_code == 400
    db.session.expire_all()
    assert candidate.user.erased_at is None
    response = client.post(f"/privacy/candidates/{candidate.id}/erase", data={"reason": "requested", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert candidate.user.erased_at is not None
    listing = client.get("/consultant/candidates").get_data(as_text=True)
    assert "Mette Frederiksen" not in listing
    assert f"#{candidate.user_id}" not in listing
    assert client.get(f"/privacy/candidates/{candidate.id}/erase").status_code == 404


def test_erasing_takes_a_csrf_token(app, csrf_client, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    csrf_client.post("/login", data={"email": consultant.email, "password": PASSWORD,
                                     "csrf_token": csrf_token(csrf_client.get("/login").get_data(as_text=True))})
    url = f"/privacy/candidates/{candidate.id}/erase"
    assert csrf_client.post(url, data={"reason": "requested", "confirm": "y"}).status_code == 400
    token = csrf_token(csrf_client.get(url).get_data(as_text=True))
    assert csrf_client.post(url, data={"reason": "requested", "confirm": "y", "csrf_token": token}).status_code == 302


def test_only_the_candidates_job_centre_and_admins_may_erase(app, client, auth, make):
    candidate = make.candidate(consultant=make.consultant())
    auth.login(make.consultant())
    assert client.post(f"/privacy/candidates/{candidate.id}/erase",
                       data={"reason": "requested", "confirm": "y"}).status_code == 403
    auth.logout()
    employer = make.employer()
    auth.login(employer)
    assert client.get(f"/privacy/candidates/{candidate.id}/erase").status_code == 403
    assert client.get(f"/privacy/employers/{employer.employer_id}/erase").status_code == 403
    auth.logout()
    auth.login(make.consultant())
    assert client.get(f"/privacy/employers/{employer.employer_id}/erase").status_code == 403
    db.session.expire_all()
    assert candidate.user.erased_at is None


def test_an_admin_erases_one_member_and_the_organisation_keeps_its_sessions(app, client, auth, make, now):
    member = make.employer(name="Bageriet ApS")
    session = make.session(member)
    colleague = User(email="kollega@example.dk", name="Kirsten Kollega", role=member.role,
                     employer_id=member.employer_id, created_at=now)
    db.session.add(colleague)
    db.session.commit()
    auth.login(make.admin())
    page = client.get(f"/privacy/employers/{member.employer_id}/erase").get_data(as_text=True)
    assert "Kirsten Kollega" in page
    response = client.post(f"/privacy/users/{colleague.id}/erase", data={"reason": "requested", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert colleague.erased_at is not None
    assert member.erased_at is None
    assert session.status == SessionStatus.PUBLISHED
    assert client.get(f"/privacy/users/{make.consultant().id}/erase").status_code == 404  # not an employer's member


def test_erasing_an_organisation_cancels_its_coming_sessions_and_tells_the_booked_candidates(app, client, auth, make,
                                                                                            now):
    course = make.course()
    member = make.employer(name="Bageriet ApS")
    session = make.session(member)
    candidate = make.candidate(completed=[course], consultant=make.consultant())
    book_slots(candidate, [session.slots[0].id], by=candidate.user, now=now)
    db.session.commit()
    auth.login(make.admin())
    page = client.get(f"/privacy/employers/{member.employer_id}/erase").get_data(as_text=True)
    assert "1 kommende samtaleforløb aflyses" in page
    response = client.post(f"/privacy/employers/{member.employer_id}/erase",
                           data={"reason": "no_longer_needed", "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    organisation = db.session.get(Employer, member.employer_id)
    assert (organisation.name, organisation.address, len(organisation.cvr)) == (f"#{organisation.id}", "", 8)
    assert session.status == SessionStatus.CANCELLED
    assert session.video_url is None
    told = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient_id == candidate.user_id,
                                                         OutboxMessage.ical_method == "CANCEL"))
    assert told is not None
    assert "Chef" not in told.body_text
    assert member.erased_at is not None


def test_a_deactivated_candidate_can_be_given_access_again(app, client, auth, make):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant)
    now = utcnow()
    auth.login(consultant)
    client.post(f"/consultant/candidates/{candidate.id}/deactivate")
    db.session.expire_all()
    assert not candidate.user.active
    client.post("/link", data={"email": candidate.user.email})
    assert not db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == candidate.user_id,
                                                              OutboxMessage.created_at > now)).all()
    assert "Giv kandidaten adgang igen" in client.get(f"/consultant/candidates/{candidate.id}").get_data(as_text=True)
    client.post(f"/consultant/candidates/{candidate.id}/reactivate")
    db.session.expire_all()
    assert candidate.user.active
    auth.logout()
    client.post("/link", data={"email": candidate.user.email})
    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == candidate.user_id,
                                                          OutboxMessage.created_at > now)).all()


def test_an_admin_stops_and_gives_back_a_members_access_on_the_organisations_page(app, client, auth, make):
    member = make.employer(name="Bageriet ApS")
    auth.login(make.admin())
    page = client.get(f"/admin/employers/{member.employer_id}").get_data(as_text=True)
    assert member.email in page
    assert "Slet hele organisationen" in page
    response = client.post(f"/admin/users/{member.id}/deactivate")
    assert response.headers["Location"].endswith(f"/admin/employers/{member.employer_id}")
    db.session.expire_all()
    assert not member.active
    assert "Giv adgang igen" in client.get(f"/admin/employers/{member.employer_id}").get_data(as_text=True)
    client.post(f"/admin/users/{member.id}/reactivate")
    db.session.expire_all()
    assert member.active
