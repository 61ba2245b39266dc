"""Issue 25, rule 10: no move makes a clash. An employer moves a whole session; a booked candidate whose meeting would
then overlap another of their meetings, come closer to it than the gap, be one more than the daily cap, or stay in a
session they are no longer eligible for gets another free time of the session that fits, or else the meeting is
cancelled and they are put first on the session's waiting list. The employer sees who and what before confirming;
the candidate is told why in plain words."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from conftest import slot_at
from flask_babel import force_locale
from pages import alerts, danish, form, sign_in, text
from plain_language import lix
from sqlalchemy import func, select

from matchapp import formats, mail
from matchapp.extensions import db
from matchapp.labels import label
from matchapp.localtime import local_day, local_to_utc, to_local
from matchapp.models import (
    Booking,
    BookingStatus,
    Clash,
    Enrollment,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
)
from matchapp.services import availability, catalogue, session_changes, waitlist
from matchapp.services.booking import cancel_booking
from matchapp.services.session_changes import SessionMoved
from matchapp.services.session_clashes import ClashesFound, ClashShown


@pytest.fixture
def employer(make):
    return make.employer(name="Hotel Nørreport A/S")


@dataclass
class Case:
    """A booked candidate, Amina, whom moving the employer's session to `day` at `start` puts in a clash; `to`: the
    local time of the other free time she gets instead ("HH:MM"), or None when her meeting is cancelled."""

    session: object
    day: date
    start: time
    amina: object
    why: Clash
    to: str | None
    waits: bool
    told: int
    other: Booking | None = None


def days(now) -> tuple[date, date]:
    """Day 6 and day 7 from today."""
    today = to_local(now).date()
    return today + timedelta(days=6), today + timedelta(days=7)


def overlap(make, course, employer, now) -> Case:
    """Amina meets the bakery on day 6 at 10:00 and the hotel on day 7 at 10:00; the hotel moves to day 6 at 10:00.
    10:10 ends too close to the bakery's meeting (10:00-10:10, and 5 minutes' gap): she gets 10:20."""
    day6, day7 = days(now)
    amina = make.candidate(completed=[course], name="Amina Hassan")
    bakery = make.session(make.employer(name="Bageriet Ø ApS"), day=day6)
    other = make.booking(amina, slot_at(bakery, "10:00"), now=now)
    session = make.session(employer, day=day7)
    make.booking(amina, slot_at(session, "10:00"), now=now)
    make.booking(make.candidate(completed=[course]), slot_at(session, "10:30"), now=now)
    return Case(session, day6, time(10), amina, Clash.SAME_TIME, "10:20", False, told=2, other=other)


def gap(make, course, employer, now) -> Case:
    """Amina meets the bakery on day 6 at 10:00-10:10; the hotel's full session moves so that her meeting there
    starts at 10:10, closer than the gap; no time is free, so it is cancelled and she waits first."""
    day6, day7 = days(now)
    amina = make.candidate(completed=[course], name="Amina Hassan")
    bakery = make.session(make.employer(name="Bageriet Ø ApS"), day=day6)
    other = make.booking(amina, slot_at(bakery, "10:00"), now=now)
    session = make.session(employer, day=day7, end=time(10, 30))
    make.booking(amina, slot_at(session, "10:00"), now=now)
    for clock in ("10:10", "10:20"):
        make.booking(make.candidate(completed=[course]), slot_at(session, clock), now=now)
    return Case(session, day6, time(10, 10), amina, Clash.TOO_CLOSE, None, True, told=3, other=other)


def daily_cap(make, course, employer, now) -> Case:
    """Amina has six meetings on day 6 (the daily cap); the hotel's session of day 7 moves to day 6 at 15:00: every
    time of it is on day 6, so none fits and her meeting is cancelled."""
    day6, day7 = days(now)
    amina = make.candidate(completed=[course], name="Amina Hassan")
    bakery = make.employer(name="Bageriet Ø ApS")
    for hour in range(8, 14):
        six = make.session(bakery, day=day6, start=time(hour), end=time(hour, 10), title=f"Job {hour}")
        make.booking(amina, slot_at(six, f"{hour:02d}:00"), now=now)
    session = make.session(employer, day=day7, start=time(15), end=time(16))
    make.booking(amina, slot_at(session, "15:00"), now=now)
    return Case(session, day6, time(15), amina, Clash.DAILY_CAP, None, True, told=1)


def eligibility(make, course, employer, now) -> Case:
    """Amina booked the hotel's session for the course, then her consultant found she had not completed it after
    all; the hotel moves the session: the meeting does not move with it."""
    _day6, day7 = days(now)
    amina = make.candidate(completed=[course], name="Amina Hassan")
    session = make.session(employer, day=day7, courses=[course])
    make.booking(amina, slot_at(session, "10:00"), now=now)
    enrollment = db.session.scalar(select(Enrollment).filter_by(candidate_id=amina.id))
    catalogue.record_completion(amina, enrollment.course_run, None, by=None, now=now)
    db.session.commit()
    return Case(session, day7, time(13), amina, Clash.NOT_ELIGIBLE, None, False, told=1)


CASES = {"overlap": overlap, "gap": gap, "daily_cap": daily_cap, "eligibility": eligibility}


def ask(case: Case, employer, now) -> ClashesFound:
    """Move the session without confirming: the refusal that lists the clashes; the move is undone."""
    with pytest.raises(ClashesFound) as asked:
        session_changes.move_session(case.session, case.day, case.start, by=employer, now=now)
    db.session.rollback()
    return asked.value


def bookings_of(session) -> list[Booking]:
    return list(db.session.scalars(select(Booking).filter_by(session_id=session.id).order_by(Booking.id)))


def meetings_of(candidate) -> list[Booking]:
    db.session.expire_all()
    return availability.confirmed_bookings(candidate)


def assert_no_clash(candidate, app) -> None:
    """The candidate's meetings keep rules 2, 4 and 5: none closer than the gap, at most the cap a day, each in a
    session they are eligible for."""
    meetings = sorted(meetings_of(candidate), key=lambda b: b.slot.starts_at)
    gap_ = timedelta(minutes=app.config["BOOKING_GAP_MINUTES"])
    for first, second in zip(meetings, meetings[1:], strict=False):
        assert not availability.overlaps(first.slot, second.slot, gap_), (first.id, second.id)
    per_day = Counter(local_day(b.slot.starts_at) for b in meetings)
    assert max(per_day.values(), default=0) <= app.config["DAILY_BOOKING_CAP"]
    courses = availability.completed_course_ids(candidate)
    assert all(availability.is_eligible(b.session, courses) for b in meetings)


def mails_to(user, *templates: str) -> list[OutboxMessage]:
    """The e-mails of these kinds to the user, oldest first."""
    with force_locale(user.language):
        subjects = [str(mail.SUBJECTS[template]) for template in templates]
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == user.email, OutboxMessage.subject.in_(subjects)).order_by(OutboxMessage.id)))


def in_danish(message: str, **values) -> str:
    """A message of the e-mails as a Danish reader gets it, its times written the Danish way."""
    with force_locale("da"):
        shown = {name: formats.moment(value) if isinstance(value, datetime) else value
                 for name, value in values.items()}
    return danish(message, **shown)


def why_told_to_amina(case: Case, given: datetime) -> str:
    """The sentence that tells Amina why her meeting could not keep the session's new time."""
    if case.why == Clash.NOT_ELIGIBLE:
        return danish("The session is only for people from certain courses. We cannot see that you have finished "
                      "one of them.")
    if case.why == Clash.DAILY_CAP:
        return in_danish("The session's new time is %(time)s. Then you would have more than %(cap)d job "
                         "conversations on one day. You can have at most %(cap)d in a day.", time=given, cap=6)
    with force_locale("da"):
        other = f"{formats.moment(case.other.slot.starts_at)}–{formats.clock(case.other.slot.ends_at)}"
    if case.why == Clash.SAME_TIME:
        return in_danish("The session's new time is %(time)s. At that time you have a job conversation with "
                         "%(employer)s, %(other)s.", time=given, employer="Bageriet Ø ApS", other=other)
    return in_danish("The session's new time is %(time)s. That is too close to your job conversation with "
                     "%(employer)s, %(other)s. There must be at least %(minutes)d minutes between two job "
                     "conversations.", time=given, employer="Bageriet Ø ApS", other=other, minutes=5)


def what_the_employer_reads(case: Case) -> str:
    """The change page's words (and the employer's e-mail's) for Amina: who and why, without where."""
    with force_locale("da"):
        why = str(label(case.why))
    return f"Amina Hassan {why}."


def at_local(day: date, clock: str) -> datetime:
    return local_to_utc(day, time.fromisoformat(clock))


# --- The services --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_a_move_that_puts_a_candidate_in_a_clash_says_who_and_what_happens_and_changes_nothing_until_confirmed(
        make, course, employer, now, name):
    case = CASES[name](make, course, employer, now)
    before = [(b.id, b.slot.starts_at) for b in meetings_of(case.amina)]
    mails = db.session.scalar(select(func.count(OutboxMessage.id)))

    asked = ask(case, employer, now)

    to = at_local(case.day, case.to) if case.to else None
    assert asked.clashes == [ClashShown("Amina Hassan", case.why, to, case.waits)]
    assert [(b.id, b.slot.starts_at) for b in meetings_of(case.amina)] == before
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == mails, "nobody is told yet"
    with pytest.raises(ClashesFound):
        session_changes.move_session(case.session, case.day, case.start, confirm="not what was shown", by=employer,
                                     now=now)


@pytest.mark.parametrize("name", CASES)
def test_a_confirmed_move_leaves_no_candidate_in_a_clash_and_tells_them_why_and_what_they_can_do(
        app, make, course, employer, now, name):
    case = CASES[name](make, course, employer, now)
    [mine] = [b for b in meetings_of(case.amina) if b.session_id == case.session.id]
    first_slot = min(case.session.slots, key=lambda s: s.starts_at)
    given = at_local(case.day, f"{case.start:%H:%M}") + (mine.slot.starts_at - first_slot.starts_at)
    confirm = ask(case, employer, now).confirm

    done = session_changes.move_session(case.session, case.day, case.start, confirm=confirm, by=employer, now=now)
    db.session.commit()

    assert done == SessionMoved(told=case.told, other_time=1 if case.to else 0, cancelled=0 if case.to else 1)
    assert_no_clash(case.amina, app)
    db.session.refresh(mine)
    [to_amina] = mails_to(case.amina.user, "session_changed" if case.to else "booking_cancelled")
    body = text(to_amina.body_html)
    assert why_told_to_amina(case, given) in body
    assert lix([line for line in to_amina.body_text.splitlines() if line.strip()]) <= 35, "plain Danish (issue 15)"
    if case.to:
        assert (mine.status, f"{to_local(mine.slot.starts_at):%H:%M}") == (BookingStatus.CONFIRMED, case.to)
        assert danish("So you have got another free time in the session. It is the new time above.") in body
        assert to_amina.ical_method == "REQUEST"
    else:
        assert mine.status == BookingStatus.CANCELLED
        assert to_amina.ical_method == "CANCEL"
        assert danish("You can also find another job conversation:") in body
    waiting = danish("You are first on the session's waiting list. If a time that fits you becomes free, you get an "
                     "e-mail with a link to book it.")
    assert (waiting in body) == case.waits
    entry = db.session.scalar(select(WaitlistEntry).filter_by(candidate_id=case.amina.id,
                                                              session_id=case.session.id))
    assert (entry is not None and entry.status == WaitStatus.WAITING and entry.first_in_line) == case.waits
    to_employer = [m for m in mails_to(employer, "session_changed", "booking_cancelled")
                   if "Amina Hassan" in m.body_text]
    assert len(to_employer) == 1
    assert what_the_employer_reads(case) in text(to_employer[0].body_html)
    assert "Bageriet" not in to_employer[0].body_text, "the employer is not told where else she has a meeting"


def test_the_employer_is_asked_again_when_the_clashes_have_changed_since_they_were_shown(make, course, employer, now):
    case = overlap(make, course, employer, now)
    confirm = ask(case, employer, now).confirm
    jonas = next(b.candidate for b in bookings_of(case.session) if b.candidate_id != case.amina.id)
    bakery = case.other.session
    make.booking(jonas, slot_at(bakery, "10:30"), now=now)

    again = ask_with(case, employer, now, confirm)

    assert [(c.name, c.why) for c in again.clashes] == [("Amina Hassan", Clash.SAME_TIME),
                                                         (jonas.user.name, Clash.SAME_TIME)]


def ask_with(case: Case, employer, now, confirm: str) -> ClashesFound:
    with pytest.raises(ClashesFound) as asked:
        session_changes.move_session(case.session, case.day, case.start, confirm=confirm, by=employer, now=now)
    db.session.rollback()
    return asked.value


def test_the_candidate_the_move_cancelled_is_offered_the_next_free_time_before_those_who_waited_longer(
        app, make, course, employer, now):
    app.config["WAITLIST_OFFERS_PER_TIME"] = 1
    case = gap(make, course, employer, now)
    sofie = make.candidate(completed=[course], name="Sofie Berg")
    waitlist.join(case.session, sofie, by=sofie.user, now=now - timedelta(days=1))
    db.session.commit()
    session_changes.move_session(case.session, case.day, case.start, confirm=ask(case, employer, now).confirm,
                                 by=employer, now=now)
    db.session.commit()

    meeting_at_10_20 = next(b for b in bookings_of(case.session)
                            if b.status == BookingStatus.CONFIRMED and f"{to_local(b.slot.starts_at):%H:%M}" == "10:20")
    cancel_booking(meeting_at_10_20, reason=None, by=meeting_at_10_20.candidate.user, now=now)
    db.session.commit()

    offered = db.session.scalars(select(WaitlistOffer).join(WaitlistOffer.slot).where(
        WaitlistOffer.slot_id == meeting_at_10_20.slot_id)).all()
    assert [offer.entry.candidate_id for offer in offered] == [case.amina.id], \
        "Amina is first in line, ahead of Sofie who joined the day before"


# --- The change page -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_the_change_page_lists_who_the_move_puts_in_a_clash_and_what_happens_and_the_employer_confirms(
        client, make, course, employer, now, name):
    case = CASES[name](make, course, employer, now)
    sign_in(client, employer)
    page = client.get(f"/employer/sessions/{case.session.id}/change").text
    action = f"/employer/sessions/{case.session.id}/change/move"
    sent = {**form(page, action).filled(), "move-local_date": case.day.isoformat(),
            "move-start_time": f"{case.start:%H:%M}"}

    asked = client.post(action, data=sent)

    assert asked.status_code == 422
    shown = text(asked.text)
    assert danish("The move puts booked candidates in a clash. Check what happens to them, then confirm.") in shown
    assert what_the_employer_reads(case) in shown
    if case.to:
        with force_locale("da"):
            clock = formats.clock(at_local(case.day, case.to))
        assert danish("Gets another free time in the session: %(time)s.", time=clock) in shown
    elif case.waits:
        assert danish("The meeting is cancelled, and the candidate is put first on the waiting list.") in shown
    else:
        assert danish("The meeting is cancelled.") in shown
    assert "Bageriet" not in shown
    db.session.expire_all()
    assert case.session.local_date != case.day or case.session.start_time != case.start, "nothing moved yet"
    assert mails_to(case.amina.user, "session_changed", "booking_cancelled") == []

    done = client.post(action, data=form(asked.text, action).filled(), follow_redirects=True)

    told = danish("The session is moved. %(num)d candidate has been told.",
                  "The session is moved. %(num)d candidates have been told.", num=case.told)
    then = (danish("%(num)d of them got another time in the session, because of a clash.", num=1) if case.to else
            danish("%(num)d meeting was cancelled, because of a clash.",
                   "%(num)d meetings were cancelled, because of a clash.", num=1))
    assert f"{told} {then}" in alerts(done.text)
    db.session.expire_all()
    assert (case.session.local_date, case.session.start_time) == (case.day, case.start)
    assert len(mails_to(case.amina.user, "session_changed", "booking_cancelled")) == 1
