"""Erasing a candidate, an employer's member or a whole organisation: a page that says what will happen, a reason
from a fixed list and a confirmation, then the service."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, SelectChoice, SelectField
from wtforms.validators import DataRequired, InputRequired, ValidationError

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import Employer, Role, User
from matchapp.services import erasure
from matchapp.transaction import attempt
from matchapp.web.access import candidate_in_my_jobcenter, get_or_404, role_required
from matchapp.web.forms_common import AppForm
from matchapp.web.privacy.blueprint import bp

STAFF = (Role.CONSULTANT, Role.ADMIN)


class ErasureForm(AppForm):
    # validate_choice off: WTForms' own message is English only; validate_reason says it in the user's language.
    reason = SelectField(_l("Reason"), validate_choice=False,
                         validators=[InputRequired(message=_l("Choose a reason."))],
                         choices=[SelectChoice("", _l("Choose a reason"))]
                         + [SelectChoice(code, label) for code, label in erasure.REASONS.items()])
    confirm = BooleanField(_l("I understand that the erasure cannot be undone"),
                           validators=[DataRequired(message=_l("Tick the box to confirm the erasure."))])

    def validate_reason(self, field):
        if field.data not in erasure.REASONS:
            raise ValidationError(_l("Choose a reason."))


def _erase_page(form: ErasureForm, template_values: dict, status: int = 200):
    return render_template("privacy/erase.html", form=form, **template_values), status


def _erase(form: ErasureForm, action, values: dict, done: str, back: str):
    """The shared flow: show the page; on a valid POST run the erasure and go back with a message."""
    if not form.validate_on_submit():
        return _erase_page(form, values, 400 if form.is_submitted() else 200)
    with attempt(form):
        action(form.reason.data)
        flash(done, "success")
        return redirect(back)
    return _erase_page(form, values, 409)


@bp.route("/candidates/<int:candidate_id>/erase", methods=["GET", "POST"])
@role_required(*STAFF)
def candidate_erase(candidate_id: int):
    candidate = candidate_in_my_jobcenter(candidate_id)
    if candidate.user.erased_at is not None:
        abort(404)
    now = utcnow()
    values = {"heading": _("Erase %(name)s", name=candidate.user.name), "kind": "candidate",
              "meetings": erasure.pending_meetings(candidate, now=now),
              "back": url_for("consultant.candidate", candidate_id=candidate.id)}
    return _erase(ErasureForm(), lambda reason: erasure.erase_candidate(candidate, reason=reason, by=current_user,
                                                                        now=now),
                  values, _("The candidate is erased. The figures keep their meetings without a name."),
                  url_for("consultant.candidates"))


@bp.route("/users/<int:user_id>/erase", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def member_erase(user_id: int):
    user = get_or_404(User, user_id)
    if user.role != Role.EMPLOYER or user.erased_at is not None:
        abort(404)
    values = {"heading": _("Erase %(name)s", name=user.name), "kind": "member", "organisation": user.employer,
              "back": url_for("admin.employer", employer_id=user.employer_id)}
    return _erase(ErasureForm(), lambda reason: erasure.erase_member(user, reason=reason, by=current_user,
                                                                     now=utcnow()),
                  values, _("The member is erased. The organisation's sessions stay."), values["back"])


@bp.route("/employers/<int:employer_id>/erase", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def employer_erase(employer_id: int):
    employer = get_or_404(Employer, employer_id)
    if erasure.is_erased(employer):
        abort(404)
    now = utcnow()
    members = db.session.scalars(select(User).where(User.employer_id == employer.id, User.erased_at.is_(None))
                                 .order_by(User.name)).all()
    values = {"heading": _("Erase %(name)s", name=employer.name), "kind": "employer", "members": members,
              "sessions": erasure.future_sessions(employer, now=now),
              "back": url_for("admin.employer", employer_id=employer.id)}
    return _erase(ErasureForm(), lambda reason: erasure.erase_employer(employer, reason=reason, by=current_user,
                                                                       now=now),
                  values, _("The organisation and its members are erased. Its held meetings stay in the figures."),
                  url_for("consultant.employers"))
