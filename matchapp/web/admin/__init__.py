"""The admin area."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from matchapp.web.admin import routes  # noqa: E402,F401 - registers the views on bp
