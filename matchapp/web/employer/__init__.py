"""The employer area."""
from flask import Blueprint

bp = Blueprint("employer", __name__, url_prefix="/employer")

from matchapp.web.employer import changes, routes  # noqa: E402,F401 - registers the views on bp
