"""Request and response schemas of the valuation API."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from ipx.rights import AssetKind
from ipx.valuation.model import ECONOMICS_DEFAULTS
from ipx.web.fields import Id, Money, MoneyText, StrictBool, Timestamp

KINDS = [k.value for k in AssetKind]
COUNT = validate.Range(min=0, max=100_000)
RATE = validate.Range(min=0, max=1)


class ValuationFeaturesIn(Schema):
    claims = fields.Integer(strict=True, validate=COUNT, allow_none=True)
    backward_citations = fields.Integer(strict=True, validate=COUNT, allow_none=True)
    npl_citations = fields.Integer(strict=True, validate=COUNT, allow_none=True)
    family_size = fields.Integer(strict=True, validate=COUNT, allow_none=True)
    inventors = fields.Integer(strict=True, validate=COUNT, allow_none=True)
    similar_docs = fields.Integer(strict=True, validate=COUNT, allow_none=True)


class EconomicsIn(Schema):
    annual_revenue = Money(required=True)
    royalty_rate = fields.Float(validate=RATE, load_default=None, allow_none=True)
    discount_rate = fields.Float(
        validate=validate.Range(min=0, max=1, min_inclusive=False),
        load_default=ECONOMICS_DEFAULTS["discount_rate"],
    )
    tax_rate = fields.Float(validate=RATE, load_default=ECONOMICS_DEFAULTS["tax_rate"])
    growth = fields.Float(
        validate=validate.Range(min=-1, max=1, min_inclusive=False),
        load_default=ECONOMICS_DEFAULTS["growth"],
    )


class ValuationIn(Schema):
    asset_id = Id()
    features = fields.Nested(ValuationFeaturesIn)
    kind = fields.String(validate=validate.OneOf(KINDS))
    ipc = fields.String(validate=validate.Length(max=40))
    owner = fields.String(
        validate=validate.Length(min=1, max=300),
        metadata={
            "description": "the owner (assignee) as the reference data names it: its renewal "
            "history is used when found (validity.case owner-history), else the priors"
        },
    )
    filing_date = fields.Date()
    grant_date = fields.Date()
    expiry_date = fields.Date()
    as_of = fields.Date()
    loan_term_months = fields.Integer(strict=True, validate=validate.Range(min=1, max=600))
    economics = fields.Nested(EconomicsIn)
    explain = StrictBool(load_default=False)

    @validates_schema
    def _asset_or_features(self, data, **kwargs):
        if ("asset_id" in data) == ("features" in data):
            raise ValidationError("Give exactly one of asset_id or features.", "_schema")
        if "asset_id" in data:
            given = sorted(
                set(data) & {"kind", "ipc", "owner", "filing_date", "grant_date", "expiry_date"}
            )
            if given:
                raise ValidationError(
                    f"With asset_id these come from the registry: {given}.", "asset_id"
                )


class BatchIn(Schema):
    items = fields.List(fields.Nested(ValuationIn), required=True, validate=validate.Length(min=1))


class MoneyRange(Schema):
    currency = fields.String()
    p10 = MoneyText()
    p50 = MoneyText()
    p90 = MoneyText()
    assumptions = fields.Dict()


RATIO_DOC = {"pattern": r"^[0-9]+(\.[0-9]+)?$", "example": "0.25"}


class CollateralOut(Schema):
    currency = fields.String(
        allow_none=True,
        metadata={"description": "the value's, of `collateral_value` and `max_loan`"},
    )
    ltv_cap = fields.String(metadata={**RATIO_DOC, "description": "loan-to-value cap, a ratio"})
    collateral_value = MoneyText(allow_none=True)
    max_loan = MoneyText(allow_none=True)


class StageOut(Schema):
    stage = fields.Integer()
    years_after_grant = fields.String()
    p_in_force = fields.Float()


class DriverOut(Schema):
    feature = fields.String()
    value = fields.Float()
    contribution = fields.Float()
    by_stage = fields.List(fields.Float())


class FlagOut(Schema):
    code = fields.String()
    message = fields.String()


class StageFiguresOut(Schema):
    """Held-out discrimination and calibration of one fee stage in the valuation's case."""

    stage = fields.Integer(metadata={"description": "fee stage (1: 3.5, 2: 7.5, 3: 11.5 years)"})
    approach = fields.String(
        metadata={"description": "the model serving this case at this stage: lightgbm or logistic"}
    )
    split = fields.String(metadata={"description": "training and test rows of the design"})
    n = fields.Integer(metadata={"description": "held-out patents at this stage"})
    base_rate = fields.Float(metadata={"description": "share of them that paid this stage's fee"})
    auc = fields.Float(metadata={"description": "out-of-sample ROC AUC (0.5 = no discrimination)"})
    brier = fields.Float(metadata={"description": "out-of-sample Brier score (lower is better)"})
    ece = fields.Float(metadata={"description": "expected calibration error, 10 equal bins"})


class GradeBandOut(Schema):
    """A grade of the valuation's case and what its held-out patents did next."""

    grade = fields.String()
    min_score = fields.Float(metadata={"description": "lowest score of the band (inclusive)"})
    n = fields.Integer(metadata={"description": "held-out patents scored into the band"})
    kept_through_stage2 = fields.Float(
        allow_none=True,
        metadata={"description": "share of them kept in force through the 7.5-year fee"},
    )


class ValidityOut(Schema):
    """How far to trust this valuation: its case and that case's out-of-sample figures."""

    case = fields.String(
        metadata={
            "description": "owner-history (the owner's renewal history is in the reference "
            "data and used), unseen-owner (population priors instead), kind-extrapolated "
            "(a utility model: no figures exist), or not-modelled",
            "enum": ["owner-history", "unseen-owner", "kind-extrapolated", "not-modelled"],
        }
    )
    owner_history_used = fields.Boolean(
        metadata={"description": "whether the owner's renewal history entered the score"}
    )
    kind = fields.String(
        metadata={
            "description": "modelled (invention), extrapolated (utility model) or not-modelled",
            "enum": ["modelled", "extrapolated", "not-modelled"],
        }
    )
    inputs_imputed = fields.List(
        fields.String(), metadata={"description": "inputs replaced by training medians"}
    )
    design = fields.String(
        allow_none=True, metadata={"description": "the validation design of the figures"}
    )
    stages = fields.List(
        fields.Nested(StageFiguresOut),
        metadata={"description": "per stage, the case's held-out figures (empty: none exist)"},
    )
    grades = fields.List(
        fields.String(), metadata={"description": "the grades this case can receive, best first"}
    )
    grade_bands = fields.List(fields.Nested(GradeBandOut))
    summary = fields.String(metadata={"description": "the same in words"})


class ValuationOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    model_version = fields.String()
    feature_schema_hash = fields.String()
    as_of = fields.String(metadata={"format": "date"})
    score = fields.Float(allow_none=True)
    grade = fields.String(allow_none=True)
    survival = fields.List(fields.Nested(StageOut), allow_none=True)
    p_in_force_at_maturity = fields.Float(allow_none=True)
    value = fields.Nested(MoneyRange, allow_none=True)
    collateral = fields.Nested(CollateralOut)
    drivers = fields.List(fields.Nested(DriverOut), allow_none=True)
    drivers_space = fields.String(allow_none=True)
    flags = fields.List(fields.Nested(FlagOut))
    imputed = fields.List(fields.String())
    validity = fields.Nested(
        ValidityOut,
        allow_none=True,
        metadata={
            "description": "how far to trust this valuation (null on valuations stored "
            "before it was recorded)"
        },
    )
    created_at = Timestamp()


class BatchOut(Schema):
    items = fields.List(fields.Nested(ValuationOut))


class ModelCardOut(Schema):
    """The model card: what the model is, its data, validation and limits (metadata.json)."""

    class Meta:
        unknown = INCLUDE  # the card carries what the model's metadata.json holds

    version = fields.String(metadata={"example": "2026.12.0"})
    feature_names = fields.List(fields.String())
    feature_schema_hash = fields.String()
    training_data = fields.Dict()
    metrics = fields.Dict()
    library_versions = fields.Dict(keys=fields.String(), values=fields.String())
    ltv_caps = fields.Dict(keys=fields.String(), values=fields.String(metadata=RATIO_DOC))
    model_card_markdown = fields.String()
