"""How the header, the main menu and the new-session form look and behave in Chromium, in Danish."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from browser.live import CANDIDATE, CONSULTANT, EMPLOYER, Site, new_context, screenshot, sign_in


def menu_lines(page: Page) -> list[list[dict]]:
    """The main menu's items (links and sign-out buttons) with their boxes, in lines as the browser wrapped them,
    once the page's stylesheets and fonts are in (on a busy machine they can come after the menu shows)."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    items = page.locator("nav.app-nav li").evaluate_all("""items => items.map(li => {
        const box = li.querySelector('a, button').getBoundingClientRect();
        return {text: li.textContent.trim(), top: box.top, left: box.left, right: box.right}; })""")
    lines: list[list[dict]] = []
    for item in items:
        if not lines or item["left"] <= lines[-1][-1]["left"]:  # back to the left: a new line
            lines.append([])
        lines[-1].append(item)
    return lines


@pytest.mark.parametrize("width", [320, 375, 1280])
@pytest.mark.parametrize("email", [CANDIDATE, EMPLOYER, CONSULTANT], ids=["candidate", "employer", "consultant"])
def test_the_main_menu_lines_up_and_wraps_neatly(browser: Browser, site: Site, email: str, width: int):
    page = new_context(browser, width=width).new_page()
    sign_in(page, site, email)

    lines = menu_lines(page)

    for line in lines:
        assert max(i["top"] for i in line) - min(i["top"] for i in line) <= 2, f"nothing sits higher: {line}"
    assert all(i["right"] <= width for line in lines for i in line), "nothing runs off the screen"
    sign_out = next(line for line in lines if any(i["text"] == "Log ud" for i in line))
    assert len(sign_out) >= 2, "'Log ud' shares its line"
    if width == 1280:
        assert len(lines) == 1
    screenshot(page, f"menu-{email.split('@')[0]}-{width}", top="header")


def test_the_sign_in_link_pages_button_is_green_like_the_candidates_pages(browser: Browser, site: Site):
    page = new_context(browser, width=375).new_page()
    page.goto(f"{site.url}/link")
    link_button = page.locator("main button[type=submit]").evaluate("b => getComputedStyle(b).backgroundColor")
    sign_in(page, site, CANDIDATE)
    page.goto(f"{site.url}/candidate/profile")
    candidate_button = page.locator("main button.button-primary").first.evaluate(
        "b => getComputedStyle(b).backgroundColor")

    assert link_button == candidate_button
    assert page.locator("header .app-wordmark").inner_text() == "matchapp"


def test_the_session_form_shows_the_video_link_for_video_and_the_address_on_site(browser: Browser, site: Site):
    page = new_context(browser, width=375).new_page()
    sign_in(page, site, EMPLOYER)
    page.goto(f"{site.url}/employer/sessions/new")
    video, address = page.locator("[name=video_url]"), page.locator("[name=address]")

    expect(video).to_be_visible()  # video is chosen from the start
    expect(address).to_be_hidden()
    video.fill("https://meet.example.dk/reception")
    page.get_by_label("På vores adresse").check()
    expect(address).to_be_visible()
    expect(video).to_be_hidden()
    screenshot(page, "employer-session-form-onsite-375", top="fieldset.session-how")
    page.get_by_label("Telefon").check()
    expect(address).to_be_hidden()
    expect(video).to_be_hidden()
    page.get_by_label("Video", exact=True).check()
    expect(video).to_be_visible()
    expect(video).to_have_value("https://meet.example.dk/reception")  # nothing typed is lost
