"""Reading pages the way a browser and a person do: forms and their fields, errors beside fields, messages."""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

from conftest import PASSWORD
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy import func, select

from matchapp.extensions import db


@dataclass
class Form:
    action: str | None
    method: str
    inputs: list[dict] = field(default_factory=list)

    def hidden(self) -> dict[str, str]:
        """What a browser sends without the user touching anything: the hidden fields (the CSRF token)."""
        return {i["name"]: i.get("value", "") for i in self.inputs if i.get("type") == "hidden" and "name" in i}

    def filled(self) -> dict[str, str]:
        """What a browser sends when the user submits the form as shown: every field with its prefilled value."""
        sent = {}
        for i in self.inputs:
            name, kind = i.get("name"), i.get("type", "text")
            if not name or i["tag"] == "button" or kind in ("submit", "button", "reset"):
                continue
            if kind in ("radio", "checkbox"):
                if "checked" in i:
                    sent[name] = i.get("value", "on")
            elif i["tag"] == "select":
                options = i.get("options", [])
                chosen = [o for o in options if o["selected"]] or options[:1]
                if chosen:
                    sent[name] = chosen[0]["value"]
            else:
                sent[name] = i.get("value", "")
        return sent

    def checked(self, name_prefix: str) -> dict[str, str]:
        """The checked radio buttons and checkboxes whose names start with name_prefix, name: value."""
        return {i["name"]: i.get("value", "") for i in self.inputs
                if i.get("type") in ("radio", "checkbox") and "checked" in i and i.get("name", "").startswith(
                    name_prefix) and i.get("value")}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self._open = Form(attributes.get("action"), attributes.get("method", "get").lower())
            self.forms.append(self._open)
        elif tag in ("input", "button", "select", "textarea") and self._open is not None:
            self._open.inputs.append({"tag": tag, **attributes})
            if tag == "textarea":
                self._open.inputs[-1]["text"] = ""
        elif tag == "option" and self._open is not None and self._open.inputs and \
                self._open.inputs[-1]["tag"] == "select":
            self._open.inputs[-1].setdefault("options", []).append(
                {"value": attributes.get("value", ""), "selected": "selected" in attributes})

    def handle_data(self, data):
        if self._open is not None and self._open.inputs and "text" in self._open.inputs[-1]:
            self._open.inputs[-1]["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None
        elif tag == "textarea" and self._open is not None and self._open.inputs:
            # The text is the textarea's content; a browser drops the one newline right after <textarea>.
            textarea = self._open.inputs[-1]
            textarea["value"] = textarea.pop("text").removeprefix("\r\n").removeprefix("\n")


def forms(html: str) -> list[Form]:
    """Every form on the page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form(html: str, action: str) -> Form:
    """The one POST form that submits to this path (a form without an action submits to the page itself)."""
    found = [f for f in forms(html) if f.method == "post" and f.action == action]
    assert len(found) == 1, f"expected one form posting to {action}, found {len(found)}"
    return found[0]


def own_form(html: str) -> Form:
    """The page's main form: the POST form without an action attribute, which posts back to the page."""
    found = [f for f in forms(html) if f.method == "post" and f.action is None]
    assert len(found) == 1, f"expected one form posting back to the page, found {len(found)}"
    return found[0]


def text(html: str) -> str:
    """The page's text as a person reads it: tags gone, entities decoded, white space collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def field_error(html: str, field_id: str) -> str | None:
    """The error message shown beside a field (DKFDS: span#<field id>-error), without the screen-reader prefix."""
    match = re.search(rf'<span class="form-error-message" id="{re.escape(field_id)}-error">'
                      r'(?:<span class="sr-only">.*?</span>)?(.*?)</span>', html, flags=re.S)
    return None if match is None else text(match.group(1))


def alerts(html: str) -> list[str]:
    """The texts of the alert boxes (flashed messages and summaries) on the page."""
    return [text(body) for body in re.findall(r'<div class="alert-body">(.*?)</div>', html, flags=re.S)]


def danish(message: str, plural: str | None = None, **values) -> str:
    """A message as the app says it in Danish; fails if the Danish catalogue has no translation for it."""
    with force_locale("da"):
        translated = ngettext(message, plural, **values) if plural else gettext(message, **values)
    english = (plural if plural and values.get("num") != 1 else message) % values
    assert translated != english, f"no Danish translation of {message!r}"
    return translated


def count(model, *where) -> int:
    """How many rows of a model (matching the conditions) the database holds."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def sign_in(client, user, password: str | None = None):
    """Sign in through the sign-in page, sending its hidden fields (the CSRF token) as a browser would."""
    page = client.get("/login").text
    response = client.post("/login", data={**own_form(page).hidden(), "email": user.email,
                                           "password": password or PASSWORD})
    assert response.status_code == 302, "sign-in failed"
    return response


@dataclass
class FormCase:
    """One form of the app: who fills it in, on which page, where it posts, what is typed, and what it changes."""

    user: object | None
    page: str
    action: str | None  # None: the form posts back to its page
    data: dict
    state: Callable[[], object]


def assert_form_needs_its_csrf_token(client, case: FormCase) -> None:
    """A POST without the page's CSRF token is refused (400) and changes nothing; with it, the form works."""
    if case.user is not None:
        sign_in(client, case.user)
    page = client.get(case.page)
    assert page.status_code == 200
    found = form(page.text, case.action) if case.action else own_form(page.text)
    target = case.action or case.page
    hidden = found.hidden()
    assert any(name.endswith("csrf_token") and value for name, value in hidden.items()), "the form has a token"
    before = case.state()

    forged = client.post(target, data={**{k: v for k, v in hidden.items() if not k.endswith("csrf_token")},
                                       **case.data})

    assert forged.status_code == 400
    assert case.state() == before

    genuine = client.post(target, data={**hidden, **case.data})

    assert genuine.status_code in (200, 302)
    assert case.state() != before
