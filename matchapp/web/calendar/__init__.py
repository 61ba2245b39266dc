"""The calendar area: personal feeds and .ics downloads."""
from matchapp.web.calendar import routes  # noqa: F401 - registers the views on bp
from matchapp.web.calendar.blueprint import bp

__all__ = ["bp"]
