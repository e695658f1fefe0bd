"""The valuations API and the model card."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app
from flask.views import MethodView

from ipx.auth import Role, require
from ipx.errors import ValidationFailed
from ipx.valuation import backtest_reads, monitoring_reads, services, serving
from ipx.valuation.handlers import ValueAssets
from ipx.valuation.model_risk_schemas import BacktestOut, MonitoringIn, MonitoringOut
from ipx.valuation.schemas import BatchIn, BatchOut, ModelCardOut, ValuationIn, ValuationOut
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import plain_json, read, run
from ipx.web.idempotency import idempotent

if TYPE_CHECKING:
    from ipx.valuation.predictor import Valuer

blp = Blueprint(
    "valuations",
    __name__,
    url_prefix=API_PREFIX,
    description="Patent valuations: renewal survival, score, value range, collateral.",
)

VALUERS = (Role.BANK, Role.CLERK, Role.OWNER)


def init_app(app: Flask, *, preload: bool = False) -> None:
    """Load the model now if `preload`, else on the first valuation (once per process either
    way, see `serving`)."""
    if preload:
        serving.valuer(app)


def _valuer() -> Valuer:
    return serving.valuer(current_app)


def _value(items: list[dict]) -> list[dict]:
    return run(ValueAssets(items))


@blp.route("/valuations")
class Valuations(MethodView):
    @require(*VALUERS)
    @idempotent
    @blp.arguments(ValuationIn)
    @blp.response(201, ValuationOut)
    @blp.alt_response(404, description="`not-found`: no asset with that `asset_id` you may see")
    def post(self, data):
        """Value a patent (registered asset_id, or features given directly); stored and logged."""
        return plain_json(_value([data])[0], 201)


@blp.route("/valuations/batch")
class ValuationBatch(MethodView):
    @require(*VALUERS)
    @idempotent
    @blp.arguments(BatchIn)
    @blp.response(201, BatchOut)
    @blp.alt_response(404, description="`not-found`: an `asset_id` names no asset you may see")
    def post(self, data):
        """Value up to MAX_BATCH_ITEMS (default 10,000) patents in one call."""
        limit = current_app.config["MAX_BATCH_ITEMS"]
        if len(data["items"]) > limit:
            raise ValidationFailed({"items": [f"At most {limit} items per batch."]})
        return plain_json({"items": _value(data["items"])}, 201)


@blp.route("/valuations/<int:valuation_id>")
class ValuationById(MethodView):
    @require(*VALUERS, Role.AUDITOR)
    @blp.response(200, ValuationOut)
    def get(self, valuation_id):
        """Read a stored valuation (clerks, auditors, or the party that asked for it)."""
        return read(services.read_valuation, valuation_id)


@blp.route("/models/current")
class CurrentModel(MethodView):
    @blp.response(200)
    @blp.doc(responses={200: {"content": {"application/json": {"schema": ModelCardOut}}}})
    def get(self):
        """The model card of the model serving valuations (public)."""
        return _valuer().card()


#: The registry's transaction records, wired by ``create_app`` (this package never imports it).
REALIZED_SALES = "ipx.realized_sales"


@blp.route("/models/current/backtest")
class CurrentModelBacktest(MethodView):
    @require(*backtest_reads.MODEL_RISK_READERS)
    @blp.response(200, BacktestOut)
    def get(self):
        """Realized disposal prices against the valuations made before each sale."""
        sales = current_app.extensions[REALIZED_SALES]
        return read(backtest_reads.read_backtest, sales, _valuer().version)


#: The monitoring read's 503: the general causes, and its own.
MONITORING_503 = (
    "`service-unavailable`: the current model's training data (the reference of every PSI) is "
    "missing or differs from the SHA-256 its metadata records, so input drift cannot be "
    "measured (the operator restores the file); also a busy or unreachable database "
    "(`lock-timeout`, `service-unavailable`); retry after `Retry-After`."
)


@blp.route("/models/current/monitoring")
class CurrentModelMonitoring(MethodView):
    @require(*backtest_reads.MODEL_RISK_READERS)
    @blp.arguments(MonitoringIn, location="query")
    @blp.response(200, MonitoringOut)
    @blp.alt_response(503, description=MONITORING_503)
    def get(self, query):
        """Input drift of the valuations served in a window against the training data."""
        return read(monitoring_reads.read_monitoring, _valuer(), query["days"])
