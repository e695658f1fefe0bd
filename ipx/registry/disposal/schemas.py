"""Request and response schemas of default, disposal, bids, statements and realized prices."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from ipx.registry.disposal.model import (
    DEFAULT_ANNOUNCEMENT_DAYS,
    DisposalMethod,
    DisposalStatus,
    WithdrawalReason,
)
from ipx.registry.model import AssetKind
from ipx.registry.schemas import TransferIn, TransferOut
from ipx.web.fields import Id, Money, MoneyText, PageQuery, QueryId, Text, Timestamp
from ipx.web.problems import Problem

ZERO = Decimal("0.00")
METHODS = [m.value for m in DisposalMethod]


class DefaultIn(Schema):
    principal = Money(required=True)
    interest = Money(load_default=ZERO)
    penalties = Money(load_default=ZERO)


class DebtOut(Schema):
    costs = Money()
    interest_penalties = Money()
    principal = Money()
    total = Money()


class DefaultOut(Schema):
    """The declared default; ``status`` is the pledge's status, ``outstanding`` what is due."""

    id = fields.Integer()
    pledge_id = fields.Integer()
    status = fields.String()
    principal = Money()
    interest = Money()
    penalties = Money()
    outstanding = fields.Nested(DebtOut)
    currency = fields.String()
    declared_at = Timestamp()
    updated_at = Timestamp()


class DisposalRequestIn(Schema):
    note = Text(2000, load_default=None)


class DisposalRequestOut(Schema):
    id = fields.Integer()
    pledge_id = fields.Integer()
    party_id = fields.Integer()
    note = fields.String(allow_none=True)
    created_at = Timestamp()


class DisposalIn(Schema):
    method = fields.String(required=True, validate=validate.OneOf(METHODS))
    asset_ids = fields.List(Id(), load_default=None, validate=validate.Length(min=1, max=100))
    reserve_price = Money(positive=True, load_default=None)
    costs = Money(required=True)
    costs_payee_id = Id(load_default=None)
    announcement_days = fields.Integer(
        strict=True, load_default=DEFAULT_ANNOUNCEMENT_DAYS, validate=validate.Range(0, 90)
    )


class DisposalOut(Schema):
    id = fields.Integer()
    pledge_id = fields.Integer()
    method = fields.String()
    status = fields.String()
    asset_ids = fields.List(fields.Integer())
    reserve_price = Money()
    reserve_source = fields.String()
    costs = Money()
    costs_payee_id = fields.Integer()
    currency = fields.String()
    announcement_days = fields.Integer()
    opened_at = Timestamp()
    bids_open_at = Timestamp()
    closed_at = Timestamp(allow_none=True)
    price = Money(allow_none=True)
    buyer_id = fields.Integer(allow_none=True)
    winning_bid_id = fields.Integer(allow_none=True)
    shortfall = Money(allow_none=True)
    final = fields.Boolean(allow_none=True)
    withdrawal_reason = fields.String(allow_none=True)


class DisposalQuery(PageQuery):
    status = fields.String(validate=validate.OneOf([s.value for s in DisposalStatus]))
    pledge_id = QueryId()


class WithdrawIn(Schema):
    reason = fields.String(
        required=True, validate=validate.OneOf([r.value for r in WithdrawalReason])
    )
    note = Text(2000, load_default=None)


class BidIn(Schema):
    bidder_id = Id(required=True)
    amount = Money(positive=True, required=True)


class BidRefusalProblem(Problem):
    """409 of a bid that breaks a rule: the reserve and the best bid so far."""

    reserve_price = MoneyText()
    best_bid = MoneyText(allow_none=True)
    currency = fields.String()


class BidOut(Schema):
    id = fields.Integer()
    disposal_id = fields.Integer()
    bidder_id = fields.Integer()
    amount = Money()
    currency = fields.String()
    placed_at = Timestamp()


class BidsOut(Schema):
    items = fields.List(fields.Nested(BidOut))
    next_cursor = fields.String(allow_none=True)


class LineOut(Schema):
    kind = fields.String()
    payee_id = fields.Integer()
    amount = Money()


class StatementOut(Schema):
    disposal_id = fields.Integer()
    pledge_id = fields.Integer()
    price = Money()
    currency = fields.String()
    lines = fields.List(fields.Nested(LineOut))
    shortfall = Money()
    final = fields.Boolean()


class TransactionQuery(PageQuery):
    asset_kind = fields.String(validate=validate.OneOf([k.value for k in AssetKind]))
    method = fields.String(validate=validate.OneOf(METHODS))


class TransactionOut(Schema):
    id = fields.Integer()
    disposal_id = fields.Integer()
    asset_id = fields.Integer()
    asset_kind = fields.String()
    asset_number = fields.String()
    ipc = fields.String(allow_none=True)
    features = fields.Dict(allow_none=True)
    filing_date = fields.Date()
    grant_date = fields.Date(allow_none=True)
    expiry_date = fields.Date()
    price = Money()
    lot_size = fields.Integer()
    currency = fields.String()
    method = fields.String()
    sale_date = fields.Date()


class TransferWithProceedsIn(TransferIn):
    """The transfer request, plus the amount of the proceeds (Civil Code Art. 444)."""

    proceeds_amount = Money(positive=True, load_default=None)


class TransferWithProceedsOut(TransferOut):
    proceeds_amount = Money(allow_none=True)
    debt_after = Money(allow_none=True)
    currency = fields.String(
        allow_none=True,
        metadata={"description": "the secured debt's, of `proceeds_amount` and `debt_after`"},
    )
    pledge_status = fields.String(allow_none=True)
