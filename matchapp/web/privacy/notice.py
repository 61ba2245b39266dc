"""The privacy notice (GDPR art. 13): who is responsible, what is kept, why, for how long, who sees it, the rights
and how to use them, and where to complain. docs/privacy.md is the record of processing it summarises."""
from __future__ import annotations

from datetime import date

from flask import current_app, render_template, url_for
from werkzeug.routing import BuildError

from matchapp.web.privacy.blueprint import bp

NOTICE_DATE = date(2026, 12, 3)  # when the notice was last reviewed
# The Danish Data Protection Agency: anyone may complain to it (art. 77). Names and addresses, not text to translate.
DATATILSYNET = {"name": "Datatilsynet", "web": "https://www.datatilsynet.dk/", "web_label": "www.datatilsynet.dk",
                "address": "Carl Jacobsens Vej 35, 2500 Valby", "email": "dt@datatilsynet.dk"}
# The periods the notice states, read from the settings that the retention jobs use.
PERIODS = ("RETENTION_OUTBOX_DAYS", "RETENTION_TOKEN_DAYS", "RETENTION_CANDIDATE_MONTHS", "RETENTION_NOTICE_WEEKS",
           "RETENTION_NOTE_MONTHS", "CALENDAR_FEED_DAYS")


def my_data_url() -> str | None:
    """The address of the page where a person sees and downloads their data, if the app has it."""
    if "privacy.my_data" not in current_app.view_functions:
        return None
    try:
        return url_for("privacy.my_data")
    except BuildError:  # it wants an argument: the notice describes the page instead of linking it
        return None


@bp.get("/")
def notice():
    config = current_app.config
    return render_template("privacy/notice.html", controller=config["PRIVACY_CONTROLLER"],
                           contact=config["PRIVACY_EMAIL"], periods={key: config[key] for key in PERIODS},
                           authority=DATATILSYNET, my_data=my_data_url(), reviewed_on=NOTICE_DATE)
