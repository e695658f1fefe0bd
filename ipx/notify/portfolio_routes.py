"""A bank's collateral revaluation (DESIGN, "Notifications")."""

from __future__ import annotations

from decimal import Decimal

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ipx.auth import Role, require
from ipx.errors import ValidationFailed
from ipx.notify.portfolio import RevaluePortfolio
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import MoneyText
from ipx.web.http import run

blp = Blueprint(
    "portfolio",
    __name__,
    url_prefix=f"{API_PREFIX}/portfolio",
    description="A bank's pledged collateral, revalued; LTV breaches are announced.",
)


class RevaluationIn(Schema):
    ltv_threshold = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^(0\.[0-9]{1,4}|1(\.0{1,4})?)$", error="A share in (0, 1]."),
        metadata={
            "description": "Breach when the secured amount exceeds this share of the "
            "collateral value (default: when it exceeds the summed `max_loan`).",
            "example": "0.5000",
        },
    )


class RevaluedPledge(Schema):
    pledge_id = fields.Integer()
    old_collateral_value = MoneyText(allow_none=True)
    new_collateral_value = MoneyText(allow_none=True)
    max_loan = MoneyText(allow_none=True)
    coverage = fields.String(
        allow_none=True, metadata={"description": "New collateral value / secured amount."}
    )
    breach = fields.Boolean()
    valuation_ids = fields.List(fields.Integer())


class RevaluationOut(Schema):
    items = fields.List(fields.Nested(RevaluedPledge))


@blp.route("/revaluations")
class Revaluations(MethodView):
    @require(Role.BANK)
    @blp.arguments(RevaluationIn)
    @blp.response(201, RevaluationOut)
    def post(self, data):
        """Revalue every asset pledged to the bank; per pledge old and new value, coverage."""
        threshold = data["ltv_threshold"]
        if threshold is not None and Decimal(threshold) == 0:
            raise ValidationFailed({"ltv_threshold": ["A share greater than zero."]})
        return {"items": run(RevaluePortfolio(None if threshold is None else Decimal(threshold)))}
