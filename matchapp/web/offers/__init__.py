"""The waiting-list offers area: the e-mailed link that books a freed time (no sign-in: the token is the key)."""
from flask import Blueprint

bp = Blueprint("offers", __name__, url_prefix="/offers")

from matchapp.web.offers import routes  # noqa: E402,F401 - registers the views on bp
