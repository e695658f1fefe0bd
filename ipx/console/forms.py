"""The console's forms (Flask-WTF: each POST form carries the session's CSRF token)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError


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
        # StopValidation: the validators after this one (NumberRange) may not be handed a
        # signalling NaN, which ``math.isnan`` raises on (a 500).
        raise StopValidation(_l("Give an amount such as 1250000.00 (at most 2 decimals)."))


def positive_money(form, field) -> None:
    """``money``, and more than zero (a budget)."""
    money(form, field)
    if field.data is not None and field.data <= 0:
        raise ValidationError(_l("Give an amount greater than zero."))


def percent(form, field) -> None:
    """A share in percent as the API takes it: finite, at most 2 decimals, in (0, 100]."""
    share = field.data
    if share is None:
        return
    if not share.is_finite() or not 0 < share <= 100 or share != round(share, 2):
        raise StopValidation(_l("Give a percentage above 0 and at most 100 (2 decimals)."))


def ltv_share(form, field) -> None:
    """A loan-to-value threshold as the API takes it: a share in (0, 1], at most 4 decimals."""
    share = field.data
    if share is None:
        return
    if not share.is_finite() or not 0 < share <= 1 or share != round(share, 4):
        raise StopValidation(_l("Give a share above 0 and at most 1, such as 0.5."))


def currency_code(form, field) -> None:
    """An ISO 4217 code: three ASCII letters (written in capitals)."""
    if not re.fullmatch(r"[A-Za-z]{3}", field.data or ""):
        raise ValidationError(_l("Give a currency code of three letters, such as CNY."))


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
