"""The auth area."""
from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="")

from matchapp.web.auth import routes  # noqa: E402,F401 - registers the views on bp
