"""Sign in and out, e-mailed links, and employer registration."""
from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from matchapp.config import LANGUAGES
from matchapp.localtime import utcnow
from matchapp.services import accounts, user_sessions
from matchapp.transaction import attempt
from matchapp.web.auth import limits
from matchapp.web.auth.blueprint import bp
from matchapp.web.auth.forms import EmailForm, EmployerRegistrationForm, LoginForm, PasswordResetForm
from matchapp.web.forms_common import ActionForm
from matchapp.web.login_sessions import sign_out, sign_out_everywhere, start_signed_in_session


def sign_in(user, *, action: str = "signed_in") -> None:
    """Sign the user in (a new session, audited as `action`); a language chosen with the language switch before
    signing in becomes theirs."""
    chosen = session.get("language")
    if chosen in LANGUAGES and chosen != user.language:
        accounts.change_language(user, chosen)
    start_signed_in_session(user, action=action)


@bp.route("/login", methods=["GET", "POST"])
@limits.limited(limits.SIGN_IN)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with attempt(show=False) as tried:
            sign_in(accounts.authenticate(form.email.data, form.password.data))
            return redirect(url_for("main.index"))
        # Audited, and kept: the answer is the form again, not an error.
        user_sessions.record_failed_sign_in(accounts.find_user(form.email.data), now=utcnow())
        form.password.errors = [str(tried.error.message)]
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    sign_out()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
def logout_everywhere():
    if current_user.is_authenticated:
        sign_out_everywhere()
    flash(_("You are signed out on all your devices."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/link", methods=["GET", "POST"])
@limits.limited(limits.LINK_REQUEST)
def link_request():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.send_sign_in_link(form.email.data, now=utcnow())
        return render_template("auth/link_sent.html", email=form.email.data)
    return render_template("auth/link_request.html", form=form)


@bp.route("/link/<token>", methods=["GET", "POST"])
@limits.limited(limits.LINK_USE, account_key=limits.link_token)
def link_sign_in(token: str):
    # The link only shows a button: mail scanners that open links must not use it up.
    form = ActionForm()
    if form.validate_on_submit():
        with attempt():
            sign_in(accounts.consume_token(token, accounts.SIGN_IN, now=utcnow()), action="signed_in_with_link")
            return redirect(url_for("main.index"))
        return redirect(url_for("auth.link_request"))
    return render_template("auth/link_sign_in.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limits.limited(limits.PASSWORD_FORGOT)
def password_forgot():
    form = EmailForm()
    if form.validate_on_submit():
        accounts.send_password_link(form.email.data, now=utcnow())
        return render_template("auth/link_sent.html", email=form.email.data)
    return render_template("auth/password_forgot.html", form=form)


@bp.route("/password/<token>", methods=["GET", "POST"])
@limits.limited(limits.PASSWORD_RESET, account_key=limits.link_token)
def password_reset(token: str):
    form = PasswordResetForm()
    if form.validate_on_submit():
        with attempt(form) as tried:  # a weak password leaves the link usable for a better one
            accounts.reset_password(token, form.password.data, now=utcnow())
            flash(_("Your password is saved. You can sign in now."), "success")
            return redirect(url_for("auth.login"))
        if tried.error.field == "password":
            return render_template("auth/password_reset.html", form=form), 422
        return redirect(url_for("auth.password_forgot"))
    return render_template("auth/password_reset.html", form=form)


@bp.route("/register", methods=["GET", "POST"])
@limits.limited(limits.REGISTRATION)
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = EmployerRegistrationForm()
    if form.validate_on_submit():
        data = accounts.EmployerRegistration(**{name: form[name].data for name in (
            "organisation", "cvr", "address", "name", "email", "phone", "password")}, language=str(get_locale()))
        with attempt(form):
            accounts.register_employer(data, now=utcnow())
            # The same page whether the address was new or known (the owner of a known one is told by e-mail).
            return render_template("auth/register_sent.html", email=data.email)
    return render_template("auth/register.html", form=form)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
@limits.limited(limits.LINK_USE, account_key=limits.link_token)
def register_confirm(token: str):
    # Like the sign-in link: a button, so that mail scanners opening the link do not use it up.
    form = ActionForm()
    if form.validate_on_submit():
        with attempt():
            sign_in(accounts.confirm_registration(token, now=utcnow()))
            flash(_("Your organisation is registered. The job centre will approve it soon; "
                    "until then you can prepare sessions."), "success")
            return redirect(url_for("employer.dashboard"))
        return redirect(url_for("auth.login"))
    return render_template("auth/register_confirm.html", form=form)
