"""Forms for registering candidates, recording course completions, a meeting's outcome and the 60-day follow-up."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from matchapp.labels import STAFF_OPTION, choices
from matchapp.models import Attendance, EmploymentStatus, Result, TargetGroup
from matchapp.web.forms_common import (
    AppForm,
    DayField,
    OutcomeFields,
    WholeNumberField,
    as_id,
    email_field,
    phone_field,
    text_field,
)
from matchapp.web.inputs import MAX_ID


class CandidateForm(AppForm):
    name = text_field(_l("Name"), _l("Enter the candidate's name."))
    email = email_field()
    phone = phone_field()
    jobcenter_id = SelectField(_l("Job centre"), coerce=as_id)
    target_group = SelectField(_l("Target group"), choices=choices(TargetGroup))
    consultant_id = SelectField(_l("Responsible consultant"), coerce=as_id)


class CompletionForm(AppForm):
    course_run_id = SelectField(_l("Course run"), coerce=as_id)
    completed_on = DayField(_l("Completed on"), validators=[InputRequired(_l("Enter the date of completion."))])


class ConsultantOutcomeForm(OutcomeFields, AppForm):
    """A consultant's record of what came of one meeting, in the words of someone who was not there."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.attendance.choices = choices(Attendance, STAFF_OPTION)
        self.result.choices = choices(Result, STAFF_OPTION)

    def show_refusal(self, problems: dict[str, str]) -> None:
        """Put the service's messages ({field: message}) beside their fields."""
        for name, message in problems.items():
            self[name].errors = [*self[name].errors, message]
        self._errors = None  # WTForms caches form.errors; let the error summary see the new messages


class FollowUpRowForm(Form):
    candidate_id = WholeNumberField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)])
    status = SelectField(_l("Employment status"), choices=choices(EmploymentStatus, blank=_l("Not recorded")),
                         validators=[Optional()], invalid_choice_message=_l("Choose one of the options."))


class FollowUpForm(AppForm):
    """The employment status of every completer of a course run, 60 days after the course."""

    rows = FieldList(FormField(FollowUpRowForm))

    @classmethod
    def prefilled(cls, rows) -> FollowUpForm:
        """The form showing the recorded status of each completer; "not recorded" where none is."""
        return cls(data={"rows": [{"candidate_id": row.candidate.id, "status": row.status.value if row.status else ""}
                                  for row in rows]})

    def statuses(self) -> dict[int, EmploymentStatus]:
        """The statuses chosen, by candidate id; a row left at "not recorded" is left out."""
        return {row.form.candidate_id.data: EmploymentStatus(row.form.status.data)
                for row in self.rows if row.form.status.data}
