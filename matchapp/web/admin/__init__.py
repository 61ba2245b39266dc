"""The admin area."""
from matchapp.web.admin import integrations, routes, webhooks  # noqa: F401 - registers the views on bp
from matchapp.web.admin.blueprint import bp

__all__ = ["bp"]
