"""The consultant area."""
# The blueprint first: dashboard.py and exports.py still take `bp` from this package.
from matchapp.web.consultant.blueprint import bp

# isort: split
from matchapp.web.consultant import dashboard, exports, moves, routes, waitlist  # noqa: F401 - registers the views on bp

__all__ = ["bp"]
