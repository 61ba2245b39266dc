"""Every enumerated value has its words in the one registry (matchapp.labels), in Danish and English alike."""
from __future__ import annotations

import enum

import pytest
from flask_babel import force_locale

from matchapp import labels, models
from matchapp.labels import HEADING, OPTION, SHORT, TO_CANDIDATE, choices, label
from matchapp.models import BookingStatus, EmploymentType, MeetingMode, NextStep, SessionStatus, SlotStatus, TargetGroup

# Enums whose values no page names: a slot's status decides what the session page shows, it is not a word there.
NOT_SHOWN = {SlotStatus}


def test_every_member_of_every_enum_shown_to_users_has_its_words():
    shown = {kind for kind in vars(models).values()
             if isinstance(kind, type) and issubclass(kind, enum.Enum) and kind not in NOT_SHOWN}
    assert set(labels.DEFAULT) == shown
    for kind, words in labels.DEFAULT.items():
        assert list(words) == list(kind), f"{kind.__name__}: every member, in the enum's order"
    for wording, kinds in labels.WORDINGS.items():
        for kind, words in kinds.items():
            assert set(words) <= set(kind), (wording, kind.__name__)


def test_members_of_two_enums_with_the_same_value_keep_their_own_words(app):
    with app.test_request_context(), force_locale("en"):
        assert BookingStatus.CANCELLED == SessionStatus.CANCELLED  # equal strings, hence the registry's keys
        assert str(label(BookingStatus.CONFIRMED)) == "booked"
        assert str(label(SessionStatus.PUBLISHED)) == "published"
        assert str(label(EmploymentType.FULL_TIME)) == "Full-time"
        assert str(label(models.EmploymentStatus.FULL_TIME)) == "Full-time work"


@pytest.mark.parametrize(("value", "wording", "english", "danish"), [
    (TargetGroup.JOB_READY, "", "job-ready", "jobparat"),
    (TargetGroup.JOB_READY, OPTION, "Job-ready (jobparat)", "Jobparat"),
    (TargetGroup.JOB_READY, HEADING, "Job-ready", "Jobparate"),
    (MeetingMode.ONSITE, OPTION, "At our address", "På vores adresse"),
    (MeetingMode.PHONE, TO_CANDIDATE, "Phone call", "Telefonsamtale"),
    (NextStep.HIRED, TO_CANDIDATE, "You got the job", "Du fik jobbet"),
    (models.OutboxStatus.DEAD, SHORT, "not delivered", "ikke leveret"),
    (EmploymentType.SMALL_JOB, HEADING, "Hired in a small job", "Ansat i småjob"),
    # A wording a value does not have falls back to its default words.
    (EmploymentType.FLEXJOB, OPTION, "Flexjob", "Fleksjob"),
])
def test_a_value_reads_in_the_wording_asked_for_in_the_page_language(app, value, wording, english, danish):
    with app.test_request_context():
        with force_locale("en"):
            assert str(label(value, wording)) == english
        with force_locale("da"):
            assert str(label(value, wording)) == danish


def test_choices_are_the_enum_values_in_order_with_an_optional_blank_first(app):
    with app.test_request_context(), force_locale("en"):
        options = choices(EmploymentType, blank="Choose")
        assert [(o.value, str(o.label)) for o in options[:3]] == [
            ("", "Choose"), ("full_time", "Full-time"), ("part_time", "Part-time")]
        assert [o.value for o in choices(MeetingMode)] == ["video", "phone", "onsite"]


def test_an_unknown_value_is_refused_rather_than_shown_blank():
    with pytest.raises(KeyError):
        label(SlotStatus.OPEN)
