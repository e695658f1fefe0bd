"""The valuations API and the model card."""

from __future__ import annotations

import functools

from flask import Flask, current_app
from flask.views import MethodView

from ipx.auth import Role, require
from ipx.errors import ValidationFailed
from ipx.valuation import services
from ipx.valuation.predictor import Valuer
from ipx.valuation.schemas import BatchIn, BatchOut, ValuationIn, ValuationOut
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import plain_json, principal, unit_of_work
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "valuations",
    __name__,
    url_prefix=API_PREFIX,
    description="Patent valuations: renewal survival, score, value range, collateral.",
)

VALUERS = (Role.BANK, Role.CLERK, Role.OWNER)


def init_app(app: Flask, asset_source: services.AssetSource) -> None:
    """Load the model once per process and remember where asset facts come from."""
    caps = tuple(sorted(app.config["LTV_CAPS"].items()))
    app.extensions["ipx.valuer"] = _load_valuer(app.config["MODEL_DIR"], caps)
    app.extensions["ipx.asset_source"] = asset_source


@functools.cache
def _load_valuer(model_dir: str | None, ltv_caps: tuple) -> Valuer:
    # A Valuer never changes once loaded, so apps in one process (tests, workers) share it.
    return Valuer.load(model_dir, ltv_caps=dict(ltv_caps))


def _valuer() -> Valuer:
    return current_app.extensions["ipx.valuer"]


def _value(items: list[dict]) -> list[dict]:
    with unit_of_work() as uow:
        rows = services.create_valuations(
            uow, _valuer(), principal(), items, current_app.extensions["ipx.asset_source"]
        )
        uow.commit()
    return [services.valuation_json(row) for row in rows]


@blp.route("/valuations")
class Valuations(MethodView):
    @require(*VALUERS)
    @idempotent
    @blp.arguments(ValuationIn)
    @blp.response(201, ValuationOut)
    def post(self, data):
        """Value a patent (registered asset_id, or features given directly); stored and logged."""
        return plain_json(_value([data])[0], 201)


@blp.route("/valuations/batch")
class ValuationBatch(MethodView):
    @require(*VALUERS)
    @idempotent
    @blp.arguments(BatchIn)
    @blp.response(201, BatchOut)
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
        with unit_of_work(write=False) as uow:
            row = services.get_valuation(uow.session, principal(), valuation_id)
            return services.valuation_json(row)


@blp.route("/models/current")
class CurrentModel(MethodView):
    @blp.response(200)
    def get(self):
        """The model card of the model serving valuations (public)."""
        return _valuer().card()
