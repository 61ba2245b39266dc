"""Waiting-list offers: a freed time is e-mailed to the waiting candidates in the order they joined, and the first
to answer the link gets it; the others are told it is gone and keep their place on the list."""
from __future__ import annotations

import re
import threading
from datetime import date, time, timedelta

import pytest
import requests
from conftest import csrf_token, slot_at
from sqlalchemy import func, select
from test_concurrency import TIMEOUT, server  # noqa: F401 - the gunicorn fixture of the race below
from test_rate_limits import limited_client, per_minute  # noqa: F401 - a fixture, and its helper

from matchapp.extensions import db
from matchapp.models import (
    Booking,
    BookingStatus,
    OutboxMessage,
    SessionStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitStatus,
)
from matchapp.services import offers
from matchapp.services.booking import book_slots, cancel_booking, claim_offer
from matchapp.web.auth import limits

BOOKED, GONE = "Tiden er booket", "Tiden er væk"


@pytest.fixture
def full_session(make, course):
    """Tomorrow 10:00-10:30, three 10-minute times, each booked by someone."""
    session = make.session(start=time(10), end=time(10, 30), courses=[course])
    for slot in session.slots:
        holder = make.candidate(completed=[course])
        book_slots(holder, [slot.id], by=holder.user, now=session.created_at + timedelta(days=1))
    db.session.commit()
    return session


def booking_of(slot) -> Booking:
    return db.session.scalar(select(Booking).where(Booking.slot_id == slot.id,
                                                   Booking.status == BookingStatus.CONFIRMED))


def wait(candidate, session, *, minutes_ago: int) -> WaitlistEntry:
    """The candidate joined the session's waiting list this many minutes ago (written directly, as a join would)."""
    joined = session.created_at + timedelta(days=1, minutes=-minutes_ago)
    entry = WaitlistEntry(session=session, candidate=candidate, added_by_id=candidate.user_id,
                          status=WaitStatus.WAITING, created_at=joined)
    db.session.add(entry)
    db.session.commit()
    return entry


def waiting_in_order(make, course, session, count: int) -> list:
    """Candidates who completed the course and joined the session's list one after the other."""
    candidates = [make.candidate(completed=[course]) for _ in range(count)]
    for i, candidate in enumerate(candidates):
        wait(candidate, session, minutes_ago=100 - i)
    return candidates


def free(slot, *, now):
    """Someone with the slot cancels it (through the service, as the candidate's page does) and it is committed."""
    booking = booking_of(slot)
    cancel_booking(booking, reason=None, by=booking.candidate.user, now=now)
    db.session.commit()


def offered(candidate) -> list[WaitlistOffer]:
    return list(db.session.scalars(select(WaitlistOffer).join(WaitlistEntry)
                                   .where(WaitlistEntry.candidate_id == candidate.id)))


def offer_mails(candidate) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == candidate.user.email, OutboxMessage.subject == "En tid er ledig til en jobsamtale")
        .order_by(OutboxMessage.id)))


def link_in(message: OutboxMessage) -> str:
    """The path of the offer link in the e-mail (text and HTML part alike)."""
    found = re.search(r"https?://\S+?(/offers/[\w-]+)", message.body_text)
    assert found, message.body_text
    assert found.group(1) in message.body_html
    return found.group(1)


def entry_of(candidate) -> WaitlistEntry:
    db.session.expire_all()
    return db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.candidate_id == candidate.id))


def bookings_of(candidate) -> list[Booking]:
    return list(db.session.scalars(select(Booking).where(Booking.candidate_id == candidate.id,
                                                         Booking.status == BookingStatus.CONFIRMED)))


def test_a_freed_time_is_offered_in_the_order_of_joining_to_at_most_the_configured_number(app, make, course,
                                                                                           full_session, now):
    app.config["WAITLIST_OFFERS_PER_TIME"] = 2
    first, second, third = waiting_in_order(make, course, full_session, 3)

    free(slot_at(full_session, "10:10"), now=now)

    assert [len(offered(c)) for c in (first, second, third)] == [1, 1, 0]
    assert [len(offer_mails(c)) for c in (first, second, third)] == [1, 1, 0]
    offer = offered(first)[0]
    assert offer.slot_id == slot_at(full_session, "10:10").id
    assert offer.expires_at == offer.slot.starts_at - timedelta(hours=2)  # when booking for the time closes
    assert len(offer.token_hash) == 64
    assert offer.token_hash not in offer_mails(first)[0].body_text


def test_the_mailed_link_shows_the_time_and_books_it_only_on_the_button(client, make, course, full_session, now):
    (candidate,) = waiting_in_order(make, course, full_session, 1)
    free(slot_at(full_session, "10:20"), now=now)
    link = link_in(offer_mails(candidate)[0])

    for _ in range(2):  # a mail scanner opens the link first: nothing is booked
        page = client.get(link)
        assert page.status_code == 200
        assert "En tid er ledig" in page.text
        assert "Book denne tid" in page.text
        assert full_session.employer.name in page.text
        assert full_session.title in page.text
        assert "10:20" in page.text
        assert "Videomøde" in page.text
    assert bookings_of(candidate) == []

    answer = client.post(link, follow_redirects=True)

    assert answer.status_code == 200
    assert BOOKED in answer.text
    assert "Se Mine møder" in answer.text
    assert [b.slot_id for b in bookings_of(candidate)] == [slot_at(full_session, "10:20").id]
    assert entry_of(candidate).status == WaitStatus.BOOKED
    assert offered(candidate)[0].booking_id == bookings_of(candidate)[0].id
    for again in (client.get(link), client.post(link, follow_redirects=True)):  # a reload, a second press
        assert again.status_code == 200
        assert BOOKED in again.text
    assert len(bookings_of(candidate)) == 1, "answering again books nothing more"


def test_the_first_to_answer_gets_the_time_and_the_other_is_told_it_is_gone_and_keeps_waiting(client, make, course,
                                                                                            full_session, now):
    early, late = waiting_in_order(make, course, full_session, 2)
    free(slot_at(full_session, "10:00"), now=now)
    early_link, late_link = link_in(offer_mails(early)[0]), link_in(offer_mails(late)[0])

    assert BOOKED in client.post(late_link, follow_redirects=True).text
    answer = client.post(early_link, follow_redirects=True)

    assert answer.status_code == 200
    assert GONE in answer.text
    assert "Du står stadig på ventelisten" in answer.text
    assert "Book denne tid" not in answer.text, "the session has no other free time"
    assert bookings_of(early) == []
    assert entry_of(early).status == WaitStatus.WAITING
    assert GONE in client.get(early_link).text
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.slot_id == slot_at(full_session, "10:00").id, Booking.status == BookingStatus.CONFIRMED)) == 1


def test_a_gone_time_page_offers_another_free_time_that_fits(client, make, course, full_session, now):
    first, second = waiting_in_order(make, course, full_session, 2)
    free(slot_at(full_session, "10:00"), now=now)
    link = link_in(offer_mails(first)[0])
    client.post(link_in(offer_mails(second)[0]), follow_redirects=True)  # the second takes 10:00
    free(slot_at(full_session, "10:20"), now=now)  # 10:20 frees later: the first has an offer already, for 10:00

    page = client.get(link)
    assert GONE in page.text
    assert "En anden tid er ledig" in page.text
    assert "10:20" in page.text
    slot_field = re.search(r'name="slot" value="(\d+)"', page.text).group(1)
    answer = client.post(link, data={"slot": slot_field}, follow_redirects=True)

    assert BOOKED in answer.text
    assert [b.slot_id for b in bookings_of(first)] == [slot_at(full_session, "10:20").id]


def test_offers_respect_overlap_gap_daily_cap_and_eligibility(app, make, course, full_session, now):
    app.config["DAILY_BOOKING_CAP"] = 1
    elsewhere = make.session(start=time(9), end=time(11), slot_minutes=15, title="Kok")  # any course
    overlapping, too_close, at_cap, not_eligible, fits = (
        make.candidate(completed=[course]) for _ in range(5))
    other_course_only = make.candidate(completed=[make.course("Excel")])
    for who, clock in ((overlapping, "10:00"), (too_close, "10:30")):
        book_slots(who, [slot_at(elsewhere, clock).id], by=who.user, now=now)
    app.config["DAILY_BOOKING_CAP"] = 6
    book_slots(at_cap, [slot_at(elsewhere, "09:00").id], by=at_cap.user, now=now)
    db.session.commit()
    app.config["DAILY_BOOKING_CAP"] = 1
    for minutes, who in enumerate((overlapping, too_close, at_cap, other_course_only, not_eligible, fits)):
        wait(who, full_session, minutes_ago=100 - minutes)

    free(slot_at(full_session, "10:20"), now=now)  # 10:20-10:30: 10:30 at "Kok" leaves no 5-minute gap

    assert [len(offered(c)) for c in (overlapping, too_close, at_cap, other_course_only)] == [0, 0, 0, 0]
    assert len(offered(not_eligible)) == 1, "completed the session's course: the first that fits"
    assert len(offered(fits)) == 1


def test_no_offer_is_made_within_the_booking_cut_off(make, course, full_session):
    (candidate,) = waiting_in_order(make, course, full_session, 1)
    slot = slot_at(full_session, "10:10")
    closes = slot.starts_at - timedelta(hours=full_session.booking_closes_hours)
    booking = booking_of(slot)
    booking.status = BookingStatus.CANCELLED  # freed, as if cancelled by the employer's contact
    db.session.flush()

    assert offers.offer_free_times(full_session, [slot], now=closes) == 0
    assert offers.offer_free_times(full_session, [slot], now=closes + timedelta(minutes=1)) == 0
    assert offers.offer_free_times(full_session, [slot], now=closes - timedelta(minutes=1)) == 1
    assert len(offered(candidate)) == 1


def test_no_offer_goes_to_a_deactivated_candidate_nor_for_a_session_no_longer_published(make, course,
                                                                                        full_session, now):
    deactivated, active = waiting_in_order(make, course, full_session, 2)
    deactivated.user.active = False
    slot = slot_at(full_session, "10:10")
    booking_of(slot).status = BookingStatus.CANCELLED
    db.session.flush()

    assert offers.offer_free_times(full_session, [slot], now=now) == 1
    assert offered(deactivated) == []
    assert len(offered(active)) == 1
    other = slot_at(full_session, "10:00")
    booking_of(other).status = BookingStatus.CANCELLED
    full_session.status = SessionStatus.CANCELLED
    db.session.flush()
    assert offers.offer_free_times(full_session, [other], now=now) == 0


def test_several_free_times_are_spread_over_the_list_one_offer_each(make, course, full_session, now):
    candidates = waiting_in_order(make, course, full_session, 3)
    slots = [slot_at(full_session, "10:00"), slot_at(full_session, "10:20")]
    for slot in slots:
        booking_of(slot).status = BookingStatus.CANCELLED
    db.session.flush()

    assert offers.offer_free_times(full_session, slots, now=now) == 3

    times = [offered(c)[0].slot_id for c in candidates]
    assert [len(offered(c)) for c in candidates] == [1, 1, 1]
    assert times == [slots[0].id, slots[1].id, slots[0].id]
    assert offers.offer_free_times(full_session, slots, now=now) == 3, "the second call adds the other times"
    assert [len(offered(c)) for c in candidates] == [2, 2, 2]
    assert offers.offer_free_times(full_session, slots, now=now) == 0, "nobody gets one time twice"


def test_an_expired_or_unknown_link_is_refused_and_changes_nothing(client, make, course, full_session, now):
    (candidate,) = waiting_in_order(make, course, full_session, 1)
    free(slot_at(full_session, "10:10"), now=now)
    link = link_in(offer_mails(candidate)[0])
    offer = offered(candidate)[0]
    offer.expires_at = now - timedelta(minutes=1)
    db.session.commit()

    for answer in (client.get(link), client.post(link)):
        assert answer.status_code == 410
        assert "Linket virker ikke længere" in answer.text
        assert 'class="skipnav"' in answer.text
    assert client.get("/offers/no-such-token").status_code == 404
    assert client.post("/offers/no-such-token").status_code == 404
    assert bookings_of(candidate) == []
    assert entry_of(candidate).status == WaitStatus.WAITING
    with pytest.raises(offers.OfferGone):
        claim_offer(link.rsplit("/", 1)[1], None, now=now)


def test_a_candidate_who_meanwhile_booked_or_left_is_told_so_and_nothing_is_booked(client, make, course,
                                                                                  full_session, now):
    booked_meanwhile, left = waiting_in_order(make, course, full_session, 2)
    free(slot_at(full_session, "10:10"), now=now)
    free(slot_at(full_session, "10:20"), now=now)
    book_slots(booked_meanwhile, [slot_at(full_session, "10:20").id], by=booked_meanwhile.user, now=now)
    entry = entry_of(left)
    entry.status, entry.ended_at = WaitStatus.LEFT, now  # took themself off the list
    db.session.commit()

    booked_page = client.post(link_in(offer_mails(booked_meanwhile)[0]))
    left_page = client.post(link_in(offer_mails(left)[0]))

    assert "Du har allerede en tid" in booked_page.text
    assert "Du står ikke på ventelisten" in left_page.text
    assert len(bookings_of(booked_meanwhile)) == 1
    assert bookings_of(left) == []


def test_a_candidate_cancelling_on_the_meetings_page_sets_offers_going(client, auth, make, course, full_session):
    (waiting,) = waiting_in_order(make, course, full_session, 1)
    holder = booking_of(slot_at(full_session, "10:10")).candidate
    auth.login(holder.user)

    client.post(f"/candidate/meetings/{booking_of(slot_at(full_session, '10:10')).id}/cancel", data={"reason": ""})

    assert len(offer_mails(waiting)) == 1
    assert offered(waiting)[0].slot_id == slot_at(full_session, "10:10").id


def test_the_offer_button_needs_the_pages_csrf_token(csrf_client, make, course, full_session, now):
    (candidate,) = waiting_in_order(make, course, full_session, 1)
    free(slot_at(full_session, "10:10"), now=now)
    link = link_in(offer_mails(candidate)[0])

    assert csrf_client.post(link).status_code == 400
    page = csrf_client.get(link)
    answer = csrf_client.post(link, data={"csrf_token": csrf_token(page.text)}, follow_redirects=True)

    assert BOOKED in answer.text
    assert len(bookings_of(candidate)) == 1


def test_the_offer_link_is_rate_limited_like_the_sign_in_links(limited_client, make, course,  # noqa: F811
                                                               full_session, now):
    (candidate,) = waiting_in_order(make, course, full_session, 1)
    free(slot_at(full_session, "10:10"), now=now)
    link = link_in(offer_mails(candidate)[0])
    db.session.commit()  # end the test's own transaction: on SQLite it would hold the write lock
    client = limited_client()
    per_link = per_minute(limits.LINK_USE[1])
    guesses = [client.post(f"/offers/guess-{i}").status_code for i in range(per_minute(limits.LINK_USE[0]))]

    assert set(guesses) == {404}
    assert client.post("/offers/guess-more").status_code == 429, "one address guessing many links is stopped"
    answers = [client.post(link, environ_base={"REMOTE_ADDR": f"203.0.113.{i}"}).status_code
               for i in range(per_link + 1)]
    assert answers[0] == 302, "the first press books and shows the booking"
    assert answers[-1] == 429, "many addresses trying one link are stopped"


def race(url: str, make, course, day: date) -> None:
    """Two waiting candidates press "Book this time" in their offers for one freed time at the same moment."""
    session = make.session(day=day, start=time(10), end=time(10, 10), courses=[course])
    (slot,) = session.slots
    holder = make.candidate(completed=[course])
    book_slots(holder, [slot.id], by=holder.user, now=session.created_at + timedelta(days=1))
    db.session.commit()
    waiting = waiting_in_order(make, course, session, 2)
    free(slot, now=session.created_at + timedelta(days=2))
    links = [url + link_in(offer_mails(c)[0]) for c in waiting]
    browsers = [requests.Session() for _ in waiting]
    tokens = [csrf_token(b.get(link, timeout=TIMEOUT).text) for b, link in zip(browsers, links, strict=True)]
    for browser in browsers:
        browser.close()  # a new connection each: keep-alive has a race of its own (see test_concurrency.py)
    db.session.commit()  # end the test's own transaction: on SQLite it would hold the write lock
    barrier = threading.Barrier(len(waiting))
    answers: list = [None, None]

    def answer(i: int) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            answers[i] = browsers[i].post(links[i], data={"csrf_token": tokens[i]}, timeout=TIMEOUT)
        except Exception as error:  # reported by the assertions below
            answers[i] = error

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(len(waiting))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT + 5)

    assert all(isinstance(a, requests.Response) and a.status_code == 200 for a in answers), answers
    assert sorted(BOOKED in a.text for a in answers) == [False, True]
    assert sum(GONE in a.text for a in answers) == 1
    db.session.rollback()
    assert db.session.scalar(select(func.count(Booking.id)).where(
        Booking.slot_id == slot.id, Booking.status == BookingStatus.CONFIRMED)) == 1
    winner, loser = waiting if BOOKED in answers[0].text else reversed(waiting)
    assert [b.slot_id for b in bookings_of(winner)] == [slot.id]
    assert bookings_of(loser) == []
    assert entry_of(loser).status == WaitStatus.WAITING


def test_two_waiting_candidates_answering_at_the_same_moment_get_exactly_one_booking(server, make,  # noqa: F811
                                                                                    course):
    """Against gunicorn with several worker processes, five times over (a new time each round)."""
    for round_ in range(5):
        race(server.url, make, course, date.today() + timedelta(days=2 + round_))

    log = server.log.read_text()
    for trouble in ("Traceback", "database is locked", "deadlock", "WORKER TIMEOUT", "[ERROR]"):
        assert trouble not in log, log
