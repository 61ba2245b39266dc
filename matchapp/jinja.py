"""Template helpers: times in Danish local time in the page's language, navigation, themes."""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from matchapp import formats, labels


def register_filters(app: Flask) -> None:
    """Add the date and time filters templates use (Flask-Babel converts to Europe/Copenhagen)."""
    for name, function in (("local_time", formats.clock), ("local_datetime", formats.moment),
                           ("local_day", formats.day), ("short_day", formats.short_day)):
        app.add_template_filter(function, name)
    # `{{ booking.status|label }}`, `{{ session.mode|label('candidate') }}`: an enum value's words (matchapp.labels).
    app.add_template_filter(labels.label, "label")
    app.add_template_filter(labels.meeting_place)
    register_context(app)


NAV_LINKS = {
    "candidate": [("candidate.find", _l("Find conversations")), ("candidate.meetings", _l("My meetings")),
                  ("candidate.profile", _l("My profile"))],
    "employer": [("employer.dashboard", _l("Our sessions")), ("employer.session_new", _l("New session"))],
    "consultant": [("consultant.candidates", _l("Candidates")), ("consultant.candidate_new", _l("New candidate")),
                   ("consultant.employers", _l("Employers")), ("consultant.runs", _l("Course runs")),
                   ("dashboard.index", _l("Dashboard"))],
    "admin": [("admin.dashboard", _l("Administration")), ("consultant.candidates", _l("Candidates")),
              ("consultant.employers", _l("Employers")), ("consultant.runs", _l("Course runs")),
              ("dashboard.index", _l("Dashboard")), ("admin.mailbox", _l("Outbox")),
              ("admin.integrations_list", _l("Integrations")),
              ("admin.webhooks_index", _l("Webhooks"))],
}
THEMES = {"candidate": "dkfds-borgerdk.min.css", "employer": "dkfds-virkdk.min.css"}
# Signed-out pages that belong to one side wear that side's theme, so that its look does not change at sign-in:
# the candidate's sign-in link, the employer's registration.
SIDE_OF_PAGE = {"auth.link_request": "candidate", "auth.link_sign_in": "candidate",
                "auth.register": "employer", "auth.register_confirm": "employer"}
# Each language's name in itself: the switch offers the other language in its own words.
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


def page_side() -> str | None:
    """The side (candidate or employer) a signed-out page belongs to, if one."""
    return SIDE_OF_PAGE.get(request.endpoint) if has_request_context() else None


def authority_name() -> str:
    """The authority named in the header: MATCHAPP_AUTHORITY_NAME, else the job centres in the page's language."""
    return current_app.config.get("AUTHORITY_NAME") or _("Copenhagen job centres")


ALERT_KINDS = ("info", "success", "warning", "error")


def alert_icon(kind: str) -> Markup:
    """DKFDS's icon at the left of an alert (info, success, warning or error), from its icon sprite; hidden from
    screen readers, since the alert's heading says the same."""
    icon = kind if kind in ALERT_KINDS else "info"
    href = f"{url_for('static', filename='dkfds/img/all-svg-icons.svg')}#{icon}"
    return Markup('<svg class="icon-svg alert-icon" aria-hidden="true" focusable="false"><use href="{}"></use></svg>'
                  ).format(href)


def register_context(app: Flask) -> None:
    """Navigation, the authority named in the header and the DKFDS theme (borger.dk for candidates,
    virk.dk for employers)."""
    app.jinja_env.add_extension("jinja2.ext.do")
    # A global, not a context variable: macros imported without context (_form.html's) use it too.
    app.jinja_env.globals["alert_icon"] = alert_icon

    @app.context_processor
    def helpers():
        role = current_user.role.value if getattr(current_user, "is_authenticated", False) else None
        return {
            "nav_links": lambda: NAV_LINKS.get(role, []),
            "theme_css": lambda: THEMES.get(role or page_side(), "dkfds.min.css"),
            "authority_name": authority_name,
            "get_locale": get_locale,
            "other_language": lambda: "en" if str(get_locale()) == "da" else "da",
            "language_name": LANGUAGE_NAMES.get,
        }
