"""Sign-in, links, passwords and employer registration."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from matchapp.web.forms_common import AppForm, email_field, phone_field, text_field


class LoginForm(AppForm):
    email = email_field()
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class EmailForm(AppForm):
    email = email_field()


def new_password_field() -> PasswordField:
    return PasswordField(_l("New password"),
                         validators=[InputRequired(_l("Choose a password.")),
                                     Length(min=10, max=200, message=_l("Use at least 10 characters."))],
                         render_kw={"autocomplete": "new-password"})


class PasswordResetForm(AppForm):
    password = new_password_field()
    confirm = PasswordField(_l("Repeat the password"),
                            validators=[EqualTo("password", _l("The two passwords are not the same."))],
                            render_kw={"autocomplete": "new-password"})


class EmployerRegistrationForm(AppForm):
    organisation = text_field(_l("Organisation name"), _l("Enter the organisation's name."),
                              render_kw={"autocomplete": "organization"})
    cvr = StringField(_l("CVR number"),
                      validators=[InputRequired(_l("Enter the CVR number.")),
                                  Regexp(r"^\s*\d{2}\s?\d{2}\s?\d{2}\s?\d{2}\s*$",
                                         message=_l("Enter a valid CVR number: 8 digits."))],
                      render_kw={"inputmode": "numeric"})
    address = text_field(_l("Address"), _l("Enter the address."), max_length=300,
                         render_kw={"autocomplete": "street-address"})
    name = text_field(_l("Your name"), _l("Enter your name."), render_kw={"autocomplete": "name"})
    email = email_field(_l("Your e-mail address"))
    phone = phone_field()
    password = new_password_field()
