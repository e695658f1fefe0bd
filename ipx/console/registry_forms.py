"""Forms of the registry's records: parties, assets and pledge applications.

A form checks only what a page can say in the user's language before anything is asked of
the registry (required fields, dates, numbers and their check characters, with the registry's
own validators); the use case checks everything again and has the last word.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
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

from ipx.console.field_messages import number_message
from ipx.console.forms import money, no_nul
from ipx.console.labels import ASSET_KIND, LEGAL_STATUS, PARTY_KIND, SME_ANSWER
from ipx.registry.numbers import (
    InvalidNumber,
    normalise_asset_number,
    validate_credit_code,
    validate_identity_number,
)
from ipx.rights import PATENT_COUNTS

REQUIRED = _l("This field is required.")
DATE_MESSAGE = _l("Enter a date as YYYY-MM-DD.")


def choices_of(words: dict):
    """Options in the page's language (worked out when the form is shown, not at import)."""
    return lambda: [SelectChoice(code, str(text)) for code, text in words.items()]


def ids_field(text: str) -> list[int]:
    """'3, 5 7' -> [3, 5, 7]; a ValueError for anything that is not an id."""
    ids = [int(part) for part in text.replace(",", " ").split()]
    if any(i <= 0 for i in ids):
        raise ValueError(text)
    return ids


class IdsField(StringField):
    """Party or asset ids, separated by commas or spaces."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        try:
            self.ids: list[int] | None = ids_field(self.data or "")
        except ValueError:
            self.ids = None
            raise ValueError(_l("Give record numbers (ids) separated by commas.")) from None


class SmeForm(FlaskForm):
    """A clerk's record of whether a party is a small or medium firm, and on what source."""

    sme = SelectField(
        _l("Small or medium firm"),
        choices=choices_of(SME_ANSWER),
        validators=[DataRequired(REQUIRED)],
    )
    source = StringField(
        _l("Source (a declaration, a register)"),
        validators=[DataRequired(REQUIRED), Length(max=300), no_nul],
    )
    submit = SubmitField(_l("Record the firm's size"))


class PartyForm(FlaskForm):
    kind = SelectField(_l("Kind of party"), choices=choices_of(PARTY_KIND))
    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=300), no_nul])
    credit_code = StringField(
        _l("Unified social credit code (organizations)"),
        validators=[Optional(), Length(max=40), no_nul],
        render_kw={"spellcheck": "false", "autocapitalize": "characters"},
    )
    id_number = StringField(
        _l("Resident identity number (individuals, optional)"),
        validators=[Optional(), Length(max=40), no_nul],
        render_kw={"spellcheck": "false", "autocomplete": "off"},
    )
    submit = SubmitField(_l("Create the party"))

    def validate_credit_code(self, field) -> None:
        if self.kind.data == "organization" and not field.data:
            raise_message(_l("An organization needs its unified social credit code."))
        if field.data:
            try:
                validate_credit_code(field.data)
            except InvalidNumber as exc:
                raise_message(number_message(exc))

    def validate_id_number(self, field) -> None:
        if field.data:
            try:
                validate_identity_number(field.data)
            except InvalidNumber as exc:
                raise_message(number_message(exc))


class AssetForm(FlaskForm):
    kind = SelectField(_l("Kind of right"), choices=choices_of(ASSET_KIND))
    number = StringField(
        _l("Application or registration number"),
        validators=[DataRequired(REQUIRED), Length(max=60), no_nul],
        render_kw={"spellcheck": "false"},
    )
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=500), no_nul])
    holder_ids = IdsField(
        _l("Holders (party ids, separated by commas)"), validators=[DataRequired(REQUIRED)]
    )
    filing_date = DateField(_l("Filing date"), validators=[InputRequired(DATE_MESSAGE)])
    grant_date = DateField(_l("Grant date"), validators=[Optional()])
    status = SelectField(_l("Legal status"), choices=choices_of(LEGAL_STATUS), default="granted")
    fees_paid_until = DateField(_l("Fees paid until"), validators=[Optional()])
    expiry_date = DateField(
        _l("Expiry date (trademarks and copyrights; patents: from the term)"),
        validators=[Optional()],
    )
    ipc = StringField(
        _l("Main classification (IPC)"), validators=[Optional(), Length(max=40), no_nul]
    )
    claims = IntegerField(_l("Claims"), validators=[Optional(), NumberRange(0, 10_000)])
    backward_citations = IntegerField(
        _l("Backward citations"), validators=[Optional(), NumberRange(0, 100_000)]
    )
    npl_citations = IntegerField(
        _l("Non-patent citations"), validators=[Optional(), NumberRange(0, 100_000)]
    )
    family_size = IntegerField(_l("Family size"), validators=[Optional(), NumberRange(0, 10_000)])
    inventors = IntegerField(_l("Inventors"), validators=[Optional(), NumberRange(0, 1_000)])
    similar_docs = IntegerField(
        _l("Similar documents"), validators=[Optional(), NumberRange(0, 100_000)]
    )
    invalidation_pending = BooleanField(_l("Invalidation proceedings pending"))
    submit = SubmitField(_l("Register the asset"))

    def validate_number(self, field) -> None:
        try:
            normalise_asset_number(self.kind.data or "", field.data or "")
        except InvalidNumber as exc:
            raise_message(number_message(exc))

    def features(self) -> dict[str, int] | None:
        given = {name: getattr(self, name).data for name in PATENT_COUNTS}
        found = {name: value for name, value in given.items() if value is not None}
        return found or None


class ApplicationForm(FlaskForm):
    pledgor_id = IntegerField(
        _l("Pledgor (party id)"), validators=[InputRequired(REQUIRED), NumberRange(min=1)]
    )
    pledgee_id = IntegerField(
        _l("Pledgee bank (party id)"), validators=[InputRequired(REQUIRED), NumberRange(min=1)]
    )
    asset_ids = IdsField(
        _l("Pledged assets (asset ids, separated by commas)"), validators=[DataRequired(REQUIRED)]
    )
    secured_amount = DecimalField(
        _l("Secured amount (CNY)"), places=2, validators=[Optional(), money]
    )
    debt_start = DateField(_l("Debt starts"), validators=[Optional()])
    debt_end = DateField(_l("Debt ends"), validators=[Optional()])
    contract_number = StringField(
        _l("Contract number"), validators=[Optional(), Length(max=100), no_nul]
    )
    co_owner_consent_ids = IdsField(
        _l("Co-owners who consented (party ids, optional)"), validators=[Optional()]
    )
    acknowledge_invalidation = BooleanField(
        _l("The parties acknowledge the risk of pending invalidation proceedings")
    )
    submit = SubmitField(_l("File the application"))


def raise_message(message) -> None:
    raise ValidationError(message)
