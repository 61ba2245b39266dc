"""Forms for registering candidates and recording course completions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField
from wtforms.validators import InputRequired

from matchapp.models import TargetGroup
from matchapp.web.forms_common import email_field, phone_field, text_field


class CandidateForm(FlaskForm):
    name = text_field(_l("Name"), _l("Enter the candidate's name."))
    email = email_field()
    phone = phone_field()
    jobcenter_id = SelectField(_l("Job centre"), coerce=int)
    target_group = SelectField(_l("Target group"), choices=[
        SelectChoice(TargetGroup.JOB_READY.value, _l("Job-ready (jobparat)")),
        SelectChoice(TargetGroup.ACTIVITY_READY.value, _l("Activity-ready (aktivitetsparat)"))])
    consultant_id = SelectField(_l("Responsible consultant"), coerce=int)


class CompletionForm(FlaskForm):
    course_run_id = SelectField(_l("Course run"), coerce=int)
    completed_on = DateField(_l("Completed on"), validators=[InputRequired(_l("Enter the date of completion."))])
