"""axe-core on every page the app has, for every role, in Danish and English, at 1280 and 375 px; reflow at 320 px.

The crawl is a list of visits: who is signed in, how the page is reached (a URL, or a form submitted empty or
wrong, so that the error summary and the messages beside the fields are checked too) and which endpoint the page
is. A test compares the visits with the app's GET routes, so a new page cannot be left out of the crawl.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Response, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import func, select, update

from browser.live import (
    ADMIN,
    AXE,
    CANDIDATE,
    CONSULTANT,
    EMPLOYER,
    Site,
    new_context,
    running_site,
    sign_in,
)
from matchapp import create_app
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    EVENTS,
    Attendance,
    Booking,
    BookingStatus,
    Candidate,
    CourseRun,
    Enrollment,
    InterviewSession,
    MeetingMode,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    Result,
    SessionStatus,
    User,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
    WebhookDelivery,
)
from matchapp.services import accounts, integrations, sessions, waitlist, webhooks
from matchapp.services.availability import (
    bookable_sessions,
    check_selection,
    confirmed_bookings,
    free_slots,
    free_slots_at,
)
from matchapp.services.booking import book_slots
from matchapp.services.errors import SelectionError
from matchapp.services.outcomes import OutcomeEntry, record_consultant_outcome

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
NO_COURSE = "omar@matchapp.example"  # a demo candidate whose completed course the crawl takes away
WIDTHS = (1280, 375)
REFLOW_WIDTH = 320
# GET routes that are not pages: files, feeds and the load balancer's health check.
NOT_PAGES = {
    "static": "CSS, JavaScript and images",
    "main.healthz": "JSON for the load balancer",
    "calendar.feed": "an iCalendar feed for calendar programs",
    "calendar.booking_ics": "an .ics file download",
    "dashboard.csv_file": "a CSV download",
    "dashboard.workbook_file": "an Excel workbook (.xlsx) download",
    "privacy.my_data_json": "a JSON download of the signed-in person's data (its page is privacy.my_data)",
    "privacy.candidate_data_json": "a JSON download of a candidate's data (its page is privacy.candidate_data)",
    "consultant.roster_template": "the participant list's template, an .xlsx or .csv download",
    "api-docs.openapi_json": "the REST API's OpenAPI document (JSON; its page is api_reference.docs)",
    **{f"api.{name}": "JSON of the REST API, for a job centre's systems" for name in (
        "candidates", "candidate", "courses", "course_runs", "sessions", "free_times", "bookings", "booking",
        "outcome", "follow_ups", "figures")},
}


@dataclass
class Ids:
    """The demo data's objects that pages are about, and what the crawl adds to it."""

    candidate: int  # Amina Hassan (kandidat@), who has a meeting booked
    other_candidate: int  # Peter Jensen, whom the consultant books for
    session: int  # one of the hotel's published sessions
    draft: int  # a draft session of the hotel's
    past_session: int  # the hotel's last past session, with meetings to record outcomes for
    follow_up_run: int  # a course run whose 60-day follow-up is due
    sign_in_token: str  # a sign-in link e-mailed to a candidate
    password_token: str  # a password link e-mailed to an employer
    registration_token: str  # the link that finishes a new employer's registration
    mail_message: int  # the outbox message with that link
    employer: int  # the hotel (Mette's organisation)
    member: int  # Mette, the hotel's member
    booking: int  # Amina's meeting at the hotel, which she can move to another time
    offer_token: str  # a waiting-list offer of a free time e-mailed to a candidate (Lone)
    taken_slot: int  # a time Amina could book, which other candidates booked after her find page showed it
    held_booking: int  # a held meeting of the consultant's job centre with the employer's and the consultant's record
    webhook: int  # a job centre's system subscribed to webhooks, with a delivered and a dead event
    integration: int  # a job centre's system, with a key


def an_integration_with_a_key(admin: User, candidate: Candidate, *, now) -> int:
    """A system of the candidate's job centre, with a key (and a revoked one) the admin made."""
    integration = integrations.create_integration("Sagssystem", candidate.jobcenter, by=admin, now=now)
    integrations.create_key(integration, ["bookings:read"], by=admin, now=now)
    old, _raw = integrations.create_key(integration, ["bookings:read", "outcomes:write"], by=admin, now=now)
    integrations.revoke_key(old, by=admin, now=now)
    return integration.id


def make_a_key(page: Page, ids: Ids) -> Response:
    """Tick the first scope and make a key: the page shows it once."""
    form = page.locator("main form[action$=keys]")
    form.locator("input[type=checkbox]").first.check()
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").first.click()
    return navigation.value


def waiting_list_offer(candidate: Candidate, *, now) -> str:
    """Put the candidate on the list of a session with a free time that fits them, and offer them that time (the
    offer is written directly, without its e-mail, so that the newest e-mail stays the registration link)."""
    free = free_slots(bookable_sessions(candidate, now=now), now=now)
    slot = next(slot for slots in free.values() for slot in slots if not check_selection(candidate, [slot], now=now))
    token = "an-offer-of-a-free-time-to-lone"
    entry = WaitlistEntry(session=slot.session, candidate=candidate, added_by_id=candidate.user_id,
                          status=WaitStatus.WAITING, created_at=now)
    db.session.add(WaitlistOffer(entry=entry, slot=slot, token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                 created_at=now, expires_at=slot.starts_at - timedelta(hours=2)))
    return token


def full_session_amina_waits_for(employer, amina: Candidate, peter: Candidate, *, now) -> None:
    """A one-time session taken by someone else: Amina is on its waiting list (her pages show the list and "Leave"),
    Peter is not (the consultant's pick page for him shows "Full" and the button), and the employer sees 1 waiting."""
    day = (now + timedelta(days=5)).astimezone(LOCAL_TZ).date()
    full = sessions.create_session(sessions.SessionDraft(
        title="Kok", description="", course_ids=[], local_date=day, start_time=time(7), end_time=time(7, 10),
        slot_minutes=10, break_minutes=0, interviewers=1, mode=MeetingMode.PHONE, video_url=None, address=None,
        booking_closes_hours=2), by=employer, now=now)
    sessions.publish_session(full, by=employer, now=now)
    others = db.session.scalars(select(Candidate).where(Candidate.id.not_in([amina.id, peter.id]))).all()
    for holder in others:
        try:
            with db.session.begin_nested():
                book_slots(holder, [full.slots[0].id], by=holder.user, now=now)
            break
        except SelectionError:
            continue
    waitlist.join(full, amina, by=amina.user, now=now)


def a_time_taken_from(amina: Candidate, *, now) -> int:
    """A time Amina could book together with her meeting, whose every interviewer other candidates then book."""
    booked = {booking.session_id for booking in confirmed_bookings(amina)}
    wanted = next(slot for session in bookable_sessions(amina, now=now) if session.id not in booked
                  for slot in free_slots([session], now=now)[session.id]
                  if not check_selection(amina, [slot], now=now))
    others = iter(db.session.scalars(select(Candidate).where(Candidate.id != amina.id)).all())
    for slot in free_slots_at(wanted):
        while slot in free_slots_at(wanted):
            holder = next(others)
            try:
                with db.session.begin_nested():
                    book_slots(holder, [slot.id], by=holder.user, now=now)
            except SelectionError:
                continue
    return wanted.id


def a_meeting_both_recorded(consultant: User) -> int:
    """A held meeting of a candidate of the consultant's job centre with the employer's record, and the consultant's
    saved before the employer last changed theirs (so that its page shows both records and the warning)."""
    booking, outcome = db.session.execute(
        select(Booking, Outcome).join(Outcome, Outcome.booking_id == Booking.id)
        .join(Candidate, Candidate.id == Booking.candidate_id)
        .where(Booking.status == BookingStatus.CONFIRMED, Candidate.jobcenter_id == consultant.jobcenter_id)
        .order_by(Booking.id)).first()
    record_consultant_outcome(booking, OutcomeEntry(booking.id, Attendance.ATTENDED, Result.NEXT_INTERVIEW),
                              by=consultant, now=outcome.updated_at - timedelta(minutes=1))
    return booking.id


def a_webhook_with_a_dead_event(admin: User, candidate: Candidate, booking: Booking, *, now) -> int:
    """The job centre's case system subscribed to every event, with the booking's event sent and the move's dead."""
    system = integrations.create_integration("Sagssystem", candidate.jobcenter, by=admin, now=now)
    subscription, _secret = webhooks.subscribe(system, "https://sag.example.dk/hooks", list(EVENTS), personal=True,
                                               insecure_allowed=False, by=admin, now=now)
    webhooks.booking_created(booking, now=now)
    webhooks.booking_moved(booking, booking.slot, now=now)
    db.session.flush()
    sent, dead = db.session.scalars(select(WebhookDelivery).where(
        WebhookDelivery.subscription_id == subscription.id).order_by(WebhookDelivery.id)).all()
    sent.status, sent.attempts, sent.sent_at = OutboxStatus.SENT, 1, now
    dead.status, dead.attempts, dead.last_error = OutboxStatus.DEAD, 30, "HTTP 503"
    return subscription.id


def subscribe_a_system(page: Page, ids: Ids) -> Response:
    """Subscribe the case system's address to the first event: the page that shows the secret once."""
    form = page.locator("main form[action$=webhooks]")
    form.locator("input[name=hook-url]").fill("https://sag.example.dk/ny")
    form.locator("input[name=hook-events]").first.check()
    with page.expect_navigation() as navigation:
        form.locator("button[type=submit]").first.click()
    return navigation.value


def prepare(site: Site) -> Ids:
    """Give the demo data what the pages need to show everything: a booked meeting, a draft, e-mailed links."""
    now = utcnow()
    with site.data():
        amina = accounts.find_user(CANDIDATE).candidate
        peter = accounts.find_user("peter@matchapp.example").candidate
        mette = accounts.find_user(EMPLOYER)
        mine = select(InterviewSession).where(InterviewSession.employer_id == mette.employer_id)
        upcoming = db.session.scalars(mine.where(InterviewSession.starts_at > now)
                                      .order_by(InterviewSession.starts_at)).all()
        past = db.session.scalars(mine.where(InterviewSession.starts_at < now, InterviewSession.id.in_(
            select(Booking.session_id))).order_by(InterviewSession.starts_at.desc())).first()
        booked = book_slots(amina, [free_slots([upcoming[-1]], now=now)[upcoming[-1].id][0].id], by=amina.user,
                            now=now).booked
        draft = sessions.create_session(sessions.SessionDraft(
            title="Nattevagt", description="", course_ids=[], local_date=(now + timedelta(days=10)).astimezone(
                LOCAL_TZ).date(), start_time=upcoming[0].starts_at.astimezone(LOCAL_TZ).time(),
            end_time=upcoming[0].ends_at.astimezone(LOCAL_TZ).time(), slot_minutes=15, break_minutes=0,
            interviewers=1, mode=upcoming[0].mode, video_url=None, address=None, booking_closes_hours=2),
            by=mette, now=now)
        assert draft.status == SessionStatus.DRAFT
        today = now.astimezone(LOCAL_TZ).date()
        run = db.session.scalars(select(CourseRun).where(CourseRun.ends_on <= today - timedelta(days=60))
                                 .order_by(CourseRun.ends_on.desc())).first()
        sign_in_user = accounts.find_user("lone@matchapp.example")
        # A registration not yet finished (it waits among the employers the consultant approves).
        pending = accounts.register_employer(accounts.EmployerRegistration(
            organisation="Bageriet Lune ApS", cvr=next(str(n) for n in range(41000000, 41000100)
                                                       if accounts.cvr_is_valid(str(n))),
            address="Bagervej 2, 2300 København S", name="Lise Bager", email="bageriet@matchapp.example", phone=None,
            password="surdej rugbrød ovn morgen"), now=now)
        registration_token = accounts.issue_token(pending, accounts.ACTIVATE, minutes=600, now=now)
        # A candidate not seen for almost a year, whom the retention page lists with a "Keep" button.
        dormant = db.session.scalars(select(Candidate).where(Candidate.jobcenter_id == amina.jobcenter_id,
                                                             Candidate.id.not_in([amina.id, peter.id]))).first()
        full_session_amina_waits_for(mette, amina, peter, now=now)
        taken_slot = a_time_taken_from(amina, now=now)
        omar = accounts.find_user(NO_COURSE).candidate
        db.session.execute(update(Enrollment).where(Enrollment.candidate_id == omar.id).values(completed_at=None))
        dormant.user.created_at, dormant.user.last_active_at = now - timedelta(days=350), None
        webhook = a_webhook_with_a_dead_event(accounts.find_user(ADMIN), amina, booked[0], now=now)
        ids = Ids(candidate=amina.id, other_candidate=peter.id, session=upcoming[0].id, draft=draft.id,
                  past_session=past.id, follow_up_run=run.id,
                  sign_in_token=accounts.issue_token(sign_in_user, accounts.SIGN_IN, minutes=600, now=now),
                  password_token=accounts.issue_token(mette, accounts.PASSWORD, minutes=600, now=now),
                  registration_token=registration_token,
                  mail_message=db.session.scalar(select(func.max(OutboxMessage.id))),
                  employer=mette.employer_id, member=mette.id, booking=booked[0].id,
                  offer_token=waiting_list_offer(sign_in_user.candidate, now=now), taken_slot=taken_slot,
                  held_booking=a_meeting_both_recorded(accounts.find_user(CONSULTANT)), webhook=webhook,
                  integration=an_integration_with_a_key(accounts.find_user(ADMIN), amina, now=now))
        db.session.commit()
    return ids


# What a visit does on the opened page to reach its page (e.g. submit a form empty); the answer to the last step.
Steps = Callable[[Page, "Ids"], Response]


@dataclass(frozen=True)
class Visit:
    role: str | None  # the signed-in user's e-mail; None for a visitor
    name: str
    endpoint: str  # the endpoint the page belongs to; checked against the address the browser ends on
    path: Callable[[Ids], str]
    then: Steps | None = None  # e.g. submit a form empty
    status: int = 200

    @property
    def id(self) -> str:
        return f"{(self.role or 'visitor').split('@')[0]}-{self.name}"


def submit(form_selector: str, fill: dict[str, str] | None = None, button: str = "button[type=submit]") -> Steps:
    """Fill in the given fields (leaving the rest as they are) and press the form's first submit button."""

    def steps(page: Page, ids: Ids) -> Response:
        form = page.locator(form_selector)
        for selector, value in (fill or {}).items():
            form.locator(selector).fill(value)
        with page.expect_navigation() as navigation:
            form.locator(button).first.click()
        return navigation.value

    return steps


def book_a_planned_time(page: Page, ids: Ids) -> Response:
    """Open the planner, tick the first employer, let the app choose a time that fits, and book it."""
    page.locator("main details.planner summary").click()
    page.locator("main form input[name=session]").first.check()
    with page.expect_navigation():
        page.locator("button[name=action][value=plan]").click()
    with page.expect_navigation() as navigation:
        page.locator("button[name=action][value=book]").click()
    return navigation.value


def book_a_time_taken_meanwhile(page: Page, ids: Ids) -> Response:
    """Choose a time that the page showed free and other candidates have booked since, and press "Book"."""
    radio = page.locator("main input[type=radio][name^=slot-]").first
    radio.evaluate("(radio, slot) => { radio.value = slot; }", str(ids.taken_slot))
    radio.check()
    with page.expect_navigation() as navigation:
        page.locator(".pick-confirm button[name=action][value=book]").click()
    expect(page.locator("main li.taken-time form button")).to_have_count(1)  # another time offered instead
    return navigation.value


def upload_roster(*rows: str, confirm: bool = False) -> Steps:
    """Choose a participant list (Danish Excel's CSV) on the import page and show its rows; with confirm, import
    them too."""
    content = ("\ufeffNavn;E-mail;Telefon;Ekstern id;Målgruppe;Gennemført\r\n" + "\r\n".join(rows)).encode()

    def steps(page: Page, ids: Ids) -> Response:
        page.locator("main input[type=file]").set_input_files(
            files=[{"name": "deltagere.csv", "mimeType": "text/csv", "buffer": content}])
        with page.expect_navigation() as navigation:
            page.locator("main form[enctype] button[type=submit]").click()
        if confirm:
            with page.expect_navigation() as navigation:
                page.locator("main form[action$='/roster/confirm'] button[type=submit]").click()
        return navigation.value

    return steps


OWN_FORM = "main form[method=post]:not([action])"
LOGIN_FORM = "main form:has(input[type=password])"
BOOK_NOTHING = submit(OWN_FORM, button="button[name=action][value=book]")

VISITS = [
    # A visitor: the front page, signing in and registering, with their forms submitted empty, and the error pages.
    Visit(None, "front", "main.index", lambda i: "/"),
    Visit(None, "login", "auth.login", lambda i: "/login"),
    Visit(None, "login-errors", "auth.login", lambda i: "/login", submit(LOGIN_FORM), 200),
    Visit(None, "register", "auth.register", lambda i: "/register"),
    Visit(None, "register-errors", "auth.register", lambda i: "/register", submit(OWN_FORM)),
    Visit(None, "link", "auth.link_request", lambda i: "/link"),
    Visit(None, "link-errors", "auth.link_request", lambda i: "/link", submit(OWN_FORM)),
    Visit(None, "link-sent", "auth.link_request", lambda i: "/link",
          submit(OWN_FORM, {"input[name=email]": "lone@matchapp.example"})),
    Visit(None, "link-sign-in", "auth.link_sign_in", lambda i: f"/link/{i.sign_in_token}"),
    Visit(None, "password-forgot", "auth.password_forgot", lambda i: "/password/forgot"),
    Visit(None, "password-forgot-errors", "auth.password_forgot", lambda i: "/password/forgot", submit(OWN_FORM)),
    Visit(None, "password-reset", "auth.password_reset", lambda i: f"/password/{i.password_token}"),
    Visit(None, "password-reset-errors", "auth.password_reset", lambda i: f"/password/{i.password_token}",
          submit(OWN_FORM)),
    Visit(None, "register-confirm", "auth.register_confirm", lambda i: f"/register/confirm/{i.registration_token}"),
    Visit(None, "waiting-list-offer", "offers.offer", lambda i: f"/offers/{i.offer_token}"),
    Visit(None, "not-found", "404", lambda i: "/no-such-page", status=404),
    Visit(None, "accessibility-statement", "main.accessibility", lambda i: "/tilgaengelighed"),
    Visit(None, "privacy-notice", "privacy.notice", lambda i: "/privacy/"),
    Visit(None, "sign-in-first", "auth.login", lambda i: "/candidate/meetings"),
    # The candidate.
    Visit(CANDIDATE, "find", "candidate.find", lambda i: "/candidate/"),
    Visit(CANDIDATE, "find-nothing-chosen", "candidate.book", lambda i: "/candidate/", BOOK_NOTHING),
    # (Before "booked", which books a time at another employer each time, until Amina meets them all.)
    Visit(CANDIDATE, "booked-time-taken", "candidate.booked", lambda i: "/candidate/", book_a_time_taken_meanwhile),
    Visit(CANDIDATE, "booked", "candidate.booked", lambda i: "/candidate/", book_a_planned_time),
    Visit(NO_COURSE, "find-no-course", "candidate.find", lambda i: "/candidate/"),
    Visit(NO_COURSE, "meetings-none", "candidate.meetings", lambda i: "/candidate/meetings"),
    Visit(CANDIDATE, "meetings", "candidate.meetings", lambda i: "/candidate/meetings"),
    Visit(CANDIDATE, "meetings-feed", "candidate.meetings", lambda i: "/candidate/meetings",
          submit("main form[action='/calendar/token']")),
    Visit(CANDIDATE, "profile", "candidate.profile", lambda i: "/candidate/profile"),
    Visit(CANDIDATE, "move", "candidate.move_meeting", lambda i: f"/candidate/meetings/{i.booking}/move"),
    Visit(CANDIDATE, "move-same-time", "candidate.move_meeting_confirm",
          lambda i: f"/candidate/meetings/{i.booking}/move", submit(OWN_FORM), 422),
    # (The pitch is optional and the browser stops typing at its longest, so this form cannot be sent wrong.)
    Visit(CANDIDATE, "profile-saved", "candidate.profile", lambda i: "/candidate/profile",
          submit(OWN_FORM, {"textarea": "Jeg er god til Excel og til at tale med gæster."})),
    Visit(CANDIDATE, "not-found", "404", lambda i: "/candidate/no-such-page", status=404),
    Visit(CANDIDATE, "accessibility-statement", "main.accessibility", lambda i: "/tilgaengelighed"),
    Visit(CANDIDATE, "my-data", "privacy.my_data", lambda i: "/privacy/my-data"),
    Visit(CANDIDATE, "forbidden", "403", lambda i: "/employer/", status=403),
    # The employer.
    Visit(EMPLOYER, "sessions", "employer.dashboard", lambda i: "/employer/"),
    Visit(EMPLOYER, "session-new", "employer.session_new", lambda i: "/employer/sessions/new"),
    Visit(EMPLOYER, "session-new-errors", "employer.session_new", lambda i: "/employer/sessions/new",
          submit(OWN_FORM)),
    Visit(EMPLOYER, "session", "employer.session", lambda i: f"/employer/sessions/{i.session}"),
    Visit(EMPLOYER, "draft", "employer.session", lambda i: f"/employer/sessions/{i.draft}"),
    Visit(EMPLOYER, "session-edit", "employer.session_edit", lambda i: f"/employer/sessions/{i.draft}/edit"),
    Visit(EMPLOYER, "session-edit-errors", "employer.session_edit", lambda i: f"/employer/sessions/{i.draft}/edit",
          submit(OWN_FORM, {"input[name=title]": ""})),
    Visit(EMPLOYER, "session-change", "employer.session_change", lambda i: f"/employer/sessions/{i.session}/change"),
    Visit(EMPLOYER, "session-change-errors", "employer.session_change_times",
          lambda i: f"/employer/sessions/{i.session}/change",
          submit("main form[action$='/change/times']", {"input[name=times-end_time]": "00:05"}), 422),
    Visit(EMPLOYER, "outcomes", "employer.session_outcomes",
          lambda i: f"/employer/sessions/{i.past_session}/outcomes"),
    Visit(EMPLOYER, "outcomes-errors", "employer.session_outcomes",
          lambda i: f"/employer/sessions/{i.past_session}/outcomes",
          submit(OWN_FORM, {"input[name$=hours_per_week] >> nth=0": "0"})),
    Visit(EMPLOYER, "not-found", "404", lambda i: "/employer/sessions/999999", status=404),
    Visit(EMPLOYER, "my-data", "privacy.my_data", lambda i: "/privacy/my-data"),
    # The consultant.
    Visit(CONSULTANT, "candidates", "consultant.candidates", lambda i: "/consultant/"),
    Visit(CONSULTANT, "candidates-search", "consultant.candidates", lambda i: "/consultant/?q=amina"),
    Visit(CONSULTANT, "candidate-new", "consultant.candidate_new", lambda i: "/consultant/candidates/new"),
    Visit(CONSULTANT, "candidate-new-errors", "consultant.candidate_new", lambda i: "/consultant/candidates/new",
          submit(OWN_FORM)),
    Visit(CONSULTANT, "candidate", "consultant.candidate", lambda i: f"/consultant/candidates/{i.candidate}"),
    Visit(CONSULTANT, "candidate-completion-errors", "consultant.completion_add",
          lambda i: f"/consultant/candidates/{i.candidate}", submit("main form[action$=completions]")),
    Visit(CONSULTANT, "book", "consultant.candidate_book",
          lambda i: f"/consultant/candidates/{i.other_candidate}/book"),
    Visit(CONSULTANT, "book-nothing-chosen", "consultant.candidate_book_confirm",
          lambda i: f"/consultant/candidates/{i.other_candidate}/book", BOOK_NOTHING),
    Visit(CONSULTANT, "booked", "consultant.candidate_booked",
          lambda i: f"/consultant/candidates/{i.other_candidate}/book", book_a_planned_time),
    Visit(CONSULTANT, "book-waiting-list", "consultant.candidate_book",
          lambda i: f"/consultant/candidates/{i.other_candidate}/book",
          submit(OWN_FORM, button="button[formaction*='/waitlist']")),  # joins, or on the second run leaves
    Visit(CONSULTANT, "move", "consultant.booking_move", lambda i: f"/consultant/bookings/{i.booking}/move"),
    Visit(CONSULTANT, "meeting-outcome", "consultant.booking_outcome",
          lambda i: f"/consultant/bookings/{i.held_booking}/outcome"),
    Visit(CONSULTANT, "meeting-outcome-errors", "consultant.booking_outcome",
          lambda i: f"/consultant/bookings/{i.held_booking}/outcome",
          submit(OWN_FORM, {"input[name=hours_per_week]": "0"})),
    Visit(CONSULTANT, "employers", "consultant.employers", lambda i: "/consultant/employers"),
    Visit(CONSULTANT, "runs", "consultant.runs", lambda i: "/consultant/runs"),
    Visit(CONSULTANT, "follow-up", "consultant.run_follow_up",
          lambda i: f"/consultant/runs/{i.follow_up_run}/follow-up"),
    Visit(CONSULTANT, "roster", "consultant.roster_upload", lambda i: f"/consultant/runs/{i.follow_up_run}/roster"),
    Visit(CONSULTANT, "roster-errors", "consultant.roster_preview",
          lambda i: f"/consultant/runs/{i.follow_up_run}/roster", submit("main form[enctype]")),
    Visit(CONSULTANT, "roster-preview", "consultant.roster_preview",
          lambda i: f"/consultant/runs/{i.follow_up_run}/roster",
          upload_roster("Ida Holm;ida.holm@matchapp.example;;;jobparat;ja", f"Amina Hassan;{CANDIDATE};;;;ja",
                        "Bo Lund;bo.lund(at)matchapp.example;;;jobparat;ja")),
    Visit(CONSULTANT, "roster-imported", "consultant.roster_imported",
          lambda i: f"/consultant/runs/{i.follow_up_run}/roster",
          upload_roster("Ida Holm;ida.holm@matchapp.example;;;jobparat;ja", f"Amina Hassan;{CANDIDATE};;;;ja",
                        confirm=True)),
    Visit(CONSULTANT, "dashboard", "dashboard.index", lambda i: "/consultant/dashboard"),
    Visit(CONSULTANT, "dashboard-course", "dashboard.index", lambda i: "/consultant/dashboard?course_id=1"),
    Visit(CONSULTANT, "dashboard-errors", "dashboard.index", lambda i: "/consultant/dashboard",
          submit("main form.dashboard-filter", {"input[name=period_from]": "2026-06-01",
                                                "input[name=period_to]": "2026-05-01"}), status=422),
    Visit(CONSULTANT, "retention", "privacy.retention", lambda i: "/privacy/retention"),
    Visit(CONSULTANT, "not-found", "404", lambda i: "/consultant/candidates/999999", status=404),
    Visit(CONSULTANT, "candidate-data", "privacy.candidate_data", lambda i: f"/privacy/candidates/{i.candidate}/data"),
    Visit(CONSULTANT, "candidate-erase", "privacy.candidate_erase",
          lambda i: f"/privacy/candidates/{i.candidate}/erase"),
    Visit(CONSULTANT, "candidate-erase-errors", "privacy.candidate_erase",
          lambda i: f"/privacy/candidates/{i.candidate}/erase", submit(OWN_FORM), 400),
    # The admin.
    Visit(ADMIN, "dashboard", "admin.dashboard", lambda i: "/admin/"),
    Visit(ADMIN, "jobcenter-errors", "admin.jobcenter_new", lambda i: "/admin/",
          submit("main form[action$=jobcenters]")),
    Visit(ADMIN, "course-errors", "admin.course_new", lambda i: "/admin/", submit("main form[action$=courses]")),
    Visit(ADMIN, "course-run-errors", "admin.course_run_new", lambda i: "/admin/",
          submit("main form[action$=course-runs]")),
    Visit(ADMIN, "consultant-errors", "admin.consultant_new", lambda i: "/admin/",
          submit("main form[action$=consultants]")),
    Visit(ADMIN, "mailbox", "admin.mailbox", lambda i: "/admin/mailbox"),
    Visit(ADMIN, "webhooks", "admin.webhooks_index", lambda i: "/admin/webhooks"),
    Visit(ADMIN, "webhook-errors", "admin.webhook_new", lambda i: "/admin/webhooks",
          submit("main form[action$=webhooks]")),
    Visit(ADMIN, "webhook-secret", "admin.webhook_new", lambda i: "/admin/webhooks", subscribe_a_system),
    Visit(ADMIN, "webhook", "admin.webhook", lambda i: f"/admin/webhooks/{i.webhook}"),
    Visit(ADMIN, "webhook-dead", "admin.webhook", lambda i: f"/admin/webhooks/{i.webhook}?show=dead"),
    Visit(ADMIN, "mailbox-message", "admin.mailbox_message", lambda i: f"/admin/mailbox/{i.mail_message}"),
    Visit(ADMIN, "candidates", "consultant.candidates", lambda i: "/consultant/"),
    Visit(ADMIN, "candidate", "consultant.candidate", lambda i: f"/consultant/candidates/{i.candidate}"),
    Visit(ADMIN, "dashboard-funnel", "dashboard.index", lambda i: "/consultant/dashboard"),
    Visit(ADMIN, "retention", "privacy.retention", lambda i: "/privacy/retention"),
    Visit(ADMIN, "not-found", "404", lambda i: "/admin/no-such-page", status=404),
    Visit(ADMIN, "employer", "admin.employer", lambda i: f"/admin/employers/{i.employer}"),
    Visit(ADMIN, "employer-erase", "privacy.employer_erase", lambda i: f"/privacy/employers/{i.employer}/erase"),
    Visit(ADMIN, "member-erase", "privacy.member_erase", lambda i: f"/privacy/users/{i.member}/erase"),
    Visit(ADMIN, "integrations", "admin.integrations_list", lambda i: "/admin/integrations"),
    Visit(ADMIN, "integration-errors", "admin.integration_new", lambda i: "/admin/integrations",
          submit("main form[action$=integrations]"), 422),
    Visit(ADMIN, "integration", "admin.integration", lambda i: f"/admin/integrations/{i.integration}"),
    Visit(ADMIN, "api-key-errors", "admin.api_key_new", lambda i: f"/admin/integrations/{i.integration}",
          submit("main form[action$=keys]"), 422),
    Visit(ADMIN, "api-key-new", "admin.api_key_new", lambda i: f"/admin/integrations/{i.integration}", make_a_key),
    Visit(None, "api-docs", "api_reference.docs", lambda i: "/api/v1/docs"),
]


def test_the_crawl_covers_every_page_the_app_has():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "test"})
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods} - NOT_PAGES.keys()
    crawled = {visit.endpoint for visit in VISITS}

    assert pages - crawled == set(), "pages the accessibility crawl does not visit"
    assert {"404", "403"} <= crawled
    assert {visit.role for visit in VISITS} == {None, CANDIDATE, NO_COURSE, EMPLOYER, CONSULTANT, ADMIN}


@pytest.fixture(scope="module")
def crawl_site(databases) -> Iterator[tuple[Site, Ids]]:
    with running_site(databases) as site:
        yield site, prepare(site)


@pytest.fixture(scope="module")
def signed_in(browser: Browser, crawl_site) -> dict[str | None, dict]:
    """Each role's signed-in browser state (its session cookie), made once by signing in on the login page."""
    site, _ids = crawl_site
    states: dict[str | None, dict] = {None: {"cookies": [], "origins": []}}
    for email in (CANDIDATE, NO_COURSE, EMPLOYER, CONSULTANT, ADMIN):
        context = new_context(browser)
        page = context.new_page()
        sign_in(page, site, email)
        states[email] = context.storage_state()
        context.close()
    return states


# Chromium reports a Content-Security-Policy violation in the console ("Refused to …"); the page's
# securitypolicyviolation event is reported there too, so that none goes unnoticed.
CSP_LISTENER = """document.addEventListener('securitypolicyviolation', (e) => console.error(
  `CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`,
  `at ${e.sourceFile}:${e.lineNumber}`));"""
CSP_MESSAGE = re.compile(r"Content Security Policy|CSP violation")


def csp_reports(page: Page) -> list[str]:
    """The Content-Security-Policy violations on this tab from now on, as its console reports them."""
    reports: list[str] = []
    page.on("console", lambda message: reports.append(message.text) if CSP_MESSAGE.search(message.text) else None)
    return reports


@pytest.fixture(scope="module")
def csp_violations() -> dict[Page, list[str]]:
    """Each crawl tab's CSP violations, emptied by the test that uses the tab."""
    return {}


@pytest.fixture(scope="module")
def tabs(browser: Browser, signed_in, csp_violations) -> Iterator[Callable[[str | None, str], Page]]:
    """One browser tab per role and language, kept for the crawl (so that styles and axe load from the cache)."""
    opened: dict[tuple[str | None, str], Page] = {}

    def tab(role: str | None, language: str) -> Page:
        if (role, language) not in opened:
            context = new_context(browser, language=language, storage_state=signed_in[role], keep=True)
            context.add_init_script(path=str(AXE))
            context.add_init_script(CSP_LISTENER)
            opened[role, language] = context.new_page()
            csp_violations[opened[role, language]] = csp_reports(opened[role, language])
        page = opened[role, language]
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        return page

    yield tab
    for page in opened.values():
        page.context.close()


def endpoint_of(site: Site, response: Response) -> str:
    """The endpoint that gave this answer, or the error status for an error page."""
    if response.status in (403, 404):
        return str(response.status)
    address = urlsplit(response.url)
    adapter = site.app.url_map.bind("127.0.0.1")
    return adapter.match(address.path, method=response.request.method, query_args=address.query)[0]


AXE_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.map(n => n.target.join(' '))}));
}"""

# The elements sticking out on the right, to name them in a failure message.
WIDER_THAN_WINDOW = """() => {
  const sticksOut = (e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5;
  const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
    (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  return Array.from(document.querySelectorAll('body *'))
    .filter(e => sticksOut(e) && !sticksOut(e.parentElement)).slice(0, 5).map(name);
}"""


def page_problems(page: Page, where: str) -> list[str]:
    """axe's serious and critical violations at each width, and horizontal scrolling at 320 px."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for violation in page.evaluate(AXE_RUN, AXE_TAGS):
            if violation["impact"] in ("serious", "critical"):
                problems.append(f"{where} {width}px: {violation['id']} ({violation['impact']}: {violation['help']}) "
                                f"at {', '.join(violation['targets'][:8])}")
    page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:  # charts follow a new window size on the next animation frames; a loaded machine takes its time to reflow
        # A function, not an expression: Playwright would eval() an expression, which the CSP forbids.
        page.wait_for_function("(width) => document.documentElement.scrollWidth <= width", arg=REFLOW_WIDTH,
                               timeout=5000)
    except PlaywrightTimeoutError:
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        problems.append(f"{where} {REFLOW_WIDTH}px: scrolls sideways ({scroll_width}px wide); wider: "
                        f"{', '.join(page.evaluate(WIDER_THAN_WINDOW))}")
    return problems


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("visit", VISITS, ids=lambda visit: visit.id)
def test_page_has_no_serious_accessibility_violations(crawl_site, tabs, csp_violations, visit: Visit, language):
    site, ids = crawl_site
    if visit.role:
        site.set_language(visit.role, language)
    page = tabs(visit.role, language)
    csp_violations[page].clear()
    response = page.goto(site.url + visit.path(ids))
    if visit.then:
        response = visit.then(page, ids)
    where = f"{visit.id} [{language}] {urlsplit(page.url).path}"

    assert response.status == visit.status or (visit.then and response.status == 422), where
    assert endpoint_of(site, response) == visit.endpoint, where
    assert page.locator("html").get_attribute("lang") == language, f"{where}: not in {language}"
    assert "script-src 'self'" in response.headers["content-security-policy"], where
    problems = page_problems(page, where) + [f"{where}: {report}" for report in csp_violations[page]]

    assert not problems, "\n".join(problems)


def test_the_checks_find_what_a_user_would_meet(browser):
    """A page with an unlabelled field, low contrast and a wide box fails every check of the crawl."""
    context = new_context(browser)
    page = context.new_page()
    page.set_content('<html lang="da"><head><title>t</title></head><body><main><h1>Prøve</h1>'
                     '<input type="text"><p style="color:#bbb">Lys tekst</p><div style="width:400px">bred</div>'
                     '</main></body></html>')
    page.add_script_tag(path=str(AXE))
    problems = page_problems(page, "test")
    context.close()

    assert any("1280px: label (critical" in p for p in problems), problems
    assert any("375px: color-contrast (serious" in p for p in problems), problems
    assert any("320px: scrolls sideways" in p and "div" in p for p in problems), problems


def test_the_crawl_notices_inline_code_the_content_security_policy_blocks(browser, crawl_site):
    """A page of the site with an inline script and style attribute, under the site's own headers: both are
    blocked, and both are reported."""
    site, _ids = crawl_site
    context = new_context(browser)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    reports = csp_reports(page)
    page.route(f"{site.url}/", lambda route: route.fulfill(response=route.fetch(), body=(
        '<html lang="da"><head><title>t</title></head><body><p style="color: red">x</p>'
        '<script>document.title = "ran"</script></body></html>')))
    page.goto(f"{site.url}/")
    for _ in range(50):  # the reports reach the console soon after the page has loaded
        if any("script-src" in r for r in reports) and any("style-src" in r for r in reports):
            break
        page.wait_for_timeout(100)
    title = page.title()
    context.close()

    assert title == "t", "the inline script ran"
    assert any("script-src" in report for report in reports), reports
    assert any("style-src" in report for report in reports), reports


HAS_INK = """(canvas) => canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
  .some((value, i) => i % 4 === 3 && value > 0)"""


def test_the_pages_scripts_work_under_the_content_security_policy(browser, site):
    """The dashboard draws its charts (Chart.js, dashboard.js) and the calendar address gets its copy button
    (app.js), with the CSP on and no violation."""
    context = new_context(browser)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    reports = csp_reports(page)
    sign_in(page, site, CONSULTANT)

    response = page.goto(f"{site.url}/consultant/dashboard")
    for folded in page.locator("main details:has([data-chart])").all():  # issue 15: drawn when opened
        folded.locator("summary").click()
    charts = page.locator("[data-chart] canvas")
    expect(charts).to_have_count(page.locator("[data-chart]").count())  # the toggle event comes after the click
    expect(charts.first).to_be_visible()
    drawn = [chart.evaluate(HAS_INK) for chart in charts.all()]
    boxes = page.locator("[data-chart]").count()
    page.goto(f"{site.url}/consultant/")
    with page.expect_navigation():
        page.locator("main form[action$='/calendar/token'] button").click()
    expect(page.locator("[data-copy]")).to_be_visible()
    context.close()

    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert len(drawn) == boxes > 0, "every figure table has its chart"
    assert all(drawn), "a chart is blank"
    assert reports == []


FORM_ERRORS = [visit for visit in VISITS if visit.name.endswith(("-errors", "-nothing-chosen"))]
# The text of the message beside a field, without its screen-reader prefix ("Error:").
MESSAGE = """(message) => Array.from(message.childNodes)
  .filter(node => !(node.classList && node.classList.contains('sr-only')))
  .map(node => node.textContent).join('').trim()"""


@pytest.mark.parametrize("visit", FORM_ERRORS, ids=lambda visit: visit.id)
def test_a_form_sent_empty_or_wrong_shows_an_error_summary_and_messages_beside_the_fields(crawl_site, tabs,
                                                                                          visit: Visit):
    site, ids = crawl_site
    if visit.role:
        site.set_language(visit.role, "da")
    page = tabs(visit.role, "da")
    page.goto(site.url + visit.path(ids))
    visit.then(page, ids)

    summary = page.locator("main .alert-error[role=alert]")
    expect(summary).to_be_visible()
    expect(summary.locator("h2")).to_have_text(re.compile(r"Ret følgende|Der er ikke booket noget endnu"))
    assert summary.locator("li").count() >= 1
    links = summary.locator("a[href^='#']")
    if visit.then is not BOOK_NOTHING:  # the pick page's problems are about the whole choice, not one field
        assert links.count() >= 1, "the summary links to the fields"
    for link in links.all():
        target = page.locator(f"[id='{link.get_attribute('href')[1:]}']")
        expect(target).to_have_count(1)
        group = target.locator("xpath=ancestor-or-self::*[contains(concat(' ', @class, ' '), ' form-error ')][1]")
        message = group.locator(".form-error-message").first
        expect(message).to_be_visible()
        assert message.evaluate(MESSAGE) in link.inner_text(), "the same message beside the field as in the summary"
