"""The calendar area: personal feeds and .ics downloads."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

from matchapp.web.calendar import routes  # noqa: E402,F401 - registers the views on bp
