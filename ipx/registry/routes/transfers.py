"""Assignments and licences."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.registry.commands import RecordTransfer
from ipx.registry.disposal.schemas import TransferWithProceedsIn, TransferWithProceedsOut
from ipx.registry.schemas import PledgedAssetProblem
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import run
from ipx.web.idempotency import idempotent

blp = Blueprint(
    "transfers",
    __name__,
    url_prefix=f"{API_PREFIX}/transfers",
    description="Assignments and licences; pledged assets need the pledgee's consent.",
)


@blp.route("")
class Transfers(MethodView):
    @require(Role.CLERK)
    @idempotent
    @blp.arguments(TransferWithProceedsIn)
    @blp.response(201, TransferWithProceedsOut)
    @blp.alt_response(404, description="`not-found`: no asset with that `asset_id`")
    @blp.alt_response(
        409,
        schema=PledgedAssetProblem,
        description="`pledgee-consent-required`, `asset-frozen` or `pledge-in-disposal`",
    )
    def post(self, data):
        """Record an assignment or licence (clerk); a pledged asset's proceeds per Art. 444."""
        return run(RecordTransfer(**data))
