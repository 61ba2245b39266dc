"""The employer area."""
from matchapp.web.employer import changes, routes  # noqa: F401 - registers the views on bp
from matchapp.web.employer.blueprint import bp

__all__ = ["bp"]
