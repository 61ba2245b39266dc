"""The words for the app's enumerated values (roles, target groups, meeting modes, statuses, attendance, results,
employment types ...), all in one place: `label(value)` for one value, `labels(Enum)` for all of an enum's,
`choices(Enum)` for a form's options, and the `label` filter in templates (`{{ booking.status|label }}`).

A value has its default words, used in lists, tables and a person's data export, and may have other wordings for
other readers: OPTION (an answer offered in a form, in the words of the one who answers), STAFF_OPTION (an answer a
consultant gives about someone else's meeting), TO_CANDIDATE (what the candidate is told), HEADING (a row or column
heading of the dashboard's figures) and SHORT (a status in a word or two). A wording a value does not have falls
back to its default words.

Every text is a lazy translation, so one registry serves pages, forms, e-mails and exports in the reader's language.
`meeting_place` says in words where a meeting happens (the invite's LOCATION, the e-mails' "Where").
"""
from __future__ import annotations

from enum import Enum

from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectChoice

from matchapp.models import (
    Attendance,
    BookingStatus,
    Clash,
    EmploymentStatus,
    EmploymentType,
    MeetingMode,
    NextStep,
    OutboxStatus,
    Result,
    Role,
    SessionStatus,
    TargetGroup,
    WaitStatus,
)

OPTION = "option"
STAFF_OPTION = "staff_option"
TO_CANDIDATE = "candidate"
HEADING = "heading"
SHORT = "short"

# Keyed by the enum first: members of different enums with the same value (a cancelled booking and a cancelled
# session, both "cancelled") are equal strings, and would share one key.
DEFAULT: dict[type[Enum], dict[Enum, LazyString]] = {
    Role: {Role.CANDIDATE: _l("candidate"), Role.EMPLOYER: _l("employer"), Role.CONSULTANT: _l("consultant"),
           Role.ADMIN: _l("administrator")},
    TargetGroup: {TargetGroup.JOB_READY: _l("job-ready"), TargetGroup.ACTIVITY_READY: _l("activity-ready")},
    BookingStatus: {BookingStatus.CONFIRMED: _l("booked"), BookingStatus.CANCELLED: _l("cancelled")},
    # What a booked candidate has that the employer's change of the session would clash with: said to the employer,
    # after the candidate's name, without the other meeting's details (rule 10).
    Clash: {Clash.NOT_ELIGIBLE: _l("has not completed a course the session is for"),
            Clash.SAME_TIME: _l("has another job conversation at that time"),
            Clash.TOO_CLOSE: _l("has another job conversation too close to that time"),
            Clash.DAILY_CAP: _l("has the most job conversations allowed on that day")},
    SessionStatus: {SessionStatus.DRAFT: _l("draft"), SessionStatus.PUBLISHED: _l("published"),
                    SessionStatus.CANCELLED: _l("cancelled")},
    MeetingMode: {MeetingMode.VIDEO: _l("Video"), MeetingMode.PHONE: _l("Phone"), MeetingMode.ONSITE: _l("On site")},
    Attendance: {Attendance.ATTENDED: _l("took place"), Attendance.CANDIDATE_NO_SHOW: _l("the candidate did not come"),
                 Attendance.EMPLOYER_NO_SHOW: _l("the employer could not attend"),
                 Attendance.CANCELLED_LATE: _l("the candidate cancelled late")},
    Result: {Result.NO_MATCH: _l("no match"), Result.NEXT_INTERVIEW: _l("next interview"),
             Result.JOB_OFFER: _l("job offer"), Result.HIRED: _l("hired")},
    NextStep: {NextStep.NOTHING: _l("no match"), NextStep.NEXT_INTERVIEW: _l("next interview"),
               NextStep.JOB_OFFER: _l("job offer"), NextStep.HIRED: _l("hired")},
    EmploymentType: {EmploymentType.FULL_TIME: _l("Full-time"), EmploymentType.PART_TIME: _l("Part-time"),
                     EmploymentType.SMALL_JOB: _l("Small job (småjob)"),
                     EmploymentType.INTERNSHIP: _l("Internship (virksomhedspraktik)"),
                     EmploymentType.WAGE_SUBSIDY: _l("Wage subsidy (løntilskud)"),
                     EmploymentType.FLEXJOB: _l("Flexjob")},
    EmploymentStatus: {EmploymentStatus.FULL_TIME: _l("Full-time work"),
                       EmploymentStatus.PART_TIME: _l("Part-time work"),
                       EmploymentStatus.SMALL_JOB: _l("Small job (småjob)"),
                       EmploymentStatus.EDUCATION: _l("Education"),
                       EmploymentStatus.UNEMPLOYED: _l("Still unemployed"),
                       EmploymentStatus.UNKNOWN: _l("Unknown")},
    OutboxStatus: {OutboxStatus.PENDING: _l("waiting to be sent"), OutboxStatus.SENDING: _l("being sent"),
                   OutboxStatus.SENT: _l("sent"), OutboxStatus.DEAD: _l("could not be sent")},
    WaitStatus: {WaitStatus.WAITING: _l("waiting"), WaitStatus.BOOKED: _l("got a time"),
                 WaitStatus.LEFT: _l("left the list")},
}

WORDINGS: dict[str, dict[type[Enum], dict[Enum, LazyString]]] = {
    OPTION: {
        TargetGroup: {TargetGroup.JOB_READY: _l("Job-ready (jobparat)"),
                      TargetGroup.ACTIVITY_READY: _l("Activity-ready (aktivitetsparat)")},
        # The employer chooses how their session meets.
        MeetingMode: {MeetingMode.VIDEO: _l("Video"), MeetingMode.PHONE: _l("Phone"),
                      MeetingMode.ONSITE: _l("At our address")},
        # The employer records what happened.
        Attendance: {Attendance.ATTENDED: _l("The meeting took place"),
                     Attendance.CANDIDATE_NO_SHOW: _l("The candidate did not come"),
                     Attendance.EMPLOYER_NO_SHOW: _l("We could not attend"),
                     Attendance.CANCELLED_LATE: _l("The candidate cancelled late")},
        Result: {Result.NO_MATCH: _l("No match"), Result.NEXT_INTERVIEW: _l("Next interview"),
                 Result.JOB_OFFER: _l("Job offer"), Result.HIRED: _l("Hired")},
        # The candidate says what came of a meeting.
        NextStep: {NextStep.NOTHING: _l("Nothing more came of it"),
                   NextStep.NEXT_INTERVIEW: _l("I am invited to another interview"),
                   NextStep.JOB_OFFER: _l("I was offered a job"), NextStep.HIRED: _l("I got the job")},
    },
    STAFF_OPTION: {
        # A consultant records what happened at a candidate's meeting with an employer.
        Attendance: {Attendance.ATTENDED: _l("The meeting took place"),
                     Attendance.CANDIDATE_NO_SHOW: _l("The candidate did not come"),
                     Attendance.EMPLOYER_NO_SHOW: _l("The employer could not attend"),
                     Attendance.CANCELLED_LATE: _l("The candidate cancelled late")},
        Result: {Result.NO_MATCH: _l("No match"), Result.NEXT_INTERVIEW: _l("Next interview"),
                 Result.JOB_OFFER: _l("Job offer"), Result.HIRED: _l("Hired")},
    },
    TO_CANDIDATE: {
        MeetingMode: {MeetingMode.VIDEO: _l("Video meeting"), MeetingMode.PHONE: _l("Phone call"),
                      MeetingMode.ONSITE: _l("Meeting at the employer")},
        # The candidate's own answer, said back to them.
        NextStep: {NextStep.NOTHING: _l("Nothing more came of it"),
                   NextStep.NEXT_INTERVIEW: _l("You are invited to another interview"),
                   NextStep.JOB_OFFER: _l("You were offered a job"), NextStep.HIRED: _l("You got the job")},
    },
    HEADING: {
        TargetGroup: {TargetGroup.JOB_READY: _l("Job-ready"), TargetGroup.ACTIVITY_READY: _l("Activity-ready")},
        # The hires of each type, counted.
        EmploymentType: {EmploymentType.FULL_TIME: _l("Hired full-time"),
                         EmploymentType.PART_TIME: _l("Hired part-time"),
                         EmploymentType.SMALL_JOB: _l("Hired in a small job"),
                         EmploymentType.INTERNSHIP: _l("Internship"),
                         EmploymentType.WAGE_SUBSIDY: _l("Wage subsidy"), EmploymentType.FLEXJOB: _l("Flexjob")},
    },
    SHORT: {
        OutboxStatus: {OutboxStatus.PENDING: _l("waiting"), OutboxStatus.SENDING: _l("sending"),
                       OutboxStatus.SENT: _l("sent"), OutboxStatus.DEAD: _l("not delivered")},
    },
}


def label(value: Enum, wording: str = "") -> LazyString:
    """The words for an enum member, in the given wording (default: as lists and tables name it).

    :raises KeyError: for a value that is not a member of an enum in the registry, or an unknown wording.
    """
    kind = type(value)
    if wording:
        words = WORDINGS[wording].get(kind, {}).get(value)
        if words is not None:
            return words
    return DEFAULT[kind][value]


def labels(kind: type[Enum], wording: str = "") -> dict[Enum, LazyString]:
    """Every member of an enum with its words, in the enum's order (the funnel's rows and columns, say)."""
    return {member: label(member, wording) for member in kind}


def choices(kind: type[Enum], wording: str = OPTION, *, blank: LazyString | None = None) -> list[SelectChoice]:
    """A WTForms SelectField's or RadioField's choices: each member's value with its words, in the enum's order;
    `blank` first, with the value "", for a list that may be left unchosen."""
    options = [SelectChoice("", blank)] if blank is not None else []
    return options + [SelectChoice(member.value, words) for member, words in labels(kind, wording).items()]


def meeting_place(session) -> str:
    """Where a meeting happens, as one line: the video link, the phone, or the address."""
    if session.mode == MeetingMode.VIDEO:
        return _("Video meeting: %(link)s", link=session.video_url) if session.video_url \
            else _("Video meeting: the employer sends the link.")
    if session.mode == MeetingMode.PHONE:
        return _("By phone: the employer calls the candidate.")
    return _("Address: %(address)s", address=session.address)
