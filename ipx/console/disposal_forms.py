"""Forms of default and disposal: declaring a default, asking for timely disposal, opening a
disposal and withdrawing one (Flask-WTF, each with its CSRF token).

As the registry's other forms, they check what a page can say in the user's language before
anything is asked; the use case checks everything again and has the last word.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ipx.console.action_forms import MultiCheckboxField
from ipx.console.forms import money, no_nul
from ipx.console.labels import DISPOSAL_METHOD, WITHDRAWAL_REASON
from ipx.console.registry_forms import REQUIRED, choices_of
from ipx.registry.disposal.model import DEFAULT_ANNOUNCEMENT_DAYS

ZERO = Decimal("0.00")
POSITIVE = _l("The amount must be greater than zero.")


class DefaultForm(FlaskForm):
    principal = DecimalField(
        _l("Principal outstanding"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    interest = DecimalField(
        _l("Interest due"), places=2, default=ZERO, validators=[Optional(), money]
    )
    penalties = DecimalField(
        _l("Penalties due"), places=2, default=ZERO, validators=[Optional(), money]
    )
    submit = SubmitField(_l("Declare default"))

    def amounts(self) -> dict:
        """The amounts as ``POST /pledges/{id}/default`` takes them (an empty one is zero)."""
        return {
            name: getattr(self, name).data if getattr(self, name).data is not None else ZERO
            for name in ("principal", "interest", "penalties")
        }


class DisposalRequestForm(FlaskForm):
    note = TextAreaField(
        _l("Note to the registry (optional)"), validators=[Optional(), Length(max=2000), no_nul]
    )
    submit = SubmitField(_l("Ask for timely disposal"))


class OpenDisposalForm(FlaskForm):
    method = SelectField(_l("Method"), choices=choices_of(DISPOSAL_METHOD))
    asset_ids = MultiCheckboxField(
        _l("Assets to dispose of (none ticked: all the pledge's assets)"), coerce=int
    )
    reserve_price = DecimalField(
        _l("Reserve price (empty: the latest valuations' lower value)"),
        places=2,
        validators=[Optional(), money, NumberRange(min=Decimal("0.01"), message=POSITIVE)],
    )
    costs = DecimalField(
        _l("Costs of the disposal"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    costs_payee_id = IntegerField(
        _l("Costs paid to (party id; empty: the pledgee)"),
        validators=[Optional(), NumberRange(min=1)],
    )
    announcement_days = IntegerField(
        _l("Announcement period (days before bids open)"),
        default=DEFAULT_ANNOUNCEMENT_DAYS,
        validators=[InputRequired(REQUIRED), NumberRange(0, 90)],
    )
    submit = SubmitField(_l("Open the disposal"))


class WithdrawForm(FlaskForm):
    reason = SelectField(_l("Why the disposal is withdrawn"), choices=choices_of(WITHDRAWAL_REASON))
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=2000), no_nul])
    submit = SubmitField(_l("Withdraw the disposal"))
