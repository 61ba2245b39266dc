"""The whole story in a real browser: from an employer registering to the consultant's funnel.

Each test has a site of its own (a fresh copy of the demo data), signs in as people do and reads e-mails where
people would: the sign-in link from the outbox, on the admin's mailbox page. Nothing is mocked.
"""
from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select, update

from browser.live import ADMIN, CANDIDATE, CONSULTANT, Site, mailed_link, new_context, screenshot, sign_in
from matchapp import jobs
from matchapp.demo import next_weekdays
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    Booking,
    BookingStatus,
    Enrollment,
    InterviewSession,
    Outcome,
    SessionStatus,
    Slot,
    SlotStatus,
    User,
    WaitlistEntry,
    WaitStatus,
)
from matchapp.services import accounts, offers
from matchapp.services.availability import bookable_sessions, check_selection, free_slots

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
        expect(result.locator("li.session-card").filter(has_text=organisation)).to_contain_text(time)
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


def test_a_candidate_books_three_meetings_with_twelve_key_presses_at_most(browser: Browser, site: Site):
    """Keyboard only, at 375 px: on the find page, at most 12 presses book three meetings and at most 5 of them
    are not Tab. No mouse, no element.click(), and focus always visible."""
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

    pressed: list[str] = []

    def press(key: str) -> None:
        pressed.append(key)
        page.keyboard.press(key)
        if key != "Enter":
            assert page.evaluate(FOCUS_IS_VISIBLE), f"focus is not visible after {pressed}"

    press("Tab")
    expect(page.locator("a.skipnav")).to_have_text("Gå til de ledige tider")
    press("Enter")  # to the times
    expect(page).to_have_url(re.compile(r"#times$"))  # the jump is done before the next key, as a person sees it
    cards = page.locator("section.session-card")
    # The first employer's first time; the next employer's second; the third employer's last (arrows wrap round).
    for card, move in enumerate(("Space", "ArrowDown", "ArrowUp")):
        press("Tab")
        expect(cards.nth(card).locator("input[type=radio]:focus")).to_have_count(1)
        press(move)
    times = {cards.nth(i).locator("h3").inner_text(): checked_time(page, cards.nth(i).locator("h3").inner_text())
             for i in range(3)}
    assert len(set(times.values())) == 3, times
    expect(page.locator(".pick-confirm button[value=book]")).to_have_text("Book 3 tider")
    press("Enter")  # in a group of times, Enter books

    expect(page.locator(".alert-success h2")).to_have_text("3 samtaler er booket")
    assert len(pressed) <= 12, pressed
    assert sum(key != "Tab" for key in pressed) <= 5, pressed
    for heading, time in times.items():
        expect(page.locator("main li").filter(has_text=heading.split(" – ")[1]).first).to_contain_text(time)


def test_the_book_button_stays_in_reach_and_counts_the_chosen_times(browser: Browser, site: Site):
    phone = new_context(browser, width=375, height=700, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/")
    button = phone.locator(".pick-confirm button[value=book]")
    expect(button).to_have_text("Book de valgte tider")
    expect(phone.locator("main input[type=radio]:checked")).to_have_count(0)
    choose_time(phone, "Datavagten ApS", 1)
    expect(button).to_have_text("Book 1 tid")
    last = phone.locator("section.session-card").last
    last.locator("input[type=radio]").last.scroll_into_view_if_needed()
    choose_time(phone, "Kontorhjælpen I/S", 3)
    expect(button).to_have_text("Book 2 tider")
    box = button.bounding_box()
    assert box is not None
    assert 0 <= box["y"] <= 700 - box["height"], "the button is on the screen, not below it"
    phone.locator(".pick-confirm button[type=reset]").click()
    expect(button).to_have_text("Book de valgte tider")
    expect(phone.locator("main input[type=radio]:checked")).to_have_count(0)


def test_the_empty_find_page_says_why_and_who_helps_by_keyboard_on_a_phone(browser: Browser, site: Site):
    with site.data():
        candidate = accounts.find_user(CANDIDATE).candidate
        consultant = candidate.consultant
        completed = dict(db.session.execute(select(Enrollment.id, Enrollment.completed_at)
                                            .where(Enrollment.candidate_id == candidate.id)).all())
        db.session.execute(update(Enrollment).where(Enrollment.id.in_(completed)).values(completed_at=None))
        db.session.commit()
        consultant_name, consultant_email = consultant.name, consultant.email
    phone = new_context(browser, width=375, height=800).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/")
    main = phone.locator("main")
    expect(main.locator(".alert-heading")).to_have_text("Du kan booke, når du har gennemført et kursus")
    expect(main).to_contain_text(f"Spørg din jobkonsulent, {consultant_name}.")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.keyboard.press("Tab")
    expect(phone.locator("a.skipnav")).to_have_text("Gå til sidens indhold")
    tab_to(phone, f"main a[href='mailto:{consultant_email}']")
    tab_to(phone, "main a[href='/candidate/meetings']")
    screenshot(phone, "candidate-find-no-course-375")

    with site.data():  # the courses completed again, but no time is open any more
        for enrollment_id, completed_at in completed.items():
            db.session.execute(update(Enrollment).where(Enrollment.id == enrollment_id)
                               .values(completed_at=completed_at))
        db.session.execute(update(Slot).values(status=SlotStatus.CANCELLED))
        db.session.commit()
    phone.goto(f"{site.url}/candidate/")
    expect(main.locator(".alert-heading")).to_have_text("Der er ingen ledige tider lige nu")
    expect(main).to_contain_text("Kig igen i morgen")
    tab_to(phone, "main a[href='/candidate/meetings']")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(f"{site.url}/candidate/meetings")


def test_a_candidate_moves_a_meeting_to_another_time_on_a_phone(browser: Browser, site: Site):
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/")
    booked_time = choose_time(phone, "Hotel Nørreport A/S", 0)
    phone.get_by_role("button", name="Book 1 tid").click()
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


# --- Issue 15, the result page and "My meetings" (helper: result page) ---------------------------------------------

def _take_every_interviewer_at(slot_id: int) -> None:
    """Others book every interviewer at the slot's time, as if a moment before the candidate presses the button."""
    from uuid import uuid4

    from matchapp.models import Candidate
    from matchapp.services.availability import free_slots_at
    slot = db.session.get(Slot, slot_id)
    met = select(Booking.candidate_id).where(Booking.session_id == slot.session_id)
    others = db.session.scalars(select(Candidate).join(User, User.id == Candidate.user_id)
                                .where(User.email != CANDIDATE, Candidate.id.not_in(met))).all()
    for lane, other in zip(free_slots_at(slot), others, strict=False):
        db.session.add(Booking(slot=lane, session_id=lane.session_id, candidate=other, booked_by_id=other.user_id,
                               status=BookingStatus.CONFIRMED, uid=f"{uuid4()}@story", sequence=0, created_at=utcnow()))
    db.session.commit()


def test_a_taken_times_offer_survives_a_reload_and_books_by_keyboard_on_a_phone(browser: Browser, site: Site):
    now = utcnow()
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/")
    shown = [int(v) for v in phone.locator("main input[type=radio][name^='slot-']").evaluate_all(
        "(radios) => radios.map((radio) => radio.value)")]
    with site.data():
        amina = accounts.find_user(CANDIDATE).candidate
        free = {s.id: s for slots in free_slots(bookable_sessions(amina, now=now), now=now).values() for s in slots}
        # The second time shown that fits: the time before it is free, so there is another time to offer.
        slot = [free[i] for i in shown if i in free and not check_selection(amina, [free[i]], now=now)][1]
        slot_id, employer = slot.id, slot.session.employer.name
        taken_clock = f"{slot.starts_at.astimezone(LOCAL_TZ):%H:%M}"
    phone.locator(f"main input[type=radio][value='{slot_id}']").check()
    with site.data():
        _take_every_interviewer_at(slot_id)  # someone else is quicker
    phone.locator("main button.button-primary[name=action][value=book]").click()

    offer = phone.locator("main li.taken-time").filter(has_text=employer)
    button = offer.get_by_role("button", name=re.compile("i stedet"))
    expect(button).to_be_visible()
    offered = button.inner_text().split()[1]  # "Book 09:00 i stedet"
    assert offered != taken_clock, "the offer is another time than the one taken"
    expect(phone.locator("main")).to_contain_text("jobkonsulent")  # nothing booked: who helps
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "candidate-result-taken-375")

    phone.reload()
    expect(offer.get_by_role("button", name=re.compile("i stedet"))).to_contain_text(offered)
    tab_to(phone, "main li.taken-time button")
    phone.keyboard.press("Enter")

    expect(phone.locator(".alert-success h2")).to_have_text("1 samtale er booket")
    expect(phone.locator("main li.session-card").filter(has_text=employer)).to_contain_text(offered)
    expect(phone.locator("main")).not_to_contain_text("lige før dig")
    expect(phone.get_by_role("link", name=re.compile("Gem mødet med"))).to_be_visible()
    screenshot(phone, "candidate-result-375")
    phone.reload()
    expect(phone.locator(".alert-success h2")).to_have_text("1 samtale er booket")
    tab_to(phone, "main a[href='/candidate/meetings']")
    phone.keyboard.press("Enter")
    expect(phone.locator("li.session-card").filter(has_text=employer)).to_contain_text(offered)


def test_my_meetings_without_meetings_says_why_and_names_the_consultant_by_keyboard_on_a_phone(
        browser: Browser, site: Site):
    phone = new_context(browser, width=375, height=800, is_mobile=True, has_touch=True).new_page()
    sign_in(phone, site, CANDIDATE)
    phone.goto(f"{site.url}/candidate/meetings")

    main = phone.locator("main")
    expect(main).to_contain_text("Du har ingen møder, fordi du ikke har booket en tid.")
    expect(main).to_contain_text("Kim Konsulent")
    tab_to(phone, "main a[href='mailto:konsulent@matchapp.example']")
    tab_to(phone, "main a.button-primary[href='/candidate/']", key="Shift+Tab")
    phone.keyboard.press("Enter")
    expect(phone).to_have_url(f"{site.url}/candidate/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
