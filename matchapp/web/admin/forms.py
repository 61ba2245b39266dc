"""Forms for job centres, courses, course runs and consultants."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from matchapp.models import SCOPES
from matchapp.web.forms_common import AppForm, DayField, MultiCheckboxField, as_id, email_field, text_field


def name_field(label) -> StringField:
    return text_field(label, _l("Enter a name."))


class JobcenterForm(AppForm):
    name = name_field(_l("Job centre name"))


class CourseForm(AppForm):
    name = name_field(_l("Course name"))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 3})


class CourseRunForm(AppForm):
    course_id = SelectField(_l("Course"), coerce=as_id)
    jobcenter_id = SelectField(_l("Job centre"), coerce=as_id)
    starts_on = DayField(_l("First day"), validators=[InputRequired(_l("Enter the first day."))])
    ends_on = DayField(_l("Last day"), validators=[InputRequired(_l("Enter the last day."))])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must be on or after the start date."))


class ConsultantForm(AppForm):
    name = name_field(_l("Name"))
    email = email_field()
    jobcenter_id = SelectField(_l("Job centre"), coerce=as_id)


class IntegrationForm(AppForm):
    name = name_field(_l("Name of the system"))
    jobcenter_id = SelectField(_l("Job centre"), coerce=as_id)


class ApiKeyForm(AppForm):
    scopes = MultiCheckboxField(_l("What the key may do"), choices=[SelectChoice(s, s) for s in SCOPES],
                                validators=[InputRequired(_l("Choose at least one scope."))])
