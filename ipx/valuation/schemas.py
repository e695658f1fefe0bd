"""Request and response schemas of the valuation API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ipx.web.fields import Id, Money, StrictBool

KINDS = ["invention", "utility_model", "design", "trademark", "copyright"]
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
        validate=validate.Range(min=0, max=1, min_inclusive=False), load_default=0.12
    )
    tax_rate = fields.Float(validate=RATE, load_default=0.25)
    growth = fields.Float(
        validate=validate.Range(min=-1, max=1, min_inclusive=False), load_default=0.0
    )


class ValuationIn(Schema):
    asset_id = Id()
    features = fields.Nested(ValuationFeaturesIn)
    kind = fields.String(validate=validate.OneOf(KINDS))
    ipc = fields.String(validate=validate.Length(max=40))
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
            given = sorted(set(data) & {"kind", "ipc", "filing_date", "grant_date", "expiry_date"})
            if given:
                raise ValidationError(
                    f"With asset_id these come from the registry: {given}.", "asset_id"
                )


class BatchIn(Schema):
    items = fields.List(fields.Nested(ValuationIn), required=True, validate=validate.Length(min=1))


class MoneyRange(Schema):
    currency = fields.String()
    p10 = fields.String()
    p50 = fields.String()
    p90 = fields.String()
    assumptions = fields.Dict()


class CollateralOut(Schema):
    ltv_cap = fields.String()
    collateral_value = fields.String(allow_none=True)
    max_loan = fields.String(allow_none=True)


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


class ValuationOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer(allow_none=True)
    model_version = fields.String()
    feature_schema_hash = fields.String()
    as_of = fields.String()
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
    created_at = fields.DateTime()


class BatchOut(Schema):
    items = fields.List(fields.Nested(ValuationOut))
