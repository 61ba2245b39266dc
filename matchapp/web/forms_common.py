"""Form pieces shared by several areas."""
from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


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


class WholeNumberField(IntegerField):
    """A whole number; other input becomes empty, so that the field's range check explains it in our words."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


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


class ActionForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change something."""


def show_error(form: FlaskForm, error) -> None:
    """Show a service error beside its field, or as a message at the top when it names none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        flash(str(error.message), "error")
        return
    field.errors = [*field.errors, str(error.message)]
    form._errors = None  # WTForms caches form.errors; let it see the new message
