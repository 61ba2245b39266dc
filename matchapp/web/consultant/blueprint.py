"""The consultant area's blueprint, on its own so that the route modules can import it without a circle."""
from flask import Blueprint

bp = Blueprint("consultant", __name__, url_prefix="/consultant")
