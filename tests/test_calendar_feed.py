"""The personal calendar feed (a secret, revocable address) and the .ics file per meeting, through the test client."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from conftest import PASSWORD
from icalendar import Calendar
from pages import FormCase, alerts, assert_form_needs_its_csrf_token, danish, forms, text
from sqlalchemy import select

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import Booking, Role, User
from matchapp.services import accounts
from matchapp.services import booking as booking_service

HOME = {Role.CANDIDATE: "/candidate/meetings", Role.EMPLOYER: "/employer/", Role.CONSULTANT: "/consultant/"}


def cancel(booking: Booking, *, now: datetime | None = None) -> None:
    booking_service.cancel_booking(booking, reason=None, by=booking.candidate.user, now=now or utcnow())
    db.session.commit()


def token_of(user: User) -> str | None:
    return db.session.scalar(select(User.calendar_token).where(User.id == user.id))


def get_address(client, auth, user: User) -> str:
    """Sign in and press "Put my meetings in my calendar" on one's own page; the secret token of the new address."""
    auth.login(user)
    response = client.post("/calendar/token", data={"next": HOME[user.role]})
    assert response.status_code == 302
    auth.logout()
    return token_of(user)


def feed(app, token: str):
    """The feed as a calendar program fetches it: with no one signed in."""
    return app.test_client().get(f"/calendar/feed/{token}.ics")


def meetings_in(app, token: str) -> dict[str, str]:
    """UID: STATUS of each meeting in the feed."""
    response = feed(app, token)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return {str(event["UID"]): str(event["STATUS"])
            for event in Calendar.from_ical(response.get_data(as_text=True)).walk("VEVENT")}


def a_user(make, role: Role) -> User:
    return {Role.CANDIDATE: lambda: make.candidate().user, Role.EMPLOYER: make.employer,
            Role.CONSULTANT: make.consultant}[role]()


def colleague_of(employer: User) -> User:
    """A second member of the employer's organisation (the app has no page for adding one yet)."""
    user = User(email=f"kollega.{employer.email}", name="Kollega", role=Role.EMPLOYER,
                employer_id=employer.employer_id, password_hash=accounts.hash_password(PASSWORD), created_at=utcnow())
    db.session.add(user)
    db.session.commit()
    return user


# --- Getting, showing and renewing the address ----------------------------------------------------------------------

def test_a_candidate_has_no_calendar_address_until_they_ask_for_one(app, client, auth, make):
    candidate = make.candidate()
    auth.login(candidate.user)
    page = client.get("/candidate/meetings").text
    assert danish("Put my meetings in my calendar") in text(page)
    assert "/calendar/feed/" not in page
    assert token_of(candidate.user) is None

    response = client.post("/calendar/token", data={"next": "/candidate/meetings"})

    assert response.status_code == 302
    assert response.location == "/candidate/meetings"
    token = token_of(candidate.user)
    assert len(token) >= 40
    page = client.get("/candidate/meetings").text
    assert danish("Your calendar address is ready. An earlier address no longer works.") in alerts(page)
    assert f'value="http://localhost/calendar/feed/{token}.ics"' in page
    assert danish("Make a new address (the old one stops working)") in text(page)
    assert feed(app, token).status_code == 200


@pytest.mark.parametrize("role", [Role.CANDIDATE, Role.EMPLOYER, Role.CONSULTANT])
def test_each_role_gets_its_address_on_its_own_page_with_an_add_to_my_calendar_link(client, auth, make, role):
    user = a_user(make, role)
    auth.login(user)

    client.post("/calendar/token", data={"next": HOME[role]})

    page = client.get(HOME[role]).text
    token = token_of(user)
    subscribe = re.search(r'<a [^>]*href="(webcal://[^"]+)"[^>]*>([^<]+)</a>', page)
    assert subscribe.groups() == (f"webcal://localhost/calendar/feed/{token}.ics", danish("Add to my calendar"))
    assert 'data-copy="#calendar-feed-url"' in page


@pytest.mark.parametrize(("role", "title"), [(Role.CANDIDATE, "My meetings"), (Role.EMPLOYER, "Our sessions"),
                                           (Role.CONSULTANT, "Candidates")])
def test_the_calendar_box_is_on_the_page_once_and_not_in_its_title(client, auth, make, role, title):
    user = a_user(make, role)
    auth.login(user)
    client.post("/calendar/token", data={"next": HOME[role]})

    page = client.get(HOME[role]).text

    assert re.search(r"<title>(.*?)</title>", page, flags=re.S).group(1) == f"{danish(title)} – matchapp"
    assert len([f for f in forms(page) if f.action == "/calendar/token"]) == 1
    assert page.count('id="calendar-feed-url"') == 1


def test_my_meetings_offers_each_meeting_to_save_in_ones_calendar(client, auth, make):
    candidate = make.candidate(completed=[make.course()])
    booking = make.booking(candidate, make.session().slots[0])
    auth.login(candidate.user)

    page = client.get("/candidate/meetings").text

    assert f'href="/calendar/bookings/{booking.id}.ics"' in page
    assert danish("Save the meeting in my calendar") in text(page)


def test_looking_at_pages_never_makes_a_calendar_address(client, auth, make):
    users = [a_user(make, role) for role in HOME]
    for user in users:
        auth.login(user)
        assert client.get(HOME[user.role]).status_code == 200
        assert client.get("/calendar/token").status_code == 405
        auth.logout()

    assert [token_of(user) for user in users] == [None, None, None]


def test_after_getting_an_address_the_user_is_sent_back_only_to_a_page_of_the_app(client, auth, make):
    auth.login(make.candidate().user)

    for elsewhere in ("https://evil.example/", "//evil.example/", ""):
        response = client.post("/calendar/token", data={"next": elsewhere})
        assert response.location == "/"


def test_a_new_address_makes_the_old_one_answer_404(app, client, auth, make):
    candidate = make.candidate()
    old = get_address(client, auth, candidate.user)

    new = get_address(client, auth, candidate.user)

    assert new != old
    assert feed(app, old).status_code == 404
    assert feed(app, new).status_code == 200


def test_an_unknown_address_answers_404(app, client, auth, make):
    get_address(client, auth, make.candidate().user)

    assert feed(app, "x" * 43).status_code == 404
    assert app.test_client().get("/calendar/feed/.ics").status_code == 404


def test_getting_an_address_needs_the_pages_csrf_token(csrf_client, make):
    candidate = make.candidate()
    assert_form_needs_its_csrf_token(csrf_client, FormCase(candidate.user, "/candidate/meetings", "/calendar/token",
                                                           {"next": "/candidate/meetings"},
                                                           lambda: token_of(candidate.user)))


# --- What the feed lists ---------------------------------------------------------------------------------------------

def test_a_candidates_feed_lists_their_own_meetings_and_no_one_elses(app, client, auth, make):
    course = make.course()
    candidate, other = make.candidate(completed=[course]), make.candidate(completed=[course])
    first, second = make.session(), make.session(start=time(13), end=time(14))
    mine = [make.booking(candidate, first.slots[0]), make.booking(candidate, second.slots[0])]
    make.booking(other, first.slots[1])

    token = get_address(client, auth, candidate.user)

    assert meetings_in(app, token) == {booking.uid: "CONFIRMED" for booking in mine}
    assert feed(app, token).headers["Cache-Control"] == "no-store"  # personal data: kept by no cache on the way


def test_an_employers_feed_lists_every_meeting_of_their_organisation(app, client, auth, make):
    employer = make.employer()
    colleague = colleague_of(employer)
    course = make.course()
    ours = [make.booking(make.candidate(completed=[course]), make.session(employer).slots[0]),
            make.booking(make.candidate(completed=[course]), make.session(colleague).slots[0])]
    make.booking(make.candidate(completed=[course]), make.session().slots[0])  # another organisation's

    token = get_address(client, auth, employer)

    assert meetings_in(app, token) == {booking.uid: "CONFIRMED" for booking in ours}


def test_a_consultants_feed_lists_the_meetings_of_the_candidates_they_are_responsible_for(app, client, auth, make):
    consultant = make.consultant()
    desk_mate = make.consultant(consultant.jobcenter)
    course = make.course()
    own = make.candidate(consultant=consultant, completed=[course])
    theirs = make.candidate(consultant=desk_mate, completed=[course])
    session = make.session(interviewers=2)
    ours = [make.booking(own, session.slots[0], by=consultant),
            make.booking(own, make.session(start=time(13), end=time(14)).slots[0])]
    make.booking(theirs, session.slots[1])

    token = get_address(client, auth, consultant)

    assert meetings_in(app, token) == {booking.uid: "CONFIRMED" for booking in ours}


def test_a_cancelled_meeting_stays_in_the_feed_marked_cancelled_for_30_days(app, client, auth, make):
    candidate = make.candidate(completed=[make.course()])
    today = datetime.now(LOCAL_TZ).date()
    long_ago = utcnow() - timedelta(days=45)
    cancelled_today = make.booking(candidate, make.session().slots[0])
    cancelled_29_days_ago = make.booking(candidate, make.session(day=today - timedelta(days=20)).slots[0], now=long_ago)
    cancelled_31_days_ago = make.booking(candidate, make.session(day=today - timedelta(days=25)).slots[0], now=long_ago)
    cancel(cancelled_today)
    cancel(cancelled_29_days_ago, now=utcnow() - timedelta(days=29))
    cancel(cancelled_31_days_ago, now=utcnow() - timedelta(days=31))
    token = get_address(client, auth, candidate.user)

    meetings = meetings_in(app, token)

    assert meetings == {cancelled_today.uid: "CANCELLED", cancelled_29_days_ago.uid: "CANCELLED"}
    assert cancelled_31_days_ago.uid not in meetings


# --- One meeting as an .ics file -------------------------------------------------------------------------------------

WHO = ["the candidate", "the employer contact", "a colleague at the employer", "the responsible consultant",
       "an admin", "another candidate", "another employer", "another consultant at the same job centre"]


@pytest.mark.parametrize("who", WHO)
def test_a_meeting_downloads_as_ics_for_the_people_in_it_only(client, auth, make, who):
    consultant = make.consultant()
    course = make.course()
    candidate = make.candidate(consultant=consultant, completed=[course])
    session = make.session()
    booking = make.booking(candidate, session.slots[0])
    user = {
        "the candidate": lambda: candidate.user,
        "the employer contact": lambda: session.created_by,
        "a colleague at the employer": lambda: colleague_of(session.created_by),
        "the responsible consultant": lambda: consultant,
        "an admin": make.admin,
        "another candidate": lambda: make.candidate(consultant=consultant, completed=[course]).user,
        "another employer": make.employer,
        "another consultant at the same job centre": lambda: make.consultant(consultant.jobcenter),
    }[who]()
    auth.login(user)

    response = client.get(f"/calendar/bookings/{booking.id}.ics")

    if who.startswith("another"):
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Content-Disposition"] == f'inline; filename="matchapp-{booking.id}.ics"'
    [event] = Calendar.from_ical(response.get_data(as_text=True)).walk("VEVENT")
    assert str(event["UID"]) == booking.uid


def test_a_meeting_download_needs_a_signed_in_user(client, make):
    booking = make.booking(make.candidate(completed=[make.course()]), make.session().slots[0])

    assert client.get(f"/calendar/bookings/{booking.id}.ics").status_code == 302
    assert client.get("/calendar/bookings/999999.ics").status_code == 302
