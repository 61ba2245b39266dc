"""Demo data: the job centre of the Quick start, with three months of course runs, meetings and what came of them.

Everything is made through the services with an explicit `now` in the past, so the same rules hold as in real use.
The history is drawn from a seeded random generator: the same figures every time, relative to today.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from matchapp.extensions import db
from matchapp.localtime import LOCAL_TZ, utcnow
from matchapp.models import (
    Attendance,
    Booking,
    Candidate,
    Course,
    CourseRun,
    EmploymentStatus,
    EmploymentType,
    InterviewSession,
    MeetingMode,
    Result,
    Role,
    TargetGroup,
    User,
)
from matchapp.services import accounts, catalogue, figures, outcomes, sessions
from matchapp.services.booking import book_slots

DEMO_PASSWORD = "matchapp-demo"
COURSES = ["Datasikkerhed og GDPR", "Hotelbookingsystemer", "Excel", "Digital koordinator", "Vagtplanlægger"]
JOBCENTERS = ["Jobcenter København", "Jobcenter Amager", "Jobcenter Nørrebro", "Jobcenter Valby"]
EMPLOYERS = [  # organisation, CVR (modulus-11 valid), address, contact, e-mail, job, course index or None
    ("Hotel Nørreport A/S", "12345674", "Nørre Voldgade 1, 1358 København K", "Mette Holm",
     "mette@hotel-norreport.example", "Receptionist", 1),
    ("Datavagten ApS", "34567891", "Vesterbrogade 20, 1620 København V", "Jonas Berg",
     "jonas@datavagten.example", "GDPR-assistent", 0),
    ("Kontorhjælpen I/S", "29876541", "Amagerbrogade 100, 2300 København S", "Sara Lund",
     "sara@kontorhjaelpen.example", "Kontorassistent", None),
]
CANDIDATES = [  # name, e-mail, target group, completed course indexes
    ("Amina Hassan", "kandidat@matchapp.example", TargetGroup.JOB_READY, [0, 1, 2]),
    ("Peter Jensen", "peter@matchapp.example", TargetGroup.JOB_READY, [1]),
    ("Lone Nielsen", "lone@matchapp.example", TargetGroup.ACTIVITY_READY, [2]),
    ("Omar Ali", "omar@matchapp.example", TargetGroup.JOB_READY, [0]),
    ("Karin Madsen", "karin@matchapp.example", TargetGroup.ACTIVITY_READY, [3, 4]),
]

# The history. Candidates who took part in past course runs; they sign in with an e-mailed link (no password).
PAST_CANDIDATES = [
    "Mads Kristensen", "Sofie Larsen", "Mohammed Yilmaz", "Fatima Ahmadi", "Jens Pedersen", "Maja Sørensen",
    "Ahmed Khalil", "Camilla Rasmussen", "Thomas Andersen", "Zainab Hussein", "Henrik Poulsen", "Ida Frederiksen",
    "Yusuf Demir", "Nadia Christensen", "Lars Mortensen", "Emma Johansen", "Ali Rahimi", "Mette Knudsen",
    "Bo Thomsen", "Leyla Aydin", "Rasmus Møller", "Julie Kjær", "Hamid Noori", "Anne Mikkelsen", "Søren Olsen",
    "Aisha Abdi", "Niels Jakobsen", "Louise Holm", "Kasper Dahl", "Nanna Berg", "Marek Nowak", "Olga Petrova",
    "Mikkel Lauridsen", "Hiba Saleh", "Frederik Vestergaard", "Ayse Kaya", "Tobias Winther", "Amal Farah",
    "Kirsten Bach", "Daniel Iversen",
]
# Past runs: course index, days since the run ended, participants. Runs that ended 75 days ago or more have their
# 60-day follow-up recorded; 60-74 days ago it is due (the consultant's task); younger runs are not due yet.
PAST_RUNS = [(0, 98, 6), (1, 94, 6), (2, 89, 5), (3, 85, 4), (4, 80, 4), (0, 67, 4), (1, 63, 4), (0, 26, 4),
             (2, 12, 3)]
FOLLOW_UP_RECORDED_AFTER_DAYS = 75
# Which past sessions each employer (in EMPLOYERS order) aimed at: course indexes, or none for every course.
EMPLOYER_FOCUS = [[1, 4], [0, 2], []]
# The share of job-ready completers in full-time work 60 days after, per course (the evaluation's order of figures).
FULL_TIME_SHARE = [0.45, 0.35, 0.15, 0.10, 0.10]
NOTES = ["Stærk i kundeservice.", "Vil gerne have flere timer senere.", "Starter efter en kort oplæring.",
         "God til systemer; lidt nervøs.", ""]


def next_weekdays(start: date, count: int) -> list[date]:
    days, day = [], start
    while len(days) < count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days


def _weekday_on_or_before(day: date) -> date:
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=LOCAL_TZ)


def _email(name: str) -> str:
    ascii_name = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return f"{ascii_name.replace(' ', '.')}@matchapp.example"


def load_demo_data() -> bool:
    """Create the demo organisation and its history, with the dashboard's figures; False (and nothing changed) when
    it is there already."""
    if accounts.find_user("admin@matchapp.example"):
        return False
    now = utcnow()
    today = now.astimezone(LOCAL_TZ).date()
    # The organisation was set up before the oldest course run of the history.
    founded = _at(today - timedelta(days=150), time(9))
    admin = User(email="admin@matchapp.example", name="Admin Andersen", role=Role.ADMIN,
                 password_hash=accounts.hash_password(DEMO_PASSWORD), created_at=founded)
    db.session.add(admin)
    jobcenters = [catalogue.create_jobcenter(name, by=admin, now=founded) for name in JOBCENTERS]
    consultant = accounts.create_staff(name="Kim Konsulent", email="konsulent@matchapp.example",
                                       role=Role.CONSULTANT, jobcenter=jobcenters[0], by=admin, now=founded)
    consultant.password_hash = accounts.hash_password(DEMO_PASSWORD)
    courses = [catalogue.create_course(name, "", by=admin, now=founded) for name in COURSES]
    members = []
    for organisation, cvr, address, contact, email, _job, _course in EMPLOYERS:
        member = accounts.register_employer(accounts.EmployerRegistration(
            organisation=organisation, cvr=cvr, address=address, name=contact, email=email, phone=None,
            password=DEMO_PASSWORD), now=founded)
        member.active = True  # they followed the e-mailed link that finishes a registration long ago
        accounts.approve_employer(member.employer, by=consultant, now=founded)
        members.append(member)
    _load_history(courses, consultant, members, today=today, rng=random.Random(5))

    runs = [catalogue.create_course_run(course, jobcenters[0], today - timedelta(days=40), today - timedelta(days=3),
                                        by=admin, now=now) for course in courses]
    for name, email, group, completed in CANDIDATES:
        candidate = accounts.create_candidate(
            accounts.CandidateData(name=name, email=email, phone=None, jobcenter_id=jobcenters[0].id,
                                   target_group=group, consultant_id=consultant.id), created_by=consultant, now=now)
        candidate.user.password_hash = accounts.hash_password(DEMO_PASSWORD)
        candidate.pitch = f"{name.split()[0]} har netop gennemført kurset og glæder sig til at komme i gang."
        for index in completed:
            finished = datetime.combine(runs[index].ends_on, time(15), tzinfo=LOCAL_TZ)
            catalogue.record_completion(candidate, runs[index], finished, by=consultant, now=now)
    days = next_weekdays(today, 2)
    for member, (organisation, cvr, _address, _contact, _email, job, course_index) in zip(members, EMPLOYERS,
                                                                                          strict=True):
        for day, start in zip(days, (time(9), time(13)), strict=True):
            draft = sessions.SessionDraft(
                title=job, description=f"Kort samtale om et job som {job.lower()} hos {organisation}.",
                course_ids=[courses[course_index].id] if course_index is not None else [], local_date=day,
                start_time=start, end_time=(datetime.combine(day, start) + timedelta(hours=2)).time(),
                slot_minutes=10, break_minutes=5, interviewers=2, mode=MeetingMode.VIDEO,
                video_url=f"https://meet.example.dk/{cvr}-{day:%Y%m%d}", address=None, booking_closes_hours=2)
            session = sessions.create_session(draft, by=member, now=now)
            sessions.publish_session(session, by=member, now=now)
    figures.refresh_figures(now=now)  # the dashboard shows the history at once, not after the scheduler's first run
    return True


@dataclass
class _Participant:
    candidate: Candidate
    status: EmploymentStatus  # where they will be 60 days after the course
    hire: EmploymentType | None  # the job a meeting leads to, if one does
    hire_at: int  # the index of the run's session where that meeting is


def _load_history(courses: list[Course], consultant: User, members: list[User], *, today: date,
                  rng: random.Random) -> None:
    names = iter(PAST_CANDIDATES)
    for course_index, days_ago, size in PAST_RUNS:
        ends_on = _weekday_on_or_before(today - timedelta(days=days_ago))
        run = catalogue.create_course_run(courses[course_index], consultant.jobcenter, ends_on - timedelta(days=39),
                                          ends_on, by=consultant, now=_at(ends_on - timedelta(days=46), time(10)))
        employers = [(member, job, focus) for member, (*_, job, _), focus in zip(members, EMPLOYERS, EMPLOYER_FOCUS,
                                                                                 strict=True)
                     if not focus or course_index in focus]
        # The last of a large run dropped out: enrolled, never completed.
        completers = [candidate for i in range(size)
                      if (candidate := _enrol(next(names), run, consultant, completed=not (size >= 5 and i == size - 1),
                                              rng=rng))]
        participants = [_plan(candidate, course_index, len(employers), rng) for candidate in completers]
        for index, (offset, (member, job, focus)) in enumerate(zip((5, 12), employers, strict=False)):
            day = _weekday_on_or_before(min(ends_on + timedelta(days=offset), today - timedelta(days=2)))
            session = _past_session(member, job, [courses[i] for i in focus], day, rng)
            _meet(session, index, participants, consultant, booked_on=ends_on + timedelta(days=1), today=today,
                  rng=rng)
        if days_ago >= FOLLOW_UP_RECORDED_AFTER_DAYS:
            due = outcomes.follow_up_due_on(run)
            outcomes.record_follow_ups(run, {p.candidate.id: p.status for p in participants}, by=consultant,
                                       now=_at(due + timedelta(days=rng.randint(1, 8)), time(11)))


def _enrol(name: str, run: CourseRun, consultant: User, *, completed: bool, rng: random.Random) -> Candidate | None:
    """A new candidate enrolled in the run; returned only when they completed it."""
    group = TargetGroup.ACTIVITY_READY if rng.random() < 0.4 else TargetGroup.JOB_READY
    candidate = accounts.create_candidate(
        accounts.CandidateData(name=name, email=_email(name), phone=None, jobcenter_id=run.jobcenter_id,
                               target_group=group, consultant_id=consultant.id),
        created_by=consultant, now=_at(run.starts_on - timedelta(days=7), time(10)))
    candidate.pitch = f"{name.split()[0]} har gennemført {run.course.name} og vil gerne i gang."
    finished = _at(run.ends_on, time(15)) if completed else None
    catalogue.record_completion(candidate, run, finished, by=consultant, now=_at(run.ends_on, time(16)))
    return candidate if completed else None


def _plan(candidate: Candidate, course_index: int, session_count: int, rng: random.Random) -> _Participant:
    """Where the candidate is 60 days after the course, and whether a meeting got them there."""
    full_time = FULL_TIME_SHARE[course_index]
    if candidate.target_group == TargetGroup.JOB_READY:
        weights = {EmploymentStatus.FULL_TIME: full_time, EmploymentStatus.PART_TIME: 0.12,
                   EmploymentStatus.SMALL_JOB: 0.06, EmploymentStatus.EDUCATION: 0.06,
                   EmploymentStatus.UNKNOWN: 0.08, EmploymentStatus.UNEMPLOYED: 0.68 - full_time}
    else:  # for many activity-ready candidates a small job or an internship is the success
        weights = {EmploymentStatus.FULL_TIME: full_time / 3, EmploymentStatus.PART_TIME: 0.10,
                   EmploymentStatus.SMALL_JOB: 0.20, EmploymentStatus.EDUCATION: 0.08,
                   EmploymentStatus.UNKNOWN: 0.10, EmploymentStatus.UNEMPLOYED: 0.52 - full_time / 3}
    status = rng.choices(list(weights), weights=list(weights.values()))[0]
    hire = None
    if status == EmploymentStatus.FULL_TIME and rng.random() < 0.75:
        hire = EmploymentType.FULL_TIME
    elif status == EmploymentStatus.PART_TIME and rng.random() < 0.6:
        activity_ready = candidate.target_group == TargetGroup.ACTIVITY_READY
        hire = EmploymentType.FLEXJOB if activity_ready else EmploymentType.PART_TIME
    elif status == EmploymentStatus.SMALL_JOB and rng.random() < 0.6:
        hire = EmploymentType.SMALL_JOB
    elif status in (EmploymentStatus.UNEMPLOYED, EmploymentStatus.EDUCATION) and rng.random() < 0.2:
        hire = rng.choice([EmploymentType.INTERNSHIP, EmploymentType.WAGE_SUBSIDY])  # over before day 60
    return _Participant(candidate, status, hire, rng.randrange(session_count))


def _past_session(member: User, job: str, courses: list[Course], day: date, rng: random.Random) -> InterviewSession:
    """A published session of 6 slots on a past day, created and published 9 days before."""
    start = rng.choice((time(9), time(13)))
    draft = sessions.SessionDraft(
        title=job, description=f"Kort samtale om et job som {job.lower()} hos {member.employer.name}.",
        course_ids=[c.id for c in courses], local_date=day, start_time=start,
        end_time=(datetime.combine(day, start) + timedelta(hours=2)).time(), slot_minutes=15, break_minutes=5,
        interviewers=1, mode=MeetingMode.VIDEO, video_url=f"https://meet.example.dk/{member.employer.cvr}-{day:%Y%m%d}",
        address=None, booking_closes_hours=2)
    created = _at(day - timedelta(days=9), time(10))
    session = sessions.create_session(draft, by=member, now=created)
    sessions.publish_session(session, by=member, now=created)
    return session


def _meet(session: InterviewSession, index: int, participants: list[_Participant], consultant: User, *,
          booked_on: date, today: date, rng: random.Random) -> None:
    """Book some of the run's completers into the session and, unless it was in the last days, record outcomes."""
    free = list(session.slots)
    meetings: list[tuple[_Participant, Booking]] = []
    for participant in participants:
        hired_here = participant.hire is not None and participant.hire_at == index
        if not free or not (hired_here or rng.random() < 0.6):
            continue
        slot = free.pop(rng.randrange(len(free)))
        by = consultant if rng.random() < 0.25 else participant.candidate.user
        booked_at = _at(booked_on, time(9)) + timedelta(minutes=rng.randint(0, 600))
        result = book_slots(participant.candidate, [slot.id], by=by, now=booked_at)
        meetings.append((participant, result.booked[0]))
    if session.local_date >= today - timedelta(days=5):
        return  # the employer has not got round to it yet: the scheduler will nudge them
    entries = [_outcome(booking.id, participant, participant.hire_at == index, session.local_date, rng)
               for participant, booking in meetings]
    recorded_at = _at(session.local_date + timedelta(days=rng.randint(1, 3)), time(14))
    outcomes.record_outcomes(session, entries, by=session.created_by, now=recorded_at)


HOURS = {EmploymentType.FULL_TIME: (37, 37), EmploymentType.PART_TIME: (20, 30), EmploymentType.SMALL_JOB: (6, 12),
         EmploymentType.INTERNSHIP: (15, 30), EmploymentType.WAGE_SUBSIDY: (30, 37), EmploymentType.FLEXJOB: (12, 25)}


def _outcome(booking_id: int, participant: _Participant, hire_session: bool, day: date,
             rng: random.Random) -> outcomes.OutcomeEntry:
    if hire_session and participant.hire is not None:
        return outcomes.OutcomeEntry(
            booking_id, Attendance.ATTENDED, Result.HIRED, participant.hire,
            start_date=day + timedelta(days=rng.randint(7, 28)), hours_per_week=rng.randint(*HOURS[participant.hire]),
            note=rng.choice(NOTES))
    no_show = 0.18 if participant.candidate.target_group == TargetGroup.ACTIVITY_READY else 0.08
    draw = rng.random()
    if draw < no_show:
        return outcomes.OutcomeEntry(booking_id, Attendance.CANDIDATE_NO_SHOW)
    if draw < no_show + 0.04:
        return outcomes.OutcomeEntry(booking_id, Attendance.EMPLOYER_NO_SHOW)
    if draw < no_show + 0.06:
        return outcomes.OutcomeEntry(booking_id, Attendance.CANCELLED_LATE)
    result = rng.choices([Result.NO_MATCH, Result.NEXT_INTERVIEW, Result.JOB_OFFER], weights=[0.6, 0.3, 0.1])[0]
    return outcomes.OutcomeEntry(booking_id, Attendance.ATTENDED, result, note=rng.choice(NOTES))
