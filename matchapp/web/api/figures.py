"""The funnel figures of the key's job centre, one dashboard table at a time, with the small-number rule of the
dashboard's downloads (the same code: `web/dashboard/exports.py`, `services/funnel/small_numbers.py`)."""
from __future__ import annotations

from decimal import Decimal

from flask import current_app

from matchapp.services import funnel
from matchapp.services.funnel.filters import FunnelFilter
from matchapp.services.funnel.small_numbers import Hidden, hidden_cells
from matchapp.web.api.access import jobcenter_id, refuse, run_or_404, scoped
from matchapp.web.api.blueprint import bp
from matchapp.web.api.schemas import FigureArgs, FigureTable
from matchapp.web.dashboard.exports import header, rows


def _json(value):
    if isinstance(value, Hidden):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


@bp.get("/figures/<table>")
@bp.arguments(FigureArgs, location="query")
@bp.response(200, FigureTable)
@bp.doc(tags=["figures"])
@scoped("figures:read")
def figures(args, table: str):
    """One table of the dashboard's figures (funnel, outcome, trend, demand, employers, employer_courses, months).

    Counts of people below the small-number limit are "<5", as in the dashboard's downloads."""
    if table not in funnel.TABLES:
        refuse(404, "not-found")
    if args.get("course_run_id"):
        run_or_404(args["course_run_id"])
    chosen = FunnelFilter(jobcenter_id=jobcenter_id(), course_id=args.get("course_id"),
                          course_run_id=args.get("course_run_id"), period_from=args.get("period_from"),
                          period_to=args.get("period_to"))
    limit = current_app.config["SMALL_NUMBER_LIMIT"]
    tables = funnel.dashboard_tables(chosen)
    hidden = hidden_cells(tables.values(), limit) if limit > 1 else set()
    shown = tables[table]
    return {"table": table, "caption": str(shown.caption), "columns": header(shown),
            "rows": [[_json(value) for value in cells] for cells in rows(shown, hidden, limit)],
            "small_number_limit": limit}
