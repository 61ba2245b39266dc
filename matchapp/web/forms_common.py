"""Form pieces shared by several areas."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from matchapp.labels import choices
from matchapp.models import Attendance, EmploymentType, Result
from matchapp.models.outcome import RecordedOutcome
from matchapp.services.outcomes import OutcomeEntry
from matchapp.web.inputs import parse_id

# The dates the app takes: far enough back for a course run's history, and forward for any plan; a date outside
# (year 1, 9999-12-31 23:30) would overflow when the app adds hours or days to it.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")  # ASCII digits, well within the database's integer range


def one_line(value):
    """A field filter for one-line text: line breaks and tabs become spaces, as a browser's text box does (a line
    break in a title would split an e-mail header or an invite's line)."""
    return re.sub(r"[\r\n\t]+", " ", value) if isinstance(value, str) else value


class AppForm(FlaskForm):
    """The base of the app's forms: every one-line text field (not a text area, not a password) gets `one_line`."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, (TextAreaField, PasswordField)):
                options["filters"] = [one_line, *unbound_field.kwargs.get("filters", ())]
            return unbound_field.bind(form=form, **options)


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DayField(DateField):
    """A date, typed as the date picker sends it (2026-09-01) or as Danes write it (1.9.2026), with our own message.

    WTForms has no Danish catalogue, so its own parse error would be shown in English.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=["%Y-%m-%d", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%Y"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(_l("Enter a date, like 1.9.2026.")) from error
        if self.data is not None and not FIRST_DAY <= self.data <= LAST_DAY:
            self.data = None
            raise ValueError(_l("Enter a date between the years 2000 and 2099."))


class WholeNumberField(IntegerField):
    """A whole number in ASCII digits; other input (also "²" or 2^63) becomes empty, so that the field's range check
    explains it in our words."""

    def process_formdata(self, valuelist):
        if valuelist:
            text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
            self.data = int(text) if WHOLE_NUMBER.fullmatch(text) else None


def as_id(value) -> int:
    """A select's or checkbox's value as an id (`coerce=as_id`): ASCII digits in the database's range, else invalid."""
    if isinstance(value, int):
        return value
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def strip(value: str | None) -> str | None:
    """A field filter: drop surrounding spaces (phone keyboards add one after an autocompleted word)."""
    return value.strip() if value else value


def text_field(label, message, *, max_length: int = 200, **kwargs) -> StringField:
    """A required one-line text: surrounding spaces dropped, so that only spaces counts as empty."""
    return StringField(label, filters=[strip], validators=[DataRequired(message), Length(max=max_length)], **kwargs)


def email_field(label=None) -> StringField:
    return StringField(label or _l("E-mail address"), filters=[strip],
                       validators=[InputRequired(_l("Enter an e-mail address.")),
                                   Email(_l("Enter a valid e-mail address, like name@example.dk."),
                                         check_deliverability=False),
                                   Length(max=254)],
                       render_kw={"autocomplete": "email", "spellcheck": "false"})


def phone_field() -> StringField:
    return StringField(_l("Phone"), validators=[Optional(), Length(max=40)],
                       render_kw={"autocomplete": "tel", "inputmode": "tel"})


class ActionForm(AppForm):
    """A form with only the CSRF token, for buttons that change something."""


class BookingCancelForm(AppForm):
    """Cancelling a meeting: the reason is optional, and short (it goes into e-mails)."""

    reason = StringField(_l("Reason"), validators=[Length(max=300, message=_l("Write at most 300 characters."))])



class OutcomeFields:
    """The answers about a meeting that the employer's outcome page and the consultant's page both ask (mixed into a
    form); every answer may be left empty, and the service (`outcomes._check`) decides what is missing."""

    attendance = RadioField(_l("Did the meeting take place?"), choices=choices(Attendance), validators=[Optional()],
                            invalid_choice_message=_l("Choose one of the options."))
    result = RadioField(_l("What came of it?"), choices=choices(Result), validators=[Optional()],
                        invalid_choice_message=_l("Choose one of the options."))
    employment_type = SelectField(_l("Type of employment"), choices=choices(EmploymentType, blank=_l("Choose")),
                                  validators=[Optional()], invalid_choice_message=_l("Choose one of the options."))
    start_date = DayField(_l("First day of work"), validators=[Optional()])
    hours_per_week = WholeNumberField(_l("Hours a week"), validators=[
        Optional(), NumberRange(1, 60, _l("Enter a whole number of hours between 1 and 60."))])

    def outcome_entry(self, booking_id: int, note: str = "") -> OutcomeEntry:
        """The answers as the outcome services take them."""
        return OutcomeEntry(
            booking_id=booking_id,
            attendance=Attendance(self.attendance.data) if self.attendance.data else None,
            result=Result(self.result.data) if self.result.data else None,
            employment_type=EmploymentType(self.employment_type.data) if self.employment_type.data else None,
            start_date=self.start_date.data, hours_per_week=self.hours_per_week.data, note=note)

    @staticmethod
    def outcome_data(record: RecordedOutcome) -> dict:
        """A recorded outcome as these fields show it."""
        return {"attendance": record.attendance.value, "result": record.result.value if record.result else None,
                "employment_type": record.employment_type.value if record.employment_type else "",
                "start_date": record.start_date, "hours_per_week": record.hours_per_week}
