"""Assignments and licences."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ipx.api import API_PREFIX
from ipx.auth import Role, require
from ipx.http import unit_of_work
from ipx.idempotency import idempotent
from ipx.registry.schemas import TransferIn, TransferOut
from ipx.registry.services import transfers as service

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
    @blp.arguments(TransferIn)
    @blp.response(201, TransferOut)
    @blp.alt_response(409, description="pledgee-consent-required or asset-frozen")
    def post(self, data):
        """Record an assignment or licence (clerk)."""
        with unit_of_work() as uow:
            transfer = service.record_transfer(uow, data)
            uow.commit()
        return transfer
