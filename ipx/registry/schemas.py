"""Request and response schemas of the registry API (they generate the OpenAPI document)."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from ipx.registry.model import (
    AssetKind,
    CancellationReason,
    FreezeKind,
    Ground,
    LegalStatus,
    PartyKind,
)
from ipx.registry.numbers import registration_number
from ipx.web.fields import MAX_PAGE, Currency, Id, Money, StrictBool, Text, Timestamp
from ipx.web.problems import Problem

KINDS = [k.value for k in AssetKind]


class PartyIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in PartyKind]))
    name = Text(300, required=True)
    credit_code = fields.String(load_default=None, validate=validate.Length(max=40))
    id_number = fields.String(load_default=None, validate=validate.Length(max=40))


class PartyOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    credit_code = fields.String(allow_none=True)
    created_at = Timestamp()
    sme = fields.Boolean(
        allow_none=True, metadata={"description": "Small or medium enterprise (null: unknown)."}
    )
    sme_source = fields.String(allow_none=True)


class PartySmeIn(Schema):
    sme = StrictBool(required=True)
    sme_source = Text(300, required=True)


class FeaturesIn(Schema):
    claims = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    backward_citations = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    npl_citations = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))
    family_size = fields.Integer(strict=True, validate=validate.Range(min=0, max=10_000))
    inventors = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000))
    similar_docs = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))


class AssetIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    number = Text(60, required=True)
    title = Text(500, required=True)
    holder_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))
    filing_date = fields.Date(required=True)
    grant_date = fields.Date(load_default=None)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in LegalStatus]))
    fees_paid_until = fields.Date(load_default=None)
    expiry_date = fields.Date(load_default=None)
    ipc = fields.String(load_default=None, validate=validate.Length(max=40))
    features = fields.Nested(FeaturesIn, load_default=None)
    invalidation_pending = StrictBool(load_default=False)


class AssetPatch(Schema):
    class Meta:
        json_schema = {"minProperties": 1}  # in the document: the rule `_not_empty` checks

    status = fields.String(validate=validate.OneOf([s.value for s in LegalStatus]))
    fees_paid_until = fields.Date(allow_none=True)
    invalidation_pending = StrictBool()

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError(
                "Give at least one of status, fees_paid_until, invalidation_pending.", "_body"
            )


class AssetOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    number = fields.String()
    title = fields.String()
    holder_ids = fields.List(fields.Integer())
    filing_date = fields.Date()
    grant_date = fields.Date(allow_none=True)
    expiry_date = fields.Date()
    status = fields.String()
    fees_paid_until = fields.Date(allow_none=True)
    ipc = fields.String(allow_none=True)
    features = fields.Dict(allow_none=True)
    frozen = fields.Boolean()
    invalidation_pending = fields.Boolean()


class FreezeIn(Schema):
    court = Text(
        300,
        required=True,
        metadata={"description": "the court; of a dispute, the court or arbitration body"},
    )
    order_number = Text(
        100,
        required=True,
        metadata={"description": "the preservation order's number; of a dispute, the case's"},
    )
    kind = fields.String(
        load_default=FreezeKind.COURT_PRESERVATION.value,
        validate=validate.OneOf([k.value for k in FreezeKind]),
        metadata={
            "description": "`court_preservation` (default): a court's preservation order; "
            "`ownership_dispute`: the right's procedures suspended while its ownership is "
            "disputed. Either freezes the asset (ground R05) until lifted."
        },
    )


class FreezeOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer()
    court = fields.String()
    order_number = fields.String()
    kind = fields.String()
    status = fields.String()
    created_at = Timestamp()
    lifted_at = Timestamp(allow_none=True)


class ApplicationIn(Schema):
    pledgor_id = Id(required=True)
    pledgee_id = Id(required=True)
    asset_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=100))
    secured_amount = Money(positive=True, load_default=None)
    currency = Currency(load_default="CNY")
    debt_start = fields.Date(load_default=None)
    debt_end = fields.Date(load_default=None)
    contract_number = fields.String(load_default=None, validate=validate.Length(max=100))
    co_owner_consent_ids = fields.List(Id(), load_default=list, validate=validate.Length(max=50))
    forfeiture_clause = StrictBool(load_default=False)
    acknowledged_risks = fields.List(
        fields.String(validate=validate.OneOf(["invalidation_pending"])), load_default=list
    )
    valuation_id = Id(load_default=None)


class GroundOut(Schema):
    code = fields.String(metadata={"description": "R01-R12", "example": "R09"})
    message = fields.String()
    asset_id = fields.Integer(metadata={"description": "the asset the ground is about, if one"})


class RefusalProblem(Problem):
    """409 of ``register``: with ``registration-refused``, every ground that applies."""

    grounds = fields.List(fields.Nested(GroundOut))


class ApplicationOut(ApplicationIn):
    id = fields.Integer()
    status = fields.String()
    note = fields.String(allow_none=True)
    grounds = fields.List(fields.Nested(GroundOut), allow_none=True)
    pledge_id = fields.Integer(allow_none=True)
    created_at = Timestamp()
    updated_at = Timestamp()


class NoteIn(Schema):
    note = Text(2000, required=True)


class RefuseIn(Schema):
    grounds = fields.List(
        fields.String(validate=validate.OneOf([g.value for g in Ground])),
        required=True,
        validate=validate.Length(min=1),
    )
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class PledgeOut(Schema):
    id = fields.Integer()
    registration_number = fields.String()
    status = fields.String()
    pledgor_id = fields.Integer()
    pledgee_id = fields.Integer()
    asset_ids = fields.List(fields.Integer())
    secured_amount = Money()
    currency = fields.String()
    debt_start = fields.Date()
    debt_end = fields.Date()
    contract_number = fields.String()
    application_id = fields.Integer()
    registered_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    closing_reason = fields.String(allow_none=True)


class PledgeChangeIn(Schema):
    secured_amount = Money(positive=True)
    debt_end = fields.Date()


class ReasonIn(Schema):
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            [r.value for r in CancellationReason if r is not CancellationReason.REALIZED]
        ),
    )


class RevokeIn(Schema):
    reason = Text(2000, required=True)


class TransferIn(Schema):
    asset_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["assignment", "licence"]))
    to_party_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))
    pledgee_consent = StrictBool(load_default=False)
    proceeds = fields.String(
        load_default=None, validate=validate.OneOf(["early_repayment", "escrow"])
    )


class PledgedAssetProblem(Problem):
    """409 of a transfer of a pledged asset: the pledge that holds it."""

    pledge_id = fields.Integer()


class TransferOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer()
    kind = fields.String()
    from_party_ids = fields.List(fields.Integer())
    to_party_ids = fields.List(fields.Integer())
    pledge_id = fields.Integer(allow_none=True)
    pledgee_consent = fields.Boolean()
    proceeds = fields.String(allow_none=True)
    created_at = Timestamp()


class TransferRequestIn(Schema):
    asset_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["assignment", "licence"]))
    to_party_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))


class TransferConsentIn(Schema):
    proceeds = fields.String(
        required=True,
        validate=validate.OneOf(["early_repayment", "escrow"]),
        metadata={"description": "Where the proceeds go (Civil Code Art. 444)."},
    )
    proceeds_amount = Money(positive=True, load_default=None)


class TransferDeclineIn(Schema):
    reason = Text(2000, required=True)


class TransferWithdrawIn(Schema):
    reason = Text(2000, load_default=None)


class TransferRequestOut(Schema):
    id = fields.Integer()
    asset_id = fields.Integer()
    pledge_id = fields.Integer()
    kind = fields.String()
    from_party_ids = fields.List(
        fields.Integer(), metadata={"description": "The holders when it was asked."}
    )
    to_party_ids = fields.List(fields.Integer())
    requested_by = fields.String(metadata={"description": "The role that asked: owner, clerk."})
    requested_by_party_id = fields.Integer(allow_none=True)
    status = fields.String(
        metadata={"description": "awaiting_consent, then completed, declined or withdrawn"}
    )
    reason = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True)
    proceeds = fields.String(allow_none=True)
    transfer_id = fields.Integer(allow_none=True)
    created_at = Timestamp()
    decided_at = Timestamp(allow_none=True)


class TransferRequestProblem(Problem):
    """409 of a transfer request: the pledge, or the request already awaiting consent."""

    pledge_id = fields.Integer()
    transfer_request_id = fields.Integer()


class PublicQuery(Schema):
    number = fields.String(validate=validate.Length(min=1, max=60))
    pledgor = fields.String(validate=validate.Length(min=1, max=300))
    limit = fields.Integer(
        load_default=MAX_PAGE,
        validate=validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"items a page (default and most: {MAX_PAGE})"},
    )
    cursor = fields.String(
        load_default=None,
        metadata={"description": "the `next_cursor` of the page before, with the same query"},
    )
    proof = fields.Boolean(
        load_default=False,
        truthy={"1", "true"},
        falsy={"0", "false"},
        metadata={
            "description": "`1`: add a search certificate (with `number` only): the map proof "
            "and the signed checkpoint, verifiable offline with `python -m ipx.ledger.verify "
            "--certificate`."
        },
    )

    @validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("number" in data) == ("pledgor" in data):
            raise ValidationError("Give exactly one of number or pledgor.", "_query")
        if data.get("proof") and "number" not in data:
            raise ValidationError("A certificate (proof=1) is for a number.", "proof")
        if data.get("proof") and registration_number(data["number"]):
            raise ValidationError(
                "A certificate (proof=1) is for an asset's number, not a pledge's.", "proof"
            )


class EncumbranceOut(Schema):
    registration_number = fields.String()
    asset_number = fields.String()
    asset_kind = fields.String()
    asset_title = fields.String()
    main_classification = fields.String(allow_none=True)
    pledgor_name = fields.String()
    pledgee_name = fields.String()
    registered_at = Timestamp()
    status = fields.String()
    closed_at = Timestamp(allow_none=True)
    closing_reason = fields.String(allow_none=True)


class CheckpointRef(Schema):
    tree_size = fields.Integer()
    root_hash = fields.String(allow_none=True)


class MapPledgeOut(Schema):
    id = fields.Integer()
    registration_number = fields.String()


class MapStateOut(Schema):
    pledges = fields.List(fields.Nested(MapPledgeOut))


class MapLeafOut(Schema):
    key = fields.String(metadata={"description": "hex key of the leaf that ends the proof"})
    value_hash = fields.String(metadata={"description": "base64 SHA-256 of its value"})


class MapProofOut(Schema):
    siblings = fields.List(
        fields.String(allow_none=True),
        metadata={"description": "base64 sibling hashes from the root down; null: empty"},
    )
    leaf = fields.Nested(MapLeafOut, allow_none=True)


class CertificateOut(Schema):
    """A search certificate (``ipx.ledger.certificates``)."""

    number = fields.String(metadata={"description": "the normalised number it proves"})
    key = fields.String(metadata={"description": "hex SHA-256 of the number: its map key"})
    tree_size = fields.Integer()
    state = fields.Nested(MapStateOut, metadata={"description": "pledges on it, not ended"})
    proof = fields.Nested(MapProofOut)
    restricted_root = fields.String()
    map_root = fields.String()
    checkpoint = fields.String(metadata={"description": "the signed note (C2SP checkpoint)"})


class EncumbrancesOut(Schema):
    checkpoint = fields.Nested(CheckpointRef)
    items = fields.List(fields.Nested(EncumbranceOut))
    next_cursor = fields.String(
        allow_none=True,
        metadata={"description": "the next page's `cursor`; null: this page is the last"},
    )
    certificate = fields.Nested(CertificateOut, metadata={"description": "with `proof=1`"})


class HistoryEventOut(Schema):
    seq = fields.Integer()
    time = fields.String(metadata={"format": "date-time"})
    type = fields.String()
    actor = fields.String()
    refs = fields.Dict()
    changes = fields.Dict()
    sealed_details = fields.String()


class HistoryOut(Schema):
    items = fields.List(fields.Nested(HistoryEventOut))
    next_cursor = fields.String(allow_none=True)
