"""The public encumbrance query: no key needed."""

from __future__ import annotations

from flask.views import MethodView

from ipx.ledger.signing import checkpoint_reference
from ipx.registry.schemas import EncumbrancesOut, PublicQuery
from ipx.registry.services import queries
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import plain_json, unit_of_work

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
    @blp.alt_response(401, description="`unauthorized`: a key was sent and is not valid")
    def get(self, query):
        """Pledges on an asset number, or by a pledgor's name or credit code (cancelled too)."""
        with unit_of_work(write=False) as uow:
            checkpoint = checkpoint_reference(uow.session)
            items = queries.public_encumbrances(
                uow, number=query.get("number"), pledgor=query.get("pledgor")
            )
        # Plain public fields: skipping the schema's pass halves the time of a 200-item answer.
        return plain_json({"checkpoint": checkpoint, "items": items})
