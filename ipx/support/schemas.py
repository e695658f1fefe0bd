"""Request and response schemas of the support programmes' API."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ipx.rights import AssetKind
from ipx.support.model import ApplicationStatus, ProgrammeKind, RefusalReason
from ipx.support.money import ROUNDING_RULE
from ipx.web.fields import (
    Currency,
    Id,
    Money,
    MoneyText,
    PageQuery,
    QueryId,
    StrictBool,
    Text,
    Timestamp,
)
from ipx.web.problems import Problem

KINDS = [k.value for k in ProgrammeKind]
SHARE_DOC = {"description": 'A percentage (of the fee or of the loss), e.g. "50.00".'}
#: A document's SHA-256, as an application cites it (the console's form checks the same).
DIGEST_PATTERN = r"^[0-9a-f]{64}$"
DIGEST = fields.String(
    validate=validate.Regexp(DIGEST_PATTERN, error="A SHA-256 digest in lowercase hex."),
    metadata={"description": "SHA-256 of an invoice or contract (the file is not stored)."},
)


class _SupportTerms(Schema):
    name = Text(300)
    period_start = fields.Date()
    period_end = fields.Date()
    rate_bp = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=1, max=10_000),
        metadata={"description": "Basis points of the outstanding principal a year."},
    )
    share = Money(positive=True, allow_none=True, metadata=SHARE_DOC)
    cap_per_loan = Money()
    cap_per_firm_year = Money()
    budget = Money(positive=True)
    currency = Currency()
    sme_only = StrictBool()
    first_loan_only = StrictBool()
    asset_kinds = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in AssetKind])),
        validate=validate.Length(max=5),
    )
    applications_open = fields.Date(allow_none=True)
    applications_close = fields.Date(allow_none=True)


class SupportProgrammeIn(_SupportTerms):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    name = Text(300, required=True)
    period_start = fields.Date(required=True)
    period_end = fields.Date(required=True)
    rate_bp = fields.Integer(
        strict=True, load_default=None, allow_none=True, validate=validate.Range(min=1, max=10_000)
    )
    share = Money(positive=True, load_default=None, allow_none=True, metadata=SHARE_DOC)
    cap_per_loan = Money(required=True)
    cap_per_firm_year = Money(required=True)
    budget = Money(positive=True, required=True)
    currency = Currency(load_default="CNY")
    sme_only = StrictBool(load_default=False)
    first_loan_only = StrictBool(load_default=False)
    asset_kinds = fields.List(
        fields.String(validate=validate.OneOf([k.value for k in AssetKind])),
        load_default=list,
        validate=validate.Length(max=5),
    )
    applications_open = fields.Date(load_default=None, allow_none=True)
    applications_close = fields.Date(load_default=None, allow_none=True)


class SupportProgrammePatch(_SupportTerms):
    """Terms to change (the kind stays); with applications filed, a new version."""

    class Meta:
        json_schema = {"minProperties": 1}

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one term to change.", "_body")


class SupportProgrammeOut(SupportProgrammeIn):
    id = fields.Integer()
    series_id = fields.Integer()
    version = fields.Integer()
    superseded = fields.Boolean()
    reserved = Money()
    paid = Money()
    created_at = Timestamp()
    updated_at = Timestamp()


class SupportProgrammeQuery(PageQuery):
    pass


OUTSTANDING_DOC = {
    "description": "The loan's principal outstanding in the period; an interest claim gives it "
    "(at most the pledge's secured amount, which caps it)."
}


class SupportClaimIn(Schema):
    interest_paid = Money(load_default=None)
    outstanding_principal = Money(positive=True, load_default=None, metadata=OUTSTANDING_DOC)
    fee_amount = Money(load_default=None)
    period_start = fields.Date(load_default=None)
    period_end = fields.Date(load_default=None)


class SupportClaimOut(Schema):
    interest_paid = MoneyText()
    outstanding_principal = MoneyText(metadata=OUTSTANDING_DOC)
    fee_amount = MoneyText()
    period_start = fields.String(metadata={"format": "date"})
    period_end = fields.String(metadata={"format": "date"})


class SupportApplicationIn(Schema):
    programme_id = Id(required=True)
    pledge_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))
    claim = fields.Nested(SupportClaimIn, load_default=dict)
    document_digests = fields.List(DIGEST, load_default=list, validate=validate.Length(max=50))


class SupportWorkingLine(Schema):
    step = fields.String()
    detail = fields.String()
    amount = fields.String(
        metadata={"description": "Intermediate lines to 6 places; the `result` line in cents."}
    )
    pledge_id = fields.Integer()


class SupportApplicationOut(Schema):
    id = fields.Integer()
    programme_id = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in ApplicationStatus]})
    applicant_id = fields.Integer()
    bank_id = fields.Integer()
    firm_id = fields.Integer()
    pledge_ids = fields.List(fields.Integer())
    claim = fields.Nested(SupportClaimOut)
    document_digests = fields.List(fields.String())
    computed_amount = Money(metadata={"description": ROUNDING_RULE})
    working = fields.List(fields.Nested(SupportWorkingLine))
    currency = fields.String()
    approved_amount = Money(allow_none=True)
    decision_reason = fields.String(allow_none=True)
    refusal_reasons = fields.List(fields.String(), allow_none=True)
    payment_reference = fields.String(allow_none=True)
    created_at = Timestamp()
    decided_at = Timestamp(allow_none=True)
    paid_at = Timestamp(allow_none=True)


class SupportApplicationQuery(PageQuery):
    programme_id = QueryId(load_default=None)
    status = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in ApplicationStatus])
    )


class SupportApproveIn(Schema):
    amount = Money(load_default=None)
    reason = Text(2000, load_default=None)


class SupportRefuseIn(Schema):
    reasons = fields.List(
        fields.String(validate=validate.OneOf([r.value for r in RefusalReason])),
        required=True,
        validate=validate.Length(min=1, max=len(RefusalReason)),
    )
    note = Text(2000, load_default=None)


class SupportPayIn(Schema):
    reference = Text(100, required=True)


class SupportGroundOut(Schema):
    code = fields.String()
    message = fields.String()
    pledge_id = fields.Integer()


class SupportIneligibleProblem(Problem):
    """409 of filing: with ``support-ineligible``, every ground that rules it out."""

    grounds = fields.List(fields.Nested(SupportGroundOut))


class SupportGroupOut(Schema):
    party_id = fields.Integer()
    name = fields.String()
    applications = fields.Integer()
    approved = MoneyText()
    paid = MoneyText()


class SupportCountsOut(Schema):
    total = fields.Integer()
    submitted = fields.Integer()
    approved = fields.Integer()
    refused = fields.Integer()
    paid = fields.Integer()


class SupportPointOut(Schema):
    date = fields.Date()
    reserved = MoneyText()


class SupportReportOut(Schema):
    programme_id = fields.Integer()
    series_id = fields.Integer()
    version = fields.Integer()
    name = fields.String()
    kind = fields.String()
    currency = fields.String()
    period_start = fields.Date()
    period_end = fields.Date()
    budget = MoneyText()
    reserved = MoneyText(metadata={"description": "Approved, paid or not."})
    paid = MoneyText()
    remaining = MoneyText(metadata={"description": "budget - reserved"})
    applications = fields.Nested(SupportCountsOut)
    by_bank = fields.List(fields.Nested(SupportGroupOut))
    by_firm = fields.List(fields.Nested(SupportGroupOut))
    used_over_time = fields.List(fields.Nested(SupportPointOut))
