"""The consultant area."""
from flask import Blueprint

bp = Blueprint("consultant", __name__, url_prefix="/consultant")

from matchapp.web.consultant import moves, routes, waitlist  # noqa: E402,F401 - registers the views on bp
