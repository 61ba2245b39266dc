"""The candidate area."""
from matchapp.web.candidate import moves, routes, waitlist  # noqa: F401 - registers the views on bp
from matchapp.web.candidate.blueprint import bp

__all__ = ["bp"]
