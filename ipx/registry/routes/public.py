"""The public encumbrance query: no key needed."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Principal
from ipx.ledger.signing import checkpoint_reference
from ipx.registry.schemas import EncumbrancesOut, PublicQuery
from ipx.registry.services import queries
from ipx.uow import UnitOfWork
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import plain_json, read

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
        answer = read(_answer, number=query.get("number"), pledgor=query.get("pledgor"))
        # Plain public fields: skipping the schema's pass halves the time of a 200-item answer.
        return plain_json(answer)


def _answer(uow: UnitOfWork, _who: Principal | None, **search: str | None) -> dict:
    """The public notice's fields, stamped with the checkpoint they were read against."""
    checkpoint = checkpoint_reference(uow.session)
    return {"checkpoint": checkpoint, "items": queries.public_encumbrances(uow, **search)}
