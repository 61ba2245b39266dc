"""The interview session form and the cancel form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import URL, InputRequired, Length, NumberRange, Optional, ValidationError

from matchapp.models import MeetingMode
from matchapp.services.sessions import SessionDraft
from matchapp.web.forms_common import MultiCheckboxField, text_field


class SessionForm(FlaskForm):
    title = text_field(_l("Job title"), _l("Enter the job title."))
    description = TextAreaField(_l("About the job"), validators=[Length(max=2000)], render_kw={"rows": 4})
    courses = MultiCheckboxField(_l("For participants of these courses"), coerce=int)
    local_date = DateField(_l("Date"), validators=[InputRequired(_l("Enter a date."))])
    start_time = TimeField(_l("From"), validators=[InputRequired(_l("Enter a start time."))])
    end_time = TimeField(_l("To"), validators=[InputRequired(_l("Enter an end time."))])
    slot_minutes = IntegerField(_l("Minutes per conversation"), default=10, validators=[
        InputRequired(_l("Enter a number of minutes.")),
        NumberRange(5, 60, _l("Choose between 5 and 60 minutes."))])
    break_minutes = IntegerField(_l("Break between conversations (minutes)"), default=0, validators=[
        InputRequired(_l("Enter a number of minutes, or 0.")), NumberRange(0, 60, _l("Choose between 0 and 60."))])
    interviewers = IntegerField(_l("Interviewers at the same time"), default=1, validators=[
        InputRequired(_l("Enter a number.")), NumberRange(1, 10, _l("Choose between 1 and 10."))])
    mode = SelectField(_l("Meeting type"), validators=[InputRequired()], choices=[
        SelectChoice(MeetingMode.VIDEO.value, _l("Video")), SelectChoice(MeetingMode.PHONE.value, _l("Phone")),
        SelectChoice(MeetingMode.ONSITE.value, _l("At our address"))])
    video_url = StringField(_l("Video link"), validators=[
        Optional(), URL(message=_l("Enter a full link starting with https://")), Length(max=500)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    booking_closes_hours = IntegerField(_l("Booking closes (hours before)"), default=2, validators=[
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


class CancelForm(FlaskForm):
    reason = text_field(_l("Reason (the candidates see it)"), _l("Write a reason for the candidates."), max_length=300)
