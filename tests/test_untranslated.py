"""No text reaches a page or an e-mail without going through the catalogue: every word a user reads in a template,
and every message a view or form hands to a user, is marked for translation, so that it shows in Danish and in
English alike (test_translations.py checks that each marked string has its Danish translation)."""
from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import Environment
from jinja2.ext import do

ROOT = Path(__file__).resolve().parent.parent
# Words that are the same in both languages: the product's and the design system's names, and file types.
SAME_IN_BOTH = {"matchapp", "CSV", "ICS", "DKFDS", "WCAG", "axe-core", "digst.dk"}
# Attributes whose values a user sees or hears.
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-description", "aria-roledescription"}
# In Python: calls whose first argument is text a user reads (a message or a field's label); other calls' `message`
# and `label` keywords are read too.
USER_TEXT_CALLS = {"flash", "ValidationError", "MatchappError", "StringField", "TextAreaField", "SelectField",
                   "RadioField", "IntegerField", "DateField", "TimeField", "PasswordField", "EmailField",
                   "BooleanField", "DayField", "WholeNumberField", "SubmitField", "InputRequired", "DataRequired",
                   "Email", "text_field"}


class VisibleText(HTMLParser):
    """Collects the text and read attribute values of an HTML fragment (Jinja tags already removed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        self.found.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.found.append(data)


def words(text: str) -> list[str]:
    """The words of a text that are neither placeholders left by Jinja tags nor the same in both languages."""
    return [w for w in re.findall(r"[^\W\d_][\w.-]*", text) if w not in SAME_IN_BOTH and w != "JINJA"]


def unmarked_template_text(path: Path) -> list[str]:
    """The words in a template outside Jinja's {{ }}, {% %} and {# #}: text no catalogue translates."""
    source = path.read_text(encoding="utf-8")
    env = Environment(extensions=[do, "jinja2.ext.i18n"])
    pieces = [value if token == "data" else " JINJA " for _line, token, value in env.lex(source)]
    if path.suffix == ".txt":
        return words("".join(pieces))
    parser = VisibleText()
    parser.feed("".join(pieces))
    return [w for text in parser.found for w in words(text)]


def test_templates_hold_no_unmarked_text():
    problems = {str(path.relative_to(ROOT)): found for path in sorted((ROOT / "templates").rglob("*"))
                if path.suffix in (".html", ".txt") and (found := unmarked_template_text(path))}
    assert problems == {}


def unmarked_python_text(path: Path) -> list[str]:
    """Literal strings with letters given straight to a call whose text a user reads (not wrapped in _ or _l)."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        texts = [k.value for k in node.keywords if k.arg in ("label", "message")]
        if name in USER_TEXT_CALLS and node.args:
            texts.append(node.args[0])
        for arg in texts:
            if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                                   and words(arg.value)):
                problems.append(f"line {node.lineno}: {name}({ast.unparse(arg)})")
    return problems


def test_views_forms_and_services_give_users_only_marked_text():
    problems = {str(path.relative_to(ROOT)): found for path in sorted((ROOT / "matchapp").rglob("*.py"))
                if (found := unmarked_python_text(path))}
    assert problems == {}


def test_the_checks_find_unmarked_text(tmp_path):
    template = tmp_path / "page.html"
    template.write_text('<h1>{{ _("Hello") }}</h1>\n<p>Velkommen {{ name }}</p><a aria-label="Luk">{# x #}</a>'
                        '<script>let x = "no";</script>{% if a %}matchapp{% endif %}', encoding="utf-8")
    code = tmp_path / "views.py"
    code.write_text('flash(_("Saved."))\nflash("Gemt.")\nflash(f"{n} saved")\nStringField(_l("Name"))\n'
                    'StringField(label="Navn")\nValidationError("Forkert")\nflash(_("Done"), "error")\n'
                    'Length(max=5, message="For lang")\n', encoding="utf-8")

    assert unmarked_template_text(template) == ["Velkommen", "Luk"]
    assert [p.split(":")[0] for p in unmarked_python_text(code)] == ["line 2", "line 3", "line 5", "line 6", "line 8"]
