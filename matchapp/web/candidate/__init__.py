"""The candidate area."""
from flask import Blueprint

bp = Blueprint("candidate", __name__, url_prefix="/candidate")

from matchapp.web.candidate import moves, routes, waitlist  # noqa: E402,F401 - registers the views on bp
