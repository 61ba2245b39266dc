"""The interview session form, the cancel form and the outcome page's form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    FieldList,
    Form,
    FormField,
    RadioField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import HiddenInput

from matchapp.labels import choices
from matchapp.models import Booking, MeetingMode, Outcome
from matchapp.services.outcomes import OutcomeEntry
from matchapp.services.sessions import SessionDraft
from matchapp.web.forms_common import (
    AppForm,
    DayField,
    MultiCheckboxField,
    OutcomeFields,
    WholeNumberField,
    as_id,
    text_field,
)
from matchapp.web.inputs import MAX_ID


class SessionForm(AppForm):
    title = text_field(_l("Job title"), _l("Enter the job title."))
    description = TextAreaField(_l("About the job"), validators=[Length(max=2000)], render_kw={"rows": 4})
    courses = MultiCheckboxField(_l("For participants of these courses"), coerce=as_id)
    local_date = DayField(_l("Date"), validators=[InputRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a start time."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(_l("Enter an end time."))])
    slot_minutes = WholeNumberField(_l("Minutes per conversation"), default=10, validators=[
        InputRequired(_l("Enter a number of minutes.")),
        NumberRange(5, 60, _l("Choose between 5 and 60 minutes."))])
    break_minutes = WholeNumberField(_l("Break between conversations (minutes)"), default=0, validators=[
        InputRequired(_l("Enter a number of minutes, or 0.")), NumberRange(0, 60, _l("Choose between 0 and 60."))])
    interviewers = WholeNumberField(_l("Interviewers at the same time"), default=1, validators=[
        InputRequired(_l("Enter a number.")), NumberRange(1, 10, _l("Choose between 1 and 10."))])
    # Radios, not a list: the page shows a type's own fields (link, address) for the checked one (CSS :has()).
    mode = RadioField(_l("Meeting type"), validators=[InputRequired()], default=MeetingMode.VIDEO.value,
                      choices=choices(MeetingMode))
    video_url = StringField(_l("Video link"), validators=[
        Optional(), URL(message=_l("Enter a full link starting with https://")), Length(max=500)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    booking_closes_hours = WholeNumberField(_l("Booking closes (hours before)"), default=2, validators=[
        InputRequired(_l("Enter a number of hours.")), NumberRange(0, 168, _l("Choose between 0 and 168 hours."))])

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))

    def validate_address(self, field):
        if self.mode.data == MeetingMode.ONSITE.value and not (field.data or "").strip():
            raise ValidationError(_l("Enter the address of the meeting."))

    def to_draft(self) -> SessionDraft:
        return SessionDraft(
            title=self.title.data.strip(), description=(self.description.data or "").strip(),
            course_ids=list(self.courses.data or []), local_date=self.local_date.data,
            start_time=self.start_time.data, end_time=self.end_time.data, slot_minutes=self.slot_minutes.data,
            break_minutes=self.break_minutes.data, interviewers=self.interviewers.data,
            mode=MeetingMode(self.mode.data), video_url=(self.video_url.data or "").strip() or None,
            address=(self.address.data or "").strip() or None, booking_closes_hours=self.booking_closes_hours.data)


class CancelForm(AppForm):
    reason = text_field(_l("Reason (the candidates see it)"), _l("Write a reason for the candidates."), max_length=300)


class OutcomeRowForm(OutcomeFields, Form):
    """One meeting on the outcome page; every answer may be left empty (the service decides what is missing)."""

    booking_id = WholeNumberField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)], render_kw={"rows": 2})

    def to_entry(self) -> OutcomeEntry:
        return self.outcome_entry(self.booking_id.data, note=self.note.data or "")


class OutcomesForm(AppForm):
    """The outcomes of all of a session's meetings, saved with one submit."""

    rows = FieldList(FormField(OutcomeRowForm))

    @classmethod
    def prefilled(cls, meetings: list[Booking], outcomes: dict[int, Outcome]) -> OutcomesForm:
        """The form for these meetings, showing the outcomes recorded so far."""
        rows = []
        for booking in meetings:
            outcome = outcomes.get(booking.id)
            rows.append({"booking_id": booking.id} if outcome is None else {
                "booking_id": booking.id, **OutcomeRowForm.outcome_data(outcome), "note": outcome.note})
        return cls(data={"rows": rows})

    def entries(self) -> list[OutcomeEntry]:
        return [row.form.to_entry() for row in self.rows]

    def show_row_errors(self, rows: dict[int, dict[str, str]]) -> None:
        """Put the service's messages ({booking id: {field: message}}) beside the fields of their rows."""
        for row in self.rows:
            for name, message in rows.get(row.form.booking_id.data, {}).items():
                row.form[name].errors = [*row.form[name].errors, message]


class TimesForm(AppForm):
    """A published session's times and interviewers on the same day; the reason is asked for when booked meetings
    would be cancelled."""

    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a start time."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(_l("Enter an end time."))])
    interviewers = WholeNumberField(_l("Interviewers at the same time"), validators=[
        InputRequired(_l("Enter a number.")), NumberRange(1, 10, _l("Choose between 1 and 10."))])
    reason = StringField(_l("Reason (the candidates see it)"), validators=[
        Length(max=300, message=_l("Write at most 300 characters."))])

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))


class MoveForm(AppForm):
    """Move a published session to another day and/or start time; it keeps its length. `confirm` is sent when the
    employer confirms what the move does to the booked candidates it puts in a clash (the page showed it)."""

    local_date = DayField(_l("New date"), validators=[InputRequired(_l("Enter a date."))])
    start_time = TimeField(_l("New start time"), validators=[InputRequired(_l("Enter a start time."))])
    confirm = StringField(filters=[lambda code: code[:64] if code else code])  # any other text asks again


class PlaceForm(AppForm):
    """A published session's video link or address."""

    video_url = StringField(_l("Video link"), validators=[
        Optional(), URL(message=_l("Enter a full link starting with https://")), Length(max=500)])
    address = StringField(_l("Address"), validators=[Length(max=300)])


class InterviewerForm(AppForm):
    """Move a booked meeting to another interviewer at the same time."""

    lane = WholeNumberField(validators=[InputRequired(), NumberRange(1, 10)])
