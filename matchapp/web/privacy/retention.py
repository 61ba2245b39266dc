"""Candidates whom the retention job will soon anonymise for inactivity, and keeping one of them."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Role
from matchapp.services import retention as rules
from matchapp.transaction import attempt
from matchapp.web.access import candidate_in_my_jobcenter, role_required
from matchapp.web.forms_common import ActionForm
from matchapp.web.inputs import page_number
from matchapp.web.privacy.blueprint import bp

STAFF = (Role.CONSULTANT, Role.ADMIN)


@bp.get("/retention")
@role_required(*STAFF)
def retention():
    now = utcnow()
    jobcenter_id = current_user.jobcenter_id if current_user.role == Role.CONSULTANT else None
    page = db.paginate(rules.candidates_due(jobcenter_id=jobcenter_id, now=now), page=page_number(), per_page=20)
    warnings = rules.warnings_sent([candidate.id for candidate in page.items])
    days = {candidate.id: rules.anonymisation_day(rules.last_activity(candidate.user), warnings.get(candidate.id, now))
            for candidate in page.items}
    return render_template("privacy/retention.html", page=page, days=days, form=ActionForm())


@bp.post("/retention/candidates/<int:candidate_id>/keep")
@role_required(*STAFF)
def candidate_keep(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    if not ActionForm().validate_on_submit():
        flash(_("The candidate could not be kept. Please try again."), "error")
        return redirect(url_for("privacy.retention"))
    with attempt():
        rules.keep_candidate(candidate, by=current_user, now=utcnow())
        flash(_("%(name)s is kept: the retention period starts again today.", name=candidate.user.name), "success")
    return redirect(url_for("privacy.retention"))
