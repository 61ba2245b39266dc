"""Admins: integrations (a job centre's own systems) and their API keys: made, shown once, revoked."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from matchapp.extensions import db
from matchapp.localtime import utcnow
from matchapp.models import ApiKey, Integration, Jobcenter, Role
from matchapp.services import integrations
from matchapp.transaction import attempt
from matchapp.web.access import get_or_404, role_required
from matchapp.web.admin.blueprint import bp
from matchapp.web.admin.forms import ApiKeyForm, IntegrationForm
from matchapp.web.forms_common import ActionForm


def integration_form() -> IntegrationForm:
    form = IntegrationForm()
    form.jobcenter_id.choices = [SelectChoice(j.id, j.name)
                                 for j in db.session.scalars(select(Jobcenter).order_by(Jobcenter.name))]
    return form


def list_page(form: IntegrationForm, status: int = 200):
    found = db.session.scalars(select(Integration).options(selectinload(Integration.jobcenter))
                               .order_by(Integration.name)).all()
    return render_template("admin/integrations.html", integrations=found, form=form), status


@bp.get("/integrations")
@role_required(Role.ADMIN)
def integrations_list():
    return list_page(integration_form())


@bp.post("/integrations")
@role_required(Role.ADMIN)
def integration_new():
    form = integration_form()
    if form.validate_on_submit():
        integration = integrations.create_integration(form.name.data, get_or_404(Jobcenter, form.jobcenter_id.data),
                                                      by=current_user, now=utcnow())
        flash(_("The integration is added. Make a key for it."), "success")
        return redirect(url_for("admin.integration", integration_id=integration.id))
    return list_page(form, 422)


def integration_page(integration: Integration, form: ApiKeyForm, *, new_key: str | None = None, status: int = 200):
    keys = db.session.scalars(select(ApiKey).where(ApiKey.integration_id == integration.id)
                              .order_by(ApiKey.id.desc())).all()
    return render_template("admin/integration.html", integration=integration, keys=keys, form=form,
                           new_key=new_key, action=ActionForm()), status


@bp.get("/integrations/<int:integration_id>")
@role_required(Role.ADMIN)
def integration(integration_id: int):
    return integration_page(get_or_404(Integration, integration_id), ApiKeyForm())


@bp.post("/integrations/<int:integration_id>/keys")
@role_required(Role.ADMIN)
def api_key_new(integration_id: int):
    """Make a key and show it on this answer only (never stored; the page is not cached: no-store)."""
    found = get_or_404(Integration, integration_id)
    form = ApiKeyForm()
    if form.validate_on_submit():
        with attempt(form):
            _key, raw = integrations.create_key(found, form.scopes.data, by=current_user, now=utcnow())
            return integration_page(found, ApiKeyForm(formdata=None), new_key=raw)
    return integration_page(found, form, status=422)


@bp.post("/api-keys/<int:key_id>/revoke")
@role_required(Role.ADMIN)
def api_key_revoke(key_id: int):
    key = get_or_404(ApiKey, key_id)
    with attempt():
        integrations.revoke_key(key, by=current_user, now=utcnow())
        flash(_("The key is revoked. Requests with it are refused from now on."), "success")
    return redirect(url_for("admin.integration", integration_id=key.integration_id))
