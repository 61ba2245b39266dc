"""Forms for job centres, courses, course runs and consultants."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, ValidationError

from matchapp.web.forms_common import email_field, text_field


def name_field(label) -> StringField:
    return text_field(label, _l("Enter a name."))


class JobcenterForm(FlaskForm):
    name = name_field(_l("Job centre name"))


class CourseForm(FlaskForm):
    name = name_field(_l("Course name"))
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)], render_kw={"rows": 3})


class CourseRunForm(FlaskForm):
    course_id = SelectField(_l("Course"), coerce=int)
    jobcenter_id = SelectField(_l("Job centre"), coerce=int)
    starts_on = DateField(_l("First day"), validators=[InputRequired(_l("Enter the first day."))])
    ends_on = DateField(_l("Last day"), validators=[InputRequired(_l("Enter the last day."))])

    def validate_ends_on(self, field):
        if self.starts_on.data and field.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must be on or after the start date."))


class ConsultantForm(FlaskForm):
    name = name_field(_l("Name"))
    email = email_field()
    jobcenter_id = SelectField(_l("Job centre"), coerce=int)
