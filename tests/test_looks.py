"""How the pages look: the authority's name and logo in the header (a wordmark by default, never a placeholder),
one DKFDS theme per side from the first page on, and the new-session form in groups (when, who, how) whose meeting
type's own fields the style sheet shows only for that type."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html.parser import HTMLParser

import conftest
import pytest
from pages import alerts, danish, field_error

from matchapp import create_app
from matchapp.config import load_config
from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element] = field(default_factory=list)
    text: str = ""

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        """The descendants with this tag and/or class, in page order."""
        found = []
        for child in self.children:
            if (tag is None or child.tag == tag) and (cls is None or cls in child.classes):
                found.append(child)
            found.extend(child.all(tag, cls))
        return found

    def one(self, tag: str | None = None, cls: str | None = None) -> Element:
        found = self.all(tag, cls)
        assert len(found) == 1, f"expected one {tag or ''}.{cls or ''}, found {len(found)}"
        return found[0]

    def all_text(self) -> str:
        return " ".join([self.text, *(child.all_text() for child in self.children)]).strip()

    def field_names(self) -> list[str]:
        """The names of the form fields inside, once each, in page order."""
        names = [e.attrs["name"] for e in self.all() if e.tag in ("input", "select", "textarea") and "name" in e.attrs]
        return list(dict.fromkeys(names))


class _TreeParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("document", {})
        self.open = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                break

    def handle_data(self, data):
        self.open[-1].text += data


def parse(html: str) -> Element:
    parser = _TreeParser()
    parser.feed(html)
    return parser.root


def theme(html: str) -> str:
    """The DKFDS style sheet the page uses (dkfds.min.css, or a theme's)."""
    sheets = [e.attrs["href"] for e in parse(html).all("link") if "/dkfds/css/" in e.attrs.get("href", "")]
    assert len(sheets) == 1
    return sheets[0].rsplit("/", 1)[-1]


# The header


def test_the_header_shows_the_product_name_in_type_and_the_job_centres_by_default(client):
    page = client.get("/login").text

    header = parse(page).one("header")
    wordmark = header.one("a", "app-wordmark")
    assert wordmark.all_text() == "matchapp"
    assert wordmark.attrs["aria-label"] == "matchapp, forside"
    assert not header.all(cls="logo"), "DKFDS's .logo draws a grey LOGO box, or borger.dk's or virk.dk's logo"
    assert not header.all("img")
    assert header.one(cls="authority-name").all_text() == "Københavns jobcentre"


def test_a_configured_authority_name_and_logo_show_in_the_header(db_url):
    app = create_app(conftest.test_settings(db_url, AUTHORITY_NAME="Aarhus Kommune", LOGO_FILE="logos/aarhus.svg",
                                   LOGO_ALT="Aarhus Kommune"))
    with app.app_context():
        page = app.test_client().get("/login").text
        db.engine.dispose()

    header = parse(page).one("header")
    logo = header.one("a", "app-logo").one("img")
    assert logo.attrs["src"] == "/static/logos/aarhus.svg"
    assert logo.attrs["alt"] == "Aarhus Kommune, forside"
    assert not header.all(cls="app-wordmark")
    assert not header.all(cls="logo")
    assert header.one(cls="authority-name").all_text() == "Aarhus Kommune"


def test_the_logo_without_its_own_alt_text_is_named_after_the_authority(db_url):
    app = create_app(conftest.test_settings(db_url, AUTHORITY_NAME="Odense Kommune", LOGO_FILE="odense.png"))
    with app.app_context():
        page = app.test_client().get("/login").text
        db.engine.dispose()

    assert parse(page).one("header").one("img").attrs["alt"] == "Odense Kommune, forside"


def test_the_authority_and_logo_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHAPP_AUTHORITY_NAME", "Jobcenter Aalborg")
    monkeypatch.setenv("MATCHAPP_LOGO_FILE", "aalborg.svg")
    monkeypatch.setenv("MATCHAPP_LOGO_ALT", "Aalborg Kommune")

    config = load_config(str(tmp_path))

    assert (config["AUTHORITY_NAME"], config["LOGO_FILE"], config["LOGO_ALT"]) == (
        "Jobcenter Aalborg", "aalborg.svg", "Aalborg Kommune")


# One theme per side


def test_the_candidates_sign_in_link_pages_wear_the_theme_of_the_candidates_pages(client, auth, make):
    signed_out = [theme(client.get(path).text) for path in ("/link", "/link/a-token-from-an-e-mail")]
    auth.login(make.candidate().user)
    signed_in = theme(client.get("/candidate/profile").text)

    assert signed_in == "dkfds-borgerdk.min.css"
    assert signed_out == [signed_in, signed_in]


def test_the_employers_registration_pages_wear_the_theme_of_the_employers_pages(client, auth, make):
    signed_out = [theme(client.get(path).text) for path in ("/register", "/register/confirm/a-token")]
    auth.login(make.employer())
    signed_in = theme(client.get("/employer/").text)

    assert signed_in == "dkfds-virkdk.min.css"
    assert signed_out == [signed_in, signed_in]


def test_pages_for_everyone_keep_the_neutral_theme(client):
    assert [theme(client.get(path).text) for path in ("/login", "/password/forgot")] == ["dkfds.min.css"] * 2


# The employer's new-session form


def new_session(**changes) -> dict[str, str]:
    """What an employer types: tomorrow 10-11, 10-minute talks, on video."""
    tomorrow = datetime.now(LOCAL_TZ).date() + timedelta(days=1)
    return {"title": "Receptionist", "description": "", "local_date": tomorrow.isoformat(), "start_time": "10:00",
            "end_time": "11:00", "slot_minutes": "10", "break_minutes": "0", "interviewers": "1", "mode": "video",
            "video_url": "", "address": "", "booking_closes_hours": "2", **changes}


def test_the_new_session_form_groups_its_fields_in_when_who_and_how(client, auth, make):
    make.course("Excel")
    auth.login(make.employer())

    form = parse(client.get("/employer/sessions/new").text).one("form", "session-form")

    groups = {fieldset.all("legend")[0].all_text(): fieldset.field_names()
              for fieldset in form.all("fieldset") if {"session-when", "session-who", "session-how"} & fieldset.classes}
    assert groups == {
        "Hvornår": ["local_date", "start_time", "end_time", "slot_minutes", "break_minutes", "booking_closes_hours"],
        "Hvem": ["interviewers", "courses"],
        "Hvordan": ["mode", "video_url", "address"],
    }


def test_danish_time_is_said_beside_the_start_and_end_times_not_the_date(client, auth, make):
    auth.login(make.employer())

    form = parse(client.get("/employer/sessions/new").text).one("form", "session-form")

    hint = next(e for e in form.all(cls="form-hint") if e.all_text() == "Dansk tid.")
    inputs = {e.attrs["name"]: e.attrs.get("aria-describedby", "").split() for e in form.all("input")
              if e.attrs.get("name") in ("local_date", "start_time", "end_time")}
    assert hint.attrs["id"] in inputs["start_time"]
    assert hint.attrs["id"] in inputs["end_time"]
    assert hint.attrs["id"] not in inputs["local_date"]


def test_the_video_link_and_the_address_are_marked_as_their_meeting_types_own_fields(client, auth, make):
    auth.login(make.employer())

    how = parse(client.get("/employer/sessions/new").text).one("fieldset", "session-how")

    radios = {e.attrs["value"]: "checked" in e.attrs for e in how.all("input") if e.attrs.get("name") == "mode"}
    assert radios == {"video": True, "phone": False, "onsite": False}, "radios the style sheet can read; video first"
    assert how.one(cls="for-video").field_names() == ["video_url"]
    assert how.one(cls="for-onsite").field_names() == ["address"]
    assert all("for-mode" in e.classes for e in (how.one(cls="for-video"), how.one(cls="for-onsite")))


def test_a_mistake_in_another_meeting_types_field_still_shows_beside_it(client, auth, make):
    auth.login(make.employer())

    response = client.post("/employer/sessions/new", data=new_session(mode="phone", video_url="meet.example.dk"))

    assert response.status_code == 422
    assert field_error(response.text, "video_url") == danish("Enter a full link starting with https://")
    assert 'href="#video_url"' in response.text, "the summary leads to the field"
    assert "has-error" in parse(response.text).one(cls="for-video").classes, "so the style sheet does not hide it"


@pytest.mark.parametrize("mode", ["video", "phone", "onsite"])
def test_the_form_keeps_the_chosen_meeting_type_when_it_comes_back_with_a_mistake(client, auth, make, mode):
    auth.login(make.employer())

    response = client.post("/employer/sessions/new", data=new_session(mode=mode, title="", address="Vej 1"))

    assert response.status_code == 422
    assert any("Skriv jobtitlen." in alert for alert in alerts(response.text))
    checked = [e.attrs["value"] for e in parse(response.text).one("fieldset", "session-how").all("input")
               if e.attrs.get("name") == "mode" and "checked" in e.attrs]
    assert checked == [mode]
    assert 'value="Vej 1"' in response.text, "nothing typed is lost"


def test_the_change_form_shows_the_sessions_own_meeting_type_checked(client, auth, make):
    auth.login(make.employer())
    created = client.post("/employer/sessions/new", data=new_session(mode="onsite", address="Vej 1, 2300 København S"))

    page = client.get(created.headers["Location"] + "/edit").text

    how = parse(page).one("fieldset", "session-how")
    assert [e.attrs["value"] for e in how.all("input") if "checked" in e.attrs] == ["onsite"]
