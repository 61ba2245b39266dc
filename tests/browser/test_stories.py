"""The whole story in a real browser: from an employer registering to the consultant's funnel.

Each test has a site of its own (a fresh copy of the demo data), signs in as people do and reads e-mails where
people would: the sign-in link from the outbox, on the admin's mailbox page. Nothing is mocked.
"""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from browser.live import ADMIN, CANDIDATE, CONSULTANT, Site, mailed_link, new_context, screenshot, sign_in
from matchapp import jobs
from matchapp.demo import next_weekdays
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    Booking,
    BookingStatus,
    InterviewSession,
    Outcome,
    SessionStatus,
    User,
    WaitlistEntry,
    WaitStatus,
)
from matchapp.services import accounts, offers
from matchapp.services.booking import bookable_sessions, check_selection, free_slots

NEW_EMPLOYER = {"organisation": "Café Søerne ApS", "address": "Søtorvet 5, 1371 København K", "name": "Ulla Bager",
                "email": "ulla@cafe-soerne.example", "password": "en lang adgangskode"}


def new_cvr() -> str:
    """A CVR number that passes the modulus-11 check and is not one of the demo employers'."""
    return next(str(n) for n in range(40000000, 40000100) if accounts.cvr_is_valid(str(n)))


def funnel(page: Page, site: Site) -> dict[str, int]:
    """The dashboard's funnel table, column by column: its row of totals for all."""
    page.goto(f"{site.url}/consultant/dashboard")
    table = page.locator("#funnel-table")
    expect(table).to_be_visible()
    headers = table.locator("thead th").all_inner_texts()
    totals = dict.fromkeys(headers[1:], 0)
    for row in table.locator("tbody tr.figures-total.figures-all").all():
        for header, cell in zip(headers[1:], row.locator("td").all_inner_texts(), strict=True):
            number = re.sub(r"[^\d]", "", cell.split("(")[0])
            totals[header] += int(number or 0)
    return totals


def register_employer(page: Page, site: Site, admin: Page) -> None:
    """Fill in the registration form, then follow the e-mailed link (read on the admin's mailbox page)."""
    page.goto(f"{site.url}/register")
    form = page.locator("main form")
    for name, value in {**NEW_EMPLOYER, "cvr": new_cvr()}.items():
        form.locator(f"[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Tjek din e-mail")
    page.goto(mailed_link(admin, site, NEW_EMPLOYER["email"], "/register/confirm/"))
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".alert-info")).to_be_visible()  # signed in; the organisation is not approved yet


def publish_session(page: Page, site: Site, day, title: str) -> None:
    page.goto(f"{site.url}/employer/")
    page.locator("main a.button-primary").click()  # New session
    form = page.locator("main form")
    form.locator("[name=title]").fill(title)
    form.locator("[name=local_date]").fill(day.isoformat())
    form.locator("[name=start_time]").fill("12:00")
    form.locator("[name=end_time]").fill("13:00")
    form.locator("[name=slot_minutes]").fill("15")
    screenshot(page, "employer-session-form")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text(title)
    page.locator("form[action$=publish] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, "employer-session")


def choose_time(page: Page, employer: str, index: int) -> str:
    """Pick the index-th time of the employer's first session on the pick page; the time's text."""
    card = page.locator("section.session-card").filter(has_text=employer).first
    radio = card.locator("input[type=radio]").nth(index)
    radio.check()
    return card.locator(f"label[for='{radio.get_attribute('id')}']").inner_text()


def test_employer_to_funnel_with_a_candidate_booking_three_meetings_on_a_phone(browser: Browser, site: Site):
    day = next_weekdays(utcnow().astimezone(LOCAL_TZ).date(), 1)[0]  # the demo's first day of sessions
    staff = new_context(browser)
    consultant = staff.new_page()
    sign_in(consultant, site, CONSULTANT)
    before = funnel(consultant, site)

    # An employer registers; the consultant approves the organisation; the employer publishes a session.
    admin = new_context(browser).new_page()
    sign_in(admin, site, ADMIN)
    employer = new_context(browser).new_page()
    register_employer(employer, site, admin)
    consultant.goto(f"{site.url}/consultant/employers")
    consultant.locator("tr").filter(has_text=NEW_EMPLOYER["organisation"]).locator("button[type=submit]").click()
    expect(consultant.locator(".alert-success")).to_be_visible()
    publish_session(employer, site, day, "Barista")

    # A candidate asks for a sign-in link on a phone and opens it from the e-mail.
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{site.url}/link")
    phone.locator("main form [name=email]").fill(CANDIDATE)
    phone.locator("main form button[type=submit]").click()
    expect(phone.locator("h1")).to_have_text("Tjek din e-mail")
    phone.goto(mailed_link(admin, site, CANDIDATE, "/link/"))
    phone.locator("main form button[type=submit]").click()
    expect(phone).to_have_url(f"{site.url}/candidate/")

    # Three times at three employers, then one confirm.
    chosen = {"Hotel Nørreport A/S": choose_time(phone, "Hotel Nørreport A/S", 0),
              "Datavagten ApS": choose_time(phone, "Datavagten ApS", 2),
              NEW_EMPLOYER["organisation"]: choose_time(phone, NEW_EMPLOYER["organisation"], 0)}
    screenshot(phone, "candidate-pick-375")
    phone.locator("button[name=action][value=book]").click()

    result = phone.locator("main")
    expect(result.locator(".alert-success h2")).to_have_text("3 samtaler er booket")
    for organisation, time in chosen.items():
        expect(result.locator("li").filter(has_text=organisation)).to_contain_text(time)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto(f"{site.url}/candidate/meetings")
    for organisation in chosen:
        expect(phone.locator("main")).to_contain_text(organisation)
    screenshot(phone, "candidate-meetings-375")

    # The consultant books the next free time at the new employer for another candidate.
    consultant.goto(f"{site.url}/consultant/?q=peter")
    consultant.locator("main table a").filter(has_text="Peter Jensen").click()
    consultant.locator("main a[href$='/book']").click()
    peter_time = choose_time(consultant, NEW_EMPLOYER["organisation"], 0)
    consultant.locator("button[name=action][value=book]").click()
    expect(consultant.locator(".alert-success h2")).to_have_text("1 samtale er booket")
    with site.data():
        booked = db.session.scalars(select(Booking).where(Booking.status == BookingStatus.CONFIRMED)
                                    .join(InterviewSession).where(InterviewSession.title == "Barista")).all()
        assert sorted((b.candidate.user.email, b.booked_by.email) for b in booked) == [
            (CANDIDATE, CANDIDATE), ("peter@matchapp.example", CONSULTANT)]
    employer.goto(employer.url)  # the new session's page
    expect(employer.locator("main table")).to_contain_text("Amina Hassan")
    expect(employer.locator("main table")).to_contain_text("Peter Jensen")
    assert peter_time != chosen[NEW_EMPLOYER["organisation"]]

    # Outcomes come after the meetings: an employer records last week's, which the demo left unrecorded.
    with site.data():
        past = db.session.scalars(select(InterviewSession).where(
            InterviewSession.status == SessionStatus.PUBLISHED, InterviewSession.starts_at < utcnow(),
            InterviewSession.id.in_(select(Booking.session_id)),
            ~InterviewSession.id.in_(select(Booking.session_id).join(Outcome)))).first()
        past_id, member = past.id, db.session.scalar(select(User.email).where(User.employer_id == past.employer_id))
    recorder = new_context(browser).new_page()
    sign_in(recorder, site, member)
    recorder.goto(f"{site.url}/employer/sessions/{past_id}")
    recorder.locator("main a[href$='/outcomes']").click()
    first = recorder.locator("section.outcome-row").first
    first.locator("input[value=attended]").check()
    first.locator("input[value=hired]").check()
    first.locator("select[name$=employment_type]").select_option("full_time")
    first.locator("input[name$=start_date]").fill((day + timedelta(days=14)).isoformat())
    first.locator("input[name$=hours_per_week]").fill("37")
    rows = recorder.locator("section.outcome-row").count()
    for index in range(1, rows):
        recorder.locator("section.outcome-row").nth(index).locator("input[value=candidate_no_show]").check()
    screenshot(recorder, "employer-outcomes", top="main p")
    recorder.locator("main form button[type=submit]").click()
    expect(recorder.locator(".alert-success")).to_contain_text(f"{rows} ")
    with site.data():
        assert db.session.scalar(select(func.count()).select_from(Outcome).join(Booking)
                                 .where(Booking.session_id == past_id)) == rows

    # The consultant's funnel shows the new meetings and the hire once the scheduler has brought the dashboard's
    # figures up to date (every five minutes); here its job runs now.
    stale = funnel(consultant, site)
    with site.data():
        jobs.refresh_figures()
    after = funnel(consultant, site)
    assert stale == before, "until then the dashboard shows the figures of the last refresh"
    screenshot(consultant, "consultant-dashboard", top="#funnel-heading")
    meetings, hired = "Havde en samtale", "Ansat"  # the columns "had a meeting" and "hired"
    assert after[meetings] == before[meetings] + 4  # Amina's three completed courses, and Peter's one
    assert after[hired] == before[hired] + 1


# Whether the focused element shows where focus is: its own outline or shadow, or (DKFDS radios and checkboxes,
# whose input is hidden) that of the box drawn before its label.
FOCUS_IS_VISIBLE = """() => {
  const element = document.activeElement;
  const shows = (style) => (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) ||
                           (style.boxShadow && style.boxShadow !== 'none');
  const label = element.id && document.querySelector(`label[for="${element.id}"]`);
  const box = (label || element).getBoundingClientRect();
  const onScreen = box.bottom > 0 && box.top < window.innerHeight && box.right > 0 && box.left < window.innerWidth;
  return onScreen && (shows(getComputedStyle(element)) ||
                      (label && (shows(getComputedStyle(label, '::before')) || shows(getComputedStyle(label)))));
}"""


def tab_to(page: Page, selector: str, *, key: str = "Tab", limit: int = 60) -> None:
    """Press Tab (or Shift+Tab) until an element matching `selector` has focus, checking focus is visible."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press(key)
        focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_IS_VISIBLE), f"focus is not visible on {focused}"
        if target.evaluate_all("(elements) => elements.includes(document.activeElement)"):
            return
    raise AssertionError(f"{selector} cannot be reached with {key}")


def checked_time(page: Page, employer: str) -> str:
    card = page.locator("section.session-card").filter(has_text=employer).first
    radio = card.locator("input[type=radio]:checked")
    return card.locator(f"label[for='{radio.get_attribute('id')}']").inner_text()


def test_a_candidate_books_three_meetings_with_the_keyboard_only(browser: Browser, site: Site):
    """Tab, Shift+Tab, arrow keys, Space and Enter: no mouse, no element.click(), and focus always visible."""
    admin = new_context(browser).new_page()
    sign_in(admin, site, ADMIN)
    page = new_context(browser, width=375, height=800).new_page()

    page.goto(f"{site.url}/link")
    page.keyboard.press("Tab")
    expect(page.locator("a.skipnav")).to_be_focused()
    assert page.evaluate(FOCUS_IS_VISIBLE), "the skip link shows when it has focus"
    tab_to(page, "input[name=email]")
    page.keyboard.type(CANDIDATE)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Tjek din e-mail")

    page.goto(mailed_link(admin, site, CANDIDATE, "/link/"))
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/candidate/")

    # In each session the checked choice ("No time here") has focus; arrow keys move the choice round the group.
    wanted = {"Hotel Nørreport A/S": 1, "Datavagten ApS": 3, "Kontorhjælpen I/S": 5}
    for employer, presses in wanted.items():
        tab_to(page, f"section.session-card:has-text('{employer}') >> input[type=radio]")
        for _ in range(presses):
            page.keyboard.press("ArrowDown")
        assert page.evaluate(FOCUS_IS_VISIBLE)
    times = {employer: checked_time(page, employer) for employer in wanted}
    assert len(set(times.values())) == 3, times
    tab_to(page, "button[name=action][value=plan]")
    tab_to(page, "button[name=action][value=book]", key="Shift+Tab")
    page.keyboard.press("Space")

    expect(page.locator(".alert-success h2")).to_have_text("3 samtaler er booket")
    for employer, time in times.items():
        expect(page.locator("main li").filter(has_text=employer)).to_contain_text(time)


def test_a_candidate_moves_a_meeting_to_another_time_on_a_phone(browser: Browser, site: Site):
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/")
    booked_time = choose_time(phone, "Hotel Nørreport A/S", 0)
    phone.get_by_role("button", name="Book de valgte tider").click()
    expect(phone.locator(".alert-success h2")).to_have_text("1 samtale er booket")

    # On "My meetings" the candidate opens the meeting's "Move to another time" and picks the last free time.
    phone.goto(f"{site.url}/candidate/meetings")
    card = phone.locator("li.session-card").filter(has_text="Hotel Nørreport A/S").filter(has_text=booked_time)
    card.get_by_role("link", name=re.compile("Flyt til en anden tid")).click()
    expect(phone.locator("h1")).to_have_text("Flyt mødet")
    expect(phone.locator("main input[type=radio]:checked + label")).to_contain_text("din tid nu")
    new_radio = phone.locator("main input[type=radio]").last
    new_radio.check()
    new_time = phone.locator(f"label[for='{new_radio.get_attribute('id')}']").inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "candidate-move-375")
    phone.get_by_role("button", name="Flyt", exact=True).click()

    expect(phone).to_have_url(f"{site.url}/candidate/meetings")
    expect(phone.locator(".alert-success")).to_contain_text("Dit møde er flyttet til")
    expect(phone.locator(".alert-success")).to_contain_text(new_time)
    expect(phone.locator("li.session-card").filter(has_text="Hotel Nørreport A/S")).to_contain_text(new_time)
    with site.data():
        booking = db.session.scalars(select(Booking).join(InterviewSession).join(User, User.id == Booking.booked_by_id)
                                     .where(User.email == CANDIDATE, Booking.status == BookingStatus.CONFIRMED)
                                     .order_by(Booking.id.desc())).first()
        assert booking.sequence == 1  # the calendar entry is updated in place


def test_a_waiting_candidate_books_a_freed_time_from_the_e_mail_on_a_phone(browser: Browser, site: Site):
    # Amina waits for a time at an employer; a time that fits her frees, and the app e-mails her an offer.
    now = utcnow()
    with site.data():
        amina = accounts.find_user(CANDIDATE).candidate
        free = free_slots(bookable_sessions(amina, now=now), now=now)
        slot = next(slot for slots in free.values() for slot in slots if not check_selection(amina, [slot], now=now))
        db.session.add(WaitlistEntry(session=slot.session, candidate=amina, added_by_id=amina.user_id,
                                     status=WaitStatus.WAITING, created_at=now - timedelta(days=1)))
        assert offers.offer_free_times(slot.session, [slot], now=now) == 1
        db.session.commit()
        employer, session_id = slot.session.employer.name, slot.session_id
        clock = f"{slot.starts_at.astimezone(LOCAL_TZ):%H:%M}"
    admin = new_context(browser).new_page()
    sign_in(admin, site, ADMIN)

    # She opens the link from the e-mail on her phone, without signing in, and presses the one button.
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    phone.goto(mailed_link(admin, site, CANDIDATE, "/offers/"))
    expect(phone.locator("h1")).to_have_text("En tid er ledig")
    expect(phone.locator("main")).to_contain_text(employer)
    expect(phone.locator("main")).to_contain_text(clock)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "candidate-waitlist-offer-375")
    phone.get_by_role("button", name="Book denne tid").click()

    expect(phone.locator("h1")).to_have_text("Tiden er booket")
    expect(phone.locator("main")).to_contain_text(clock)
    phone.get_by_role("link", name="Se Mine møder").click()
    expect(phone).to_have_url(re.compile(r"/login"))  # her meetings are behind signing in
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/meetings")
    expect(phone.locator("li.session-card").filter(has_text=employer)).to_contain_text(clock)
    with site.data():
        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.session_id == session_id))
        assert entry.status == WaitStatus.BOOKED
        assert db.session.scalar(select(func.count(Booking.id)).where(
            Booking.session_id == session_id, Booking.candidate_id == entry.candidate_id,
            Booking.status == BookingStatus.CONFIRMED)) == 1
