"""Forms of the actions on records: the clerk's decisions on an application, changes to a
pledge, court freezes, transfers and the requests for the pledgee's consent to one, and asking
for a valuation (Flask-WTF, each with its CSRF token)."""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ipx.console.forms import (
    currency_code,
    ltv_share,
    money,
    no_nul,
    percent,
    positive_money,
)
from ipx.console.labels import (
    ASSET_KIND,
    CLOSING_REASON,
    FREEZE_KIND,
    LEGAL_STATUS,
    PROCEEDS,
    PROGRAMME_KIND,
    SUPPORT_REFUSAL,
    TRANSFER_KIND,
)
from ipx.console.registry_forms import REQUIRED, IdsField, choices_of
from ipx.notify.events import EVENT_TYPES
from ipx.registry.model import Ground
from ipx.support.commands import CreateProgramme
from ipx.support.schemas import DIGEST_PATTERN


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RefuseForm(FlaskForm):
    grounds = MultiCheckboxField(
        _l("Grounds for refusal"),
        choices=[SelectChoice(g.value) for g in Ground],
        validators=[DataRequired(_l("Choose at least one ground."))],
    )
    note = TextAreaField(
        _l("Note to the parties"), validators=[Optional(), Length(max=2000), no_nul]
    )
    submit = SubmitField(_l("Refuse the application"))


class CorrectionForm(FlaskForm):
    note = TextAreaField(
        _l("What must be corrected"),
        validators=[DataRequired(_l("Say what must be corrected.")), Length(max=2000), no_nul],
    )
    submit = SubmitField(_l("Request a correction"))


class RegisterForm(FlaskForm):
    submit = SubmitField(_l("Register the pledge"))


class PledgeChangeForm(FlaskForm):
    secured_amount = DecimalField(
        _l("New secured amount"), places=2, validators=[Optional(), money]
    )
    debt_end = DateField(_l("New end of the debt"), validators=[Optional()])
    submit = SubmitField(_l("Record the change"))

    def changes(self) -> dict:
        return {
            name: getattr(self, name).data
            for name in ("secured_amount", "debt_end")
            if getattr(self, name).data is not None
        }


class CancelForm(FlaskForm):
    reason = SelectField(
        _l("Reason"),
        choices=choices_of({k: v for k, v in CLOSING_REASON.items() if k != "realized"}),
    )
    submit = SubmitField(_l("Cancel the pledge"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the registration is revoked"),
        validators=[DataRequired(REQUIRED), Length(max=2000), no_nul],
    )
    submit = SubmitField(_l("Revoke the registration"))


class AssetChangeForm(FlaskForm):
    """A clerk's change of the right's legal status, fees paid, or the flag of invalidation
    proceedings (ground R10), shown filled with the asset's facts as they are, and stamped
    with the asset's last change (``shown``) so that a form shown before someone else's change
    cannot undo it."""

    status = SelectField(_l("Legal status"), choices=choices_of(LEGAL_STATUS))
    fees_paid_until = DateField(_l("Fees paid until (empty: as it is)"), validators=[Optional()])
    invalidation_pending = BooleanField(_l("Invalidation proceedings pending"))
    shown = HiddenField()
    submit = SubmitField(_l("Record the change"))

    @classmethod
    def of(cls, asset) -> AssetChangeForm:
        """The form as the asset stands (shown, not sent)."""
        facts = {
            f: getattr(asset, f) for f in ("status", "fees_paid_until", "invalidation_pending")
        }
        return cls(formdata=None, prefix="change", data={**facts, "shown": stamp(asset)})

    def changes(self, asset) -> dict:
        """The fields sent that differ from the asset's (none: nothing to record); an empty
        date (a half-typed one comes so) changes nothing."""
        sent = {
            "status": self.status.data,
            "fees_paid_until": self.fees_paid_until.data,
            "invalidation_pending": bool(self.invalidation_pending.data),
        }
        if sent["fees_paid_until"] is None:
            del sent["fees_paid_until"]
        return {name: value for name, value in sent.items() if value != getattr(asset, name)}


def stamp(asset) -> str:
    """The asset's last change, as the change form carries it."""
    return asset.updated_at.isoformat()


class FreezeForm(FlaskForm):
    kind = SelectField(
        _l("Reason for the freeze"), choices=choices_of(FREEZE_KIND), default="court_preservation"
    )
    court = StringField(_l("Court"), validators=[DataRequired(REQUIRED), Length(max=300), no_nul])
    order_number = StringField(
        _l("Order number"), validators=[DataRequired(REQUIRED), Length(max=100), no_nul]
    )
    submit = SubmitField(_l("Record the freeze"))


class _WhatTransfer(FlaskForm):
    """What a transfer is: its kind and the receiving parties (recorded, or asked for)."""

    kind = SelectField(_l("Kind of transfer"), choices=choices_of(TRANSFER_KIND))
    to_party_ids = IdsField(
        _l("To (party ids, separated by commas)"), validators=[DataRequired(REQUIRED)]
    )


class TransferForm(_WhatTransfer):
    pledgee_consent = BooleanField(_l("The pledgee consented (a pledged asset only)"))
    proceeds = SelectField(
        _l("Proceeds of a pledged asset go to"), choices=choices_of(PROCEEDS), default=""
    )
    proceeds_amount = DecimalField(
        _l("Proceeds received (optional)"), places=2, validators=[Optional(), money]
    )
    submit = SubmitField(_l("Record the transfer"))


class TransferRequestForm(_WhatTransfer):
    """The ask to transfer a pledged asset (its holder, or a clerk on the holder's behalf):
    the transfer's kind and receiving parties; the pledgee answers the rest."""

    submit = SubmitField(_l("Ask to transfer"))


class ConsentForm(FlaskForm):
    """The pledgee's consent: where the proceeds go (Art. 444), and how much came in."""

    proceeds = SelectField(
        _l("Proceeds of a pledged asset go to"),
        choices=choices_of({k: v for k, v in PROCEEDS.items() if k}),
        validators=[DataRequired(REQUIRED)],
    )
    proceeds_amount = DecimalField(
        _l("Proceeds received (optional)"),
        places=2,
        validators=[
            Optional(),
            money,
            NumberRange(min=Decimal("0.01"), message=_l("The amount must be greater than zero.")),
        ],
    )
    submit = SubmitField(_l("Consent to the transfer"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        _l("Why the pledgee declines"),
        validators=[DataRequired(REQUIRED), Length(max=2000), no_nul],
    )
    submit = SubmitField(_l("Decline the transfer"))


class WithdrawRequestForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it is withdrawn (optional)"), validators=[Optional(), Length(max=2000), no_nul]
    )
    submit = SubmitField(_l("Withdraw the request"))


class BidForm(FlaskForm):
    bidder_id = IntegerField(
        _l("Bidder (party id)"), validators=[InputRequired(REQUIRED), NumberRange(min=1)]
    )
    amount = DecimalField(_l("Amount bid"), places=2, validators=[InputRequired(REQUIRED), money])
    submit = SubmitField(_l("Record the bid"))


class CloseForm(FlaskForm):
    submit = SubmitField(_l("Close the disposal"))


class LiftForm(FlaskForm):
    submit = SubmitField(_l("Lift this freeze"))


class ValuationRequestForm(FlaskForm):
    asset_id = IntegerField(
        _l("Asset (id)"), validators=[InputRequired(REQUIRED), NumberRange(min=1)]
    )
    loan_term_months = IntegerField(
        _l("Loan term (months)"), validators=[InputRequired(REQUIRED), NumberRange(1, 600)]
    )
    annual_revenue = DecimalField(
        _l("Annual revenue of the products using it (CNY, for a value range)"),
        places=2,
        validators=[Optional(), money],
    )
    royalty_rate = DecimalField(
        _l("Royalty rate (%, optional)"), places=2, validators=[Optional(), NumberRange(0, 100)]
    )
    submit = SubmitField(_l("Value the asset"))

    def request_item(self) -> dict:
        """The valuation request, as ``POST /api/v1/valuations`` takes it."""
        item: dict = {
            "asset_id": self.asset_id.data,
            "loan_term_months": self.loan_term_months.data,
            "explain": True,
        }
        if self.annual_revenue.data is not None:
            rate = self.royalty_rate.data
            item["economics"] = {
                "annual_revenue": self.annual_revenue.data,
                "royalty_rate": None if rate is None else float(rate) / 100,
            }
        return item


class SupportApproveForm(FlaskForm):
    amount = DecimalField(
        _l("Amount approved (empty: the computed amount)"), places=2, validators=[Optional(), money]
    )
    reason = TextAreaField(
        _l("Reason (needed for a lower amount)"), validators=[Optional(), Length(max=2000), no_nul]
    )
    submit = SubmitField(_l("Approve the application"))


class SupportRefuseForm(FlaskForm):
    reasons = MultiCheckboxField(
        _l("Reasons for refusal"),
        choices=choices_of(SUPPORT_REFUSAL),
        validators=[DataRequired(_l("Choose at least one reason."))],
    )
    note = TextAreaField(
        _l("Note to the applicant"), validators=[Optional(), Length(max=2000), no_nul]
    )
    submit = SubmitField(_l("Refuse the application"))


class SupportPayForm(FlaskForm):
    reference = StringField(
        _l("Payment reference"), validators=[DataRequired(REQUIRED), Length(max=100), no_nul]
    )
    submit = SubmitField(_l("Record the payment"))


SHA256_HEX = re.compile(DIGEST_PATTERN)


class SupportApplyForm(FlaskForm):
    """An application for support: the programme (its current version), the loans, the
    figures claimed and the digests of the documents (the files are not stored)."""

    programme_id = SelectField(_l("Programme"), coerce=int, validators=[InputRequired(REQUIRED)])
    pledge_ids = IdsField(
        _l("Pledges (ids, separated by commas)"), validators=[DataRequired(REQUIRED)]
    )
    outstanding_principal = DecimalField(
        _l("Outstanding principal (interest subsidies)"), places=2, validators=[Optional(), money]
    )
    interest_paid = DecimalField(
        _l("Interest paid in the period"), places=2, validators=[Optional(), money]
    )
    fee_amount = DecimalField(
        _l("Fee paid (fee subsidies)"), places=2, validators=[Optional(), money]
    )
    period_start = DateField(_l("Claimed from"), validators=[Optional()])
    period_end = DateField(_l("Claimed to"), validators=[Optional()])
    document_digests = TextAreaField(
        _l("SHA-256 of each document (one a line)"),
        validators=[Optional(), Length(max=50 * 66)],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Apply for support"))

    def digests(self) -> list[str]:
        return [
            line.strip().lower()
            for line in (self.document_digests.data or "").splitlines()
            if line.strip()
        ]

    def validate_document_digests(self, field) -> None:
        if any(not SHA256_HEX.match(digest) for digest in self.digests()):
            raise ValidationError(_l("Each line is a SHA-256 digest: 64 hexadecimal characters."))

    def claim(self) -> dict:
        names = (
            "outstanding_principal",
            "interest_paid",
            "fee_amount",
            "period_start",
            "period_end",
        )
        return {
            name: getattr(self, name).data for name in names if getattr(self, name).data is not None
        }


LTV = [Optional(), ltv_share]


class RevalueForm(FlaskForm):
    ltv_threshold = DecimalField(
        _l("Loan-to-value threshold (a share of the collateral value; empty: the largest loan)"),
        places=4,
        validators=LTV,
    )
    submit = SubmitField(_l("Revalue my collateral now"))


class ScheduleForm(FlaskForm):
    day_of_month = IntegerField(
        _l("Day of each month (1-28, China date)"),
        validators=[InputRequired(REQUIRED), NumberRange(min=1, max=28)],
    )
    ltv_threshold = DecimalField(
        _l("Loan-to-value threshold (a share of the collateral value; empty: the largest loan)"),
        places=4,
        validators=LTV,
    )
    enabled = BooleanField(_l("Revalue on this schedule"), default=True)
    submit = SubmitField(_l("Save the schedule"))


class DeleteScheduleForm(FlaskForm):
    submit = SubmitField(_l("Delete the schedule (the operator's default applies)"))


class SubscriptionForm(FlaskForm):
    """A webhook subscription: the URL called and the event types sent to it (a clerk names
    the party it is for; a bank or an owner subscribes for its own)."""

    url = StringField(
        _l("URL to call (https, a public address)"),
        validators=[DataRequired(REQUIRED), Length(max=2000), no_nul],
        render_kw={"spellcheck": "false", "autocomplete": "off", "inputmode": "url"},
    )
    events = MultiCheckboxField(
        _l("Events to send"),
        choices=[SelectChoice(kind, kind) for kind in EVENT_TYPES],
        validators=[DataRequired(_l("Choose at least one event."))],
    )
    party_id = IntegerField(
        _l("For party (id; clerks)"), validators=[Optional(), NumberRange(min=1)]
    )
    submit = SubmitField(_l("Subscribe"))


class ButtonForm(FlaskForm):
    """A form that is only its button (and its tokens): test, delete, redeliver."""

    submit = SubmitField()


class ProgrammeForm(FlaskForm):
    """An admin's support programme for a year: its kind, rate or share, caps, budget and who
    is eligible (``POST /support-programmes``)."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=300), no_nul])
    kind = SelectField(_l("Kind"), choices=choices_of(PROGRAMME_KIND))
    period_start = DateField(_l("Period from"), validators=[InputRequired(REQUIRED)])
    period_end = DateField(
        _l("Period to (the same calendar year)"), validators=[InputRequired(REQUIRED)]
    )
    rate_bp = IntegerField(
        _l("Rate, basis points a year (interest and first-loan subsidies)"),
        validators=[Optional(), NumberRange(min=1, max=10_000)],
    )
    share = DecimalField(
        _l("Share, percent (fee subsidies, risk compensation)"),
        places=2,
        validators=[Optional(), percent],
    )
    cap_per_loan = DecimalField(
        _l("Cap per loan"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    cap_per_firm_year = DecimalField(
        _l("Cap per firm and year"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    budget = DecimalField(
        _l("Budget"), places=2, validators=[InputRequired(REQUIRED), positive_money]
    )
    currency = StringField(
        _l("Currency (ISO 4217)"),
        default="CNY",
        filters=[lambda text: text.strip() if isinstance(text, str) else text],
        validators=[DataRequired(REQUIRED), currency_code],
    )
    sme_only = BooleanField(_l("Small and medium firms only"))
    first_loan_only = BooleanField(_l("A firm's first IP pledge loan only"))
    asset_kinds = MultiCheckboxField(
        _l("Rights eligible (none chosen: every kind)"), choices=choices_of(ASSET_KIND)
    )
    applications_open = DateField(_l("Applications from (optional)"), validators=[Optional()])
    applications_close = DateField(_l("Applications until (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Define the programme"))

    def command(self) -> CreateProgramme:
        return CreateProgramme(
            name=self.name.data.strip(),
            kind=self.kind.data,
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            cap_per_loan=self.cap_per_loan.data,
            cap_per_firm_year=self.cap_per_firm_year.data,
            budget=self.budget.data,
            currency=self.currency.data.upper(),
            rate_bp=self.rate_bp.data,
            share=self.share.data,
            sme_only=bool(self.sme_only.data),
            first_loan_only=bool(self.first_loan_only.data),
            asset_kinds=list(self.asset_kinds.data or []),
            applications_open=self.applications_open.data,
            applications_close=self.applications_close.data,
        )


class ProgrammeChangeForm(FlaskForm):
    """An admin's change of a programme's budget, caps or end (``PATCH
    /support-programmes/{id}``), shown with its terms as they are; with applications filed,
    the change makes a new version and the undecided applications are computed again."""

    budget = DecimalField(
        _l("Budget"), places=2, validators=[InputRequired(REQUIRED), positive_money]
    )
    cap_per_loan = DecimalField(
        _l("Cap per loan"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    cap_per_firm_year = DecimalField(
        _l("Cap per firm and year"), places=2, validators=[InputRequired(REQUIRED), money]
    )
    period_end = DateField(
        _l("Period to (the same calendar year)"), validators=[InputRequired(REQUIRED)]
    )
    applications_close = DateField(_l("Applications until (optional)"), validators=[Optional()])
    submit = SubmitField(_l("Change the terms"))

    FIELDS = ("budget", "cap_per_loan", "cap_per_firm_year", "period_end", "applications_close")

    @classmethod
    def of(cls, programme) -> ProgrammeChangeForm:
        data = {name: getattr(programme, name) for name in cls.FIELDS}
        return cls(formdata=None, prefix="terms", data=data)

    def changes(self, programme) -> dict:
        sent = {name: getattr(self, name).data for name in self.FIELDS}
        return {name: value for name, value in sent.items() if value != getattr(programme, name)}
