"""A bank's collateral revaluation (DESIGN, "Notifications") and its own monthly schedule."""

from __future__ import annotations

from decimal import Decimal

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from ipx.auth import Role, require
from ipx.notify import schedules
from ipx.notify.portfolio import SCHEDULERS, RevaluePortfolio
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.fields import MoneyText, QueryId, StrictBool, Timestamp
from ipx.web.http import read, run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "portfolio",
    __name__,
    url_prefix=f"{API_PREFIX}/portfolio",
    description="A bank's pledged collateral, revalued; LTV breaches are announced.",
)


#: A share in (0, 1], up to four decimals: zero is not one (the first non-zero decimal leads
#: at most three zeros), so the schema itself refuses it.
SHARE = r"^(0\.([1-9][0-9]{0,3}|0[1-9][0-9]{0,2}|00[1-9][0-9]?|000[1-9])|1(\.0{1,4})?)$"


def LtvThreshold(**kwargs) -> fields.String:  # noqa: N802 - reads like a field class
    return fields.String(
        validate=validate.Regexp(SHARE, error="A share in (0, 1], greater than zero."),
        metadata={
            "description": "Breach when the secured amount exceeds this share of the "
            "collateral value (default: when it exceeds the summed `max_loan`).",
            "example": "0.5000",
        },
        **kwargs,
    )


class RevaluationIn(Schema):
    ltv_threshold = LtvThreshold(load_default=None)


class RevaluedPledge(Schema):
    pledge_id = fields.Integer()
    currency = fields.String(
        allow_none=True,
        metadata={"description": "the values' (null: no value, or values in several, not added)"},
    )
    old_collateral_value = MoneyText(allow_none=True)
    new_collateral_value = MoneyText(allow_none=True)
    max_loan = MoneyText(allow_none=True)
    coverage = fields.String(
        allow_none=True,
        metadata={
            "description": "New collateral value / secured amount; null: no value, or the "
            "values are in another currency than the debt"
        },
    )
    breach = fields.Boolean(
        allow_none=True,
        metadata={"description": "null: the values are in another currency than the debt"},
    )
    valuation_ids = fields.List(fields.Integer())


class RevaluationOut(Schema):
    items = fields.List(fields.Nested(RevaluedPledge))


@blp.route("/revaluations")
class Revaluations(MethodView):
    @require(Role.BANK)
    @idempotent  # a retried revaluation stores no second set of valuations
    @blp.arguments(RevaluationIn)
    @blp.response(201, RevaluationOut)
    def post(self, data):
        """Revalue every asset pledged to the bank; per pledge old and new value, coverage."""
        threshold = data["ltv_threshold"]
        return {"items": run(RevaluePortfolio(None if threshold is None else Decimal(threshold)))}


class ScheduleQuery(Schema):
    party_id = QueryId(
        metadata={"description": "The bank: clerks name it; a bank reads and sets its own."}
    )


class ScheduleIn(Schema):
    day_of_month = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=28),
        metadata={"description": "The China date's day of each month the run is due (1-28)."},
    )
    ltv_threshold = LtvThreshold(load_default=None, allow_none=True)
    enabled = StrictBool(
        load_default=True,
        metadata={"description": "false: no scheduled revaluation for this bank at all."},
    )


class ScheduleOut(Schema):
    party_id = fields.Integer()
    day_of_month = fields.Integer()
    ltv_threshold = fields.String(allow_none=True)
    enabled = fields.Boolean()
    last_run_on = fields.Date(
        allow_none=True, metadata={"description": "The China date of the last scheduled run."}
    )
    updated_at = Timestamp()


SCHEDULE_READERS = (*SCHEDULERS, Role.AUDITOR)


@blp.route("/revaluation-schedule")
class RevaluationScheduleView(MethodView):
    @require(*SCHEDULE_READERS)
    @blp.arguments(ScheduleQuery, location="query")
    @blp.response(200, ScheduleOut)
    @blp.alt_response(404, description="`not-found`: no schedule (the operator's default applies)")
    def get(self, query):
        """The bank's own monthly revaluation schedule."""
        return read(schedules.get_schedule, query.get("party_id"))

    @require(*SCHEDULERS)
    @blp.arguments(ScheduleQuery, location="query")
    @blp.arguments(ScheduleIn)
    @blp.response(200, ScheduleOut)
    def put(self, query, data):
        """Set the bank's monthly revaluation schedule (an operational setting, not logged)."""
        threshold = data["ltv_threshold"]
        command = schedules.SetRevaluationSchedule(
            day_of_month=data["day_of_month"],
            ltv_threshold=None if threshold is None else Decimal(threshold),
            enabled=data["enabled"],
            party_id=query.get("party_id"),
        )
        return run(command)

    @require(*SCHEDULERS)
    @blp.arguments(ScheduleQuery, location="query")
    @blp.response(200, ScheduleOut)
    @blp.alt_response(404, description="`not-found`: no schedule (the operator's default applies)")
    def delete(self, query):
        """Delete the bank's schedule: the operator's default applies again."""
        return run(schedules.DeleteRevaluationSchedule(query.get("party_id")))
