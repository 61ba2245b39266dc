"""Least exposure in calendar files (GDPR issue 11): an invite or a feed carries no e-mail address but the reader's
and the app's own; a feed shows upcoming meetings and the last 30 days only; a feed address expires unless renewed."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from icalendar import Calendar
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, danish, text
from sqlalchemy import select
from test_calendar_feed import HOME, cancel, colleague_of, feed, get_address, meetings_in, token_of

from matchapp import formats
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import AuditEvent, Booking, OutboxMessage, Role, User
from matchapp.services import accounts

E_MAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def unfolded(calendar_text: str) -> str:
    """The calendar with its long lines joined again (RFC 5545 folds them at 75 octets)."""
    return calendar_text.replace("\r\n ", "")


def e_mail_addresses_in(calendar_text: str) -> set[str]:
    return {address.lower() for address in E_MAIL.findall(unfolded(calendar_text))}


def invite_sent_to(user: User, booking: Booking) -> str:
    """The calendar part of the invite the app queued for this person about this booking."""
    [invite] = db.session.scalars(select(OutboxMessage.ical).where(
        OutboxMessage.recipient_id == user.id, OutboxMessage.ical.is_not(None))).all()
    assert booking.uid in unfolded(invite)
    return invite


def attendees_of(calendar_text: str) -> list[str]:
    """The ATTENDEE addresses of every meeting in a calendar file, lower case."""
    attendees = []
    for event in Calendar.from_ical(calendar_text).walk("VEVENT"):
        found = event.get("ATTENDEE", [])
        attendees += [str(a).lower() for a in (found if isinstance(found, list) else [found])]
    return attendees


@pytest.fixture
def meeting(make):
    """A consultant books a meeting for their candidate with an employer contact: the three people of a meeting."""
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    session = make.session()
    return make.booking(candidate, session.slots[0], by=consultant)


def sender(app) -> str:
    return app.config["MAIL_SENDER"].lower()


# --- Invites: only the reader ---------------------------------------------------------------------------------------

def test_the_invite_to_the_candidate_carries_only_the_candidates_e_mail_address(app, meeting):
    candidate, contact = meeting.candidate.user, meeting.session.created_by

    invite = invite_sent_to(candidate, meeting)

    assert attendees_of(invite) == [f"mailto:{candidate.email}"]
    assert e_mail_addresses_in(invite) == {candidate.email, sender(app)}
    [event] = Calendar.from_ical(invite).walk("VEVENT")
    assert str(event["ORGANIZER"]).lower() == f"mailto:{sender(app)}"
    # The candidate still learns whom they meet: the employer contact is named in the text.
    assert danish("Employer contact: %(name)s", name=contact.name) in str(event["DESCRIPTION"])


def test_the_invite_to_the_employer_contact_carries_only_their_own_e_mail_address(app, meeting):
    candidate, contact = meeting.candidate.user, meeting.session.created_by

    invite = invite_sent_to(contact, meeting)

    assert attendees_of(invite) == [f"mailto:{contact.email}"]
    assert e_mail_addresses_in(invite) == {contact.email, sender(app)}
    [event] = Calendar.from_ical(invite).walk("VEVENT")
    assert danish("Candidate: %(name)s", name=candidate.name) in str(event["DESCRIPTION"])


def test_the_consultant_who_booked_gets_no_invite_at_all(meeting):
    consultant = meeting.candidate.consultant

    assert db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == consultant.id,
                                                          OutboxMessage.ical.is_not(None))).all() == []


def test_a_cancellation_to_the_candidate_carries_only_the_candidates_e_mail_address(app, meeting):
    cancel(meeting)
    candidate = meeting.candidate.user
    [invite] = db.session.scalars(select(OutboxMessage.ical).where(
        OutboxMessage.recipient_id == candidate.id, OutboxMessage.ical_method == "CANCEL")).all()

    assert attendees_of(invite) == [f"mailto:{candidate.email}"]
    assert e_mail_addresses_in(invite) == {candidate.email, sender(app)}


# --- Feeds: only the owner, where they take part ----------------------------------------------------------------------

def test_a_consultants_feed_carries_no_e_mail_address_of_anyone(app, client, auth, meeting):
    consultant = meeting.candidate.consultant

    calendar_text = feed(app, get_address(client, auth, consultant)).get_data(as_text=True)

    assert meeting.uid in unfolded(calendar_text)
    assert attendees_of(calendar_text) == []
    assert e_mail_addresses_in(calendar_text) == {sender(app)}  # the organiser: the app's own mailbox


@pytest.mark.parametrize("who", ["the candidate", "the employer contact"])
def test_a_feed_names_its_owner_as_the_only_attendee(app, client, auth, meeting, who):
    owner = meeting.candidate.user if who == "the candidate" else meeting.session.created_by

    calendar_text = feed(app, get_address(client, auth, owner)).get_data(as_text=True)

    assert attendees_of(calendar_text) == [f"mailto:{owner.email}"]
    assert e_mail_addresses_in(calendar_text) == {owner.email, sender(app)}


def test_a_colleague_at_the_employer_sees_the_meeting_without_anyones_e_mail_address(app, client, auth, meeting):
    colleague = colleague_of(meeting.session.created_by)

    calendar_text = feed(app, get_address(client, auth, colleague)).get_data(as_text=True)

    assert meeting.uid in unfolded(calendar_text)
    assert attendees_of(calendar_text) == []
    assert e_mail_addresses_in(calendar_text) == {sender(app)}


def test_a_downloaded_meeting_carries_only_the_downloaders_e_mail_address(app, client, auth, meeting):
    candidate = meeting.candidate.user
    auth.login(candidate)

    calendar_text = client.get(f"/calendar/bookings/{meeting.id}.ics").get_data(as_text=True)

    assert e_mail_addresses_in(calendar_text) == {candidate.email, sender(app)}


# --- Feeds: upcoming meetings and 30 days back ------------------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.EMPLOYER, Role.CANDIDATE, Role.CONSULTANT])
def test_a_feed_shows_the_meetings_ahead_and_the_last_30_days_but_not_older_ones(app, client, auth, make, role):
    consultant = make.consultant()
    candidate = make.candidate(consultant=consultant, completed=[make.course()])
    employer = make.employer()
    today = datetime.now(LOCAL_TZ).date()
    long_ago = utcnow() - timedelta(days=45)

    def meeting_on(days_from_today: int) -> Booking:
        when = long_ago if days_from_today < 0 else utcnow()
        session = make.session(employer, day=today + timedelta(days=days_from_today))
        return make.booking(candidate, session.slots[0], now=when)

    days_31_ago, days_29_ago, days_20_ago = meeting_on(-31), meeting_on(-29), meeting_on(-20)
    tomorrow, in_ten_days = meeting_on(1), meeting_on(10)
    cancel(days_20_ago, now=utcnow() - timedelta(days=25))
    owner = {Role.EMPLOYER: employer, Role.CANDIDATE: candidate.user, Role.CONSULTANT: consultant}[role]

    meetings = meetings_in(app, get_address(client, auth, owner))

    assert meetings == {days_29_ago.uid: "CONFIRMED", days_20_ago.uid: "CANCELLED", tomorrow.uid: "CONFIRMED",
                        in_ten_days.uid: "CONFIRMED"}
    assert days_31_ago.uid not in meetings


# --- Feed addresses expire unless renewed ---------------------------------------------------------------------------

def expires_at(user: User) -> datetime:
    return db.session.scalar(select(User.calendar_token_expires_at).where(User.id == user.id))


def let_the_address_expire(user: User) -> None:
    """As if the address had been made CALENDAR_FEED_DAYS and a day ago."""
    db.session.get(User, user.id).calendar_token_expires_at = utcnow() - timedelta(days=1)
    db.session.commit()


def danish_day(instant: datetime) -> str:
    with force_locale("da"):
        return formats.day(instant)


def test_a_new_address_works_for_the_configured_number_of_days(app, client, auth, make):
    candidate = make.candidate()
    before = utcnow()

    get_address(client, auth, candidate.user)

    days = app.config["CALENDAR_FEED_DAYS"]
    assert before + timedelta(days=days) <= expires_at(candidate.user) <= utcnow() + timedelta(days=days)


def test_an_expired_address_answers_404_and_works_again_once_renewed(app, client, auth, make):
    candidate = make.candidate(completed=[make.course()])
    booking = make.booking(candidate, make.session().slots[0])
    token = get_address(client, auth, candidate.user)
    let_the_address_expire(candidate.user)

    assert feed(app, token).status_code == 404

    auth.login(candidate.user)
    response = client.post("/calendar/token/renew", data={"next": "/candidate/meetings"})

    assert response.status_code == 302
    assert response.location == "/candidate/meetings"
    assert token_of(candidate.user) == token  # the same address: existing subscriptions go on
    assert meetings_in(app, token) == {booking.uid: "CONFIRMED"}
    until = expires_at(candidate.user)
    assert until > utcnow() + timedelta(days=app.config["CALENDAR_FEED_DAYS"] - 1)
    page = client.get("/candidate/meetings").text
    assert danish("Your calendar address now works until %(day)s.", day=danish_day(until)) in alerts(page)


def test_a_new_address_and_a_renewal_are_audited_with_ids_only(client, auth, make):
    candidate = make.candidate()
    get_address(client, auth, candidate.user)
    auth.login(candidate.user)

    client.post("/calendar/token/renew", data={"next": "/candidate/meetings"})

    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("calendar_token_%"))
                                .order_by(AuditEvent.id)).all()
    me = candidate.user.id
    assert [(e.action, e.actor_id, e.object_type, e.object_id) for e in events] == [
        ("calendar_token_renewed", me, "User", me), ("calendar_token_extended", me, "User", me)]


def test_a_new_address_kills_the_old_one_even_if_the_old_one_was_renewed(app, client, auth, make):
    candidate = make.candidate()
    old = get_address(client, auth, candidate.user)
    auth.login(candidate.user)
    client.post("/calendar/token/renew", data={"next": "/candidate/meetings"})
    auth.logout()

    new = get_address(client, auth, candidate.user)

    assert new != old
    assert feed(app, old).status_code == 404
    assert feed(app, new).status_code == 200


def test_renewing_without_an_address_says_there_is_none(client, auth, make):
    candidate = make.candidate()
    auth.login(candidate.user)

    response = client.post("/calendar/token/renew", data={"next": "/candidate/meetings"})

    assert response.status_code == 302
    assert token_of(candidate.user) is None
    assert danish("You have no calendar address yet.") in alerts(client.get("/candidate/meetings").text)


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.CONSULTANT])
def test_the_page_says_until_when_the_address_works_and_offers_renewing_it(client, auth, make, role):
    user = {Role.CANDIDATE: lambda: make.candidate().user, Role.EMPLOYER: make.employer,
            Role.CONSULTANT: make.consultant}[role]()
    get_address(client, auth, user)
    auth.login(user)

    page = text(client.get(HOME[role]).text)

    message = "This address works until %(day)s. Renew it before then to keep your subscription working."
    assert danish(message, day=danish_day(expires_at(user))) in page
    assert danish("Renew the address (the same address keeps working)") in page
    assert danish("Make a new address (the old one stops working)") in page


def test_the_page_says_when_the_address_stopped_working(client, auth, make):
    candidate = make.candidate()
    get_address(client, auth, candidate.user)
    let_the_address_expire(candidate.user)
    auth.login(candidate.user)

    page = text(client.get("/candidate/meetings").text)

    message = "This address stopped working on %(day)s. Renew it to use it again where you subscribed to it."
    assert danish(message, day=danish_day(expires_at(candidate.user))) in page


def test_renewing_needs_the_pages_csrf_token(csrf_client, make):
    candidate = make.candidate()
    accounts.new_calendar_token(candidate.user, now=utcnow() - timedelta(days=10))
    db.session.commit()
    assert_form_needs_its_csrf_token(csrf_client, FormCase(candidate.user, "/candidate/meetings",
                                                           "/calendar/token/renew", {"next": "/candidate/meetings"},
                                                           lambda: expires_at(candidate.user)))


# --- Consultants see only their job centre's candidates ---------------------------------------------------------------
# (Their profile and booking pages answer 403 to another job centre's consultant:
# tests/test_web_flows.py::test_a_consultant_of_another_job_centre_cannot_book_for_the_candidate.)

def test_a_consultant_lists_only_the_candidates_of_their_own_job_centre(client, auth, make):
    consultant = make.consultant()
    ours = make.candidate(jobcenter=consultant.jobcenter, name="Ida Vores")
    theirs = make.candidate(name="Ole Andres")  # another, new job centre
    auth.login(consultant)

    page = text(client.get("/consultant/").text)

    assert ours.user.name in page
    assert theirs.user.name not in page
    assert client.get(f"/consultant/candidates/{theirs.id}").status_code == 403
