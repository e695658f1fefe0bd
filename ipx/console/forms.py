"""The console's forms (Flask-WTF: each POST form carries the session's CSRF token)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, ValidationError


def no_nul(form, field) -> None:
    """NUL is no character of a name or password (and PostgreSQL could not store it)."""
    if "\x00" in (field.data or ""):
        raise ValidationError(_l("This contains a character that is not allowed."))


#: The largest amount the API takes (15 digits before the point, as its money fields).
MAX_AMOUNT = Decimal("999999999999999.99")


def money(form, field) -> None:
    """An amount as the API's money fields take it: finite, at most 2 decimals and 15 digits
    before the point, not negative (a DecimalField alone lets "Infinity" and "1.234" through)."""
    amount = field.data
    if amount is None:
        return
    if not amount.is_finite() or not 0 <= amount <= MAX_AMOUNT or amount != round(amount, 2):
        raise ValidationError(_l("Give an amount such as 1250000.00 (at most 2 decimals)."))


class LoginForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Enter your username.")), Length(max=64), no_nul],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=1024), no_nul],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))
