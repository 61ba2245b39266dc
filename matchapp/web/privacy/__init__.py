"""Personal data: the privacy notice, a person's data export (GDPR art. 15 and 20), erasure (art. 17) and keeping
a candidate whom retention would anonymise. docs/privacy.md is the record of processing behind it."""
from matchapp.web.privacy import erasure, export, notice, retention  # noqa: F401 - registers the views on bp
from matchapp.web.privacy.blueprint import bp

__all__ = ["bp"]
