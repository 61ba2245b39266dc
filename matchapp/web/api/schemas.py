"""What the API reads and answers: marshmallow schemas, from which the OpenAPI document is generated.

Every text is bounded and free of control characters, and no text may hold something that looks like a CPR number
(matchapp never stores one): such a field is refused with 422 before anything is written.
"""
from __future__ import annotations

import re

import marshmallow as ma
from flask_babel import gettext as _
from marshmallow import fields, validate

from matchapp.models import Attendance, EmploymentStatus, EmploymentType, Result, TargetGroup
from matchapp.web.api.pages import MAX_LIMIT

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# DDMMYY-NNNN or DDMMYYNNNN with a real day and month: the shape of a Danish CPR number.
CPR = re.compile(r"(?<!\d)(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])\d{2}-?\d{4}(?!\d)")


def _no_control(value: str) -> None:
    if CONTROL.search(value):
        raise ma.ValidationError(_("Control characters are not allowed."))


def _no_cpr(value: str) -> None:
    if CPR.search(value):
        raise ma.ValidationError(_("This looks like a CPR number; matchapp never stores one."))


def text(max_length: int, *, min_length: int = 0, **kwargs) -> fields.String:
    """A bounded text without control characters or a CPR number."""
    return fields.String(validate=[validate.Length(min=min_length, max=max_length), _no_control, _no_cpr], **kwargs)


EXTERNAL_ID = {"pattern": r"^[A-Za-z0-9._:-]{1,64}$"}
EXTERNAL_ID_RE = re.compile(EXTERNAL_ID["pattern"])


class ListArgs(ma.Schema):
    cursor = fields.String(validate=validate.Length(max=40),
                           metadata={"description": "The `next` cursor of the page before; none for the first page"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))


class PageSchema(ma.Schema):
    next = fields.String(allow_none=True, required=True,
                         metadata={"description": "The URL of the next page, or null on the last page"})


class CourseSchema(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)


class CoursePage(PageSchema):
    items = fields.List(fields.Nested(CourseSchema), required=True)


class CourseRunSchema(ma.Schema):
    id = fields.Integer(required=True)
    course_id = fields.Integer(required=True)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)


class CourseRunPage(PageSchema):
    items = fields.List(fields.Nested(CourseRunSchema), required=True)


class CandidateIn(ma.Schema):
    name = text(200, min_length=1, required=True)
    email = fields.Email(required=True, validate=[validate.Length(max=254), _no_control])
    phone = text(40, allow_none=True, load_default=None)
    target_group = fields.Enum(TargetGroup, by_value=True, required=True)


class CandidateSchema(ma.Schema):
    external_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(allow_none=True, required=True)
    target_group = fields.Enum(TargetGroup, by_value=True, required=True)


class CandidatePage(PageSchema):
    items = fields.List(fields.Nested(CandidateSchema), required=True)


class CompletionIn(ma.Schema):
    external_id = fields.String(required=True, validate=validate.Regexp(EXTERNAL_ID_RE))
    completed_at = fields.AwareDateTime(allow_none=True, required=True, format="iso",
                                        metadata={"description": "When the candidate completed the run; null: "
                                                                 "enrolled, not completed"})


class CompletionSchema(ma.Schema):
    external_id = fields.String(required=True)
    course_run_id = fields.Integer(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)


class SessionSchema(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    employer = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    mode = fields.String(required=True)
    course_ids = fields.List(fields.Integer(), required=True,
                             metadata={"description": "The courses it is for; empty: any completed course"})


class SessionPage(PageSchema):
    items = fields.List(fields.Nested(SessionSchema), required=True)


class FreeTimeSchema(ma.Schema):
    starts_at = fields.DateTime(required=True)
    slot_id = fields.Integer(required=True)


class FreeTimes(ma.Schema):
    items = fields.List(fields.Nested(FreeTimeSchema), required=True)


class BookingSchema(ma.Schema):
    id = fields.Integer(required=True)
    external_id = fields.String(allow_none=True, required=True, metadata={"description": "The candidate's"})
    session_id = fields.Integer(required=True)
    starts_at = fields.DateTime(required=True)
    ends_at = fields.DateTime(required=True)
    status = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    cancelled_at = fields.DateTime(allow_none=True, required=True)


class BookingPage(PageSchema):
    items = fields.List(fields.Nested(BookingSchema), required=True)


class BookingFilter(ListArgs):
    status = fields.String(validate=validate.OneOf(["confirmed", "cancelled"]))


class CancelIn(ma.Schema):
    reason = text(500, load_default="")


class OutcomeIn(ma.Schema):
    attendance = fields.Enum(Attendance, by_value=True, required=True)
    result = fields.Enum(Result, by_value=True, allow_none=True, load_default=None)
    employment_type = fields.Enum(EmploymentType, by_value=True, allow_none=True, load_default=None)
    start_date = fields.Date(allow_none=True, load_default=None)
    hours_per_week = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(1, 60))


class OutcomeSchema(ma.Schema):
    booking_id = fields.Integer(required=True)
    recorded_by = fields.String(required=True, metadata={"description": "employer or consultant: the record the "
                                                                        "figures count"})
    attendance = fields.Enum(Attendance, by_value=True, required=True)
    result = fields.Enum(Result, by_value=True, allow_none=True, required=True)
    employment_type = fields.Enum(EmploymentType, by_value=True, allow_none=True, required=True)
    start_date = fields.Date(allow_none=True, required=True)
    hours_per_week = fields.Integer(allow_none=True, required=True)


class FollowUpIn(ma.Schema):
    status = fields.Enum(EmploymentStatus, by_value=True, required=True)


class FollowUpSchema(ma.Schema):
    external_id = fields.String(allow_none=True, required=True)
    course_run_id = fields.Integer(required=True)
    status = fields.Enum(EmploymentStatus, by_value=True, allow_none=True, required=True,
                         metadata={"description": "null: not recorded yet"})


class FollowUps(ma.Schema):
    items = fields.List(fields.Nested(FollowUpSchema), required=True)


class ExternalIdPath(ma.Schema):
    external_id = fields.String(required=True, validate=validate.Regexp(EXTERNAL_ID_RE))


class FigureArgs(ma.Schema):
    course_id = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    course_run_id = fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={"description": "Your job centre's"})
    period_from = fields.Date(metadata={"description": "Course runs that ended on or after this day"})
    period_to = fields.Date(metadata={"description": "Course runs that ended on or before this day"})

    @ma.validates_schema
    def _period_in_order(self, data, **_kwargs):
        if data.get("period_from") and data.get("period_to") and data["period_from"] > data["period_to"]:
            raise ma.ValidationError(_("The period ends before it starts."), "period_to")


class FigureTable(ma.Schema):
    table = fields.String(required=True)
    caption = fields.String(required=True)
    columns = fields.List(fields.String(), required=True,
                          metadata={"description": "As the dashboard's CSV download names them"})
    rows = fields.List(fields.List(fields.Raw(allow_none=True)), required=True,
                       metadata={"description": "Text, a count, a percentage, null, or \"<5\" for a figure the "
                                                "small-number rule withholds"})
    small_number_limit = fields.Integer(required=True)


class CourseRunIn(ma.Schema):
    course_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)

    @ma.validates_schema
    def _in_order(self, data, **_kwargs):
        if data["ends_on"] < data["starts_on"]:
            raise ma.ValidationError(_("The run ends before it starts."), "ends_on")
