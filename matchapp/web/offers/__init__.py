"""The waiting-list offers area: the e-mailed link that books a freed time (no sign-in: the token is the key)."""
from matchapp.web.offers import routes  # noqa: F401 - registers the views on bp
from matchapp.web.offers.blueprint import bp

__all__ = ["bp"]
