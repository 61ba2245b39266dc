"""Erasing a candidate, an employer's member or a whole organisation, after a confirmation step and a reason."""
from __future__ import annotations

from matchapp.web.privacy import bp  # noqa: F401
