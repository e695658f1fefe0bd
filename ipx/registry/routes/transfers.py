"""Assignments and licences."""

from __future__ import annotations

from flask.views import MethodView

from ipx.auth import Role, require
from ipx.registry.disposal.schemas import TransferWithProceedsIn, TransferWithProceedsOut
from ipx.registry.services import transfers as service
from ipx.web.api import API_PREFIX, Blueprint
from ipx.web.http import unit_of_work
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
    @blp.alt_response(
        409, description="pledgee-consent-required, asset-frozen or pledge-in-disposal"
    )
    def post(self, data):
        """Record an assignment or licence (clerk); a pledged asset's proceeds per Art. 444."""
        with unit_of_work() as uow:
            transfer = service.record_transfer(uow, data)
            proceeds = service.proceeds_of(uow, transfer.id)
            pledge_status = service.pledge_status(uow, transfer.pledge_id)
            uow.commit()
        return {
            **{c.key: getattr(transfer, c.key) for c in transfer.__table__.columns},
            "proceeds_amount": proceeds.amount if proceeds else None,
            "debt_after": proceeds.debt_after if proceeds else None,
            "pledge_status": pledge_status,
        }
