"""The record of processing (docs/privacy.md, GDPR art. 30) keeps up with the code: it names every column of every
table as `table.column`, the periods it states are the settings' defaults, and the code it says enforces them
exists. A model that gains a column fails here, naming the column, until the record says what it holds and why.

The privacy notice (art. 13), the record's plain-language summary for the people it is about, is read here too: in
both languages, with the periods in force, linked from every page and from the candidate's welcome e-mail."""
from __future__ import annotations

import html
import importlib
import os
import re
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

import matchapp.models  # noqa: F401 - every model's table in db.metadata
from matchapp.config import load_config
from matchapp.extensions import db
from matchapp.jobs import build_scheduler
from matchapp.models import OutboxMessage

RECORD = Path(__file__).resolve().parent.parent / "docs" / "privacy.md"
# A period as the record states it: `RETENTION_OUTBOX_DAYS` (30), or a row of its table of settings.
STATED_PERIOD = re.compile(r"`(?:MATCHAPP_)?([A-Z][A-Z_]+)`\s+\((\d+)\)")
SETTINGS_ROW = re.compile(r"^\| `MATCHAPP_([A-Z_]+)` \| (\d+) \|", re.MULTILINE)
# The services the record names as enforcing a rule: `retention.purge_sent_messages`.
SERVICE_FUNCTION = re.compile(r"`(retention|erasure|accounts|user_sessions|figures|personal_data)\.(\w+)`")


def record_text() -> str:
    return RECORD.read_text(encoding="utf-8")


def columns_not_in_record(metadata: MetaData, record: str) -> list[str]:
    """The columns of the metadata's tables that the record does not name as `table.column`."""
    named = set(re.findall(r"`(\w+\.\w+)`", record))
    return sorted(f"{table.name}.{column.name}" for table in metadata.tables.values() for column in table.columns
                  if f"{table.name}.{column.name}" not in named)


def stated_periods(record: str) -> dict[str, int]:
    """Every setting the record states a default for, with that default."""
    stated: dict[str, int] = {}
    for name, value in [*STATED_PERIOD.findall(record), *SETTINGS_ROW.findall(record)]:
        assert stated.setdefault(name, int(value)) == int(value), f"the record gives {name} two defaults"
    return stated


def misstated_periods(record: str, defaults: dict) -> dict[str, tuple[int, int | None]]:
    """The settings whose default the record states wrongly (or which the app does not have): (stated, actual)."""
    return {name: (value, defaults.get(name)) for name, value in stated_periods(record).items()
            if defaults.get(name) != value}


@pytest.fixture
def defaults(monkeypatch, tmp_path) -> dict:
    """The settings as the app has them when no MATCHAPP_* variable is set."""
    for name in list(os.environ):
        if name.startswith("MATCHAPP_"):
            monkeypatch.delenv(name)
    return load_config(str(tmp_path))


def test_the_record_names_every_column_of_every_table():
    assert columns_not_in_record(db.metadata, record_text()) == [], \
        "columns that docs/privacy.md does not name: say what they hold, why, who sees them and how long they stay"


def test_a_column_the_record_does_not_name_is_reported_by_name():
    metadata = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    Table("pet", metadata, Column("id", Integer, primary_key=True), Column("owner_name", String(200)))
    metadata.tables["users"].append_column(Column("cpr_number", String(10)))

    assert columns_not_in_record(metadata, record_text()) == ["pet.id", "pet.owner_name", "users.cpr_number"]
    # And a column of the real schema whose mention is struck from the record.
    assert columns_not_in_record(db.metadata, record_text().replace("`candidate.pitch`", "pitch")) == \
        ["candidate.pitch"]


def test_every_period_the_record_states_is_the_settings_default(defaults):
    record = record_text()

    assert misstated_periods(record, defaults) == {}
    assert {"RETENTION_OUTBOX_DAYS": 30, "RETENTION_TOKEN_DAYS": 7, "RETENTION_CANDIDATE_MONTHS": 12,
            "RETENTION_NOTICE_WEEKS": 4, "RETENTION_NOTE_MONTHS": 6,
            "CALENDAR_FEED_DAYS": 180}.items() <= stated_periods(record).items()
    # Its table of settings lists every retention setting the app has.
    retention = {name for name in defaults if name.startswith("RETENTION_")} | {"CALENDAR_FEED_DAYS",
                                                                                 "SCHEDULER_RETENTION_SECONDS"}
    assert retention - dict(SETTINGS_ROW.findall(record)).keys() == set(), \
        "retention settings missing from the table of settings in docs/privacy.md"


def test_a_default_the_record_misstates_is_reported(defaults):
    record = record_text()
    outdated = (record.replace("| `MATCHAPP_RETENTION_OUTBOX_DAYS` | 30 |", "| `MATCHAPP_RETENTION_OUTBOX_DAYS` | 90 |")
                .replace("`RETENTION_OUTBOX_DAYS` (30)", "`RETENTION_OUTBOX_DAYS` (90)"))
    unknown = record + "\n| `MATCHAPP_RETENTION_PET_DAYS` | 3 | a setting the app does not have |\n"

    assert misstated_periods(outdated, defaults) == {"RETENTION_OUTBOX_DAYS": (90, 30)}
    assert misstated_periods(unknown, defaults) == {"RETENTION_PET_DAYS": (3, None)}
    with pytest.raises(AssertionError, match="two defaults"):
        stated_periods(record.replace("`RETENTION_OUTBOX_DAYS` (30)", "`RETENTION_OUTBOX_DAYS` (90)"))


def test_the_code_the_record_names_as_enforcing_a_rule_exists(app):
    missing = [f"{module}.{function}" for module, function in sorted(set(SERVICE_FUNCTION.findall(record_text())))
               if not callable(getattr(importlib.import_module(f"matchapp.services.{module}"), function, None))]
    assert missing == []
    # The scheduler runs the retention rules and removes expired sign-in sessions.
    assert {"apply_retention", "remove_expired_sessions"} <= {job.id for job in build_scheduler(app).get_jobs()}


# --- The privacy notice -------------------------------------------------------------------------------------------

def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_a_visitor_reads_in_danish_who_is_responsible_how_long_data_are_kept_and_where_to_complain(app, client):
    app.config.update(PRIVACY_CONTROLLER="Aarhus Kommune, Jobcenter Aarhus", PRIVACY_EMAIL="persondata@aarhus.dk",
                      RETENTION_OUTBOX_DAYS=14, RETENTION_CANDIDATE_MONTHS=1, RETENTION_NOTE_MONTHS=3)

    response = client.get("/privacy/")

    assert response.status_code == 200
    text = page_text(response)
    assert 'lang="da"' in text
    assert "Aarhus Kommune, Jobcenter Aarhus har ansvaret for dine oplysninger i matchapp." in text
    assert 'href="mailto:persondata@aarhus.dk"' in text
    assert "databeskyttelsesrådgiver" in text
    assert "Teksten i de e-mails, vi har sendt, bliver slettet efter 14 dage." in text
    assert "Hvis du ikke har brugt matchapp i 1 måned" in text
    assert "Arbejdsgiverens note om en samtale bliver slettet efter 3 måneder." in text
    assert "Vi gemmer aldrig dit CPR-nummer." in text
    for right in ("indsigt", "dataportabilitet", "berigtigelse", "sletning", "begrænsning", "indsigelse"):
        assert f"({right})" in text
    assert "Carl Jacobsens Vej 35, 2500 Valby" in text
    assert 'href="mailto:dt@datatilsynet.dk"' in text
    assert 'href="https://www.datatilsynet.dk/"' in text
    assert "The text of the e-mails" not in text


def test_the_notice_is_in_english_for_a_reader_who_asks_for_english(client):
    text = page_text(client.get("/privacy/", headers={"Accept-Language": "en"}))

    assert 'lang="en"' in text
    assert "<h1>Privacy notice</h1>" in text
    assert "The text of the e-mails we have sent is deleted after 30 days." in text
    assert "Your personal calendar address stops working after 180 days, unless you renew it." in text
    assert "complain to the Danish Data Protection Agency (Datatilsynet)" in text


def test_a_signed_in_candidate_is_shown_where_to_see_their_data(client, auth, make):
    auth.login(make.candidate().user)

    text = page_text(client.get("/privacy/"))

    assert 'href="/privacy/my-data"' in text
    assert "Se dine data" in text


@pytest.mark.parametrize("path", ["/", "/login", "/tilgaengelighed", "/privacy/", "/no-such-page"])
def test_every_page_footer_links_the_privacy_notice(client, path):
    footer = client.get(path).get_data(as_text=True).partition("<footer>")[2]

    assert '<a href="/privacy/">Privatlivserklæring</a>' in footer


def test_the_candidates_welcome_e_mail_links_the_privacy_notice(app, make):
    candidate = make.candidate()

    welcome = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == candidate.user_id)).one()

    notice = app.config["BASE_URL"] + "/privacy/"
    assert f"Sådan behandler vi dine oplysninger, og dine rettigheder:\n{notice}" in welcome.body_text
    assert f'<a href="{notice}">Privatlivserklæring</a>' in welcome.body_html
