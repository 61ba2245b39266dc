"""The calendar area's blueprint, on its own so that the route modules can import it without a circle."""
from flask import Blueprint

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
