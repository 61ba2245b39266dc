"""The dashboard's filter form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField
from wtforms.validators import Optional, ValidationError

from matchapp.web.forms_common import AppForm, DayField, as_id


def _optional_id(value) -> int | None:
    """A select's value as an id, or None for "all"."""
    return as_id(value) if value not in (None, "", "None") else None


class DashboardFilterForm(AppForm):
    """The dashboard's filter, sent by GET so that a filtered view can be bookmarked and shared."""

    class Meta:
        csrf = False

    jobcenter_id = SelectField(_l("Job centre"), coerce=_optional_id,
                               invalid_choice_message=_l("Choose one of the options."))
    course_id = SelectField(_l("Course"), coerce=_optional_id, invalid_choice_message=_l("Choose one of the options."))
    course_run_id = SelectField(_l("Course run"), coerce=_optional_id,
                                invalid_choice_message=_l("Choose one of the options."))
    period_from = DayField(_l("Course ended on or after"), validators=[Optional()])
    period_to = DayField(_l("Course ended on or before"), validators=[Optional()])

    def validate_period_to(self, field):
        if field.data and self.period_from.data and field.data < self.period_from.data:
            raise ValidationError(_l("The end of the period must be on or after its start."))
