"""The admin area's blueprint, on its own so that the route modules can import it without a circle."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
