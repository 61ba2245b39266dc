"""The course-to-job funnel, the 60-day outcome, its trend, and employers' demand and hires for the consultants'
dashboard, computed by SQL aggregation of the figure tables that `services.figures` rebuilds every few minutes.

Definitions (the dashboard page repeats them in plain words):
- The cohort is every completed enrollment in a course run that matches the filter: the job centre, the course, the
  run, and the run's end date within the period. A candidate who completed two runs of a course counts in each.
- "Had a meeting" is any confirmed booking by a completer in a session held on or after the run's start date.
  "Attended", "next step" (next interview, job offer or hire) and "hired" come from the outcomes of those meetings:
  for each meeting one record counts, the consultant's where a consultant has recorded one, else the employer's
  (`outcomes.counted_outcomes`). A consultant records an outcome only where the employer has not, or to correct
  them, having heard from the candidate or the employer; a correction the figures ignored would leave a known error
  in them. Both records stay, and both show on the consultant's page of the candidate. "Full-time after 60 days" is
  the run's follow-up status. Each completion counts once at each stage it
  reached, so that the stages of a course never exceed its completions.
- "Status not recorded": no known status was recorded at the follow-up (nothing, or "unknown"). Full-time "through a
  meeting in the app": in full-time work 60 days after and hired through a meeting in the app; "found elsewhere": in
  full-time work without such a hire.
- Employers publish for every job centre, so sessions and slots are counted for all; bookings, no-shows and hires
  count only the chosen job centre's candidates (and, with a run chosen, its completers). Sessions are those held
  within the period; with a course or run chosen, only sessions aimed at that course or open to any course.
- Each candidate belongs to one target group, so the rows of the two groups add up to the "all" row. Every table
  ends with totals; a session aimed at several courses counts once in them.
- Every share is a `shares.Share`: its part, its whole, a 95 % interval, rounded half up.

The package, by concern: `filters` (what the filter selects), `tables` (the shape of a figure table), `counts` (the
aggregations several tables share), `courses` and `employers` (the tables), `shares`, `small_numbers` (the rule for
figures that leave the job centre) and `presenter` (what the dashboard page shows, ready to lay out). This module holds
the dashboard's set of tables and how they are counted, in plain words.
"""
from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from matchapp.services.funnel.counts import employer_counts, funnel_counts
from matchapp.services.funnel.courses import TREND_QUARTERS, demand_table, funnel_table, outcome_table, trend_table
from matchapp.services.funnel.employers import employer_course_table, employer_table, month_table
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.services.funnel.tables import Table


def dashboard_tables(f: FunnelFilter, page: int | None = None) -> dict[str, Table]:
    """Every figure table of the dashboard, in the page's order, with the employers' tables whole or one page of
    employers; the course funnel and the employers' counts are computed once for the tables that share them."""
    funnel, employers = funnel_counts(f), employer_counts(f)
    return {"funnel": funnel_table(f, funnel), "outcome": outcome_table(f, funnel), "trend": trend_table(f),
            "demand": demand_table(f, funnel, employers), "employers": employer_table(f, employers, page),
            "employer_courses": employer_course_table(f, employers, page), "months": month_table(f)}


TABLES: dict[str, Callable[[FunnelFilter], Table]] = {
    "funnel": funnel_table, "outcome": outcome_table, "trend": trend_table, "demand": demand_table,
    "employers": employer_table, "employer_courses": employer_course_table, "months": month_table,
}

# How the figures are counted, in plain words: the dashboard page and the workbook's first sheet both list them. Each
# is a format string (hence "%%"), filled in by `definitions`.
DEFINITIONS = [
    _l("Completed: completions of a run of the course that ended within the period. A candidate who completed two "
       "runs of a course counts in each."),
    _l("Had a meeting: a confirmed booking in a session held on or after the start of the course run."),
    _l("Attended, next step and hired: the recorded outcomes of those meetings. Where a consultant has recorded the "
       "outcome of a meeting, to fill in for the employer or to correct them, the consultant's record counts; "
       "otherwise the employer's. A next step is a next interview, a job offer or a hire."),
    _l("In full-time work 60 days after: the follow-up status recorded for the course run. Its share is of those who "
       "completed the course, and of those with a recorded status."),
    _l("Status not recorded: no status 60 days after was recorded, or it was recorded as unknown. They are not "
       "counted as in full-time work."),
    _l("In full-time work through a meeting in the app: in full-time work 60 days after and hired through a meeting "
       "in the app (any kind of hire). Found elsewhere: in full-time work without such a hire."),
    _l("Per quarter: the quarter in which the course runs ended; the latest %(n)d quarters within the filter."),
    _l("Each share shows what it is out of and its 95 %% interval (Wilson): with few people a share is uncertain, "
       "and the interval shows how much. Shares are rounded half up to one decimal."),
    _l("Employers publish sessions for every job centre, so sessions and slots count for all; bookings, no-shows and "
       "hires count only the chosen job centre's candidates. Sessions count when held within the period; with a "
       "course chosen, those aimed at it or open to any course."),
    _l("Each candidate is job-ready or activity-ready, so the two groups add up to the row for all. The last rows of "
       "each table are the totals; a session aimed at several courses counts once in them."),
]


def definitions() -> list[str]:
    """How the figures are counted, in the reader's language."""
    return [str(text) % {"n": TREND_QUARTERS} for text in DEFINITIONS]
