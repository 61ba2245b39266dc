"""Replies from calendars (issue 12, part 4): invites ask for no reply, because nobody reads the ORGANIZER mailbox.

The person has said yes already (the candidate by booking, the employer contact by publishing the session), so the
invite marks them as having accepted (PARTSTAT=ACCEPTED, RSVP=FALSE) and its text says where to move or cancel.
"""
from __future__ import annotations

import pytest
from icalendar import Calendar
from pages import danish
from sqlalchemy import select
from test_calendar_exposure import meeting  # noqa: F401  (a fixture)
from test_calendar_feed import cancel

from matchapp.extensions import db
from matchapp.models import OutboxMessage

WHERE_TO_CHANGE = "To move or cancel the meeting, use matchapp: %(url)s. Answers sent from your calendar are not read."


def invites_to(user, method: str) -> list:
    """The VEVENTs of the invites the app queued for this person with this METHOD."""
    texts = db.session.scalars(select(OutboxMessage.ical).where(
        OutboxMessage.recipient_id == user.id, OutboxMessage.ical_method == method)).all()
    return [event for text in texts for event in Calendar.from_ical(text).walk("VEVENT")]


@pytest.mark.parametrize("who", ["candidate", "employer contact"])
def test_an_invite_asks_for_no_reply_and_counts_the_reader_as_having_said_yes(meeting, who):  # noqa: F811
    reader = meeting.candidate.user if who == "candidate" else meeting.session.created_by

    [event] = invites_to(reader, "REQUEST")

    attendee = event["ATTENDEE"]
    assert str(attendee).lower() == f"mailto:{reader.email}"
    assert attendee.params["RSVP"] == "FALSE"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"


def test_an_invite_says_where_to_move_or_cancel_the_meeting(app, meeting):  # noqa: F811
    [event] = invites_to(meeting.candidate.user, "REQUEST")

    assert danish(WHERE_TO_CHANGE, url=app.config["BASE_URL"]) in str(event["DESCRIPTION"])


def test_a_cancellation_asks_for_no_reply_and_does_not_tell_how_to_move_it(app, meeting):  # noqa: F811
    cancel(meeting)

    [event] = invites_to(meeting.candidate.user, "CANCEL")

    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert event["STATUS"] == "CANCELLED"
    assert danish(WHERE_TO_CHANGE, url=app.config["BASE_URL"]) not in str(event["DESCRIPTION"])
