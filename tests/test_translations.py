"""The Danish catalogue covers every marked string, the committed .mo matches the .po, and pages show Danish."""
from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "matchapp" / "translations"
PO = TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "da" / "LC_MESSAGES" / "messages.mo"
# The same keywords as `pybabel extract -k _l -k lazy_gettext` (see README, "Translations").
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def extract_messages() -> Catalog:
    """Extract the marked strings from matchapp/ and templates/ now, as `pybabel extract` with babel.cfg does."""
    with open(TRANSLATIONS / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(ROOT, method_map, options_map,
                                                                         keywords=KEYWORDS):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def as_tuple(value) -> tuple:
    """A message id or translation as a tuple: one item, or the plural forms (read_mo gives those as lists)."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def read_danish() -> Catalog:
    with open(PO, "rb") as po:
        return read_po(po, locale="da")


@pytest.fixture(scope="module")
def danish() -> Catalog:
    return read_danish()


def test_extraction_finds_the_marked_strings():
    ids = {message.id for message in extract_messages() if message.id}
    assert len(ids) > 300
    assert "Book the chosen times" in ids  # templates (jinja2)
    assert "Wrong e-mail address or password." in ids  # Python, lazy_gettext as _l
    assert ("%(num)d conversation is booked", "%(num)d conversations are booked") in ids  # ngettext in a template
    assert "Hello %(name)s" in ids  # mail templates (.txt)


def test_extraction_reads_every_template_and_module():
    """Babel passes over folders whose names start with "_" or "."; a template there would stay in English."""
    with open(TRANSLATIONS / "babel.cfg", encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    read = set()
    for _found in extract_from_dir(ROOT, method_map, options_map, keywords=KEYWORDS,
                                   callback=lambda filename, method, options: read.add(filename)):
        pass
    files = {str(path.relative_to(ROOT)) for folder, pattern in (("templates", "*.html"), ("templates", "*.txt"),
                                                                  ("matchapp", "*.py"))
             for path in (ROOT / folder).rglob(pattern)}
    assert files <= read, f"not read by pybabel extract: {sorted(files - read)}"


def test_every_marked_string_has_a_danish_translation(danish):
    problems = []
    for message in extract_messages():
        if not message.id:
            continue
        translated = danish.get(message.id, context=message.context)
        if translated is None or translated.fuzzy or not all(as_tuple(translated.string)):
            problems.append(message.id)
    assert not problems, f"{len(problems)} strings lack a Danish translation; see README, 'Translations': {problems}"


def test_the_danish_catalogue_is_consistent(danish):
    assert danish.plural_forms == "nplurals=2; plural=(n != 1);"
    assert not danish.fuzzy
    # Placeholders such as %(name)s kept, and the right number of plural forms.
    errors = [(message.id, [str(e) for e in errs]) for message, errs in danish.check()]
    assert not errors
    assert not [m.id for m in danish if m.id and m.fuzzy]


def test_the_compiled_catalogue_is_up_to_date(danish):
    assert MO.is_file(), "run: pybabel compile -d matchapp/translations"
    with open(MO, "rb") as mo:
        compiled = read_mo(mo)
    expected = {(m.context, as_tuple(m.id)): as_tuple(m.string) for m in danish if m.id and not m.fuzzy}
    actual = {(m.context, as_tuple(m.id)): as_tuple(m.string) for m in compiled if m.id}
    assert actual == expected, "messages.mo is stale; run: pybabel compile -d matchapp/translations"


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def english_sentences(danish: Catalog) -> list[str]:
    """The catalogue's English texts of more than one word that read differently in Danish, placeholders cut off."""
    sentences = []
    for message in danish:
        if not message.id or as_tuple(message.id) == as_tuple(message.string):
            continue
        for text in as_tuple(message.id):
            for part in re.split(r"%\(\w+\)[sd]", text):
                if " " in part.strip():
                    sentences.append(part.strip())
    return sentences


@pytest.mark.parametrize(("path", "danish_texts"), [
    ("/", ["Korte jobsamtaler lige efter dit kursus", "Jeg er kandidat: Få et link til at logge ind", "Log ind"]),
    ("/login", ["Log ind", "Få et link til at logge ind", "Har du glemt din adgangskode?", "Adgangskode"]),
])
def test_pages_are_danish_by_default(client, danish, path, danish_texts):
    response = client.get(path)
    assert response.status_code == 200
    text = page_text(response)
    assert 'lang="da"' in text
    for danish_text in danish_texts:
        assert danish_text in text
    for english in ["Sign in", "Get a sign-in link", "Forgot your password?", "Password", "Short job conversations",
                    "Contact your job centre", "Register your organisation", *english_sentences(danish)]:
        assert english not in text, english


def test_the_sign_in_page_after_a_redirect_has_no_english_message(client):
    response = client.get("/candidate/", follow_redirects=True)
    text = page_text(response)
    assert "Log ind for at se siden." in text
    assert "Please log in" not in text
    assert "Please sign in" not in text


def test_english_is_still_there_when_the_browser_asks_for_it(client):
    text = page_text(client.get("/login", headers={"Accept-Language": "en"}))
    assert 'lang="en"' in text
    assert "Sign in" in text
    assert "Forgot your password?" in text
    assert "Log ind" not in text
