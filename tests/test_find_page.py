"""The find page (issue 15): each employer's job once with its times by day, nothing chosen until the person
chooses, the planner explained before it is offered, and an empty page that says why and who can help."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from pages import own_form, sign_in, text
from sqlalchemy import update

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, to_local
from matchapp.models import Slot, SlotStatus
from matchapp.services.booking import book_slots


def tomorrow(days: int = 1) -> date:
    return datetime.now(LOCAL_TZ).date() + timedelta(days=days)


def radio_groups(html: str) -> dict[str, list[str]]:
    """The find page's choices: radio group name -> the values offered, in order."""
    groups: dict[str, list[str]] = {}
    for field in own_form(html).inputs:
        if field.get("type") == "radio":
            groups.setdefault(field["name"], []).append(field["value"])
    return groups


def test_an_employer_s_job_on_two_days_is_one_entry_and_disappears_once_booked(client, make, course, now):
    hotel = make.employer(name="Hotel Nørreport A/S")
    monday = make.session(hotel, day=tomorrow(1), start=time(9), end=time(9, 30))
    tuesday = make.session(hotel, day=tomorrow(2), start=time(13), end=time(13, 20))
    other_job = make.session(hotel, day=tomorrow(2), start=time(10), end=time(10, 20), title="Natportier")
    amina = make.candidate(completed=[course])
    sign_in(client, amina.user)

    page = client.get("/candidate/").text
    groups = radio_groups(page)
    assert sorted(groups) == sorted([f"slot-{monday.id}", f"slot-{other_job.id}"])
    both_days = [int(v) for v in groups[f"slot-{monday.id}"]]
    assert both_days == [s.id for s in sorted(monday.slots + tuesday.slots, key=lambda s: s.starts_at)]
    assert text(page).count("Receptionist – Hotel Nørreport A/S") == 2  # the entry and its planner box
    assert own_form(page).checked(f"slot-{monday.id}") == {}, "nothing is chosen before the person chooses"
    assert 'value="" checked' not in page

    # Booking Tuesday's 13:10 from the single entry; then the job is gone from the page, both days.
    response = client.post("/candidate/", data={**own_form(page).hidden(), "action": "book",
                                                f"slot-{monday.id}": str(tuesday.slots[1].id)})
    assert response.status_code == 302
    assert sorted(radio_groups(client.get("/candidate/").text)) == [f"slot-{other_job.id}"]


def test_the_planner_gives_one_time_per_employer_job_across_its_days(client, make, course, now):
    hotel = make.employer(name="Hotel Nørreport A/S")
    monday = make.session(hotel, day=tomorrow(1), start=time(9), end=time(9, 30))
    make.session(hotel, day=tomorrow(2), start=time(9), end=time(9, 30))
    data = make.session(make.employer(name="Datavagten ApS"), day=tomorrow(1), start=time(9), end=time(9, 20))
    sign_in(client, make.candidate(completed=[course]).user)
    page = client.get("/candidate/").text
    assert text(page).index("Vil du have hjælp til at vælge tider?") < text(page).index("Find tider til mig")

    planned = client.post("/candidate/", data={**own_form(page).hidden(), "action": "plan",
                                               "session": [str(monday.id), str(data.id)]})

    chosen = own_form(planned.text).checked("slot-")
    assert sorted(chosen) == sorted([f"slot-{monday.id}", f"slot-{data.id}"]), "one time for each job, not each day"
    times = sorted(to_local(db.session.get(Slot, int(v)).starts_at) for v in chosen.values())
    assert times[1] - times[0] >= timedelta(minutes=15), "10 minutes and the 5-minute gap apart"


def test_with_no_completed_course_the_page_says_why_and_names_the_consultant(client, make, course):
    consultant = make.consultant()
    consultant.name, consultant.phone = "Lone Holm", "33 66 33 66"
    make.session(make.employer(), day=tomorrow(1))
    amina = make.candidate(consultant=consultant)
    db.session.commit()
    sign_in(client, amina.user)

    page = text(client.get("/candidate/").text)

    assert "Du kan booke, når du har gennemført et kursus" in page
    assert "Spørg din jobkonsulent, Lone Holm." in page
    assert consultant.email in page
    assert "33 66 33 66" in page
    assert "Prøv igen senere" not in page


def test_when_no_time_can_be_booked_the_page_says_so_and_what_to_do(client, make, course, now):
    """Every time taken, and booking closed (so no waiting list to join either): not a dead end."""
    session = make.session(make.employer(), day=tomorrow(1), start=time(9), end=time(9, 20), closes_hours=48)
    book_slots(make.candidate(completed=[course]), [session.slots[0].id], by=session.created_by,
               now=now - timedelta(days=2))
    db.session.execute(update(Slot).where(Slot.id == session.slots[1].id).values(status=SlotStatus.CANCELLED))
    db.session.commit()
    amina = make.candidate(completed=[course])
    sign_in(client, amina.user)

    html = client.get("/candidate/").text
    page = text(html)

    assert "Der er ingen ledige tider lige nu" in page
    assert "Kig igen i morgen" in page
    assert "Ring eller skriv til dit jobcenter" in page  # no consultant known
    assert 'href="/candidate/meetings"' in html
    assert "Se mine møder" in page
