"""The auth area."""
from matchapp.web.auth import routes  # noqa: F401 - registers the views on bp
from matchapp.web.auth.blueprint import bp

__all__ = ["bp"]
