"""The consultant area."""
from matchapp.web.consultant import moves, outcomes, rosters, routes, waitlist  # noqa: F401 - registers the views on bp
from matchapp.web.consultant.blueprint import bp

__all__ = ["bp"]
