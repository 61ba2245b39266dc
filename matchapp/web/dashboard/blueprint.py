"""The dashboard's blueprint. Its pages keep the URLs they had in the consultant area (/consultant/dashboard...), so
that bookmarks and shared filtered views still work."""
from flask import Blueprint

from matchapp.models import Role

bp = Blueprint("dashboard", __name__, url_prefix="/consultant/dashboard")

READERS = (Role.CONSULTANT, Role.ADMIN)  # who sees the figures: consultants (their job centre's) and admins (all)
